import { Hono, type Context } from 'hono'
import { AccessError, type Access } from './access.ts'
import { clearSessionCookies, type AuthEnv } from './principal.ts'
import { say } from '../http/messages.ts'

/**
 * An owner's own sessions: `GET /api/sessions` lists them (never a token or hash),
 * `DELETE /api/sessions/<id>` ends one, `POST /api/sessions/end-others` all but the current.
 */
export function sessionsRoute(deps: { access: Access }) {
  const { access } = deps
  const app = new Hono<AuthEnv>()
  const owner = (c: Context<AuthEnv>) => {
    const p = c.get('principal')
    return p?.kind === 'owner' ? p : undefined
  }
  const refuse = (c: Context<AuthEnv>) =>
    c.get('principal')
      ? c.json(say('no_owner_sessions'), 403)
      : c.json(say('log_in_first'), 401)

  app.get('/', (c) => {
    const p = owner(c)
    if (!p) return refuse(c)
    const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString())
    return c.json(
      access.listSessions(p.owner.id, p.sessionHash).map((s) => ({
        id: s.id,
        created_at: iso(s.createdAt),
        // as seen by the node answering: kept in memory, not written per request
        last_seen: iso(s.lastSeen),
        expires_at: iso(s.expiresAt),
        current: s.current,
      })),
    )
  })

  app.delete('/:id', async (c) => {
    const p = owner(c)
    if (!p) return refuse(c)
    try {
      const wasCurrent = await access.endSession(p.owner.id, c.req.param('id'), p.sessionHash)
      if (wasCurrent) clearSessionCookies(c)
      return c.json({ ok: true, current: wasCurrent })
    } catch (err) {
      if (err instanceof AccessError) return c.json(err.said, err.status)
      throw err
    }
  })

  app.post('/end-others', async (c) => {
    const p = owner(c)
    if (!p) return refuse(c)
    return c.json({ ok: true, ended: await access.endSessionsOf(p.owner.id, p.sessionHash) })
  })
  return app
}
