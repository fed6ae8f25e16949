import { Hono } from 'hono'
import type { Db } from '../db/client.ts'
import { managedSite, type SiteEnv } from './managed-site.ts'
import { relabelSections } from '../sections/relabel.ts'
import { sectionRules } from '../sections/rules.ts'
import { addDays, dayOf } from '../time.ts'
import type { Sites } from './sites.ts'

/** A site's section rules, for owners and the admin credentials. */
export function sectionsRoute(deps: { db: Db; sites: Sites; timezone: string; clock: () => number }) {
  const app = new Hono<SiteEnv>()
  app.use('/:domain/sections', ...managedSite(deps.sites))

  app.get('/:domain/sections', (c) => {
    const site = c.get('site')
    return c.json({ rules: site.settings.sections, since: site.settings.sectionsSince ?? null })
  })

  /** Replaces the rules; new events follow them at once and history is relabeled. */
  app.put('/:domain/sections', async (c) => {
    const site = c.get('site')
    const body = await c.req.json().catch(() => undefined)
    const parsed = sectionRules.safeParse((body as { rules?: unknown } | undefined)?.rules)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!
      return c.json({ error: `rules.${issue.path.join('.')}: ${issue.message}`, example: { rules: [{ match: '/blog/**', section: 'Blog' }] } }, 400)
    }
    const now = deps.clock()
    const since = addDays(dayOf(now, deps.timezone), 1)
    const updated = await deps.sites.updateSettings(site.domain, { ...site.settings, sections: parsed.data, sectionsSince: since }, now)
    const cutoff = Math.floor(now / 3_600_000) * 3600
    const { pages } = await relabelSections(deps.db, site.domain, updated.sectionOf, cutoff, since, deps.timezone)
    return c.json({ rules: parsed.data, since, relabeled: { pages, before: new Date(cutoff * 1000).toISOString() } })
  })
  return app
}
