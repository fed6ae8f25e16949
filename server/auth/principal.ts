import type { Context, MiddlewareHandler } from 'hono'
import { getCookie } from 'hono/cookie'
import { sameOrigin } from '../http/security.ts'
import type { Access, ApiKey, Owner, Share } from './access.ts'
import { safeEqual } from './tokens.ts'

/** Who is asking. */
export type Principal =
  | { kind: 'admin'; via: 'bootstrap-key' | 'local-token' }
  | { kind: 'owner'; owner: Owner; sessionHash: string }
  | { kind: 'key'; key: ApiKey }
  | { kind: 'share'; share: Share }

export const SESSION_COOKIE = 'skaits_session'
export const SHARE_COOKIE = 'skaits_share'

export type AuthEnv = { Variables: { principal: Principal | undefined; viaCookie: boolean } }

export interface AuthDeps {
  access: Access
  /** SKAITS_API_KEY */
  bootstrapKey: string | undefined
  /** the CLI's credential kept under DATA_DIR */
  localToken: string
  trustProxy: boolean
}

/**
 * Resolves the principal from `Authorization: Bearer …` or the session cookies. Requests that
 * change state and are authenticated by a cookie must come from our own origin (CSRF).
 */
export function authenticate(deps: AuthDeps): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const { principal, viaCookie } = resolve(c, deps)
    c.set('principal', principal)
    c.set('viaCookie', viaCookie)
    if (viaCookie && !['GET', 'HEAD', 'OPTIONS'].includes(c.req.method) && !sameOrigin(c, { trustProxy: deps.trustProxy })) {
      return c.json({ error: 'cross-site request refused: send it from the dashboard (Origin check)' }, 403)
    }
    await next()
  }
}

function resolve(c: Context, deps: AuthDeps): { principal: Principal | undefined; viaCookie: boolean } {
  const token = bearerToken(c.req.header('authorization'))
  if (token) return { principal: fromToken(token, deps), viaCookie: false }
  const session = getCookie(c, SESSION_COOKIE)
  if (session) {
    const found = deps.access.sessionOwner(session)
    if (found) return { principal: { kind: 'owner', owner: found.owner, sessionHash: found.sessionHash }, viaCookie: true }
  }
  const unlocked = getCookie(c, SHARE_COOKIE)
  if (unlocked) {
    const share = deps.access.unlockedShare(unlocked)
    if (share) return { principal: { kind: 'share', share }, viaCookie: true }
  }
  return { principal: undefined, viaCookie: false }
}

function fromToken(token: string, deps: AuthDeps): Principal | undefined {
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
  if (safeEqual(token, deps.localToken)) return { kind: 'admin', via: 'local-token' }
  if (deps.bootstrapKey && safeEqual(token, deps.bootstrapKey)) return { kind: 'admin', via: 'bootstrap-key' }
  return undefined
}

export function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1]
}

export function canRead(p: Principal | undefined, site: string): boolean {
  if (!p) return false
  switch (p.kind) {
    case 'admin':
    case 'owner':
      return true
    case 'key':
      return p.key.sites.length === 0 || p.key.sites.includes(site)
    case 'share':
      return p.share.site === site
  }
}

/** Owners and the admin credentials manage everything; keys and shared links only read. */
export function canManage(p: Principal | undefined): boolean {
  return p?.kind === 'admin' || p?.kind === 'owner'
}

/** 401 without credentials, 403 with credentials that do not reach this. */
export function requireManager(): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const p = c.get('principal')
    if (!p) return c.json({ error: 'log in, or send Authorization: Bearer <admin key>' }, 401)
    if (!canManage(p)) return c.json({ error: 'this credential can only read statistics' }, 403)
    await next()
  }
}
