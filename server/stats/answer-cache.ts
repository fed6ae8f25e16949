import { queryRows, type Db } from '../db/client.ts'
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
 * deleting a site, an import), and every write passes through Db, which says which ones may
 * (Db.statsWrites): the ingest buffer's flushes of the current day alone leave closed days as
 * they were. So a plan's range is answered as
 *
 * - its closed days: every row of them with every sum and the unique visitors (sumsQuery),
 *   read once and kept while no write may have changed a closed day, and for MAX_AGE_MS at
 *   most (what the engine does on its own, the TTL's deletions, is not seen);
 * - today: one query for every dimension of the site (dayQuery), shared by all the panels of a
 *   view, kept until the next write;
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
  private bytes = 0
  /** what was answered from memory and what had to be read, for tests and the bench */
  readonly counts = { closedHits: 0, closedReads: 0, dayHits: 0, dayReads: 0 }

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
    const today = split.today
    const [closed, day] = await Promise.all([
      closedTo ? this.closedRows({ ...plan, range: { ...plan.range, to: closedTo } }, tz, read, storage) : [],
      today ? this.dayRows(plan.site, today, tz, read) : undefined,
    ])
    const parts: Iterable<SumsRow>[] = [closed]
    if (today && day) {
      const rows = day.get(plan.dimension) ?? []
      const bucket = bucketOfDay(plan, today)
      parts.push(plan.byValue ? rows.map((r) => ({ ...r, bucket })) : [sumAll(rows, bucket)])
    }
    return finish(add(parts), plan)
  }

  private enabled(): boolean {
    return this.options.maxBytes > 0 && this.db.statsWrites !== undefined
  }

  private now(): number {
    return (this.options.now ?? Date.now)()
  }

  /** The rows of a plan's closed days, from memory when nothing since may have changed them. */
  private async closedRows(plan: Plan, tz: string, read: Reader, storage: (p: Plan) => Promise<VisitorStorage>): Promise<SumsRow[]> {
    const key = JSON.stringify([plan.site, plan.dimension, plan.byValue, plan.granularity ?? '', tz, plan.range.from, plan.range.to])
    const history = this.db.statsWrites!.history
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
      if (this.db.statsWrites!.history !== history) this.drop(key, entry)
      else this.account(key, entry, done)
      return done
    } catch (err) {
      this.drop(key, entry)
      throw err
    }
  }

  /** Today's rows of every dimension of a site, by dimension; read again after every write. */
  private dayRows(site: string, day: string, tz: string, read: Reader): Promise<Map<string, SumsRow[]>> {
    const today = this.db.statsWrites!.today
    const kept = this.days.get(site)
    if (kept && kept.today === today && kept.day === day && kept.tz === tz) {
      this.counts.dayHits++
      return kept.rows
    }
    this.counts.dayReads++
    const rows = read(dayQuery(site, day, tz)).then((raw) => {
      const byDimension = new Map<string, SumsRow[]>()
      for (const r of raw) {
        const dim = String(r.dimension)
        let list = byDimension.get(dim)
        if (!list) byDimension.set(dim, (list = []))
        list.push(sumsRow('', String(r.value), r))
      }
      return byDimension
    })
    const entry: DayEntry = { today, day, tz, rows }
    this.days.set(site, entry)
    rows.catch(() => {
      if (this.days.get(site) === entry) this.days.delete(site)
    })
    return rows
  }

  /** Counts an entry's memory once read, and drops the least recently used past the budget. */
  private account(key: string, entry: ClosedEntry, rows: SumsRow[]): void {
    if (this.closed.get(key) !== entry) return
    entry.bytes = rows.reduce((b, r) => b + ROW_BYTES + 2 * (r.bucket.length + r.val.length), 0)
    // One answer larger than a quarter of the budget would push out all the others.
    if (entry.bytes > this.options.maxBytes / 4) {
      this.closed.delete(key)
      return
    }
    this.bytes += entry.bytes
    for (const [k, e] of this.closed) {
      if (this.bytes <= this.options.maxBytes) break
      this.drop(k, e)
    }
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

interface DayEntry {
  today: number
  day: string
  tz: string
  rows: Promise<Map<string, SumsRow[]>>
}

/**
 * How long closed days are kept at most: the engine's own deletions (the TTL of old rows) pass
 * no Db method, and are seen after this long.
 */
const MAX_AGE_MS = 10 * 60_000

/** A row's memory, roughly: the object, its array of 11 sums, the numbers. */
const ROW_BYTES = 200

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

/** Today's bucket in a plan's time buckets ('' without). */
function bucketOfDay(plan: Plan, day: string): string {
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

/** Rows of several parts added per (bucket, value), new objects: kept rows are not changed. */
function add(parts: Iterable<SumsRow>[]): Iterable<SumsRow> {
  const nonEmpty = parts.filter((p) => !Array.isArray(p) || p.length > 0)
  if (nonEmpty.length <= 1) return nonEmpty[0] ?? []
  const byKey = new Map<string, SumsRow>()
  for (const part of parts) {
    for (const r of part) {
      const key = `${r.bucket}\u0000${r.val}`
      const seen = byKey.get(key)
      if (!seen) byKey.set(key, { bucket: r.bucket, val: r.val, sums: [...r.sums], n: r.n })
      else {
        for (let i = 0; i < SUMS.length; i++) seen.sums[i]! += r.sums[i]!
        seen.n += r.n
      }
    }
  }
  return byKey.values()
}
