import { Hono, type Context, type MiddlewareHandler } from 'hono'
import QRCode from 'qrcode'
import { z } from 'zod'
import { say } from '../http/messages.ts'
import { AccessError, type Access } from './access.ts'
import { verifyPassword } from './password.ts'
import type { AuthEnv } from './principal.ts'
import { refusal } from './roles.ts'
import { readBody, type LoginLimits } from './route.ts'
import type { TwoFactor } from './totp.ts'

export interface TwoFactorRouteDeps {
  access: Access
  twoFactor: TwoFactor
  /** the login's failure limits: wrong codes count like wrong passwords */
  limits: LoginLimits
  trustProxy: number
  /** the name an authenticator app lists the account under */
  issuer: string
}

const code = z.string().trim().min(1).max(64)

/**
 * An owner's two-factor login: enrolment (`/2fa/setup` → QR code, `/2fa/confirm` → recovery
 * codes), its state, turning it off; and the owners' rule that everyone must use it. The
 * login's second step itself is in route.ts, beside the first.
 */
export function twoFactorRoute(deps: TwoFactorRouteDeps) {
  const { access, twoFactor, limits } = deps
  const app = new Hono<AuthEnv>()
  const ownerOf = (c: Context<AuthEnv>) => {
    const p = c.get('principal')
    return p?.kind === 'owner' ? p.owner : undefined
  }
  const refused = (err: unknown, c: Context) => {
    if (err instanceof AccessError) return c.json(err.said, err.status)
    throw err
  }

  app.get('/2fa', (c) => {
    const owner = ownerOf(c)
    if (!owner) return c.json(say('two_factor_owner_only'), c.get('principal') ? 403 : 401)
    return c.json({ state: twoFactor.state(owner.id), recovery_left: twoFactor.recoveryLeft(owner.id), required: twoFactor.required })
  })

  app.post('/2fa/setup', async (c) => {
    const owner = ownerOf(c)
    if (!owner) return c.json(say('two_factor_owner_only'), c.get('principal') ? 403 : 401)
    try {
      const { secret, uri } = await twoFactor.begin(owner, deps.issuer)
      const svg = await QRCode.toString(uri, { type: 'svg', margin: 2, errorCorrectionLevel: 'M' })
      c.header('Cache-Control', 'no-store')
      return c.json({ secret, uri, qr: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}` })
    } catch (err) {
      return refused(err, c)
    }
  })

  app.post('/2fa/confirm', async (c) => {
    const owner = ownerOf(c)
    if (!owner) return c.json(say('two_factor_owner_only'), c.get('principal') ? 403 : 401)
    const body = z.object({ code }).safeParse(await readBody(c))
    if (!body.success) return c.json(say('two_factor_code_missing'), 400)
    const key = `2fa:${owner.id}`
    const wait = limits.byAccount.retryAfterMs(key)
    if (wait > 0) return c.json(say('too_many_codes'), 429, { 'Retry-After': String(Math.ceil(wait / 1000)) })
    try {
      limits.byAccount.fail(key)
      const codes = await twoFactor.confirm(owner.id, body.data.code)
      limits.byAccount.reset(key)
      c.header('Cache-Control', 'no-store')
      return c.json({ state: 'on', recovery_codes: codes })
    } catch (err) {
      return refused(err, c)
    }
  })

  app.post('/2fa/disable', async (c) => {
    const owner = ownerOf(c)
    if (!owner) return c.json(say('two_factor_owner_only'), c.get('principal') ? 403 : 401)
    const body = z.object({ password: z.string().min(1).max(1024), code }).safeParse(await readBody(c))
    if (!body.success) return c.json(say('two_factor_disable_missing'), 400)
    if (!twoFactor.isOn(owner.id)) return c.json(say('two_factor_off'), 409)
    // Someone holding a stolen session may guess neither the password nor codes at leisure.
    const key = `2fa:${owner.id}`
    const wait = Math.max(limits.byAccount.retryAfterMs(key), limits.byAccount.retryAfterMs(`password:${owner.id}`))
    if (wait > 0) return c.json(say('too_many_codes'), 429, { 'Retry-After': String(Math.ceil(wait / 1000)) })
    limits.byAccount.fail(`password:${owner.id}`)
    if (!(await verifyPassword(body.data.password, owner.passwordHash))) return c.json(say('current_password_wrong'), 403)
    limits.byAccount.reset(`password:${owner.id}`)
    limits.byAccount.fail(key)
    if (!(await twoFactor.spend(owner.id, body.data.code))) return c.json(say('two_factor_code_wrong'), 403)
    limits.byAccount.reset(key)
    await twoFactor.turnOff(owner.id)
    return c.json({ state: 'off' })
  })

  app.get('/settings/2fa', (c) => {
    if (!c.get('principal')) return c.json(say('credentials_needed'), 401)
    if (c.get('principal')?.kind === 'share') return c.json(say('read_only_credential'), 403)
    return c.json({ required: twoFactor.required })
  })

  app.put('/settings/2fa', async (c) => {
    const p = c.get('principal')
    // The owners' rule, as users and keys: an owner's (roles.ts 'administer').
    const refused = refusal(p, 'administer')
    if (refused || !p) return c.json(refused?.said ?? say('credentials_needed'), refused?.status ?? 401)
    const body = z.object({ required: z.boolean() }).safeParse(await readBody(c))
    if (!body.success) return c.json(say('two_factor_policy_invalid'), 400)
    // An owner who required it without having it would be sent to enrol at their next request.
    if (body.data.required && p.kind === 'owner' && !twoFactor.isOn(p.owner.id)) return c.json(say('two_factor_policy_own_first'), 409)
    await twoFactor.setRequired(body.data.required, p.kind === 'owner' ? p.owner.id : 'admin')
    return c.json({ required: twoFactor.required })
  })

  /** For an owner who lost both their device and their recovery codes: another owner, or the admin key, turns it off. */
  app.delete('/owners/:id/2fa', async (c) => {
    const p = c.get('principal')
    const refused = refusal(p, 'administer')
    if (refused || !p) return c.json(refused?.said ?? say('credentials_needed'), refused?.status ?? 401)
    const id = c.req.param('id')
    if (!access.ownerById(id)) return c.json(say('owner_not_found', { owner: id }), 404)
    const was = twoFactor.state(id)
    await twoFactor.turnOff(id)
    return c.json({ id, state: 'off', was })
  })

  return app
}

/** Paths an owner who must enrol may still use: their own state, enrolment, and leaving. */
const WHILE_ENROLLING = new Set(['/api/me', '/api/2fa', '/api/2fa/setup', '/api/2fa/confirm', '/api/logout'])

/**
 * While the owners' rule requires two-factor login, an owner without it may do nothing but
 * enrol: every API, export and metrics request of theirs is refused until it is on. Pages stay
 * open, so the dashboard can show the enrolment.
 */
export function twoFactorGate(twoFactor: TwoFactor): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const p = c.get('principal')
    if (p?.kind === 'owner' && twoFactor.mustEnrol(p.owner.id) && guarded(c.req.path) && !WHILE_ENROLLING.has(c.req.path)) {
      return c.json(say('two_factor_required'), 403)
    }
    await next()
  }
}

const guarded = (path: string) => path.startsWith('/api/') || path.startsWith('/export') || path === '/metrics'

