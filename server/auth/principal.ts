import type { Context, MiddlewareHandler } from 'hono'
import { deleteCookie, getCookie } from 'hono/cookie'
import { getConnInfo } from '@hono/node-server/conninfo'
import { sameOrigin } from '../http/security.ts'
import { ClientAddress } from '../privacy/client-address.ts'
import type { Access, ApiKey, Owner, Share } from './access.ts'
import { FailureLimiter } from './rate-limit.ts'
import type { IdleSessions } from './session-idle.ts'
import { safeEqual } from './tokens.ts'
import { say } from '../http/messages.ts'
import { can, requireCan } from './roles.ts'

/** Who is asking. */
export type Principal =
  | { kind: 'admin'; via: 'bootstrap-key' | 'local-token' }
  | { kind: 'owner'; owner: Owner; sessionHash: string }
  | { kind: 'key'; key: ApiKey }
  | { kind: 'share'; share: Share }

export const SESSION_COOKIE = 'skaits_session'
/**
 * The session cookie's name over TLS. `__Host-` makes browsers insist on Secure, Path=/ and no
 * Domain, so a page on a sibling subdomain cannot plant or overwrite it. Plain HTTP keeps
 * the old name (browsers refuse `__Host-` without Secure); both are read.
 */
export const SECURE_SESSION_COOKIE = `__Host-${SESSION_COOKIE}`
export const SHARE_COOKIE = 'skaits_share'

/** The owner session's token, under either name (the `__Host-` one first). */
export function sessionToken(c: Context): string | undefined {
  return getCookie(c, SECURE_SESSION_COOKIE) ?? getCookie(c, SESSION_COOKIE)
}

/** Clears the owner session cookie under both names. */
export function clearSessionCookies(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/' })
  if (getCookie(c, SECURE_SESSION_COOKIE) !== undefined) deleteCookie(c, SESSION_COOKIE, { path: '/', secure: true, prefix: 'host' })
}

export type AuthEnv = { Variables: { principal: Principal | undefined; viaCookie: boolean } }

export interface AuthDeps {
  access: Access
  /** SKAITS_API_KEY */
  bootstrapKey: string | undefined
  /** the CLI's credential kept under DATA_DIR */
  localToken: string
  trustProxy: boolean
  /** TRUST_PROXY's number of proxies: finds the client's network for the failed-Bearer limit */
  proxies?: number
  /** SESSION_IDLE_DAYS: sessions unused this long end */
  idleSessions?: IdleSessions
  clock?: () => number
}

/** Failed Bearer tokens allowed per network (/24, /48) in a window, as for logins. */
export const BEARER_FAILURES = { max: 20, windowMs: 15 * 60_000 }

/**
 * Resolves the principal from `Authorization: Bearer …` or the session cookies. Requests that
 * change state and are authenticated by a cookie must come from our own origin (CSRF).
 */
export function authenticate(deps: AuthDeps): MiddlewareHandler<AuthEnv> {
  const failedBearers = new FailureLimiter({ ...BEARER_FAILURES, maxKeys: 10_000, clock: deps.clock })
  return async (c, next) => {
    const token = bearerToken(c.req.header('authorization'))
    // Keyed by the network, never a full address; no token is logged or kept.
    const network = token ? clientNetwork(c, deps.proxies ?? 0) : ''
    const wait = token ? failedBearers.retryAfterMs(network) : 0
    if (wait > 0) {
      return c.json(say('too_many_tokens'), 429, {
        'Retry-After': String(Math.ceil(wait / 1000)),
      })
    }
    const { principal, viaCookie } = resolve(c, deps, token)
    if (token && !principal) failedBearers.fail(network)
    c.set('principal', principal)
    c.set('viaCookie', viaCookie)
    if (viaCookie && !['GET', 'HEAD', 'OPTIONS'].includes(c.req.method) && !sameOrigin(c, { trustProxy: deps.trustProxy })) {
      return c.json(say('cross_site'), 403)
    }
    await next()
  }
}

function resolve(c: Context, deps: AuthDeps, token: string | undefined): { principal: Principal | undefined; viaCookie: boolean } {
  if (token) return { principal: fromToken(token, deps, c), viaCookie: false }
  const session = sessionToken(c)
  if (session) {
    const found = deps.access.sessionOwner(session)
    if (found && deps.idleSessions && !deps.idleSessions.touch(found.sessionHash)) {
      void deps.access.revokeSession(session).catch(() => {})
    } else if (found) {
      return { principal: { kind: 'owner', owner: found.owner, sessionHash: found.sessionHash }, viaCookie: true }
    }
  }
  const unlocked = getCookie(c, SHARE_COOKIE)
  if (unlocked) {
    const share = deps.access.unlockedShare(unlocked)
    if (share) return { principal: { kind: 'share', share }, viaCookie: true }
  }
  return { principal: undefined, viaCookie: false }
}

function fromToken(token: string, deps: AuthDeps, c: Context): Principal | undefined {
  if (token.startsWith('sk_')) {
    const key = deps.access.keyByToken(token)
    return key && { kind: 'key', key }
  }
  if (token.startsWith('sh_')) {
    const share = deps.access.shareByToken(token)
    // A link with a password must be unlocked first (its token then is an `ss_` one).
    return share && !share.passwordHash ? { kind: 'share', share } : undefined
  }
  if (token.startsWith('ss_')) {
    const share = deps.access.unlockedShare(token)
    return share && { kind: 'share', share }
  }
  if (safeEqual(token, deps.localToken)) return fromThisMachine(c) ? { kind: 'admin', via: 'local-token' } : undefined
  if (deps.bootstrapKey && safeEqual(token, deps.bootstrapKey)) return { kind: 'admin', via: 'bootstrap-key' }
  return undefined
}

/**
 * The CLI's token is for the CLI on this machine: the TCP peer must be loopback, and a request
 * that came through a reverse proxy (which on the same machine is a loopback peer too) says so
 * in a forwarding header the CLI never sends.
 */
function fromThisMachine(c: Context): boolean {
  if (c.req.header('x-forwarded-for') !== undefined || c.req.header('forwarded') !== undefined || c.req.header('x-real-ip') !== undefined) return false
  return ClientAddress.fromPeer(peerAddress(c))?.isLoopback() ?? false
}

function peerAddress(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address
  } catch {
    return undefined // no socket: Hono's app.request() in unit tests
  }
}

function clientNetwork(c: Context, proxies: number): string {
  return ClientAddress.fromRequest(peerAddress(c), c.req.header('x-forwarded-for'), proxies)?.networkKey() ?? 'net:unknown'
}

export function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1]
}

/** Whether `p` may read `site`'s statistics (auth/roles.ts decides). */
export function canRead(p: Principal | undefined, site: string): boolean {
  return can(p, 'read', site)
}

/** Whether a shared link's view is open to `p`: it has no password, or `p` unlocked this very link. */
export function shareUnlocked(share: Pick<Share, 'id' | 'passwordHash'>, p: Principal | undefined): boolean {
  return !share.passwordHash || (p?.kind === 'share' && p.share.id === share.id)
}

/** 401 without credentials, 403 with credentials that manage no site's settings (auth/roles.ts). */
export function requireManager<E extends AuthEnv = AuthEnv>(): MiddlewareHandler<E> {
  return requireCan<E>('manage')
}
