import { Hono } from 'hono'
import type { Db } from '../db/client.ts'
import { managedSite, type SiteEnv } from './managed-site.ts'
import { estimateSeconds, planRelabel } from '../sections/relabel.ts'
import type { RelabelJobs, RelabelStatus } from '../sections/relabel-jobs.ts'
import { sectionRules } from '../sections/rules.ts'
import { addDays, dayOf } from '../time.ts'
import { relabelRequest, relabelStatus } from './section-relabel.ts'
import type { Sites } from './sites.ts'
import { say } from '../http/messages.ts'

/**
 * A site's section rules, for owners and the admin credentials. Saving them answers at once;
 * the history is relabeled in the background (sections/relabel-jobs.ts), one relabel per site
 * at a time, and `GET …/sections/relabel` says how far it is.
 */
export function sectionsRoute(deps: { db: Db; sites: Sites; jobs: RelabelJobs; timezone: string; clock: () => number }) {
  const app = new Hono<SiteEnv>()
  app.use('/:domain/sections', ...managedSite(deps.sites))
  app.use('/:domain/sections/relabel', ...managedSite(deps.sites))

  const busy = (status: RelabelStatus) => ({ ...say('relabel_running', { done: status.done, total: status.total }), relabel: status })

  /** The rules, the last relabel, and what saving now would do: from which day, and about how long it takes. */
  app.get('/:domain/sections', async (c) => {
    const site = c.get('site')
    const relabel = relabelStatus(deps, site)
    const now = deps.clock()
    const cutoff = hourStart(now)
    const firstNewDay = addDays(dayOf(now, deps.timezone), 1)
    const plan = relabel?.state === 'running' ? undefined : await planRelabel(deps.db, site.domain, cutoff, firstNewDay, deps.timezone)
    return c.json({
      rules: site.settings.sections,
      since: site.settings.sectionsSince ?? null,
      relabel,
      next: { since: firstNewDay, before: new Date(cutoff * 1000).toISOString(), rows: plan?.rows ?? null, seconds: plan ? estimateSeconds(plan) : null },
    })
  })

  /** Replaces the rules; new events follow them at once, and the history is relabeled in the background. */
  app.put('/:domain/sections', async (c) => {
    const site = c.get('site')
    const body = await c.req.json().catch(() => undefined)
    const parsed = sectionRules.safeParse((body as { rules?: unknown } | undefined)?.rules)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!
      return c.json({ ...say('invalid_request', { detail: `rules.${issue.path.join('.')}: ${issue.message}` }), example: { rules: [{ match: '/blog/**', section: 'Blog' }] } }, 400)
    }
    const now = deps.clock()
    const since = addDays(dayOf(now, deps.timezone), 1)
    const started = deps.jobs.start(site.domain, async () => {
      const settings = { ...site.settings, sections: parsed.data, sectionsSince: since, sectionsRelabelBefore: hourStart(now) }
      return relabelRequest(deps, await deps.sites.updateSettings(site.domain, settings, now))
    })
    if (!started) return c.json(busy(deps.jobs.status(site.domain)!), 409)
    return c.json({ rules: parsed.data, since, relabel: await started })
  })

  app.get('/:domain/sections/relabel', (c) => c.json({ relabel: relabelStatus(deps, c.get('site')) }))

  /** Runs again a relabel that failed or that a stop cut short, to the rules as they are. */
  app.post('/:domain/sections/relabel', async (c) => {
    const site = c.get('site')
    if (site.settings.sectionsRelabelBefore === undefined && !deps.jobs.running(site.domain)) {
      return c.json(say('nothing_to_relabel'), 409)
    }
    const started = deps.jobs.start(site.domain, async () => relabelRequest(deps, site))
    if (!started) return c.json(busy(deps.jobs.status(site.domain)!), 409)
    return c.json({ relabel: await started })
  })
  return app
}

/** The start of the current hour, in Unix seconds: hours before it are complete. */
const hourStart = (ms: number) => Math.floor(ms / 3_600_000) * 3600
