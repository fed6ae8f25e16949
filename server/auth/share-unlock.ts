import { Hono } from 'hono'
import { setCookie } from 'hono/cookie'
import { isSecureRequest } from '../http/security.ts'
import type { Access } from './access.ts'
import { SHARE_COOKIE, type AuthEnv } from './principal.ts'
import { FailureLimiter } from './rate-limit.ts'
import { readBody } from './route.ts'
import { say } from '../http/messages.ts'

/** `POST /share/<token>/unlock {password}`: opens a password-protected shared link for 12 h. */
export function shareUnlockRoute(deps: { access: Access; trustProxy: number; clock: () => number }) {
  const app = new Hono<AuthEnv>()
  // Guessing a shared link's password is limited per link, like a login per account.
  const failures = new FailureLimiter({ max: 10, windowMs: 15 * 60_000, maxKeys: 10_000, clock: deps.clock })
  app.post('/:token/unlock', async (c) => {
    const body = await readBody(c)
    const share = deps.access.shareByToken(c.req.param('token'))
    if (!share) return c.json(say('share_unlock_failed'), 401)
    const wait = failures.retryAfterMs(share.id)
    if (wait > 0) return c.json(say('too_many_passwords'), 429, { 'Retry-After': String(Math.ceil(wait / 1000)) })
    failures.fail(share.id)
    const token = await deps.access.unlockShare(c.req.param('token'), typeof body.password === 'string' ? body.password : '')
    if (!token) return c.json(say('share_unlock_failed'), 401)
    failures.reset(share.id)
    setCookie(c, SHARE_COOKIE, token, {
      httpOnly: true,
      sameSite: 'Lax',
      secure: isSecureRequest(c, { trustProxy: deps.trustProxy > 0 }),
      path: '/',
      maxAge: 12 * 3600,
    })
    return (c.req.header('content-type') ?? '').includes('form') ? c.redirect(`/share/${c.req.param('token')}`, 303) : c.json({ token })
  })
  return app
}
