import { DAY_S } from '../calendar.ts'
import { bucketOfDay, bucketOfHour } from './buckets.ts'
import { dailyVisitorLevels } from './levels.ts'
import { dayStart, monthStartAtOrAfter, splitRange, utcDay } from './pieces.ts'
import type { Plan } from './plan.ts'

/** Where the visitors stand, from `visitor_sketches`' and `visitors_daily`'s parts (run.ts). */
export interface VisitorStorage {
  /** months of `visitors_daily` holding each key once (see duplicateFreeMonths) */
  cleanMonths: ReadonlySet<string>
  /** whether sketches may hold days of the range (days not rolled up yet) */
  sketches: boolean
}

/**
 * A piece of the unique visitors: `rows` are integers read one by one (with FINAL), `sums`
 * integers summed from a table stored once, `sketch` the sketches of days not rolled up yet,
 * merged day by day (or hour by hour) and then summed.
 */
export interface VisitorPiece {
  kind: 'rows' | 'sums' | 'sketch'
  from: string
  where: string
  bucket: string
  /** for sketches: what they are merged by before being summed */
  mergedBy?: 'hour' | 'day'
  /** whether it reads weekly or monthly sums (projections, migration 009) */
  projected?: boolean
}

/** The unique visitors' pieces for a plan: hourly or daily integers, and the sketches. */
export function visitorPieces(
  plan: Plan,
  params: Record<string, unknown>,
  where: string,
  cleanMonths: ReadonlySet<string>,
  sketches: boolean,
): VisitorPiece[] {
  const hourly = plan.granularity === 'hour'
  const ofPlan = 'site = {site:String} AND dimension = {dim:String}'
  const hours = 'hour >= toDateTime({from:UInt32}) AND hour < toDateTime({to:UInt32})'
  const pieces: VisitorPiece[] = hourly
    ? [{ kind: 'rows', from: 'visitors_hourly FINAL', where: `${ofPlan} AND ${hours} AND (${where})`, bucket: bucketOfHour(plan) }]
    : dailyVisitors(plan, params, where, cleanMonths)
  if (sketches) {
    pieces.push({
      kind: 'sketch',
      from: 'visitor_sketches',
      where:
        `${ofPlan} AND day BETWEEN {fromDay:Date} AND {toDay:Date}${hourly || plan.until !== undefined ? ` AND ${hours}` : ''}\n` +
        `        AND day NOT IN (SELECT day FROM rolled_days) AND (${where})`,
      bucket: hourly ? bucketOfHour(plan) : bucketOfDay(plan),
      mergedBy: hourly ? 'hour' : 'day',
    })
  }
  return pieces
}

/** A visitor piece as one part of a UNION ALL of (bucket, val, n) rows, to be summed. */
export function unionPart(piece: VisitorPiece, value: string, before = ''): string {
  const n = { rows: 'visitors', sums: 'sum(visitors)', sketch: 'uniqMerge(visitors)' }[piece.kind]
  const group = { rows: '', sums: '\n      GROUP BY bucket, val', sketch: `\n      GROUP BY ${piece.mergedBy}, bucket, val` }[piece.kind]
  return `
      SELECT ${piece.bucket} AS bucket, ${value} AS val, ${before}${n} AS n
      FROM ${piece.from}
      WHERE ${piece.where}${group}`
}

/**
 * Daily unique visitors. `visitors_daily` is a ReplacingMergeTree: a day rolled up twice holds
 * its rows twice until a merge, and FINAL reads the last of them. In months where every key is
 * known to be stored once, FINAL changes nothing, so those are summed plainly: whole months and
 * weeks from the sums kept beside the table (projections, migration 009), the rest day by day.
 * The other months are read with FINAL, as before. (`day` is already a day of the reporting
 * time zone, so every bucket can come from these sums.)
 */
function dailyVisitors(plan: Plan, params: Record<string, unknown>, where: string, cleanMonths: ReadonlySet<string>): VisitorPiece[] {
  const months = monthsOf(plan.range.from, plan.range.to)
  const dirty = months.filter((m) => !cleanMonths.has(m))
  const pieces: VisitorPiece[] = []
  if (dirty.length) {
    params.dirtyMonths = dirty
    pieces.push({
      kind: 'rows',
      from: 'visitors_daily FINAL',
      where:
        'site = {site:String} AND dimension = {dim:String} AND day BETWEEN {fromDay:Date} AND {toDay:Date}\n' +
        `        AND toStartOfMonth(day) IN {dirtyMonths:Array(Date)} AND (${where})`,
      bucket: bucketOfDay(plan),
    })
  }
  const levels = dailyVisitorLevels(plan)
  for (const run of cleanRuns(plan.range.from, plan.range.to, cleanMonths)) {
    for (const piece of splitRange(dayStart(run.from), dayStart(run.to), levels)) {
      const i = Object.keys(params).length
      const [from, to] = [`v${i}_from`, `v${i}_to`]
      params[from] = utcDay(piece.from)
      params[to] = utcDay(piece.to)
      const g = plan.granularity
      const [range, bucket] =
        piece.level === 'month'
          ? [`toStartOfMonth(day) >= {${from}:Date} AND toStartOfMonth(day) < {${to}:Date}`, g === undefined ? "''" : 'toString(toStartOfMonth(day))']
          : piece.level === 'week'
            ? [`toMonday(day) >= {${from}:Date} AND toMonday(day) < {${to}:Date}`, g === undefined ? "''" : 'toString(toMonday(day))']
            : [`day >= {${from}:Date} AND day < {${to}:Date}`, bucketOfDay(plan)]
      pieces.push({
        kind: 'sums',
        from: 'visitors_daily',
        where: `site = {site:String} AND dimension = {dim:String} AND ${range} AND (${where})`,
        bucket,
        projected: piece.level !== 'day',
      })
    }
  }
  return pieces
}

/** The first days of the months that [from, to] (days, inclusive) touches. */
export function monthsOf(from: string, to: string): string[] {
  const months: string[] = []
  for (let m = `${from.slice(0, 7)}-01`; m <= to; m = utcDay(monthStartAtOrAfter(dayStart(m) + DAY_S))) months.push(m)
  return months
}

/** Stretches of [from, to] (inclusive) in clean months, as [from, to) with `to` exclusive. */
function cleanRuns(from: string, to: string, clean: ReadonlySet<string>): { from: string; to: string }[] {
  const end = utcDay(dayStart(to) + DAY_S)
  const runs: { from: string; to: string }[] = []
  for (const m of monthsOf(from, to)) {
    if (!clean.has(m)) continue
    const next = utcDay(monthStartAtOrAfter(dayStart(m) + DAY_S))
    const run = { from: m < from ? from : m, to: next < end ? next : end }
    const last = runs.at(-1)
    if (last && last.to === run.from) last.to = run.to
    else runs.push(run)
  }
  return runs
}

/**
 * Months of `visitors_daily` (first days, 'YYYY-MM-01') between `from` and `to` whose parts
 * cover days that do not overlap: a rollup writes each day once, merges join neighbouring
 * days, and within a part every key is stored once, so no key of such a month is stored
 * twice. A day rolled up twice, or a site's rows copied under a new name, leaves parts that
 * overlap: that month is read with FINAL until a merge has joined them.
 */
export function duplicateFreeMonths(parts: { month: string; lo: string; hi: string }[], from: string, to: string): Set<string> {
  const byMonth = new Map<string, { lo: string; hi: string }[]>()
  for (const p of parts) byMonth.set(p.month, [...(byMonth.get(p.month) ?? []), p])
  const clean = new Set<string>()
  for (const m of monthsOf(from, to)) {
    const ranges = (byMonth.get(m) ?? []).sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0))
    if (ranges.every((r, i) => i === 0 || ranges[i - 1]!.hi < r.lo)) clean.add(m)
  }
  return clean
}

/** A part of `visitors_daily` or `visitor_sketches` and the days it holds (VISITOR_PARTS_SQL). */
export interface VisitorPart {
  table: string
  /** the first day of the month of its first day */
  month: string
  lo: string
  hi: string
}

/**
 * Where the unique visitors of [from, to] stand, from the parts of their tables: the months of
 * `visitors_daily` that can be summed without FINAL (see duplicateFreeMonths), and whether any
 * day of the range still has sketches (usually today only; a range without one, hourly buckets
 * included, reads none).
 */
export function visitorStorageOf(all: VisitorPart[], from: string, to: string): VisitorStorage {
  const parts = all.filter((p) => p.hi >= from && p.lo <= to)
  return {
    cleanMonths: duplicateFreeMonths(parts.filter((p) => p.table === 'visitors_daily'), from, to),
    sketches: parts.some((p) => p.table === 'visitor_sketches'),
  }
}

/**
 * The active parts of `visitors_daily` (for duplicateFreeMonths) and of `visitor_sketches` (one
 * day each: days not rolled up yet, or rolled up a moment ago), with the days each holds.
 */
export const VISITOR_PARTS_SQL = `
  SELECT table, toString(toStartOfMonth(min_date)) AS month, toString(min_date) AS lo, toString(max_date) AS hi
  FROM system.parts
  WHERE database = currentDatabase() AND table IN ('visitors_daily', 'visitor_sketches') AND active`
