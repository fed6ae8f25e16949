import type { MiddlewareHandler } from 'hono'
import { say, type Said } from '../http/messages.ts'
import type { Role } from '../vocabulary/roles.ts'

export { ROLES, type Role } from '../vocabulary/roles.ts'

/**
 * Who asks, as far as the rule needs to know (principal.ts's Principal is one): the admin
 * credentials, a dashboard user with a role and sites, an API key with its sites, a shared link
 * with its site. Said here, not imported, so that principal.ts can ask this module.
 */
export type Asker =
  | { kind: 'admin' }
  | { kind: 'owner'; owner: { role: Role; sites: readonly string[] } }
  | { kind: 'key'; key: { sites: readonly string[] } }
  | { kind: 'share'; share: { site: string } }

type AskerEnv = { Variables: { principal: Asker | undefined } }

/**
 * What may be asked of Skaits. `read`: a site's statistics. `manage`: a site's settings.
 * `administer`: the instance itself (adding, renaming and removing sites, users and
 * invitations, API keys, metrics).
 */
export type Action = 'read' | 'manage' | 'administer'

/** The sites a principal reaches: every site, or these. */
export type Reach = 'all' | readonly string[]

/**
 * Whether `p` may do `action` on `site`; without a site, whether it may do it on some site (the
 * gate of a route whose site is in its body or its answer is filtered).
 *
 * The admin credentials (SKAITS_API_KEY, the CLI's token) and owners may do everything. An API
 * key and a shared link only read, the key its sites (all when it lists none), the link its one.
 */
export function can(p: Asker | undefined, action: Action, site?: string): boolean {
  return refusal(p, action, site) === undefined
}

/** Why `p` may not do `action` (on `site`): the status and message, or undefined when it may. */
export function refusal(p: Asker | undefined, action: Action, site?: string): { status: 401 | 403; said: Said } | undefined {
  if (!p) return { status: 401, said: say('credentials_needed') }
  return ruling(roleOf(p), reachOf(p), action, site)
}

/** Whether a user (by their stored role and sites) may do `action` on `site`: who hears of a site's alerts. */
export function userMay(user: { role: Role; sites: readonly string[] }, action: Action, site?: string): boolean {
  return ruling(user.role, user.role === 'owner' ? 'all' : user.sites, action, site) === undefined
}

/** The one rule: a role (none: an API key or a shared link, which only read) and the sites it reaches. */
function ruling(role: Role | undefined, reach: Reach, action: Action, site: string | undefined): { status: 403; said: Said } | undefined {
  if (role === 'owner') return undefined
  if (role === undefined) {
    if (action !== 'read') return { status: 403, said: say('read_only_credential') }
  } else if (action === 'administer') return { status: 403, said: say('role_owners_only') }
  else if (action === 'manage' && role === 'viewer') return { status: 403, said: say('role_viewer_reads') }
  if (site === undefined || reaches(reach, site)) return undefined
  return { status: 403, said: action === 'read' ? say('cannot_read_site', { domain: site }) : say('role_site_not_granted', { domain: site }) }
}

/** The role `p` acts with: the admin credentials act as an owner; keys and shared links have none. */
export function roleOf(p: Asker): Role | undefined {
  switch (p.kind) {
    case 'admin':
      return 'owner'
    case 'owner':
      return p.owner.role
    case 'key':
    case 'share':
      return undefined
  }
}

/** The sites `p` reaches (for what its role allows: settings for an admin, reading for the rest). */
export function reachOf(p: Asker): Reach {
  switch (p.kind) {
    case 'admin':
      return 'all'
    case 'owner':
      return p.owner.role === 'owner' ? 'all' : p.owner.sites
    case 'key':
      return p.key.sites.length === 0 ? 'all' : p.key.sites
    case 'share':
      return [p.share.site]
  }
}

export function reaches(reach: Reach, site: string): boolean {
  return reach === 'all' || reach.includes(site)
}

/** Of `items`, those whose site `p` reaches: what a listing shows an admin or a viewer. */
export function withinReach<T>(p: Asker | undefined, items: T[], siteOf: (item: T) => string): T[] {
  if (!p) return []
  const reach = reachOf(p)
  return reach === 'all' ? items : items.filter((item) => reach.includes(siteOf(item)))
}

/**
 * A route's gate: 401 without credentials, 403 with credentials whose role does not allow
 * `action` (on the site `siteOf` names, when given); the site's own existence is checked after,
 * so a refused credential learns nothing about sites outside its reach.
 */
export function requireCan<E extends AskerEnv = AskerEnv>(action: Action, siteOf?: (c: Parameters<MiddlewareHandler<E>>[0]) => string): MiddlewareHandler<E> {
  return async (c, next) => {
    const no = refusal(c.get('principal'), action, siteOf?.(c))
    if (no) return c.json(no.said, no.status)
    await next()
  }
}
