import { addDays, startOfDay } from '../time.ts'
import { dimension } from '../vocabulary/dimensions.ts'
import { SUMS, type Sum } from '../vocabulary/metrics.ts'
import { countsPieces } from './counts-pieces.ts'
import { filterSql, metricSql, orderKey, sumsOf, type MetricSources } from './metric-sql.ts'
import type { Plan } from './plan.ts'
import { unionPart, visitorPieces, type VisitorStorage } from './visitor-pieces.ts'

/**
 * The queries the server asks (run.ts runs them): an answer more cheaply than the plainest
 * form's one query, which joins the counts to the visitors (buildQuery, the tests' oracle in
 * test/helpers/stats-oracle.ts). The embedded engine spends most of a small query planning it
 * (EXPLAIN PLAN takes 20 of a 1 k/day site's 25 ms for a day's totals), and planning costs by
 * the scope, the subquery, the table read and above all the join: the same counts and
 * visitors as one grouping of a UNION ALL (unionQuery) plan in about 14 ms instead of 20.
 */

/**
 * One query: its SQL, and its parameters. Every value is a query parameter; only names chosen
 * from fixed lists are written into the SQL text.
 */
export interface BuiltQuery {
  sql: string
  params: Record<string, unknown>
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

/** Unique visitors already known, by value (uniquesQuery's answer). */
export interface KnownVisitors {
  values: string[]
  visitors: number[]
}

/**
 * The answer in one query without a join: the counts' pieces and the visitors' pieces as rows
 * of one UNION ALL (each with zeros in the other's columns), summed per (bucket, val). A row
 * with visitors but no counts has sums that are all 0 and is left out, as the LEFT JOIN from
 * the counts leaves it out; a row with counts but no visitors has 0, as the LEFT JOIN gives.
 * Both read the same sums (sumsOf).
 *
 * With `known`, the visitors are not read but looked up there (0 where absent), and only the
 * values there are summed: the second of a breakdown's two steps (see leadingValues).
 */
export function unionQuery(plan: Plan, tz: string, storage: VisitorStorage, known?: KnownVisitors): BuiltQuery {
  const params = baseParams(plan, tz)
  let where = filterSql(plan.filter, params)
  if (known) {
    params.known = known.values
    params.knownVisitors = known.visitors
    where = `(${where}) AND value IN {known:Array(String)}`
  }
  const sums = sumsOf(plan)
  const withVisitors = plan.metrics.includes('visitors') && !known
  const union = unionOfPieces(plan, tz, params, where, sums, withVisitors ? storage : undefined)
  // Metrics are worked out in the scope that sums (another scope costs planning time); the
  // sums are named apart from the metrics, some of which are named as columns of counts_hourly.
  const sources: MetricSources = {
    visitors: known ? 'transform(val, {known:Array(String)}, {knownVisitors:Array(UInt64)}, toUInt64(0))' : 'sum(n)',
    count: (c) => `c_${c}`,
  }
  const select = plan.metrics.map((m) => `${metricSql(m, plan, sources)} AS ${m}`).join(', ')
  const order = plan.orderBy.map(([key, dir]) => `${orderKey(key, plan)} ${dir === 'asc' ? 'ASC' : 'DESC'}`)
  const sql = `
    SELECT bucket, val, ${sums.map((s) => `sum(s_${s}) AS c_${s}`).join(', ')}, ${select}${plan.totalRows ? ', count() OVER () AS total_rows' : ''}
    FROM (${union.sql})
    GROUP BY bucket, val
    HAVING ${sums.map((s) => `c_${s} != 0`).join(' OR ')}
    ${order.length ? `ORDER BY ${order.join(', ')}` : ''}
    LIMIT {limit:UInt32} OFFSET {offset:UInt32}`
  return { sql: sql + projectionsSetting(union.sumsRead), params }
}

/**
 * Long-tailed dimensions (tens of thousands of values on a busy site) with unique visitors
 * per value are where summing the counts of a few values only pays for a second query
 * (bench/queries.ts, 1 M/day site, 30 days: its 20,000 pages 182 → 144 ms of CPU; its 500
 * sources 59 → 65 ms, so not those).
 */
function manyValued(name: string): boolean {
  const d = dimension(name)
  return d?.tail === 'long' && d.visitors
}

/** Candidate values travel as query parameters: past this many, one query is cheaper. */
const MAX_CANDIDATES = 1000

/**
 * A breakdown of a many-valued dimension sorted by visitors (descending), then perhaps by the
 * value itself, is answered in two steps: the first `offset + limit` values by visitors
 * (uniquesQuery), then the counts of those values only (unionQuery with `known`). Every value
 * with counts but no visitors sorts after those with visitors, so these are the answer's
 * values if they all have counts; run.ts checks, and asks the one query when one has none.
 * Returns how many values the first step takes, or undefined when one query answers.
 */
export function leadingValues(plan: Plan): number | undefined {
  const [first, ...rest] = plan.orderBy
  const k = plan.offset + plan.limit
  const byVisitors = first?.[0] === 'visitors' && first[1] === 'desc'
  const thenByValue = rest.length === 0 || (rest.length === 1 && rest[0]![0] === plan.dimension)
  if (!plan.byValue || plan.granularity || plan.totalRows || !manyValued(plan.dimension) || !byVisitors || !thenByValue || k > MAX_CANDIDATES) return undefined
  return k
}

/** The first `leading` values of a breakdown by unique visitors (in the plan's order), as (val, n). */
export function uniquesQuery(plan: Plan, tz: string, storage: VisitorStorage, leading: number): BuiltQuery {
  const params = { ...baseParams(plan, tz), leading }
  const where = filterSql(plan.filter, params)
  const pieces = visitorPieces(plan, params, where, storage.cleanMonths, storage.sketches)
  const order = plan.orderBy.map(([key, dir]) => `${key === 'visitors' ? 'n' : 'val'} ${dir === 'asc' ? 'ASC' : 'DESC'}`)
  const [only] = pieces
  const grouped =
    pieces.length === 1 && only!.kind !== 'sketch'
      ? `
    SELECT value AS val, sum(visitors) AS n
    FROM ${only!.from}
    WHERE ${only!.where}
    GROUP BY val`
      : `
    SELECT val, sum(n) AS n FROM (${pieces.map((p) => unionPart(p, 'value')).join('\n      UNION ALL')}
    ) GROUP BY val`
  const sql = `${grouped}
    HAVING n > 0
    ORDER BY ${order.join(', ')}
    LIMIT {leading:UInt32}`
  return { sql: sql + projectionsSetting(pieces.some((p) => p.projected)), params }
}

/**
 * Every row of a plan's range, unsorted and uncut, with every sum and the unique visitors (`n`;
 * 0 for a dimension without them): what the answer cache keeps of closed days and finishes in
 * memory (answer-cache.ts, finish.ts). The same pieces as unionQuery, without a filter, and
 * without its HAVING: a row whose sums here are all 0 may still be one of the answer once
 * today's sums are added.
 */
export function sumsQuery(plan: Plan, tz: string, storage: VisitorStorage): BuiltQuery {
  const params = baseParams(plan, tz)
  const union = unionOfPieces(plan, tz, params, '1', SUMS, dimension(plan.dimension)?.visitors === false ? undefined : storage)
  const sql = `
    SELECT bucket, val, ${SUMS.map((s) => `sum(s_${s}) AS ${s}`).join(', ')}, sum(n) AS n
    FROM (${union.sql})
    GROUP BY bucket, val`
  return { sql: sql + projectionsSetting(union.sumsRead), params }
}

/**
 * A plan's pieces as rows of one UNION ALL of (bucket, val, s_<sum>..., n): the counts'
 * pieces with `sums` and n = 0, then, with `visitors` given, the visitors' pieces with zeros
 * for the sums. Whether one of them reads the weekly or monthly sums (projectionsSetting).
 */
function unionOfPieces(plan: Plan, tz: string, params: Record<string, unknown>, where: string, sums: readonly Sum[], visitors: VisitorStorage | undefined): { sql: string; sumsRead: boolean } {
  const value = plan.byValue ? 'value' : "''"
  // The counts' pieces first: the pieces name their parameters by how many there are.
  const counts = countsPieces(plan, tz, params)
  const people = visitors ? visitorPieces(plan, params, where, visitors.cleanMonths, visitors.sketches) : []
  const parts = [
    ...counts.map(
      (piece) => `
        SELECT ${piece.bucket} AS bucket, ${value} AS val, ${sums.map((s) => `sum(${s}) AS s_${s}`).join(', ')}, toUInt64(0) AS n
        FROM counts_hourly
        WHERE site = {site:String} AND dimension = {dim:String} AND ${piece.range} AND (${where})
        GROUP BY bucket, val`,
    ),
    ...people.map((piece) => unionPart(piece, value, `${sums.map((s) => `0 AS s_${s}`).join(', ')}, `)),
  ]
  return { sql: parts.join('\n        UNION ALL'), sumsRead: counts.some((p) => p.level !== 'hour') || people.some((v) => v.projected) }
}

/**
 * One day's rows of some dimensions of a site (of some values, if given), with every sum and
 * the unique visitors: what the answer cache keeps of today (answer-cache.ts), one query for
 * all of a view's panels.
 * The pieces unionQuery reads for a range of that one day: its hours of `counts_hourly`, its
 * rows of `visitors_daily` (none until it is rolled up), its sketches not rolled up yet.
 */
export function dayQuery(site: string, day: string, tz: string, dimensions: string[], values?: string[]): BuiltQuery {
  const params = {
    site,
    dims: dimensions,
    ...(values ? { vals: values } : {}),
    day,
    from: Math.floor(startOfDay(day, tz) / 1000),
    to: Math.floor(startOfDay(addDays(day, 1), tz) / 1000),
  }
  const zeros = SUMS.map((s) => `0 AS s_${s}`).join(', ')
  // Only these values (rows written since they were read), when given.
  const only = values ? ' AND value IN {vals:Array(String)}' : ''
  const sql = `
    SELECT dimension, value, ${SUMS.map((s) => `sum(s_${s}) AS ${s}`).join(', ')}, sum(n) AS n
    FROM (
        SELECT dimension, value, ${SUMS.map((s) => `sum(${s}) AS s_${s}`).join(', ')}, toUInt64(0) AS n
        FROM counts_hourly
        WHERE site = {site:String} AND dimension IN {dims:Array(String)}${only} AND hour >= toDateTime({from:UInt32}) AND hour < toDateTime({to:UInt32})
        GROUP BY dimension, value
      UNION ALL
        SELECT dimension, value, ${zeros}, visitors AS n
        FROM visitors_daily FINAL
        WHERE site = {site:String} AND dimension IN {dims:Array(String)}${only} AND day = {day:Date}
      UNION ALL
        SELECT dimension, value, ${zeros}, uniqMerge(visitors) AS n
        FROM visitor_sketches
        WHERE site = {site:String} AND dimension IN {dims:Array(String)}${only} AND day = {day:Date} AND day NOT IN (SELECT day FROM rolled_days)
        GROUP BY dimension, value)
    GROUP BY dimension, value
    SETTINGS optimize_use_projections = 0`
  return { sql, params }
}

/** Weighing the projections of every part costs planning time: a query that reads none says so. */
function projectionsSetting(sumsRead: boolean): string {
  return sumsRead ? '' : '\n    SETTINGS optimize_use_projections = 0'
}
