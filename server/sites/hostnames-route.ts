import { Hono } from 'hono'
import { z } from 'zod'
import { say } from '../http/messages.ts'
import { managedSite, type SiteEnv } from './managed-site.ts'
import { defaultHostnames, hostnamePatterns } from './hostnames.ts'
import type { Site, Sites } from './sites.ts'

/** `null` goes back to the default: the site's domain and its subdomains. */
const body = z.object({ hostnames: hostnamePatterns.nullable() })

function answer(site: Site) {
  return { hostnames: site.settings.hostnames ?? defaultHostnames(site.domain), default: !site.settings.hostnames }
}

/** The URL hosts a site's events may come from (sites/hostnames.ts), for owners and the admin credentials. */
export function hostnamesRoute(deps: { sites: Sites; clock: () => number }) {
  const app = new Hono<SiteEnv>()
  app.use('/:domain/hostnames', ...managedSite(deps.sites))

  app.get('/:domain/hostnames', (c) => {
    const site = c.get('site')
    return c.json(answer(site))
  })

  /** Replaces the list; events follow it at once (nothing already counted changes). */
  app.put('/:domain/hostnames', async (c) => {
    const site = c.get('site')
    const parsed = body.safeParse(await c.req.json().catch(() => undefined))
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!
      const example = { hostnames: [site.domain, `*.${site.domain}`, `staging.${site.domain.split('.')[0]}.example.net`] }
      return c.json({ ...say('invalid_request', { detail: `${issue.path.join('.') || 'body'}: ${issue.message}` }), example }, 400)
    }
    const { hostnames: _, ...rest } = site.settings
    const settings = parsed.data.hostnames ? { ...rest, hostnames: [...new Set(parsed.data.hostnames)] } : rest
    return c.json(answer(await deps.sites.updateSettings(site.domain, settings, deps.clock())))
  })
  return app
}
