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

/**
 * Builds one query: counts from `counts_hourly`, unique visitors from the integer tables for
 * closed days plus the 48 h sketches for days not yet rolled up. Every value is a query
 * parameter; only names chosen from fixed lists here are written into the SQL text.
 */
export function buildQuery(plan: Plan, tz: string): BuiltQuery {
  const params: Record<string, unknown> = {
    site: plan.site,
    dim: plan.dimension,
    tz,
    from: Math.floor(startOfDay(plan.range.from, tz) / 1000),
    to: Math.floor(startOfDay(addDays(plan.range.to, 1), tz) / 1000),
    fromDay: plan.range.from,
    toDay: plan.range.to,
    limit: plan.limit,
    offset: plan.offset,
  }
  const where = filterSql(plan.filter, params)
  const value = plan.byValue ? 'value' : "''"
  const hourly = plan.granularity === 'hour'

  const counts = `
    SELECT ${bucketOfHour(plan)} AS bucket, ${value} AS val, ${SUMS.map((s) => `sum(${s}) AS ${s}`).join(', ')}
    FROM counts_hourly
    WHERE site = {site:String} AND dimension = {dim:String}
      AND hour >= toDateTime({from:UInt32}) AND hour < toDateTime({to:UInt32}) AND (${where})
    GROUP BY bucket, val
    HAVING ${SUMS.map((s) => `${s} != 0`).join(' OR ')}`

  const needsVisitors = plan.metrics.includes('visitors')
  const uniques = hourly
    ? `
    SELECT bucket, val, sum(n) AS visitors FROM (
      SELECT ${bucketOfHour(plan)} AS bucket, ${value} AS val, visitors AS n
      FROM visitors_hourly FINAL
      WHERE site = {site:String} AND dimension = {dim:String}
        AND hour >= toDateTime({from:UInt32}) AND hour < toDateTime({to:UInt32}) AND (${where})
      UNION ALL
      SELECT ${bucketOfHour(plan)} AS bucket, ${value} AS val, uniqMerge(visitors) AS n
      FROM visitor_sketches
      WHERE site = {site:String} AND dimension = {dim:String} AND day BETWEEN {fromDay:Date} AND {toDay:Date}
        AND hour >= toDateTime({from:UInt32}) AND hour < toDateTime({to:UInt32})
        AND day NOT IN (SELECT day FROM rolled_days) AND (${where})
      GROUP BY hour, bucket, val
    ) GROUP BY bucket, val`
    : `
    SELECT bucket, val, sum(n) AS visitors FROM (
      SELECT ${bucketOfDay(plan)} AS bucket, ${value} AS val, visitors AS n
      FROM visitors_daily FINAL
      WHERE site = {site:String} AND dimension = {dim:String} AND day BETWEEN {fromDay:Date} AND {toDay:Date} AND (${where})
      UNION ALL
      SELECT ${bucketOfDay(plan)} AS bucket, ${value} AS val, uniqMerge(visitors) AS n
      FROM visitor_sketches
      WHERE site = {site:String} AND dimension = {dim:String} AND day BETWEEN {fromDay:Date} AND {toDay:Date}
        AND day NOT IN (SELECT day FROM rolled_days) AND (${where})
      GROUP BY day, bucket, val
    ) GROUP BY bucket, val`

  const select = plan.metrics.map((m) => `${metricSql(m, plan)} AS ${m}`).join(', ')
  const order = plan.orderBy.map(([key, dir]) => `${orderKey(key, plan)} ${dir === 'asc' ? 'ASC' : 'DESC'}`)
  const sql = `
    WITH counts AS (${counts})${needsVisitors ? `, uniques AS (${uniques})` : ''}
    SELECT counts.bucket AS bucket, counts.val AS val, ${select}, count() OVER () AS total_rows
    FROM counts ${needsVisitors ? 'LEFT JOIN uniques ON counts.bucket = uniques.bucket AND counts.val = uniques.val' : ''}
    ${order.length ? `ORDER BY ${order.join(', ')}` : ''}
    LIMIT {limit:UInt32} OFFSET {offset:UInt32}`
  return { sql, params }
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

function metricSql(m: Metric, plan: Plan): string {
  switch (m) {
    case 'visitors':
      return 'uniques.visitors'
    case 'visits':
    case 'pageviews':
    case 'events':
      return `counts.${m}`
    case 'views_per_visit':
      return 'if(counts.visits > 0, round(counts.pageviews / counts.visits, 2), 0)'
    case 'bounce_rate':
      // A page's bounce rate is that of the visits that entered on it.
      return plan.kind === 'page'
        ? 'if(counts.entries > 0, round(100 * counts.bounces / counts.entries), 0)'
        : 'if(counts.visits > 0, round(100 * counts.bounces / counts.visits), 0)'
    case 'visit_duration':
      return 'if(counts.visits > 0, round(counts.duration / counts.visits), 0)'
    case 'time_on_page':
      return 'if(counts.engaged_n > 0, round(counts.engaged_ms / counts.engaged_n / 1000), NULL)'
    case 'scroll_depth':
      return 'if(counts.scroll_n > 0, round(counts.scroll_sum / counts.scroll_n), NULL)'
  }
}

function orderKey(key: string, plan: Plan): string {
  if (key === 'time' || key.startsWith('time:')) return 'bucket'
  if (key === plan.dimension) return 'val'
  return key
}

/** A filter tree as SQL over the `value` column, its values bound as parameters. */
function filterSql(filter: Filter | undefined, params: Record<string, unknown>): string {
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
