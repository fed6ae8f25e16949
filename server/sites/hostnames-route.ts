import { Hono } from 'hono'
import { z } from 'zod'
import { requireManager, type AuthEnv } from '../auth/principal.ts'
import { normalizeDomain } from './domain.ts'
import { defaultHostnames, hostnamePatterns } from './hostnames.ts'
import type { Site, Sites } from './sites.ts'

/** `null` goes back to the default: the site's domain and its subdomains. */
const body = z.object({ hostnames: hostnamePatterns.nullable() })

function answer(site: Site) {
  return { hostnames: site.settings.hostnames ?? defaultHostnames(site.domain), default: !site.settings.hostnames }
}

/** The URL hosts a site's events may come from (sites/hostnames.ts), for owners and the admin credentials. */
export function hostnamesRoute(deps: { sites: Sites; clock: () => number }) {
  const app = new Hono<AuthEnv>()
  app.use('/:domain/hostnames', requireManager())

  app.get('/:domain/hostnames', (c) => {
    const site = deps.sites.get(normalizeDomain(c.req.param('domain')))
    if (!site) return c.json({ error: 'no such site' }, 404)
    return c.json(answer(site))
  })

  /** Replaces the list; events follow it at once (nothing already counted changes). */
  app.put('/:domain/hostnames', async (c) => {
    const site = deps.sites.get(normalizeDomain(c.req.param('domain')))
    if (!site) return c.json({ error: 'no such site' }, 404)
    const parsed = body.safeParse(await c.req.json().catch(() => undefined))
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!
      const example = { hostnames: [site.domain, `*.${site.domain}`, `staging.${site.domain.split('.')[0]}.example.net`] }
      return c.json({ error: `${issue.path.join('.') || 'body'}: ${issue.message}`, example }, 400)
    }
    const { hostnames: _, ...rest } = site.settings
    const settings = parsed.data.hostnames ? { ...rest, hostnames: [...new Set(parsed.data.hostnames)] } : rest
    return c.json(answer(await deps.sites.updateSettings(site.domain, settings, deps.clock())))
  })
  return app
}
