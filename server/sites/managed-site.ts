import type { MiddlewareHandler } from 'hono'
import { requireManager, type AuthEnv } from '../auth/principal.ts'
import { normalizeDomain } from './domain.ts'
import type { Site, Sites } from './sites.ts'
import { say } from '../http/messages.ts'

/** What a site's settings routes see: the credential, and the site `:domain` names. */
export type SiteEnv = { Variables: AuthEnv['Variables'] & { site: Site } }

/**
 * The gate of every `/api/sites/:domain/<setting>` route: a manager's credential (owners, the
 * admin credentials), then the site the path names, or 404.
 */
export function managedSite(sites: Sites): MiddlewareHandler<SiteEnv>[] {
  const siteOfPath: MiddlewareHandler<SiteEnv> = async (c, next) => {
    const site = sites.get(normalizeDomain(c.req.param('domain') ?? ''))
    if (!site) return c.json(say('site_unknown'), 404)
    c.set('site', site)
    await next()
  }
  return [requireManager<SiteEnv>(), siteOfPath]
}
