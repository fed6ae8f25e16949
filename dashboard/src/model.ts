/**
 * What Skaits' one-dimension model can answer, from the server's own vocabulary
 * (server/vocabulary/), so the dashboard never asks for (or shows) a cross-tabulation. When the
 * server refuses anyway, its 400 message is shown instead.
 */
import { GOAL_BREAKDOWNS } from '../../server/vocabulary/dimensions.ts'
import { metricUnavailable, type Metric, type MetricContext } from '../../server/vocabulary/metrics.ts'

export { METRICS, type ApiMetric, type Metric } from '../../server/vocabulary/metrics.ts'

export interface Filter {
  dim: string
  value: string
}

export type Context = MetricContext

/** Whether `metric` can be read for rows of `dim` (grouped by it, or filtered on one value). */
export function metricAvailable(metric: Metric, dim: string | undefined, ctx: Context): boolean {
  return metricUnavailable(metric, dim, ctx) === undefined
}

/** Whether a goal's conversions are kept by `dim` (one dimension at a time, never the exit page). */
export function goalBreaks(dim: string): boolean {
  return (GOAL_BREAKDOWNS as readonly string[]).includes(dim)
}

/**
 * Whether a panel grouped by `dim` can be shown with `filter` active: only when the filter
 * is on that same dimension (any other combination is a cross-tabulation); with a goal chosen,
 * only by a dimension the goal is kept by.
 */
export function panelAvailable(dim: string, filter: Filter | undefined, goal?: string): boolean {
  return (!filter || filter.dim === dim) && (goal === undefined || goalBreaks(dim))
}

/**
 * The Stats API filters for the dashboard's one filter and its chosen goal, plus a panel's own
 * (e.g. no pageviews among events).
 */
export function apiFilters(filter: Filter | undefined, extra: unknown[] = [], goal?: string): unknown[] {
  return [...(goal === undefined ? [] : [['is', 'event:goal', [goal]]]), ...(filter ? [['is', filter.dim, [filter.value]]] : []), ...extra]
}
