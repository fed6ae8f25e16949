import { countsPieces } from '../../server/stats/counts-pieces.ts'
import { filterSql, metricSql, orderKey, sumsOf, type MetricSources } from '../../server/stats/metric-sql.ts'
import type { Plan } from '../../server/stats/plan.ts'
import { baseParams, type BuiltQuery } from '../../server/stats/queries.ts'
import { unionPart, visitorPieces } from '../../server/stats/visitor-pieces.ts'

/** The metrics' numbers in the oracle's join: the counts' sums and the uniques' visitors. */
const joined: MetricSources = { visitors: 'uniques.visitors', count: (c) => `counts.${c}` }

/**
 * Builds one query: counts from `counts_hourly`, unique visitors from the integer tables for
 * closed days plus the 48 h sketches for days not yet rolled up, joined. Every value is a query
 * parameter; only names chosen from fixed lists here are written into the SQL text.
 * `cleanMonths` ('YYYY-MM-01') are months of `visitors_daily` known to hold each key once
 * (see duplicateFreeMonths), so their rows can be summed without FINAL.
 * The plainest form of an answer: the tests hold every answer to it (with FINAL everywhere and
 * projections off). The server asks queries that cost less to plan (server/stats/queries.ts,
 * run.ts).
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
