/**
 * What Skaits' one-dimension model can answer, mirrored from server/stats/plan.ts so the
 * dashboard never asks for (or shows) a cross-tabulation. When the server refuses anyway,
 * its 400 message is shown instead.
 */

export const METRICS = [
  'visitors',
  'visits',
  'pageviews',
  'views_per_visit',
  'bounce_rate',
  'visit_duration',
  'time_on_page',
  'scroll_depth',
  'events',
] as const
export type Metric = (typeof METRICS)[number]

export type Kind = 'total' | 'page' | 'event' | 'visit'

export function kindOf(dim: string | undefined): Kind {
  if (!dim) return 'total'
  if (dim === 'event:page' || dim === 'event:section') return 'page'
  if (dim.startsWith('event:')) return 'event'
  return 'visit'
}

const BY_KIND: Record<Kind, readonly Metric[]> = {
  total: METRICS,
  page: ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'time_on_page', 'scroll_depth', 'events'],
  event: ['visitors', 'events'],
  visit: ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration', 'events'],
}

export interface Filter {
  dim: string
  value: string
}

export interface Context {
  /** the first day asked for */
  from: string
  /** per-section visits and visitors exist from this day on */
  sectionsSince?: string
}

/** Whether `metric` can be read for rows of `dim` (grouped by it, or filtered on one value). */
export function metricAvailable(metric: Metric, dim: string | undefined, ctx: Context): boolean {
  if (!BY_KIND[kindOf(dim)].includes(metric)) return false
  // A visitor cannot leave a unique count when their exit page moves.
  if (dim === 'visit:exit_page' && metric === 'visitors') return false
  if (dim === 'event:section' && ctx.sectionsSince && ctx.from < ctx.sectionsSince) {
    if (metric === 'visitors' || metric === 'visits' || metric === 'views_per_visit') return false
  }
  return true
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
