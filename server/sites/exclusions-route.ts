import { Hono } from 'hono'
import { dayNumber, isoDate } from '../calendar.ts'
import { queryRows, type Db } from '../db/client.ts'
import { say } from '../http/messages.ts'
import { dayOf } from '../time.ts'
import { exclusionsInput, NO_EXCLUSIONS, type Exclusions } from './exclusions.ts'
import { defaultHostnames } from './hostnames.ts'
import { managedSite, parseOrRefuse, siteErrors, type SiteEnv } from './managed-site.ts'
import type { Site, Sites } from './sites.ts'

/** The longest span `filtered` answers: the counts live RETENTION_MONTHS, at most a few years. */
const MAX_FILTERED_DAYS = 3 * 366

/** A site's exclusions as REST and the CLI show them, with the hostnames setting they sit beside. */
export function exclusionsView(site: Site) {
  const exclusions: Exclusions = site.settings.exclusions ?? NO_EXCLUSIONS
  // The hosts a site's events may come from are the hostnames setting; shown here, changed there.
  const hostnames = site.settings.hostnames ?? defaultHostnames(site.domain)
  return { ...exclusions, hostnames, hostnamesUrl: `/api/sites/${site.domain}/hostnames` }
}

/** Replaces a site's exclusions with what `body` gives (a SiteError names the first problem). */
export async function setExclusions(deps: { sites: Sites; clock: () => number }, site: Site, body: unknown): Promise<Site> {
  const input = parseOrRefuse(exclusionsInput, body)
  const exclusions = { addresses: [...new Set(input.addresses)], pages: [...new Set(input.pages)] }
  const { exclusions: _, ...rest } = site.settings
  const settings = exclusions.addresses.length || exclusions.pages.length ? { ...rest, exclusions } : rest
  return deps.sites.updateSettings(site.domain, settings, deps.clock())
}

export interface FilteredDay {
  day: string
  reason: string
  n: number
}

/**
 * A site's exclusions (sites/exclusions.ts) and the counts of its events not counted, by reason
 * and day (ingest/filtered.ts), for owners and the admin credentials.
 */
export function exclusionsRoute(deps: { db: Db; sites: Sites; clock: () => number; timezone: string }) {
  const app = new Hono<SiteEnv>()
  app.use('/:domain/exclusions', ...managedSite(deps.sites))
  app.use('/:domain/filtered', ...managedSite(deps.sites))

  app.get('/:domain/exclusions', (c) => c.json(exclusionsView(c.get('site'))))

  /** Replaces both lists; events follow them at once (nothing already counted changes). */
  app.put('/:domain/exclusions', (c) =>
    siteErrors(c, async () => {
      const body: unknown = await c.req.json().catch(() => undefined)
      return c.json(exclusionsView(await setExclusions(deps, c.get('site'), body)))
    }),
  )

  /**
   * `?from=&to=` (YYYY-MM-DD, default: the last 30 days to today): per day and reason, how many
   * events were not counted; `instance` holds what no site can be named for (rate-limited requests).
   */
  app.get('/:domain/filtered', async (c) => {
    const site = c.get('site')
    const today = dayNumber(dayOf(deps.clock(), deps.timezone))!
    const to = c.req.query('to') ?? isoDate(today)
    const from = c.req.query('from') ?? isoDate(today - 29)
    const fromDay = dayNumber(from)
    const toDay = dayNumber(to)
    if (fromDay === undefined || toDay === undefined) {
      return c.json(say('invalid_request', { detail: 'from and to: dates written YYYY-MM-DD' }), 400)
    }
    if (fromDay > toDay || toDay - fromDay >= MAX_FILTERED_DAYS) {
      return c.json(say('invalid_request', { detail: `from must not be after to, and the span at most ${MAX_FILTERED_DAYS} days` }), 400)
    }
    const rows = await queryRows<{ site: string; day_text: string; reason: string; events: string }>(
      deps.db,
      `SELECT site, toString(day) AS day_text, reason, sum(events) AS events
       FROM filtered_counts
       WHERE site IN ({site:String}, '') AND day BETWEEN {from:Date} AND {to:Date}
       GROUP BY site, day, reason
       ORDER BY day_text, reason`,
      { site: site.domain, from, to },
    )
    const pick = (s: string) => rows.filter((r) => r.site === s).map((r): FilteredDay => ({ day: r.day_text, reason: r.reason, n: Number(r.events) }))
    const totals = (days: FilteredDay[]) => days.reduce<Record<string, number>>((t, d) => ({ ...t, [d.reason]: (t[d.reason] ?? 0) + d.n }), {})
    const days = pick(site.domain)
    const instance = pick('')
    return c.json({ site: site.domain, from, to, days, totals: totals(days), instance: { days: instance, totals: totals(instance) } })
  })
  return app
}
