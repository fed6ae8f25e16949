import { INCREMENT_KEYS } from '../sessions/cells.ts'
import { startOfDay, addDays } from '../time.ts'
import type { Plan } from './plan.ts'
import type { Filter, Metric } from './request.ts'

export interface BuiltQuery {
  sql: string
  params: Record<string, unknown>
}

/** The columns of counts_hourly that are summed: exactly what an event's cells increment. */
const SUMS = INCREMENT_KEYS

type Sum = (typeof SUMS)[number]

/**
 * Whether a value had any of these in a range is whether it is a row of the answer. Every
 * visitor of a value has one of them there (a visit starts, a page is viewed, an event is
 * sent: each adds to them and to the visitors at once); what adds to the other sums alone
 * (engaged time, a visit's lengthening, an exit or bounce moved to another page) does not
 * make a row.
 */
const PRESENCE: readonly Sum[] = ['pageviews', 'visits', 'events']

/**
 * The sums a plan reads: those its metrics are worked out from, and PRESENCE. Each column read
 * costs the embedded engine time even when a range is a handful of rows (bench/queries.ts data,
 * 1 M/day site, the 30-day first view's queries one after another: 282 ms reading all 11, 245
 * reading these), so no query reads the others. A row of the answer has one of them nonzero.
 */
export function sumsOf(plan: Plan): Sum[] {
  const read = new Set<Sum>(PRESENCE)
  for (const m of plan.metrics) metricSql(m, plan, { visitors: "''", count: (c) => (read.add(c), c) })
  return SUMS.filter((s) => read.has(s))
}

/**
 * Builds one query: counts from `counts_hourly`, unique visitors from the integer tables for
 * closed days plus the 48 h sketches for days not yet rolled up, joined. Every value is a query
 * parameter; only names chosen from fixed lists here are written into the SQL text.
 * `cleanMonths` ('YYYY-MM-01') are months of `visitors_daily` known to hold each key once
 * (see duplicateFreeMonths), so their rows can be summed without FINAL.
 * The plainest form of an answer: the tests hold every answer to it (with FINAL everywhere and
 * projections off). The server asks queries that cost less to plan (steps.ts, run.ts).
 */
export function buildQuery(plan: Plan, tz: string, cleanMonths: ReadonlySet<string> = new Set()): BuiltQuery {
  const params = baseParams(plan, tz)
  const where = filterSql(plan.filter, params)
  const value = plan.byValue ? 'value' : "''"

  // Counts: whole months, weeks and days from their sums (projections, migration 009), the
  // hours at the edges from the hourly rows; each piece is a query ClickHouse can answer from
  // one of them.
  const countPieces = countsPieces(plan, tz, params)
  const sums = sumsOf(plan)
  const pieces = countPieces.map(
    (piece) => `
      SELECT ${piece.bucket} AS bucket, ${value} AS val, ${sums.map((s) => `sum(${s}) AS s_${s}`).join(', ')}
      FROM counts_hourly
      WHERE site = {site:String} AND dimension = {dim:String} AND ${piece.range} AND (${where})
      GROUP BY bucket, val`,
  )
  const counts = `
    SELECT bucket, val, ${sums.map((s) => `sum(s_${s}) AS ${s}`).join(', ')}
    FROM (${pieces.join('\n      UNION ALL')})
    GROUP BY bucket, val
    HAVING ${sums.map((s) => `${s} != 0`).join(' OR ')}`

  const needsVisitors = plan.metrics.includes('visitors')
  const visitors = needsVisitors ? visitorPieces(plan, params, where, cleanMonths, true) : []
  const uniques = `
    SELECT bucket, val, sum(n) AS visitors FROM (${visitors.map((v) => unionPart(v, value)).join('\n      UNION ALL')}
    ) GROUP BY bucket, val`

  // Weighing the projections of every part costs planning time: a query that reads none of
  // them (the site total, hourly buckets) says so.
  const sumsRead = countPieces.some((p) => p.level !== 'hour') || visitors.some((v) => v.projected)
  const select = plan.metrics.map((m) => `${metricSql(m, plan, joined)} AS ${m}`).join(', ')
  const order = plan.orderBy.map(([key, dir]) => `${orderKey(key, plan)} ${dir === 'asc' ? 'ASC' : 'DESC'}`)
  const sql = `
    WITH counts AS (${counts})${needsVisitors ? `, uniques AS (${uniques})` : ''}
    SELECT counts.bucket AS bucket, counts.val AS val, ${select}${plan.totalRows ? ', count() OVER () AS total_rows' : ''}
    FROM counts ${needsVisitors ? 'LEFT JOIN uniques ON counts.bucket = uniques.bucket AND counts.val = uniques.val' : ''}
    ${order.length ? `ORDER BY ${order.join(', ')}` : ''}
    LIMIT {limit:UInt32} OFFSET {offset:UInt32}${sumsRead ? '' : '\n    SETTINGS optimize_use_projections = 0'}`
  return { sql, params }
}

/** The parameters every query of a plan binds; pieces add their own. */
export function baseParams(plan: Plan, tz: string): Record<string, unknown> {
  return {
    site: plan.site,
    dim: plan.dimension,
    tz,
    from: Math.floor(startOfDay(plan.range.from, tz) / 1000),
    to: Math.floor(Math.min(startOfDay(addDays(plan.range.to, 1), tz), plan.until ?? Infinity) / 1000),
    fromDay: plan.range.from,
    toDay: plan.range.to,
    limit: plan.limit,
    offset: plan.offset,
  }
}

/** A piece of the counts: which rows of `counts_hourly` it sums, and the bucket of each. */
export interface CountsPiece {
  level: Level
  range: string
  bucket: string
}

/** The counts' pieces (see splitRange), their bounds bound in `params`. */
export function countsPieces(plan: Plan, tz: string, params: Record<string, unknown>): CountsPiece[] {
  return splitRange(params.from as number, params.to as number, levelsFor(plan, tz)).map((piece, i) => {
    const from = `p${i}_from`
    const to = `p${i}_to`
    const [range, bucket] = pieceSql(plan, piece.level, from, to)
    params[from] = piece.level === 'hour' ? piece.from : utcDay(piece.from)
    params[to] = piece.level === 'hour' ? piece.to : utcDay(piece.to)
    return { level: piece.level, range, bucket }
  })
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

function bucketOfHour(plan: Plan): string {
  switch (plan.granularity) {
    case undefined:
      return "''"
    case 'hour':
      return "formatDateTime(toTimeZone(hour, {tz:String}), '%Y-%m-%d %H:00:00')"
    case 'day':
      return 'toString(toDate(hour, {tz:String}))'
    case 'week':
      return 'toString(toMonday(toDate(hour, {tz:String})))'
    case 'month':
      return 'toString(toStartOfMonth(toDate(hour, {tz:String})))'
  }
}

/** `day` columns are already calendar days of the instance time zone. */
function bucketOfDay(plan: Plan): string {
  switch (plan.granularity) {
    case undefined:
      return "''"
    case 'hour':
      throw new Error('hourly visitors come from hourly tables')
    case 'day':
      return 'toString(day)'
    case 'week':
      return 'toString(toMonday(day))'
    case 'month':
      return 'toString(toStartOfMonth(day))'
  }
}

type Level = 'month' | 'week' | 'day' | 'hour'

export interface Piece {
  level: Level
  /** UTC seconds, inclusive */
  from: number
  /** UTC seconds, exclusive */
  to: number
}

const DAY_S = 86_400

/**
 * Splits [from, to) into whole UTC months, weeks (Monday to Sunday) and days, as far as
 * `levels` allow, and the hours left at the edges: coarsest first, covering exactly the hours
 * of the range.
 */
export function splitRange(from: number, to: number, levels: Level[]): Piece[] {
  const d0 = Math.ceil(from / DAY_S) * DAY_S
  const d1 = Math.floor(to / DAY_S) * DAY_S
  if (!levels.includes('day') || d0 >= d1) return [{ level: 'hour', from, to }]
  const days = (a: number, b: number): Piece[] => (a < b ? [{ level: 'day', from: a, to: b }] : [])
  const weeks = (a: number, b: number): Piece[] => {
    const w0 = mondayAtOrAfter(a)
    const w1 = mondayAtOrBefore(b)
    if (!levels.includes('week') || w0 >= w1) return days(a, b)
    return [...days(a, w0), { level: 'week', from: w0, to: w1 }, ...days(w1, b)]
  }
  const months = (a: number, b: number): Piece[] => {
    const m0 = monthStartAtOrAfter(a)
    const m1 = monthStartAtOrBefore(b)
    if (!levels.includes('month') || m0 >= m1) return weeks(a, b)
    return [...weeks(a, m0), { level: 'month', from: m0, to: m1 }, ...weeks(m1, b)]
  }
  return [
    ...(from < d0 ? [{ level: 'hour' as const, from, to: d0 }] : []),
    ...months(d0, d1),
    ...(d1 < to ? [{ level: 'hour' as const, from: d1, to }] : []),
  ]
}

function monthStartAtOrBefore(s: number): number {
  const d = new Date(s * 1000)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) / 1000
}

function monthStartAtOrAfter(s: number): number {
  const before = monthStartAtOrBefore(s)
  if (before === s) return s
  const d = new Date(s * 1000)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) / 1000
}

/** 1970-01-01 was a Thursday: day n is a Monday when (n + 3) % 7 is 0. */
function mondayAtOrBefore(s: number): number {
  const day = Math.floor(s / DAY_S)
  return (day - ((day + 3) % 7)) * DAY_S
}

function mondayAtOrAfter(s: number): number {
  const before = mondayAtOrBefore(s)
  return before === s ? s : before + 7 * DAY_S
}

function utcDay(s: number): string {
  return new Date(s * 1000).toISOString().slice(0, 10)
}

/** Dimensions with a long tail of values: tens of thousands a day on a busy site (pages). */
const LONG_TAILED = ['event:page', 'visit:entry_page', 'visit:exit_page']
/** Dimensions with about a thousand values a day on a busy site. */
const MID_TAILED = ['visit:referrer', 'visit:isp']
/** The longest range (days) a mid-tailed dimension reads day by day. */
const MID_TAILED_DAYS = 62

/**
 * Levels for a range read without time buckets. Weekly and monthly sums save rows only where a
 * dimension has many values; elsewhere a range's days are few rows, and each further piece
 * costs more to plan (a few ms in the embedded engine) than they take to read. Measured on
 * the 1 M/day site (bench/queries.ts data), days alone against months, weeks and days: at 30
 * days ISPs 27 against 35 ms, referrers 26 against 35, but pages 102 against 74; at 12 months
 * ISPs 65 against 61, referrers 70 against 68. Sources (about 500 values a day) are faster by
 * days at any range: 25 against 35 ms at 30 days, 50 against 59 at 12 months.
 */
function wholeRangeLevels(plan: Plan): Level[] {
  if (LONG_TAILED.includes(plan.dimension)) return ['month', 'week', 'day']
  if (MID_TAILED.includes(plan.dimension) && rangeDays(plan) > MID_TAILED_DAYS) return ['month', 'week', 'day']
  return ['day']
}

function rangeDays(plan: Plan): number {
  return (dayStart(plan.range.to) - dayStart(plan.range.from)) / DAY_S + 1
}

/**
 * Which pieces a query may read from the daily, weekly and monthly sums. Those are UTC days,
 * weeks and months: a range's time buckets can come from them only when the reporting time
 * zone is UTC (and only from pieces that fall in one bucket), hourly buckets never.
 * Without time buckets any time zone can use them in the middle of its range.
 */
function levelsFor(plan: Plan, tz: string): Level[] {
  // The site total has one row an hour: reading them is cheaper than planning more pieces.
  if (plan.dimension === '') return []
  const utc = tz === 'UTC' || tz === 'Etc/UTC'
  switch (plan.granularity) {
    case undefined:
      return wholeRangeLevels(plan)
    case 'month':
      return utc ? ['month', 'day'] : []
    case 'week':
      return utc ? ['week', 'day'] : []
    case 'day':
      return utc ? ['day'] : []
    case 'hour':
      return []
  }
}

/** How a piece selects its rows, and the bucket of each, by the key of the sums it reads. */
function pieceSql(plan: Plan, level: Level, from: string, to: string): [range: string, bucket: string] {
  const g = plan.granularity
  switch (level) {
    case 'hour':
      return [`hour >= toDateTime({${from}:UInt32}) AND hour < toDateTime({${to}:UInt32})`, bucketOfHour(plan)]
    case 'day': {
      const bucket = { day: 'toString(toDate(hour))', week: 'toString(toMonday(toDate(hour)))', month: 'toString(toStartOfMonth(toDate(hour)))' }
      return [`toDate(hour) >= {${from}:Date} AND toDate(hour) < {${to}:Date}`, g === undefined ? "''" : bucket[g as keyof typeof bucket]]
    }
    case 'week':
      return [`toMonday(hour) >= {${from}:Date} AND toMonday(hour) < {${to}:Date}`, g === undefined ? "''" : 'toString(toMonday(hour))']
    case 'month':
      return [`toStartOfMonth(hour) >= {${from}:Date} AND toStartOfMonth(hour) < {${to}:Date}`, g === undefined ? "''" : 'toString(toStartOfMonth(hour))']
  }
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
  const levels: Level[] = plan.granularity === 'month' ? ['month', 'day'] : plan.granularity === 'week' ? ['week', 'day'] : plan.granularity === 'day' ? ['day'] : wholeRangeLevels(plan)
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

const dayStart = (day: string) => Date.parse(`${day}T00:00:00Z`) / 1000

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

/**
 * The active parts of `visitors_daily` (for duplicateFreeMonths) and of `visitor_sketches` (one
 * day each: days not rolled up yet, or rolled up a moment ago), with the days each holds.
 */
export const VISITOR_PARTS_SQL = `
  SELECT table, toString(toStartOfMonth(min_date)) AS month, toString(min_date) AS lo, toString(max_date) AS hi
  FROM system.parts
  WHERE database = currentDatabase() AND table IN ('visitors_daily', 'visitor_sketches') AND active`

/** Where a metric's numbers come from: the joined `counts` and `uniques`, or (steps.ts) other names. */
export interface MetricSources {
  visitors: string
  count: (column: Sum) => string
}

const joined: MetricSources = { visitors: 'uniques.visitors', count: (c) => `counts.${c}` }

export function metricSql(m: Metric, plan: Plan, from: MetricSources): string {
  const c = from.count
  switch (m) {
    case 'visitors':
      return from.visitors
    case 'visits':
    case 'pageviews':
    case 'events':
      return c(m)
    case 'views_per_visit':
      return `if(${c('visits')} > 0, round(${c('pageviews')} / ${c('visits')}, 2), 0)`
    case 'bounce_rate':
      // A page's bounce rate is that of the visits that entered on it.
      return plan.kind === 'page'
        ? `if(${c('entries')} > 0, round(100 * ${c('bounces')} / ${c('entries')}), 0)`
        : `if(${c('visits')} > 0, round(100 * ${c('bounces')} / ${c('visits')}), 0)`
    case 'visit_duration':
      return `if(${c('visits')} > 0, round(${c('duration')} / ${c('visits')}), 0)`
    case 'time_on_page':
      return `if(${c('engaged_n')} > 0, round(${c('engaged_ms')} / ${c('engaged_n')} / 1000), NULL)`
    case 'scroll_depth':
      return `if(${c('scroll_n')} > 0, round(${c('scroll_sum')} / ${c('scroll_n')}), NULL)`
  }
}

export function orderKey(key: string, plan: Plan): string {
  if (key === 'time' || key.startsWith('time:')) return 'bucket'
  if (key === plan.dimension) return 'val'
  return key
}

/** A filter tree as SQL over the `value` column, its values bound as parameters. */
export function filterSql(filter: Filter | undefined, params: Record<string, unknown>): string {
  if (!filter) return '1'
  const [op] = filter
  if (op === 'and' || op === 'or') {
    const parts = (filter[1] as Filter[]).map((f) => `(${filterSql(f, params)})`)
    return parts.join(op === 'and' ? ' AND ' : ' OR ')
  }
  if (op === 'not') return `NOT (${filterSql(filter[1] as Filter, params)})`
  const name = `f${Object.keys(params).length}`
  params[name] = filter[2]
  const values = `{${name}:Array(String)}`
  switch (op) {
    case 'is':
      return `value IN ${values}`
    case 'is_not':
      return `value NOT IN ${values}`
    case 'contains':
      return `multiSearchAny(value, ${values})`
    case 'contains_not':
      return `NOT multiSearchAny(value, ${values})`
    case 'matches':
      return `multiMatchAny(value, ${values})`
    case 'matches_not':
      return `NOT multiMatchAny(value, ${values})`
  }
}
