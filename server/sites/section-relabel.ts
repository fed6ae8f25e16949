import type { Logger } from '../log.ts'
import type { RelabelJobs, RelabelRequest, RelabelStatus } from '../sections/relabel-jobs.ts'
import type { Site, Sites } from './sites.ts'

export interface SectionRelabelDeps {
  sites: Sites
  jobs: RelabelJobs
  timezone: string
  clock: () => number
}

/**
 * What relabeling a site's history to its current rules needs, from its settings: the hours
 * before `sectionsRelabelBefore`, per-section visitors before `sectionsSince`. At the end the
 * marker goes, unless a newer save set another meanwhile.
 */
export function relabelRequest(deps: SectionRelabelDeps, site: Site): RelabelRequest {
  const cutoffS = site.settings.sectionsRelabelBefore ?? 0
  return {
    sectionOf: site.sectionOf,
    cutoffS,
    firstNewDay: site.settings.sectionsSince ?? '1970-01-01',
    tz: deps.timezone,
    siteExists: () => deps.sites.get(site.domain) !== undefined,
    finished: async () => {
      const current = deps.sites.get(site.domain)
      if (current?.settings.sectionsRelabelBefore !== cutoffS) return
      const { sectionsRelabelBefore: _, ...rest } = current.settings
      await deps.sites.updateSettings(site.domain, rest, deps.clock())
    },
  }
}

/**
 * The status of a site's relabel: the running or last one of this process, or, when the site's
 * history still waits for one that no job runs (cut short by a restart, or the site renamed
 * during it), a failed one to try again.
 */
export function relabelStatus(deps: SectionRelabelDeps, site: Site): RelabelStatus | null {
  const known = deps.jobs.status(site.domain)
  if (known) return known
  const before = site.settings.sectionsRelabelBefore
  if (before === undefined) return null
  return {
    state: 'failed',
    done: 0,
    total: 0,
    before: new Date(before * 1000).toISOString(),
    since: site.settings.sectionsSince ?? '',
    pages: 0,
    started_at: new Date(before * 1000).toISOString(),
    finished_at: null,
    error: 'interrupted before the end (the server stopped, or the site was renamed)',
  }
}

/** At start: runs again, in the background, every relabel a stop cut short. */
export function resumeRelabels(deps: SectionRelabelDeps, log: Logger): void {
  for (const site of deps.sites.list()) {
    if (site.settings.sectionsRelabelBefore === undefined) continue
    log.info({ site: site.domain }, 'resuming the relabel of sections a stop cut short')
    deps.jobs.start(site.domain, async () => relabelRequest(deps, site))?.catch(() => undefined)
  }
}
