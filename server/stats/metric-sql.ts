import { METRIC_DEFS, SUMS, type Combine, type Sum } from '../vocabulary/metrics.ts'
import type { Plan } from './plan.ts'
import type { Filter, Metric } from './request.ts'

/**
 * The SQL of a plan's metrics (from their definitions in server/vocabulary/metrics.ts), of its
 * filter and of its order, and the sums of `counts_hourly` those metrics read.
 */

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
 * Where a metric's numbers come from: the columns the server's queries sum (queries.ts), or
 * the joined `counts` and `uniques` of the tests' oracle.
 */
export interface MetricSources {
  visitors: string
  count: (column: Sum) => string
}

export function metricSql(m: Metric, plan: Plan, from: MetricSources): string {
  const how: Combine = METRIC_DEFS[m].combine
  if ('unique' in how) return from.visitors
  if ('sum' in how) return from.count(how.sum)
  const [num, den] = plan.kind === 'page' && how.onPages ? how.onPages : how.ratio
  const ratio = `${how.times ? `${how.times} * ` : ''}${from.count(num)} / ${from.count(den)}${how.divide ? ` / ${how.divide}` : ''}`
  return `if(${from.count(den)} > 0, round(${ratio}${how.digits ? `, ${how.digits}` : ''}), ${how.empty ?? 'NULL'})`
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
