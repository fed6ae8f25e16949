import { Hono } from 'hono'
import type { Logger } from '../log.ts'
import { AccessError, type Access } from './access.ts'
import { passwordRefusal } from './password.ts'
import { clearSessionCookies, type AuthEnv } from './principal.ts'
import { readBody } from './route.ts'
import { say } from '../http/messages.ts'

/**
 * Using a password-reset link (`POST /api/owners/<id>/reset` makes one): `GET /api/reset/<token>`
 * says whose it is, `POST /api/reset/<token> {password}` sets the password and ends every
 * session of that owner. The page at `/reset/<token>` posts the form here (pages/route.ts).
 */
export function resetRoute(deps: { access: Access; log: Logger }) {
  const app = new Hono<AuthEnv>()

  app.get('/:token', (c) => {
    const reset = deps.access.resetFor(c.req.param('token'))
    return reset ? c.json(reset) : c.json(say('reset_invalid'), 404)
  })

  app.post('/:token', async (c) => {
    const body = await readBody(c)
    const password = typeof body.password === 'string' ? body.password : ''
    // Only a valid link's holder gets as far as the (slow) password hash.
    if (!deps.access.resetFor(c.req.param('token'))) return c.json(say('reset_invalid'), 404)
    const problem = passwordRefusal(password)
    if (problem) return c.json(problem, 400)
    try {
      const owner = await deps.access.useReset(c.req.param('token'), password)
      deps.log.info({ owner: owner.id }, 'password reset with a link')
    } catch (err) {
      if (err instanceof AccessError) return c.json(err.said, err.status)
      throw err
    }
    // Whoever was logged in on this browser is logged out with every other session.
    clearSessionCookies(c)
    return (c.req.header('content-type') ?? '').includes('form')
      ? c.redirect('/', 303)
      : c.json({ ok: true, note: 'the password is set and every session of this owner ended: log in with it' })
  })
  return app
}
