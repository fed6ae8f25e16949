import { Hono, type Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { z } from 'zod'
import { ClientAddress } from '../privacy/client-address.ts'
import { getConnInfo } from '@hono/node-server/conninfo'
import { crossSiteBrowserRequest, isSecureRequest } from '../http/security.ts'
import type { Logger } from '../log.ts'
import { AccessError, normalizeEmail, type Access } from './access.ts'
import { passwordRefusal } from './password.ts'
import { clearSessionCookies, SESSION_COOKIE, sessionToken, type AuthEnv } from './principal.ts'
import { FailureLimiter } from './rate-limit.ts'
import type { IdleSessions } from './session-idle.ts'
import type { SetupToken } from './setup-token.ts'
import { tokenHash } from './tokens.ts'
import type { TwoFactor } from './totp.ts'
import { say } from '../http/messages.ts'

const credentials = z.object({ email: z.string().min(3).max(320), password: z.string().min(1).max(1024) })

/** Reads a JSON body or an HTML form alike (the setup and login pages post forms). */
export async function readBody(c: Context): Promise<Record<string, unknown>> {
  const type = c.req.header('content-type') ?? ''
  if (type.includes('application/x-www-form-urlencoded') || type.includes('multipart/form-data')) {
    const form = await c.req.parseBody().catch(() => ({}))
    return Object.fromEntries(Object.entries(form).map(([k, v]) => [k, String(v)]))
  }
  const json = await c.req.json().catch(() => undefined)
  return json && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : {}
}

const isForm = (c: Context) => (c.req.header('content-type') ?? '').includes('form')

export interface AuthRouteDeps {
  access: Access
  log: Logger
  trustProxy: number
  sessionDays: number
  clock: () => number
  /** the one-time secret that creates the first owner (DATA_DIR/setup-token) */
  setupToken: SetupToken
  /** SESSION_IDLE_DAYS: a new session's idle period starts at login */
  idleSessions?: IdleSessions
  /** two-factor login: an owner who has it on logs in in two steps (issue 25) */
  twoFactor?: TwoFactor
  /** the failure limits, shared with the two-factor routes; made here when not given */
  limits?: LoginLimits
}

/** Failed logins counted by network (/24, /48) and by account (or owner), 15-minute windows. */
export interface LoginLimits {
  byNetwork: FailureLimiter
  byAccount: FailureLimiter
}

export function loginLimits(clock: () => number): LoginLimits {
  return {
    byNetwork: new FailureLimiter({ max: 20, windowMs: 15 * 60_000, maxKeys: 10_000, clock }),
    byAccount: new FailureLimiter({ max: 5, windowMs: 15 * 60_000, maxKeys: 10_000, clock }),
  }
}

/** The cookie that carries a login's second-step token from the password form to the code form. */
export const SECOND_STEP_COOKIE = 'skaits_2fa'

/** Setup of the first owner, login, logout, password change and accepting an invitation. */
export function authRoute(deps: AuthRouteDeps) {
  const { access, log } = deps
  const { byNetwork, byAccount } = deps.limits ?? loginLimits(deps.clock)
  const app = new Hono<AuthEnv>()

  const startSession = async (c: Context, ownerId: string) => {
    const { token, expiresAt } = await access.createSession(ownerId)
    deps.idleSessions?.touch(tokenHash(token))
    const secure = isSecureRequest(c, { trustProxy: deps.trustProxy > 0 })
    setCookie(c, SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: 'Lax',
      secure,
      path: '/',
      expires: new Date(expiresAt),
      ...(secure ? { prefix: 'host' as const } : {}),
    })
  }
  const done = (c: Context, body: object, status: 200 | 201 = 200) => (isForm(c) ? c.redirect('/', 303) : c.json(body, status))

  app.get('/setup', (c) => c.json({ needed: access.ownerCount() === 0 }))

  app.post('/setup', async (c) => {
    if (access.ownerCount() > 0) return c.json(say('setup_done'), 409)
    const body = await readBody(c)
    // Whoever reaches a fresh instance first must not own it: the setup token proves access
    // to the machine (DATA_DIR), the admin key to its configuration.
    if (c.get('principal')?.kind !== 'admin') {
      const given = typeof body.setup_token === 'string' ? body.setup_token.trim() : ''
      if (!given) {
        return c.json(say('setup_token_missing'), 401)
      }
      if (!deps.setupToken.matches(given)) return c.json(say('setup_token_wrong'), 403)
    }
    const parsed = credentials.safeParse(body)
    if (!parsed.success) return c.json(say('credentials_missing'), 400)
    const problem = passwordRefusal(parsed.data.password)
    if (problem) return c.json(problem, 400)
    let owner
    try {
      owner = await access.createFirstOwner(parsed.data.email, parsed.data.password)
    } catch (err) {
      if (err instanceof AccessError) return c.json(err.said, err.status)
      throw err
    }
    log.info({ owner: owner.id }, 'first owner created')
    deps.setupToken.discard()
    await startSession(c, owner.id)
    return done(c, { owner: { id: owner.id, email: owner.email } }, 201)
  })

  app.post('/login', async (c) => {
    // Login CSRF: a foreign page must not log a browser into an account of its choosing.
    if (crossSiteBrowserRequest(c, { trustProxy: deps.trustProxy > 0 })) {
      return c.json(say('cross_site_login'), 403)
    }
    const parsed = credentials.safeParse(await readBody(c))
    if (!parsed.success) return c.json(say('credentials_missing'), 400)
    const address = ClientAddress.fromRequest(getConnInfo(c).remote.address, c.req.header('x-forwarded-for'), deps.trustProxy)
    // Limits are keyed by the network (/24, /48) and the account, never by a full address.
    const network = address?.networkKey() ?? 'net:unknown'
    const account = `account:${normalizeEmail(parsed.data.email)}`
    const wait = Math.max(byNetwork.retryAfterMs(network), byAccount.retryAfterMs(account))
    if (wait > 0) {
      return c.json(say('too_many_logins'), 429, { 'Retry-After': String(Math.ceil(wait / 1000)) })
    }
    // Counted before the slow check, so parallel guesses cannot all slip under the limit;
    // a successful login clears the account's count.
    byNetwork.fail(network)
    byAccount.fail(account)
    const owner = await access.verifyLogin(parsed.data.email, parsed.data.password)
    if (!owner) return c.json(say('login_failed'), 401)
    byAccount.reset(account)
    // issue 25, two-factor login (wt-t): the password alone gives no session, only a token for the code.
    if (deps.twoFactor?.isOn(owner.id)) {
      const step = deps.twoFactor.secondStep(owner.id)
      setCookie(c, SECOND_STEP_COOKIE, step.token, { httpOnly: true, sameSite: 'Strict', secure: isSecureRequest(c, { trustProxy: deps.trustProxy > 0 }), path: '/', expires: new Date(step.expiresAt) })
      return done(c, { two_factor: { token: step.token, expires_at: new Date(step.expiresAt).toISOString() } })
    }
    await startSession(c, owner.id)
    return done(c, { owner: { id: owner.id, email: owner.email }, ...(deps.twoFactor?.mustEnrol(owner.id) ? { enrol: true } : {}) })
  })

  // issue 25, two-factor login (wt-t): the second step, a TOTP code or a recovery code.
  app.post('/login/2fa', async (c) => {
    const twoFactor = deps.twoFactor
    if (!twoFactor) return c.json(say('not_found'), 404)
    if (crossSiteBrowserRequest(c, { trustProxy: deps.trustProxy > 0 })) return c.json(say('cross_site_login'), 403)
    const body = await readBody(c)
    const token = typeof body.token === 'string' && body.token ? body.token : (getCookie(c, SECOND_STEP_COOKIE) ?? '')
    const code = typeof body.code === 'string' ? body.code.trim() : ''
    if (!code || code.length > 64) return c.json(say('two_factor_code_missing'), 400)
    const ownerId = twoFactor.secondStepOwner(token)
    const owner = ownerId ? access.ownerById(ownerId) : undefined
    if (!owner) {
      deleteCookie(c, SECOND_STEP_COOKIE, { path: '/' })
      return c.json(say('two_factor_step_invalid'), 401)
    }
    const address = ClientAddress.fromRequest(getConnInfo(c).remote.address, c.req.header('x-forwarded-for'), deps.trustProxy)
    const network = address?.networkKey() ?? 'net:unknown'
    // Wrong codes count under the owner, apart from passwords: a right password does not reset them.
    const key = `2fa:${owner.id}`
    const wait = Math.max(byNetwork.retryAfterMs(network), byAccount.retryAfterMs(key))
    if (wait > 0) return c.json(say('too_many_codes'), 429, { 'Retry-After': String(Math.ceil(wait / 1000)) })
    byNetwork.fail(network)
    byAccount.fail(key)
    const used = await twoFactor.spend(owner.id, code)
    if (!used) return c.json(say('two_factor_code_wrong'), 401)
    byAccount.reset(key)
    deleteCookie(c, SECOND_STEP_COOKIE, { path: '/' })
    await startSession(c, owner.id)
    if (used === 'recovery') log.info({ owner: owner.id, left: twoFactor.recoveryLeft(owner.id) }, 'login with a recovery code')
    return done(c, { owner: { id: owner.id, email: owner.email }, used, recovery_left: twoFactor.recoveryLeft(owner.id) })
  })

  app.post('/login/2fa/cancel', (c) => {
    deleteCookie(c, SECOND_STEP_COOKIE, { path: '/' })
    return isForm(c) ? c.redirect('/', 303) : c.json({ ok: true })
  })

  app.post('/logout', async (c) => {
    const p = c.get('principal')
    const token = sessionToken(c)
    if (p?.kind === 'owner' && token) await access.revokeSession(token)
    clearSessionCookies(c)
    return isForm(c) ? c.redirect('/', 303) : c.json({ ok: true })
  })

  app.get('/me', (c) => {
    const p = c.get('principal')
    if (p?.kind !== 'owner') return c.json(say('not_logged_in'), 401)
    return c.json({ id: p.owner.id, email: p.owner.email, role: p.owner.role, sites: p.owner.sites })
  })

  app.post('/password', async (c) => {
    const p = c.get('principal')
    if (p?.kind !== 'owner') return c.json(say('log_in_first'), 401)
    const body = z.object({ current: z.string().max(1024), next: z.string().max(1024) }).safeParse(await readBody(c))
    if (!body.success) return c.json(say('passwords_missing'), 400)
    const problem = passwordRefusal(body.data.next)
    if (problem) return c.json(problem, 400)
    // Someone holding a stolen session may not guess the current password at leisure.
    const wait = byAccount.retryAfterMs(`password:${p.owner.id}`)
    if (wait > 0) return c.json(say('too_many_passwords'), 429, { 'Retry-After': String(Math.ceil(wait / 1000)) })
    byAccount.fail(`password:${p.owner.id}`)
    try {
      await access.changePassword(p.owner.id, body.data.current, body.data.next, p.sessionHash)
      byAccount.reset(`password:${p.owner.id}`)
    } catch (err) {
      if (err instanceof AccessError) return c.json(err.said, err.status)
      throw err
    }
    return c.json({ ok: true, note: 'your other sessions were logged out' })
  })

  app.get('/invitations/:token', (c) => {
    const inv = access.invitation(c.req.param('token'))
    return inv ? c.json(inv) : c.json(say('invitation_invalid'), 404)
  })

  app.post('/invitations/:token', async (c) => {
    const body = await readBody(c)
    const password = typeof body.password === 'string' ? body.password : ''
    const problem = passwordRefusal(password)
    if (problem) return c.json(problem, 400)
    try {
      const owner = await access.acceptInvitation(c.req.param('token'), password)
      await startSession(c, owner.id)
      return done(c, { owner: { id: owner.id, email: owner.email } }, 201)
    } catch (err) {
      if (err instanceof AccessError) return c.json(err.said, err.status)
      throw err
    }
  })
  return app
}
