import type { Site } from '../sites/sites.ts'
import { autoGranularity, type DayRange, type Granularity } from './date-range.ts'
import { isRateMetric, kindOf, metricsOf, metricUnavailable, nonAdditive, type RowKind } from '../vocabulary/metrics.ts'
import { say, UserError, type MessageCode, type MessageParams } from '../http/messages.ts'
import { TIME_DIMENSIONS, type Filter, type LeafOperator, type Metric, type QueryRequest, type TimeDimension } from './request.ts'

type Kind = RowKind

export interface Plan {
  site: string
  range: DayRange
  /** the one stored dimension the rows come from ('' = site totals) */
  dimension: string
  kind: Kind
  /** whether rows are grouped by that dimension's value */
  byValue: boolean
  granularity: Granularity | undefined
  metrics: Metric[]
  /** the request's dimensions, in order, for shaping the response */
  dimensions: string[]
  filter: Filter | undefined
  orderBy: [string, 'asc' | 'desc'][]
  limit: number
  offset: number
  /** whether the answer counts all its rows (`include.total_rows`) */
  totalRows: boolean
  /** an instant (ms) the answer ends at, before the range's end: the minimum crowd's whole hours */
  until?: number
}

/** A question Skaits refuses to answer (a 400), with the code the dashboard explains it by. */
export class PlanError extends UserError {
  constructor(code: MessageCode, params?: MessageParams) {
    super(say(code, params))
  }
}

const CROSS_TAB =
  'Skaits keeps no cross-tabulations, by design: every count is stored for one dimension alone ' +
  '(docs/design.md, privacy contract rule 6)'

export function plan(req: QueryRequest, site: Pick<Site, 'domain' | 'settings'>, range: DayRange): Plan {
  const timeDims = req.dimensions.filter((d) => d === 'time' || d.startsWith('time:'))
  const otherDims = req.dimensions.filter((d) => !timeDims.includes(d))
  for (const d of timeDims) {
    if (!(TIME_DIMENSIONS as readonly string[]).includes(d)) throw new PlanError('unknown_dimension', { dim: d })
  }
  if (timeDims.length > 1) throw new PlanError('one_time_dimension')
  if (new Set(req.dimensions).size !== req.dimensions.length) throw new PlanError('dimension_twice')
  if (otherDims.length > 1) {
    throw new PlanError('cross_tab_breakdown', { why: CROSS_TAB, a: otherDims[0]!, b: otherDims[1]! })
  }
  const grouped = otherDims[0]
  const filterDims = [...new Set(req.filters.flatMap(leafDimensions))]
  for (const d of [...(grouped ? [grouped] : []), ...filterDims]) {
    if (!kindOf(d)) throw new PlanError('unknown_dimension', { dim: d })
  }
  if (filterDims.length > 1) {
    throw new PlanError('cross_tab_filters', { why: CROSS_TAB, a: filterDims[0]!, b: filterDims[1]! })
  }
  const filtered = filterDims[0]
  if (grouped && filtered && grouped !== filtered) {
    throw new PlanError('cross_tab_filtered', { why: CROSS_TAB, a: grouped, b: filtered })
  }
  const dimension = grouped ?? filtered ?? ''
  const kind = kindOf(dimension)!
  const allowed = metricsOf(kind)
  const rate = req.metrics.find(isRateMetric)
  if (rate) throw new PlanError('goal_metric_needs_goal', { metric: rate })
  const metrics = req.metrics as Metric[]
  for (const m of metrics) {
    if (!allowed.includes(m)) {
      throw new PlanError(dimension ? 'metric_unavailable' : 'metric_unavailable_total', { metric: m, dim: dimension, allowed: allowed.join(', ') })
    }
  }
  if (metrics.some((m) => metricUnavailable(m, dimension, { from: range.from }) === 'visitors')) {
    throw new PlanError('exit_visitors')
  }
  const filter: Filter | undefined = req.filters.length > 1 ? ['and', req.filters] : req.filters[0]
  if (filter && !grouped && !isSingleValue(filter)) {
    const bad = metrics.filter((m) => nonAdditive(kind).includes(m))
    if (bad.length) {
      throw new PlanError('non_additive', { metrics: bad.join(', '), dim: dimension })
    }
  }
  const since = site.settings.sectionsSince
  if (since) {
    const bad = metrics.filter((m) => metricUnavailable(m, dimension, { from: range.from, sectionsSince: since }) === 'sections')
    if (bad.length) {
      throw new PlanError('sections_since', { metrics: bad.join(', '), since })
    }
  }
  const time = timeDims[0] as TimeDimension | undefined
  const granularity = time === undefined ? undefined : time === 'time' ? autoGranularity(range) : (time.slice(5) as Granularity)
  if (granularity === 'hour' && dimension !== '' && !(range.today && range.from >= range.today)) {
    throw new PlanError('hours_today_only', { dim: dimension })
  }
  const orderBy = req.order_by ?? defaultOrder(metrics, time, grouped)
  for (const [key] of orderBy) {
    if (!(req.metrics as string[]).includes(key) && !req.dimensions.includes(key)) {
      throw new PlanError('order_by_unknown', { key })
    }
  }
  return {
    site: site.domain,
    range,
    dimension,
    kind,
    byValue: Boolean(grouped),
    granularity,
    metrics,
    dimensions: req.dimensions,
    filter,
    orderBy,
    limit: req.pagination.limit,
    offset: req.pagination.offset,
    totalRows: req.include.total_rows === true,
  }
}

function defaultOrder(metrics: Metric[], time: string | undefined, grouped: string | undefined): [string, 'asc' | 'desc'][] {
  const order: [string, 'asc' | 'desc'][] = []
  if (time) order.push([time, 'asc'])
  if (grouped) order.push([metrics[0]!, 'desc'], [grouped, 'asc'])
  return order
}

function leafDimensions(f: Filter): string[] {
  if (f[0] === 'and' || f[0] === 'or') return (f[1] as Filter[]).flatMap(leafDimensions)
  if (f[0] === 'not') return leafDimensions(f[1] as Filter)
  return [f[1] as string]
}

function isSingleValue(f: Filter): boolean {
  return f[0] === 'is' && (f[2] as string[]).length === 1
}

export type { LeafOperator }
