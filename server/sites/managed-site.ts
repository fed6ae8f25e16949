import type { Context, MiddlewareHandler } from 'hono'
import type { z } from 'zod'
import { requireManager, type AuthEnv } from '../auth/principal.ts'
import { normalizeDomain } from './domain.ts'
import { SiteError, type Site, type Sites } from './sites.ts'
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
