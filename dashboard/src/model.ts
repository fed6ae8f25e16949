/**
 * What Skaits' one-dimension model can answer, from the server's own vocabulary
 * (server/vocabulary/), so the dashboard never asks for (or shows) a cross-tabulation. When the
 * server refuses anyway, its 400 message is shown instead.
 */
import { metricUnavailable, type Metric, type MetricContext } from '../../server/vocabulary/metrics.ts'

export { METRICS, type Metric } from '../../server/vocabulary/metrics.ts'

export interface Filter {
  dim: string
  value: string
}

export type Context = MetricContext

/** Whether `metric` can be read for rows of `dim` (grouped by it, or filtered on one value). */
export function metricAvailable(metric: Metric, dim: string | undefined, ctx: Context): boolean {
  return metricUnavailable(metric, dim, ctx) === undefined
}

/**
 * Whether a panel grouped by `dim` can be shown with `filter` active: only when the filter
 * is on that same dimension (any other combination is a cross-tabulation).
 */
export function panelAvailable(dim: string, filter: Filter | undefined): boolean {
  return !filter || filter.dim === dim
}

/** The Stats API filter for the dashboard's one filter, plus a panel's own (e.g. no pageviews among events). */
export function apiFilters(filter: Filter | undefined, extra: unknown[] = []): unknown[] {
  return [...(filter ? [['is', filter.dim, [filter.value]]] : []), ...extra]
}
