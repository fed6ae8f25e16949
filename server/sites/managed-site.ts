import type { Context, MiddlewareHandler } from 'hono'
import type { z } from 'zod'
import type { AuthEnv } from '../auth/principal.ts'
import { requireCan, type Action } from '../auth/roles.ts'
import { normalizeDomain } from './domain.ts'
import { SiteError, type Site, type Sites } from './sites.ts'
import { say } from '../http/messages.ts'

/** What a site's settings routes see: the credential, and the site `:domain` names. */
export type SiteEnv = { Variables: AuthEnv['Variables'] & { site: Site } }

/**
 * The gate of every `/api/sites/:domain/<setting>` route: a credential that may `action` (manage,
 * unless said) the site the path names (auth/roles.ts: owners and the admin credentials, admins
 * of that site), else 401 or 403; then the site, or 404. Permission first: an admin learns
 * nothing of sites outside their reach.
 */
export function managedSite(sites: Sites, action: Action = 'manage'): MiddlewareHandler<SiteEnv>[] {
  const siteOfPath: MiddlewareHandler<SiteEnv> = async (c, next) => {
    const site = sites.get(normalizeDomain(c.req.param('domain') ?? ''))
    if (!site) return c.json(say('site_unknown'), 404)
    c.set('site', site)
    await next()
  }
  return [requireCan<SiteEnv>(action, (c) => normalizeDomain(c.req.param('domain') ?? '')), siteOfPath]
}

/** The answer of `work`, or the refusal a SiteError it throws carries. */
export async function siteErrors(c: Context, work: () => Promise<Response>): Promise<Response> {
  try {
    return await work()
  } catch (err) {
    if (err instanceof SiteError) return c.json(err.said, err.status)
    throw err
  }
}

/** `fields` as `schema` reads them, or a SiteError (a 400) naming the first problem. */
export function parseOrRefuse<S extends z.ZodType>(schema: S, fields: unknown): z.output<S> {
  const parsed = schema.safeParse(fields)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]!
  throw new SiteError(say('invalid_request', { detail: `${issue.path.join('.') ? `${issue.path.join('.')}: ` : ''}${issue.message}` }))
}
