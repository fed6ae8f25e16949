import { Hono } from 'hono'
import { z } from 'zod'
import { managedSite, parseOrRefuse, siteErrors, type SiteEnv } from './managed-site.ts'
import type { AlertSettings, Site, Sites } from './sites.ts'

const webhook = z
  .string()
  .max(2000)
  .refine((u) => {
    try {
      const url = new URL(u)
      return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password
    } catch {
      return false
    }
  }, 'an http(s) URL without user:password (put a token in its path or query instead)')

const alertsInput = z
  .object({
    quiet_hours: z.number().int().min(1).max(720).nullable().optional(),
    spike_visitors: z.number().int().min(1).max(1_000_000).nullable().optional(),
    spike_hours: z.number().int().min(1).max(168).nullable().optional(),
    webhook: webhook.nullable().optional(),
  })
  .strict()

export const alertsView = (a: AlertSettings | undefined) => ({
  quiet_hours: a?.quietHours ?? null,
  spike_visitors: a?.spikeVisitors ?? null,
  spike_hours: a?.spikeHours ?? null,
  webhook: a?.webhook ?? null,
})

/** Replaces a site's alerts (REST and the CLI); null or absent turns one off. */
export async function setAlerts(deps: { sites: Sites; clock: () => number }, site: Site, body: unknown): Promise<AlertSettings> {
  const b = parseOrRefuse(alertsInput, body)
  const alerts: AlertSettings = {}
  if (b.quiet_hours) alerts.quietHours = b.quiet_hours
  if (b.spike_visitors) alerts.spikeVisitors = b.spike_visitors
  if (b.spike_hours) alerts.spikeHours = b.spike_hours
  if (b.webhook) alerts.webhook = b.webhook
  const updated = await deps.sites.updateSettings(site.domain, { ...site.settings, alerts }, deps.clock())
  return updated.settings.alerts ?? {}
}

/** A site's alerts for managers: `GET/PUT /api/sites/:domain/alerts` (null or absent turns one off). */
export function alertsRoute(deps: { sites: Sites; clock: () => number }) {
  const app = new Hono<SiteEnv>()
  app.use('/:domain/alerts', ...managedSite(deps.sites))
  app.get('/:domain/alerts', (c) => c.json(alertsView(c.get('site').settings.alerts)))
  app.put('/:domain/alerts', (c) =>
    siteErrors(c, async () => {
      return c.json(alertsView(await setAlerts(deps, c.get('site'), await c.req.json().catch(() => undefined))))
    }),
  )
  return app
}
