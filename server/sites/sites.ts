import { queryRows, type Db } from '../db/client.ts'
import { say, UserError, type Said } from '../http/messages.ts'
import { normalizeDomain } from './domain.ts'
import { startOfDay } from '../time.ts'
import { compileSections, sectionRules, type SectionOf, type SectionRule } from '../sections/rules.ts'
import { compileHostnames, defaultHostnames, hostnamePatterns, type HostAllowed } from './hostnames.ts'
import { compileGoals, type Goal, type GoalMatcher } from '../goals/goals.ts'
import { compileFunnels, type Funnel, type FunnelMatcher } from '../goals/funnels.ts'
import { compileExclusions, parseStoredExclusions, type ExclusionMatcher, type Exclusions } from './exclusions.ts'
import { isAnnotation, type Annotation } from './annotations.ts'

/** What an owner sets for a site's alerts (reports/alerts.ts). */
export interface AlertSettings {
  /** a site that usually has events had none for this many hours */
  quietHours?: number
  /** current visitors (the last 5 minutes) at or above this */
  spikeVisitors?: number
  /** a spike alert at most once per this many hours (6) */
  spikeHours?: number
  /** receives each alert as a JSON POST with Slack's `{"text": …}` */
  webhook?: string
}

/** Someone who receives a site's weekly or monthly report by e-mail (reports/scheduler.ts). */
export interface ReportSubscription {
  id: string
  email: string
  kind: 'weekly' | 'monthly'
  lang: 'en' | 'lv'
  /** 0 for an owner's own report (exact); a report to anyone else hides values under k visitors, as a shared link */
  minCrowd: number
  /**
   * the one-click unsubscribe token the e-mails carry. Kept as it is, not hashed: every report
   * must carry it again, and all it can do is stop these e-mails.
   */
  token: string
  createdAt: number
}

/** Per-site settings, kept as JSON in the site's row. */
export interface SiteSettings {
  sections: SectionRule[]
  /** first day whose per-section visits and visitors follow the current rules */
  sectionsSince?: string
  /**
   * set while the history before this instant (Unix seconds) waits to be relabeled to the
   * current rules (sites/section-relabel.ts), so a relabel cut short by a restart is run again
   */
  sectionsRelabelBefore?: number
  /** URL hosts whose events count (hostnames.ts); unset: the domain and its subdomains */
  hostnames?: string[]
  /** a minimum crowd for every reader, the owner included (server/stats/crowd.ts); unset: exact for the owner */
  minCrowd?: number
  /** the declared goals, counted and kept (goals/goals.ts) */
  goals?: Goal[]
  /** the id the next goal gets: ids are never reused, a changed definition is a new series */
  goalsNextId?: number
  /** who receives the site's reports by e-mail */
  reports?: ReportSubscription[]
  /** alerts by webhook: a quiet tracker, a spike of current visitors (reports/alerts.ts) */
  alerts?: AlertSettings
  /** the declared funnels, counted as visits move through them (goals/funnels.ts) */
  funnels?: Funnel[]
  funnelsNextId?: number
  /** the first day an import wrote (imports/service.ts): the site's history begins there, not at its creation */
  historySince?: string
  /** address ranges and page patterns whose events are not counted (sites/exclusions.ts) */
  exclusions?: Exclusions
  // Annotations (issue 25, annotations and comparison modes)
  /** dated notes drawn on the chart (sites/annotations.ts) */
  annotations?: Annotation[]
  /** the id the next note gets: ids are never reused */
  annotationsNextId?: number
}

export interface Site {
  domain: string
  createdAt: number
  settings: SiteSettings
  sectionOf: SectionOf
  allowsHost: HostAllowed
  goals: GoalMatcher
  funnels: FunnelMatcher
  excludes: ExclusionMatcher
}

const DEFAULTS: SiteSettings = { sections: [] }

export class SiteError extends UserError {
  constructor(
    message: string | Said,
    readonly status: 400 | 403 | 404 | 409 = 400,
  ) {
    super(message)
  }
}

/**
 * When the site's counts begin: its creation, or the first day an import wrote if earlier.
 * "All time" and comparisons with a period before the site start there.
 */
export function firstCountedAt(site: Pick<Site, 'createdAt' | 'settings'>, tz: string): number {
  const imported = site.settings.historySince
  return imported ? Math.min(site.createdAt, startOfDay(imported, tz)) : site.createdAt
}

/** A host name: letters, digits, hyphens and dots, with a dot, at most 253 characters. */
export function isDomain(d: string): boolean {
  return d.length <= 253 && /^(?=.*\.)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9-]{1,63}$/.test(d)
}

/** The sites whose events are counted, cached in memory for the ingest hot path. */
export class Sites {
  private byDomain = new Map<string, Site>()

  constructor(private db: Db) {}

  async load(): Promise<void> {
    const rows = await queryRows<{ domain: string; created_s: number; settings: string }>(
      this.db,
      `SELECT domain, toUnixTimestamp(created_at) AS created_s, settings FROM sites FINAL WHERE deleted = 0`,
    )
    this.byDomain = new Map(rows.map((r) => [r.domain, site(r.domain, Number(r.created_s) * 1000, parseSettings(r.settings))]))
  }

  /** Adds the domains that are not sites yet (used for SKAITS_SITES at start). */
  async ensure(domains: string[], now = Date.now()): Promise<string[]> {
    const added = [...new Set(domains.map(normalizeDomain))].filter((d) => d && !this.byDomain.has(d))
    for (const domain of added) await this.write(site(domain, now, DEFAULTS), now)
    return added
  }

  async updateSettings(domain: string, settings: SiteSettings, now = Date.now()): Promise<Site> {
    const current = this.byDomain.get(domain)
    if (!current) throw new Error(`no site ${domain}`)
    const updated = site(domain, current.createdAt, settings)
    await this.write(updated, now)
    return updated
  }

  /** Adds one site; a domain that is already a site is an error. */
  async add(domain: string, now = Date.now()): Promise<Site> {
    const d = normalizeDomain(domain)
    if (!isDomain(d)) throw new SiteError(say('not_a_domain', { domain }))
    if (this.byDomain.has(d)) throw new SiteError(say('site_exists', { domain: d }), 409)
    const s = site(d, now, DEFAULTS)
    await this.write(s, now)
    return s
  }

  /** Forgets a site (its counts are deleted separately). */
  async remove(domain: string, now = Date.now()): Promise<Site> {
    const s = this.byDomain.get(domain)
    if (!s) throw new SiteError(say('site_not_found', { domain }), 404)
    await this.write(s, now, 1)
    this.byDomain.delete(domain)
    return s
  }

  /** The same site under a new domain, settings and creation date kept (counts move separately). */
  async rename(from: string, to: string, now = Date.now()): Promise<Site> {
    const s = this.byDomain.get(from)
    const d = normalizeDomain(to)
    if (!s) throw new SiteError(say('site_not_found', { domain: from }), 404)
    if (!isDomain(d)) throw new SiteError(say('not_a_domain', { domain: to }))
    if (this.byDomain.has(d)) throw new SiteError(say('site_exists', { domain: d }), 409)
    const renamed = site(d, s.createdAt, s.settings)
    await this.write(renamed, now)
    await this.remove(from, now + 1)
    return renamed
  }

  private async write(s: Site, now: number, deleted: 0 | 1 = 0): Promise<void> {
    await this.db.insert({
      table: 'sites',
      values: [
        {
          domain: s.domain,
          created_at: Math.floor(s.createdAt / 1000),
          updated_at: new Date(now).toISOString().replace('T', ' ').replace('Z', ''),
          deleted,
          settings: JSON.stringify(s.settings),
        },
      ],
      format: 'JSONEachRow',
    }, 'none')
    if (!deleted) this.byDomain.set(s.domain, s)
  }

  get(domain: string): Site | undefined {
    return this.byDomain.get(domain)
  }

  list(): Site[] {
    return [...this.byDomain.values()]
  }
}

function site(domain: string, createdAt: number, settings: SiteSettings): Site {
  return {
    domain,
    createdAt,
    settings,
    sectionOf: compileSections(settings.sections),
    allowsHost: compileHostnames(settings.hostnames ?? defaultHostnames(domain)),
    goals: compileGoals(settings.goals),
    funnels: compileFunnels(settings.funnels),
    excludes: compileExclusions(settings.exclusions),
  }
}

/** A stored goal as the code wrote it (goals/goal-store.ts); anything else is left out rather than trusted. */
function isGoal(g: unknown): g is Goal {
  const x = g as Partial<Goal> | null
  return (
    typeof x === 'object' && x !== null && Number.isInteger(x.id) && typeof x.name === 'string' && typeof x.since === 'number' &&
    (typeof x.event === 'string') !== (typeof x.page === 'string')
  )
}

function isFunnel(f: unknown): f is Funnel {
  const x = f as Partial<Funnel> | null
  return typeof x === 'object' && x !== null && Number.isInteger(x.id) && typeof x.name === 'string' && Array.isArray(x.steps) && Array.isArray(x.dimensions) && typeof x.since === 'number'
}

function parseSettings(json: string): SiteSettings {
  try {
    const raw = JSON.parse(json || '{}') as Partial<SiteSettings>
    const sections = sectionRules.safeParse(raw.sections ?? [])
    const hostnames = hostnamePatterns.safeParse(raw.hostnames)
    const goals = Array.isArray(raw.goals) ? raw.goals.filter(isGoal) : undefined
    const funnels = Array.isArray(raw.funnels) ? raw.funnels.filter(isFunnel) : undefined
    const exclusions = parseStoredExclusions(raw.exclusions)
    const annotations = Array.isArray(raw.annotations) ? raw.annotations.filter(isAnnotation) : undefined
    return { ...raw, sections: sections.success ? sections.data : [], hostnames: hostnames.success ? hostnames.data : undefined, goals, funnels, exclusions, annotations }
  } catch {
    return DEFAULTS
  }
}
