import type { Enricher, RequestFacts as EnrichFacts } from '../enrich/enricher.ts'
import { requestVisitorHash, type ClientAddress } from '../privacy/client-address.ts'
import type { SaltStore } from '../privacy/salts.ts'
import { DIM, type FunnelHit, type GoalHit, type Hit, type Place, type Sessions } from '../sessions/sessions.ts'
import type { GoalMatcher } from '../goals/goals.ts'
import type { FunnelMatcher } from '../goals/funnels.ts'
import type { Sites } from '../sites/sites.ts'
import type { EventBuffer } from './buffer.ts'
import type { ReferrerSpam } from '../enrich/referrer-spam.ts'
import { INSTANCE, type FilterReason, type FilteredCounts } from './filtered.ts'
import { pagePath } from './page-path.ts'
import type { IngestRateLimiter } from './rate-limit.ts'
import type { IncomingEvent } from './schema.ts'
import type { ValueCap } from './value-cap.ts'

/** What the request carried besides the body; lives only for this call. */
export interface RequestFacts extends EnrichFacts {
  gpc: boolean
  /**
   * A visitor id the source gives instead of an address (an import of GoatCounter's sessions):
   * hashed with the day's salt in place of the address and User-Agent. Live requests have none.
   */
  visitor?: string
}

export type Outcome =
  | { status: 'accepted'; sites: string[] }
  | { status: 'dropped'; reason: DropReason }
  | { status: 'unknown_site'; domains: string[] }
  | { status: 'busy' }

type DropReason = Exclude<FilterReason, 'rate_limited'>

export interface IngestCounters {
  accepted: number
  dropped: Record<string, number>
}

/**
 * Enrich in memory → session increments → buffer. The address (a `ClientAddress`) gives the
 * visitor hash here and goes no further: nothing returned or buffered contains it.
 */
export class Ingestor {
  readonly counters: IngestCounters = { accepted: 0, dropped: {} }
  private limiter: IngestRateLimiter | undefined

  constructor(
    private deps: {
      sites: Pick<Sites, 'get'>
      salts: Pick<SaltStore, 'current' | 'previous'>
      sessions: Sessions
      /** the ingest buffer, or an import's tally of closed days (imports/replay.ts) */
      buffer: Pick<EventBuffer, 'hasRoom' | 'event' | 'add'>
      respectGpc: boolean
      clock: () => number
      enricher: Pick<Enricher, 'isBot' | 'visitDimensions'>
      /** distinct values per site, day and dimension (MAX_VALUES_PER_DAY); none: no cap */
      values?: ValueCap
      /** referrers whose events are not counted (enrich/referrer-spam.ts); none: no list */
      spam?: Pick<ReferrerSpam, 'isSpam'>
      /** events not counted, per site, day and reason (ingest/filtered.ts); none: counted for /metrics only */
      filtered?: Pick<FilteredCounts, 'add'>
    },
  ) {}

  /** Limits requests per network (INGEST_RATE_PER_MINUTE); none until set. */
  limitRate(limiter: IngestRateLimiter | undefined): void {
    this.limiter = limiter
  }

  /**
   * Milliseconds until the address's network may send again, 0 when it may send now. Asked
   * before the body is read, so a flood costs little; a refusal counts as dropped.
   */
  admit(address: ClientAddress | undefined): number {
    const wait = this.limiter?.take(address) ?? 0
    if (wait) {
      this.count('rate_limited')
      // The body, and so the site, is not read for a refusal: counted for the whole instance.
      this.deps.filtered?.add(INSTANCE, 'rate_limited')
    }
    return wait
  }

  /**
   * `at`: when the event happened, for a line of a followed access log counted as it is served
   * (imports/live.ts): today's, not after now. Live requests happen now.
   */
  ingest(event: IncomingEvent, facts: RequestFacts, at?: number): Outcome {
    const { sites, salts, sessions, buffer, clock } = this.deps
    const known = event.domains.filter((d) => sites.get(d))
    if (facts.gpc && this.deps.respectGpc) return this.drop('gpc', known)
    if (this.deps.enricher.isBot(facts)) return this.drop('bot', known)
    if (!known.length) {
      this.count('unknown_site')
      return { status: 'unknown_site', domains: event.domains }
    }
    // Someone else's pages with a copy of the snippet: counted nowhere (sites/hostnames.ts).
    const hosted = known.filter((d) => sites.get(d)!.allowsHost(event.url.hostname))
    if (!hosted.length) return this.drop('hostname', known)
    if (this.deps.spam?.isSpam(event.referrer)) return this.drop('spam_referrer', hosted)
    const allowed = this.notExcluded(hosted, event, facts)
    if (!allowed.length) return { status: 'dropped', reason: this.excludedReason(hosted, event, facts) }
    if (!buffer.hasRoom()) {
      this.count('buffer_full')
      return { status: 'busy' }
    }
    const now = at ?? clock()
    const page = pagePath(event.url, event.hashMode)
    const today = salts.current(now)
    const yesterday = salts.previous(now)
    const { address, userAgent } = facts
    const hash = (salt: Buffer, site: string) => requestVisitorHash(address, salt, site, userAgent, facts.visitor).toString()
    for (const site of allowed) {
      const hit = this.capped(event, site, today.day, page)
      const key = hash(today.salt, site)
      // Yesterday's hash is only needed to find a visit that crossed midnight.
      const previousKey = () => yesterday && hash(yesterday.salt, site)
      let isp: Promise<string> | undefined
      const cells = buffer.event(site, now, today.day, key)
      sessions.recordInto(cells, key, previousKey, hit, now, () => {
        const visit = this.deps.enricher.visitDimensions(event, facts, site)
        isp = visit.isp
        const values = this.deps.values
        return values ? visit.dims.map(([d, v]) => [d, values.value(site, today.day, d, v)] as const) : visit.dims
      }, site)
      if (isp) void isp.then((domain) => this.addIsp(site, key, today.day, domain))
    }
    this.counters.accepted++
    return { status: 'accepted', sites: allowed }
  }

  /**
   * The event as the site's hit, each value beyond the site's daily cap made `(other)`, with the
   * goals it completes (matched on the path and name as sent, before any cap).
   */
  private capped(event: IncomingEvent, site: string, day: string, page: string): Hit {
    const s = this.deps.sites.get(site)!
    const section = s.sectionOf(page)
    const goals = s.goals.any ? goalHits(s.goals, event, page) : undefined
    const funnels = s.funnels.any ? funnelHits(s.funnels, event, page) : undefined
    const values = this.deps.values
    if (!values) return toHit(event, { page, section }, event.name, event.props, goals, funnels)
    const place = { page: values.value(site, day, DIM.page, page), section: values.value(site, day, DIM.section, section) }
    const name = event.name === 'pageview' || event.name === 'engagement' ? event.name : values.value(site, day, DIM.name, event.name)
    return toHit(event, place, name, values.props(site, day, event.props), goals, funnels)
  }

  /** The DNS answer came after the visit started: the visit so far moves onto its ISP row. */
  private addIsp(site: string, key: string, day: string, domain: string): void {
    const value = this.deps.values?.value(site, day, 'visit:isp', domain) ?? domain
    const cells = this.deps.sessions.addVisitDimension(key, 'visit:isp', value)
    if (cells.length) this.deps.buffer.add(site, this.deps.clock(), day, key, cells)
  }

  private drop(reason: DropReason, sites: readonly string[]): Outcome {
    this.count(reason)
    for (const site of sites) this.deps.filtered?.add(site, reason)
    return { status: 'dropped', reason }
  }

  /** The sites whose exclusions (sites/exclusions.ts) keep the event; each other one counts its reason. */
  private notExcluded(sites: string[], event: IncomingEvent, facts: RequestFacts): string[] {
    return sites.filter((site) => {
      const reason = this.exclusionOf(site, event, facts)
      if (reason) {
        this.count(reason)
        this.deps.filtered?.add(site, reason)
      }
      return !reason
    })
  }

  private excludedReason(sites: string[], event: IncomingEvent, facts: RequestFacts): DropReason {
    return this.exclusionOf(sites[0]!, event, facts) ?? 'excluded_page'
  }

  private exclusionOf(site: string, event: IncomingEvent, facts: RequestFacts): 'excluded_address' | 'excluded_page' | undefined {
    const excludes = this.deps.sites.get(site)!.excludes
    if (!excludes.any) return undefined
    if (excludes.address(facts.address)) return 'excluded_address'
    if (excludes.page(event.url.pathname)) return 'excluded_page'
    return undefined
  }

  private count(reason: string): void {
    this.counters.dropped[reason] = (this.counters.dropped[reason] ?? 0) + 1
  }
}

function toHit(
  event: IncomingEvent,
  place: Place,
  name: string,
  props: ReadonlyArray<readonly [string, string]>,
  goals: GoalHit[] | undefined,
  funnels: FunnelHit[] | undefined,
): Hit {
  if (event.name === 'pageview') return { kind: 'pageview', ...place, props, goals, funnels }
  if (event.name === 'engagement') {
    return { kind: 'engagement', ...place, engagedMs: event.engagedMs, scrollDepth: event.scrollDepth }
  }
  return { kind: 'custom', name, ...place, props, goals, funnels, interactive: event.interactive }
}

/** The funnels whose steps the event matches (on the path and name as sent). */
function funnelHits(funnels: FunnelMatcher, event: IncomingEvent, page: string): FunnelHit[] | undefined {
  if (event.name === 'engagement') return undefined
  return event.name === 'pageview' ? funnels.pageview(page) : funnels.custom(event.name)
}

/** The goals the event completes, with its revenue where the goal counts revenue. */
function goalHits(goals: GoalMatcher, event: IncomingEvent, page: string): GoalHit[] | undefined {
  if (event.name === 'engagement') return undefined
  const matched = event.name === 'pageview' ? goals.pageview(page) : goals.custom(event.name)
  if (!matched.length) return undefined
  return matched.map((g) => {
    const r = event.revenue
    if (!g.currency || !r) return { id: g.id }
    return r.currency === g.currency ? { id: g.id, revenue: r.minor } : { id: g.id, otherCurrency: r }
  })
}
