import type { Db } from '../db/client.ts'
import { dayNumber, isoDate, mondayOf, monthStart } from '../calendar.ts'
import { addDays } from '../time.ts'
import { SUMS } from '../vocabulary/metrics.ts'
import { finish, type SumsRow } from './finish.ts'
import type { Plan } from './plan.ts'
import { dayQuery, sumsQuery, type BuiltQuery } from './queries.ts'
import type { VisitorStorage } from './visitor-pieces.ts'

/**
 * Answers from memory for what cannot have changed. A closed day's counts change only through
 * a few known writes (the rollup, a late event or ISP answer, relabeling sections, renaming or
 * deleting a site, an import), and every write passes through Db, which counts those that may
 * (Db.historyWrites): the ingest buffer's flushes of the current day alone leave closed days as
 * they were. So a plan's range is answered as
 *
 * - its closed days: every row of them with every sum and the unique visitors (sumsQuery),
 *   read once and kept while no write may have changed a closed day, and for MAX_AGE_MS at
 *   most (what the engine does on its own, the TTL's deletions, is not seen);
 * - today: the rows of the dimensions a site's views ask (dayQuery), read in one query for all
 *   the panels of a view and kept; the buffer tells the cache the rows each flush wrote
 *   (`written`), and only those are read again, before they are next used (a busy site's
 *   flush touches a few hundred of its tens of thousands of pages);
 *
 * added together per (bucket, value) — every metric is a sum or a ratio of sums, and unique
 * visitors over days are the sum of each day's, as the SQL sums them — and finished in memory
 * (finish.ts) with the SQL's HAVING, metrics, order and page.
 *
 * Only plans the cache can answer exactly come here (see `answer`): no filter, no minimum
 * crowd's cut at the hour, no hourly buckets of today, no day after today. The embedded engine
 * only: a ClickHouse server may be written by other processes, and its writes are not seen.
 */
export class AnswerCache {
  private readonly closed = new Map<string, ClosedEntry>()
  private readonly days = new Map<string, DayEntry>()
  /** the dimensions asked of each site, and when last */
  private readonly asked = new Map<string, Map<string, number>>()
  /** closed days' rows kept, and today's (see memory) */
  private bytes = 0
  private dayBytes = 0
  /** closed days found too large to keep (key → when), asked of the engine for MAX_AGE_MS */
  private readonly oversized = new Map<string, number>()
  /** the closed days' write count the kept entries were read at */
  private history = -1
  /** what was answered from memory and what had to be read, for tests and the bench */
  readonly counts = { closedHits: 0, closedReads: 0, dayHits: 0, dayReads: 0, staleReads: 0 }

  constructor(
    private readonly db: Db,
    private readonly options: {
      maxBytes: number
      /** an instant in ms, for the age of what is kept */
      now?: () => number
    },
  ) {}

  /**
   * A plan's answer rows (as answerRows gives them), or undefined when the plan is not one
   * the cache answers: the caller asks ClickHouse.
   */
  async answer(plan: Plan, tz: string, read: (q: BuiltQuery) => Promise<Record<string, unknown>[]>, storage: (p: Plan) => Promise<VisitorStorage>): Promise<Record<string, unknown>[] | undefined> {
    const split = splitOf(plan)
    if (!split || !this.enabled()) return undefined
    const closedTo = split.closedTo
    const closedPlan: Plan | undefined = closedTo ? { ...plan, range: { ...plan.range, to: closedTo } } : undefined
    // Too many rows to keep: the engine's top values (queries.ts) cost less than all of them.
    const oversizedAt = closedPlan && this.oversized.get(closedKey(closedPlan, tz))
    if (oversizedAt !== undefined && this.now() - oversizedAt < MAX_AGE_MS) return undefined
    const today = split.today
    const [closed, rows] = await Promise.all([
      closedPlan ? this.closedRows(closedPlan, tz, read, storage) : [],
      today ? this.dayRows(plan.site, plan.dimension, today, tz, read) : undefined,
    ])
    let live: SumsRow[] = []
    if (today && rows) {
      const bucket = todayBucket(plan, today)
      live = !plan.byValue ? [sumAll(rows, bucket)] : bucket ? rows.map((r) => ({ ...r, bucket })) : rows
    }
    return finish(add(closed, live), plan)
  }

  private enabled(): boolean {
    return this.options.maxBytes > 0 && this.db.historyWrites !== undefined
  }

  private now(): number {
    return (this.options.now ?? Date.now)()
  }

  /**
   * The ingest buffer wrote these rows, site → dimension → values (EventBuffer.onWritten):
   * today's kept rows among them are read again before they are used. A batch that held closed
   * days has moved Db.historyWrites too, and everything kept is read again anyway.
   */
  written(rows: ReadonlyMap<string, ReadonlyMap<string, ReadonlySet<string>>>): void {
    for (const [site, dims] of rows) {
      const entry = this.days.get(site)
      if (!entry) continue
      for (const [dim, values] of dims) {
        if (!entry.byDimension.has(dim)) continue
        let stale = entry.stale.get(dim)
        if (!stale) entry.stale.set(dim, (stale = new Set()))
        for (const v of values) stale.add(v)
        entry.staleCount += values.size
      }
      // Past this many, reading the day again is as cheap as reading them.
      if (entry.staleCount > MAX_STALE) this.dropDay(site)
    }
  }

  /** The rows of a plan's closed days, from memory when nothing since may have changed them. */
  private async closedRows(plan: Plan, tz: string, read: Reader, storage: (p: Plan) => Promise<VisitorStorage>): Promise<SumsRow[]> {
    const key = closedKey(plan, tz)
    const history = this.db.historyWrites!
    // Closed days written since: nothing kept is current any more.
    if (history !== this.history) {
      for (const [k, e] of this.closed) if (e.history !== history) this.drop(k, e)
      this.history = history
    }
    const kept = this.closed.get(key)
    if (kept && kept.history === history && this.now() - kept.at < MAX_AGE_MS) {
      // Most recently used last: the first ones are dropped when memory is short.
      this.closed.delete(key)
      this.closed.set(key, kept)
      this.counts.closedHits++
      return kept.rows
    }
    if (kept) this.drop(key, kept)
    this.counts.closedReads++
    const rows = (async () => sumsRows(await read(sumsQuery(plan, tz, await storage(plan)))))()
    const entry: ClosedEntry = { history, at: this.now(), bytes: 0, rows }
    this.closed.set(key, entry)
    try {
      const done = await rows
      // A write that may have changed closed days began or ended meanwhile: not kept.
      if (this.db.historyWrites !== history) this.drop(key, entry)
      else this.account(key, entry, done)
      return done
    } catch (err) {
      this.drop(key, entry)
      throw err
    }
  }

  /**
   * Today's rows of a dimension of a site. A read takes every dimension asked of the site lately
   * (its working set: a view's panels) in one query, so the first panel of a view reads what
   * the others will ask; rows written since are read again first (see written).
   */
  private async dayRows(site: string, dimension: string, day: string, tz: string, read: Reader): Promise<SumsRow[]> {
    const history = this.db.historyWrites!
    const now = this.now()
    const asked = this.asked.get(site) ?? new Map<string, number>()
    this.asked.set(site, asked)
    asked.set(dimension, now)
    let entry = this.days.get(site)
    if (!entry || entry.history !== history || entry.day !== day || entry.tz !== tz) {
      // Other sites' days kept before a write of closed days are stale too: not kept for nothing.
      for (const [s, e] of this.days) if (e.history !== history || s === site) this.dropDay(s)
      entry = { history, day, tz, byDimension: new Map(), stale: new Map(), staleCount: 0, refresh: undefined, bytes: 0 }
      this.days.set(site, entry)
    }
    const current = entry
    let rows = current.byDimension.get(dimension)
    if (rows) this.counts.dayHits++
    else {
      this.counts.dayReads++
      const dims = [...asked].filter(([d, at]) => d === dimension || (now - at < WORKING_SET_MS && !current.byDimension.has(d))).map(([d]) => d)
      for (const [d, at] of asked) if (now - at >= WORKING_SET_MS) asked.delete(d)
      const reading = read(dayQuery(site, day, tz, dims)).then((raw) => {
        const byDimension = byDimensionOf(raw, dims)
        this.growDay(site, current, raw.reduce((b, r) => b + rowBytes(String(r.value)), 0))
        return byDimension
      })
      for (const d of dims) current.byDimension.set(d, reading.then((m) => m.get(d)!))
      rows = current.byDimension.get(dimension)!
    }
    try {
      const values = await rows
      await this.readStale(site, current, read)
      return [...values.values()]
    } catch (err) {
      if (this.days.get(site) === current) this.dropDay(site)
      throw err
    }
  }

  /** Today's kept rows of a site grew (or shrank) by `bytes`: within the budget, closed days give way. */
  private growDay(site: string, entry: DayEntry, bytes: number): void {
    if (this.days.get(site) !== entry) return
    entry.bytes += bytes
    this.dayBytes += bytes
    this.trim()
  }

  private dropDay(site: string): void {
    const entry = this.days.get(site)
    if (!entry) return
    this.dayBytes -= entry.bytes
    this.days.delete(site)
  }

  /** Drops the least recently used closed days until what is kept fits the budget. */
  private trim(): void {
    for (const [k, e] of this.closed) {
      if (this.bytes + this.dayBytes <= this.options.maxBytes) break
      this.drop(k, e)
    }
  }

  /** What is kept, roughly, in bytes: closed days' rows and today's. */
  memory(): { closed: number; today: number } {
    return { closed: this.bytes, today: this.dayBytes }
  }

  /** Reads again the kept rows of today written since they were read, in one query at a time. */
  private async readStale(site: string, entry: DayEntry, read: Reader): Promise<void> {
    while (entry.stale.size || entry.refresh) {
      if (!entry.refresh) {
        const stale = entry.stale
        entry.stale = new Map()
        entry.staleCount = 0
        this.counts.staleReads++
        entry.refresh = (async () => {
          const dims = [...stale.keys()]
          const values = [...new Set([...stale.values()].flatMap((v) => [...v]))]
          const fresh = byDimensionOf(await read(dayQuery(site, entry.day, entry.tz, dims, values)), dims)
          for (const d of dims) {
            const kept = await entry.byDimension.get(d)!
            let grown = 0
            for (const v of stale.get(d)!) {
              const row = fresh.get(d)!.get(v)
              if (!kept.has(v) && row) grown += rowBytes(v)
              if (kept.has(v) && !row) grown -= rowBytes(v)
              if (row) kept.set(v, row)
              else kept.delete(v)
            }
            this.growDay(site, entry, grown)
          }
        })().finally(() => {
          entry.refresh = undefined
        })
      }
      await entry.refresh
    }
  }

  /** Counts an entry's memory once read, and drops the least recently used past the budget. */
  private account(key: string, entry: ClosedEntry, rows: SumsRow[]): void {
    if (this.closed.get(key) !== entry) return
    entry.bytes = rows.reduce((b, r) => b + rowBytes(r.bucket) + 2 * r.val.length, 0)
    // One answer larger than a quarter of the budget would push out all the others.
    if (entry.bytes > this.options.maxBytes / 4) {
      this.closed.delete(key)
      this.oversized.set(key, this.now())
      for (const [k, at] of this.oversized) if (this.now() - at > MAX_AGE_MS) this.oversized.delete(k)
      return
    }
    this.bytes += entry.bytes
    this.trim()
  }

  private drop(key: string, entry: ClosedEntry): void {
    if (this.closed.get(key) !== entry) return
    this.closed.delete(key)
    this.bytes -= entry.bytes
  }
}

type Reader = (q: BuiltQuery) => Promise<Record<string, unknown>[]>

interface ClosedEntry {
  history: number
  at: number
  bytes: number
  rows: Promise<SumsRow[]>
}

/** Today's rows of a site kept, by dimension and value, as read at one count of closed days' writes. */
interface DayEntry {
  history: number
  day: string
  tz: string
  byDimension: Map<string, Promise<Map<string, SumsRow>>>
  /** rows written since they were read: read again before they are used */
  stale: Map<string, Set<string>>
  staleCount: number
  /** the reading again under way */
  refresh: Promise<void> | undefined
  /** its rows' memory, roughly (counted in STATS_CACHE_MB) */
  bytes: number
}

/** Rows written since they were read, past which a site's day is read again whole. */
const MAX_STALE = 5000

/** A dimension asked of a site this recently is read with the others after a write. */
const WORKING_SET_MS = 10 * 60_000

/**
 * How long closed days are kept at most: the engine's own deletions (the TTL of old rows) pass
 * no Db method, and are seen after this long.
 */
const MAX_AGE_MS = 10 * 60_000

/** A row's memory, roughly: the object, its array of 11 sums, the numbers, and its text. */
const ROW_BYTES = 200
const rowBytes = (text: string): number => ROW_BYTES + 2 * text.length

/**
 * Which part of a plan's range is closed days (to read from memory) and whether it ends today;
 * undefined for a plan the cache does not answer exactly.
 */
export function splitOf(plan: Plan): { closedTo?: string; today?: string } | undefined {
  const { from, to, today } = plan.range
  if (!today || plan.filter !== undefined || plan.until !== undefined || to > today) return undefined
  if (to < today) return { closedTo: to }
  // Today's hours of a dimension are not kept apart: its answer is the engine's.
  if (plan.granularity === 'hour') return undefined
  return from < today ? { closedTo: addDays(today, -1), today } : { today }
}

function closedKey(plan: Plan, tz: string): string {
  return JSON.stringify([plan.site, plan.dimension, plan.byValue, plan.granularity ?? '', tz, plan.range.from, plan.range.to])
}

/** Today's bucket in a plan's time buckets ('' without). */
function todayBucket(plan: Plan, day: string): string {
  switch (plan.granularity) {
    case undefined:
      return ''
    case 'day':
      return day
    case 'week':
      return isoDate(mondayOf(dayNumber(day)!))
    case 'month':
      return isoDate(monthStart(dayNumber(day)!))
    case 'hour':
      throw new Error('today by the hour is not kept')
  }
}

function sumsRow(bucket: string, val: string, r: Record<string, unknown>): SumsRow {
  return { bucket, val, sums: SUMS.map((s) => Number(r[s] ?? 0)), n: Number(r.n ?? 0) }
}

/** A day's rows by dimension, then value; every dimension asked has its map. */
function byDimensionOf(raw: Record<string, unknown>[], dims: string[]): Map<string, Map<string, SumsRow>> {
  const out = new Map<string, Map<string, SumsRow>>(dims.map((d) => [d, new Map()]))
  for (const r of raw) {
    const value = String(r.value)
    out.get(String(r.dimension))?.set(value, sumsRow('', value, r))
  }
  return out
}

function sumsRows(raw: Record<string, unknown>[]): SumsRow[] {
  return raw.map((r) => sumsRow(String(r.bucket), String(r.val), r))
}

/** The rows of a dimension summed into one: a site total's, or a plan without values'. */
function sumAll(rows: SumsRow[], bucket: string): SumsRow {
  const total: SumsRow = { bucket, val: '', sums: SUMS.map(() => 0), n: 0 }
  for (const r of rows) {
    for (let i = 0; i < SUMS.length; i++) total.sums[i]! += r.sums[i]!
    total.n += r.n
  }
  return total
}

/**
 * Closed days' rows and today's added per (bucket, value): a row of one alone is passed on as
 * it is, a row of both is a new one (kept rows are never changed). Kept closed rows are looked
 * up by an index made once for them: a request touches only as many rows as today has.
 */
function add(closed: SumsRow[], today: SumsRow[]): SumsRow[] {
  if (!today.length) return closed
  if (!closed.length) return today
  const index = indexOf(closed)
  const out = closed.slice()
  for (const t of today) {
    const i = index.get(rowKey(t))
    if (i === undefined) {
      out.push(t)
      continue
    }
    const r = closed[i]!
    out[i] = { bucket: r.bucket, val: r.val, sums: r.sums.map((x, j) => x + t.sums[j]!), n: r.n + t.n }
  }
  return out
}

/** A row's (bucket, value); rows of one answer all have a bucket, or none. */
const rowKey = (r: SumsRow): string => (r.bucket ? `${r.bucket}\u0000${r.val}` : r.val)

const indexes = new WeakMap<SumsRow[], Map<string, number>>()

function indexOf(rows: SumsRow[]): Map<string, number> {
  let index = indexes.get(rows)
  if (!index) {
    index = new Map(rows.map((r, i) => [rowKey(r), i]))
    indexes.set(rows, index)
  }
  return index
}
