import { randomBytes } from 'node:crypto'
import type { Enricher, VisitStart } from '../enrich/enricher.ts'
import { compileFunnels } from '../goals/funnels.ts'
import { compileGoals } from '../goals/goals.ts'
import { Tally } from '../ingest/buffer.ts'
import { Ingestor, type Outcome, type RequestFacts } from '../ingest/ingestor.ts'
import type { IncomingEvent } from '../ingest/schema.ts'
import { ClientAddress } from '../privacy/client-address.ts'
import { TOTAL } from '../sessions/cells.ts'
import { Sessions } from '../sessions/sessions.ts'
import type { Site } from '../sites/sites.ts'
import { addDays, dayOf, startOfDay } from '../time.ts'
import { SUMS } from '../vocabulary/metrics.ts'
import type { HitRecord, SkipReason } from './types.ts'
import { VISITORS_OF, type StagedRow } from './writer.ts'

/** A day is written once the replay's clock is this far past its end: a visit crossing midnight has ended. */
const DAY_SETTLE_MS = 2 * 60 * 60_000

/** A record this far behind the newest one starts over (a file of an earlier period): its visits are new ones. */
const REWIND_MS = 10 * 60_000

/** Idle visits are forgotten as the replay's clock moves on, as the live maintenance does every minute. */
const SWEEP_MS = 60_000

export interface ReplayOptions {
  site: Site
  tz: string
  /** the live enrichment (the same bots, devices, sources, country and ISP lookups) */
  enricher: Pick<Enricher, 'isBot' | 'visitDimensions'>
  sessionIdleMs: number
  /** the visits held at once at most (as SESSION_MAX) */
  sessionMax: number
}

/** A record that names what enrichment would find, when the source already knows (GoatCounter). */
export interface KnownFacts {
  country?: string
  browser?: string
  browserVersion?: string
  os?: string
  osVersion?: string
}

/**
 * Replays an event-level source (an access log, GoatCounter's pageviews) through the same
 * sessions and enrichment as live traffic (ingest/ingestor.ts), with its own salts: one random
 * salt per imported day, held in this object's memory only and overwritten by `destroy()` when
 * the import ends. Each day's counts are summed in a Tally, as the ingest buffer sums a flush,
 * and when the day has settled they become the rows a rolled-up day holds (`takeDays`): counts
 * and exact unique visitors per value and day, the site total per hour. The address of a
 * record reaches only the visitor hash, the country and the ISP lookups, as for a live request.
 */
export class Replay {
  private readonly salts = new Map<string, Buffer>()
  private readonly tallies = new Map<string, Tally>()
  private readonly ingestor: Ingestor
  private readonly pendingIsp = new Set<Promise<unknown>>()
  private readonly sessions: Sessions
  private now = 0
  private swept = 0
  private known: KnownFacts | undefined
  private currentDay: { day: string; previous: string; from: number; to: number } | undefined

  constructor(private readonly o: ReplayOptions) {
    // Goals and funnels are counted from their declaration on, never over history.
    const site: Site = { ...o.site, goals: compileGoals([]), funnels: compileFunnels([]) }
    this.sessions = new Sessions(o.sessionIdleMs, o.sessionMax)
    const salts = {
      current: (now: number) => this.salt(this.dayAt(now).day),
      // As live (privacy/salts.ts): yesterday's salt only while a visit from before midnight may go on.
      previous: (now: number) => {
        const d = this.dayAt(now)
        return now - d.from < o.sessionIdleMs && this.salts.has(d.previous) ? this.salt(d.previous) : undefined
      },
    }
    const tallyOf = (day: string) => {
      let t = this.tallies.get(day)
      if (!t) this.tallies.set(day, (t = new Tally()))
      return t
    }
    const buffer = {
      hasRoom: () => true,
      event: (s: string, ts: number, day: string, visitor: string) => tallyOf(day).event(s, ts, day, visitor),
      add: (s: string, ts: number, day: string, visitor: string, cells: Parameters<Tally['add']>[4]) => tallyOf(day).add(s, ts, day, visitor, cells),
    }
    const enricher = {
      // A source that names its visitors (GoatCounter) left its bots out itself, and has no User-Agent.
      isBot: (facts: RequestFacts) => facts.visitor === undefined && o.enricher.isBot(facts),
      visitDimensions: (event: VisitStart, facts: RequestFacts, domain: string) => {
        const found = o.enricher.visitDimensions(event, facts, domain)
        const known = this.known
        if (known) {
          const set = (dim: string, value: string | undefined) => {
            if (!value) return
            const i = found.dims.findIndex(([d]) => d === dim)
            if (i >= 0) found.dims[i] = [dim, value]
            else found.dims.push([dim, value])
          }
          set('visit:country', known.country)
          set('visit:browser', known.browser)
          set('visit:browser_version', known.browserVersion)
          set('visit:os', known.os)
          set('visit:os_version', known.osVersion)
        }
        if (found.isp) {
          const p: Promise<unknown> = found.isp.catch(() => undefined).finally(() => this.pendingIsp.delete(p))
          this.pendingIsp.add(p)
        }
        return found
      },
    }
    this.ingestor = new Ingestor({
      sites: { get: (d) => (d === site.domain ? site : undefined) },
      salts,
      sessions: this.sessions,
      buffer,
      respectGpc: false,
      clock: () => this.now,
      enricher,
    })
  }

  /**
   * The day of an instant, and the day before it: worked out (Intl, slow) only when the replay's
   * clock leaves the day it was last in, not twice a record.
   */
  private dayAt(now: number): { day: string; previous: string; from: number } {
    const d = this.currentDay
    if (d && now >= d.from && now < d.to) return d
    const day = dayOf(now, this.o.tz)
    const found = { day, previous: addDays(day, -1), from: startOfDay(day, this.o.tz), to: startOfDay(addDays(day, 1), this.o.tz) }
    // A zone whose day starts oddly (a DST shift at midnight): no reuse, never a wrong day.
    this.currentDay = now >= found.from && now < found.to ? found : undefined
    return found
  }

  private salt(day: string) {
    let salt = this.salts.get(day)
    if (!salt) this.salts.set(day, (salt = randomBytes(32)))
    return { day, salt }
  }

  /** Counts one record, or says why it is not counted. */
  hit(r: HitRecord, known?: KnownFacts): 'count' | SkipReason {
    if (r.time < this.now - REWIND_MS) {
      // An earlier period (files out of order): no visit of the later one continues into it.
      this.sessions.sweep(Number.POSITIVE_INFINITY)
      this.now = r.time
    }
    // A log line is written when its response ends, so lines run a little out of order: a
    // visit's clock never runs backwards.
    if (r.time > this.now) {
      if (r.time - this.swept > SWEEP_MS) {
        this.sessions.sweep(r.time)
        this.swept = r.time
      }
      this.now = r.time
    }
    const made = hitRequest(r, this.o.site.domain)
    if (!made) return 'malformed'
    const { event, facts } = made
    this.known = known
    const outcome = this.ingestor.ingest(event, facts)
    this.known = undefined
    return verdictOf(outcome)
  }

  /**
   * The rows of every day that has settled (the replay's clock is past its end by a visit's
   * length), or of every day when `all` (the input has ended). ISP lookups under way are
   * awaited first, so a visit's ISP lands on its day.
   */
  async takeDays(all: boolean): Promise<{ day: string; rows: StagedRow[] }[]> {
    if (this.pendingIsp.size) await Promise.allSettled([...this.pendingIsp])
    const out: { day: string; rows: StagedRow[] }[] = []
    for (const day of [...this.tallies.keys()].sort()) {
      if (!all && this.now < startOfDay(addDays(day, 1), this.o.tz) + DAY_SETTLE_MS) continue
      out.push({ day, rows: dayRows(this.tallies.get(day)!, day, this.o.tz) })
      this.tallies.delete(day)
    }
    return out
  }

  /** Days held in memory now (for progress and tests). */
  get openDays(): number {
    return this.tallies.size
  }

  /** Overwrites every salt and forgets the visits: nothing left links a hash to an address. */
  destroy(): void {
    for (const salt of this.salts.values()) salt.fill(0)
    this.salts.clear()
    this.tallies.clear()
    this.sessions.sweep(Number.POSITIVE_INFINITY)
  }
}

/** A record as the event and request facts a live request would have made; undefined when its path is no URL path. */
export function hitRequest(r: HitRecord, domain: string): { event: IncomingEvent; facts: RequestFacts } | undefined {
  const url = urlOf(r.host ?? domain, r.path)
  if (!url) return undefined
  const event: IncomingEvent = {
    name: r.event ?? 'pageview',
    url,
    domains: [domain],
    referrer: r.referrer || undefined,
    screenWidth: r.screenWidth,
    props: [],
    hashMode: false,
    engagedMs: 0,
    scrollDepth: undefined,
    interactive: true,
  }
  const facts: RequestFacts = {
    address: r.address === undefined ? undefined : ClientAddress.fromPeer(r.address),
    userAgent: r.userAgent,
    header: () => undefined,
    gpc: false,
    visitor: r.session,
  }
  return { event, facts }
}

/**
 * The URLs of a site's pages, parsed once: a log asks for the same few hundred pages over and
 * over, and parsing a URL was a twentieth of an import's time. Nothing that reads an event's
 * URL changes it. Bounded; when full it starts over.
 */
const urls = new Map<string, URL>()
const URLS_KEPT = 10_000

function urlOf(host: string, path: string): URL | undefined {
  const key = `${host}\u0000${path}`
  let url = urls.get(key)
  if (url) return url
  try {
    url = new URL(path.startsWith('/') ? path : `/${path}`, `https://${host}`)
  } catch {
    return undefined
  }
  if (urls.size >= URLS_KEPT) urls.clear()
  urls.set(key, url)
  return url
}

/** What the ingestor's outcome means for an imported record. */
export function verdictOf(outcome: Outcome): 'count' | SkipReason {
  if (outcome.status === 'accepted') return 'count'
  if (outcome.status === 'dropped') return outcome.reason === 'hostname' ? 'other_host' : outcome.reason === 'bot' ? 'bot' : 'unsupported'
  return 'unsupported'
}

/**
 * A day's tally as the rows a rolled-up day holds: per (dimension, value) the day's sums and
 * its distinct visitors at the day's start; the site total per hour with each hour's
 * visitors, plus the day's distinct visitors of the site total.
 */
function dayRows(tally: Tally, day: string, tz: string): StagedRow[] {
  const dayStart = Math.floor(startOfDay(day, tz) / 1000)
  const byValue = new Map<string, { dimension: string; value: string; sums: number[]; ids: Set<number> | undefined }>()
  const rows: StagedRow[] = []
  for (const r of tally.rows()) {
    const ids = r.visitors ? new Set(r.visitors) : undefined
    if (r.dimension === TOTAL) {
      rows.push({ day, hour: r.hour, dimension: TOTAL, value: r.value, sums: sumsOf(r.sums), visitors: ids?.size ?? 0, visitorsOf: VISITORS_OF.hour })
    }
    const key = `${r.dimension}\u0000${r.value}`
    let v = byValue.get(key)
    if (!v) byValue.set(key, (v = { dimension: r.dimension, value: r.value, sums: new Array<number>(SUMS.length).fill(0), ids: undefined }))
    for (let i = 0; i < SUMS.length; i++) v.sums[i]! += r.sums[i]!
    if (ids) {
      v.ids ??= new Set()
      for (const id of ids) v.ids.add(id)
    }
  }
  for (const v of byValue.values()) {
    // The site total's counts are in its hourly rows; this row carries its daily visitors alone.
    const sums = v.dimension === TOTAL ? {} : sumsOf(v.sums)
    const visitorsOf = v.ids ? VISITORS_OF.day : VISITORS_OF.none
    rows.push({ day, hour: dayStart, dimension: v.dimension, value: v.value, sums, visitors: v.ids?.size ?? 0, visitorsOf })
  }
  return rows
}

function sumsOf(values: readonly number[]): StagedRow['sums'] {
  const out: StagedRow['sums'] = {}
  for (let i = 0; i < SUMS.length; i++) if (values[i]) out[SUMS[i]!] = values[i]!
  return out
}
