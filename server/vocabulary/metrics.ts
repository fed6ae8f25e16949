/**
 * Every metric Skaits answers, said once: the sums it reads from `counts_hourly` and how it
 * combines them. Stats SQL (stats/metric-sql.ts), the query planner and the dashboard import it.
 */
import { dimension, type DimensionKind } from './dimensions.ts'

/**
 * The columns of `counts_hourly` that are summed: exactly what an event's cells increment
 * (sessions/cells.ts), in the tables' column order.
 */
export const SUMS = [
  'pageviews',
  'visits',
  'bounces',
  'duration',
  'events',
  'entries',
  'exits',
  'engaged_ms',
  'engaged_n',
  'scroll_sum',
  'scroll_n',
  /** goals only: revenue in the goal currency's minor units, and how many amounts it sums */
  'revenue',
  'revenue_n',
] as const
export type Sum = (typeof SUMS)[number]

/**
 * How a metric is worked out: unique visitors (from the visitor tables, not the sums), one
 * sum, or a ratio of two, rounded, with `empty` when the denominator is 0.
 */
export type Combine =
  | { unique: true }
  | { sum: Sum }
  | {
      ratio: readonly [Sum, Sum]
      /** the ratio on page rows, when it differs (a page's bounce rate is that of the visits entering on it) */
      onPages?: readonly [Sum, Sum]
      times?: number
      divide?: number
      digits?: number
      empty: 0 | null
    }

export interface MetricDef {
  combine: Combine
  /**
   * Whether it counts each visitor or visit once per value: summed over several values it
   * would count one twice, and relabeling a page's section cannot move it.
   */
  distinct?: 'visitor' | 'visit'
  /** the row kinds it exists for ('total' is the site total) */
  kinds: readonly (DimensionKind | 'total')[]
}

const ALL = ['total', 'page', 'event', 'visit', 'goal', 'funnel'] as const
const TRAFFIC = ['total', 'page', 'visit'] as const

export const METRIC_DEFS = {
  visitors: { combine: { unique: true }, distinct: 'visitor', kinds: ALL },
  /** on a goal's rows, the conversions: visits that completed it (once per visit) */
  visits: { combine: { sum: 'visits' }, distinct: 'visit', kinds: [...TRAFFIC, 'goal', 'funnel'] },
  pageviews: { combine: { sum: 'pageviews' }, kinds: TRAFFIC },
  views_per_visit: { combine: { ratio: ['pageviews', 'visits'], digits: 2, empty: 0 }, distinct: 'visit', kinds: TRAFFIC },
  bounce_rate: { combine: { ratio: ['bounces', 'visits'], onPages: ['bounces', 'entries'], times: 100, empty: 0 }, kinds: TRAFFIC },
  /** on a funnel step's rows, the average seconds from the first step to this one */
  visit_duration: { combine: { ratio: ['duration', 'visits'], empty: 0 }, kinds: ['total', 'visit', 'funnel'] },
  time_on_page: { combine: { ratio: ['engaged_ms', 'engaged_n'], divide: 1000, empty: null }, kinds: ['total', 'page'] },
  scroll_depth: { combine: { ratio: ['scroll_sum', 'scroll_n'], empty: null }, kinds: ['total', 'page'] },
  /** on a goal's rows, the completions */
  events: { combine: { sum: 'events' }, kinds: ALL },
  /** in the goal currency's minor units; the Stats API shows money (goals/money.ts) */
  total_revenue: { combine: { sum: 'revenue' }, kinds: ['goal'] },
  average_revenue: { combine: { ratio: ['revenue', 'revenue_n'], empty: null }, kinds: ['goal'] },
} as const satisfies Record<string, MetricDef>

export type Metric = keyof typeof METRIC_DEFS
export const METRICS = Object.keys(METRIC_DEFS) as [Metric, ...Metric[]]

/**
 * Rates the Stats API works out from two answers (stats/goals.ts), as Plausible names them:
 * converting visitors ÷ all visitors of the site (`conversion_rate`) or of the row's value
 * (`group_conversion_rate`), both counts that exist.
 */
export const RATE_METRICS = ['conversion_rate', 'group_conversion_rate'] as const
export type RateMetric = (typeof RATE_METRICS)[number]
/** Every metric a Stats API request may name. */
export const API_METRICS = [...METRICS, ...RATE_METRICS] as [Metric | RateMetric, ...(Metric | RateMetric)[]]
export type ApiMetric = Metric | RateMetric
export const isRateMetric = (m: string): m is RateMetric => (RATE_METRICS as readonly string[]).includes(m)

/** The kind of rows a dimension has: '' is the site total; undefined for an unknown dimension. */
export type RowKind = DimensionKind | 'total'
export function kindOf(dim: string | undefined): RowKind | undefined {
  return dim ? dimension(dim)?.kind : 'total'
}

/** The metrics rows of a kind have, in METRICS order. */
export function metricsOf(kind: RowKind): Metric[] {
  return METRICS.filter((m) => (METRIC_DEFS[m].kinds as readonly RowKind[]).includes(kind))
}

/** Metrics that cannot be summed over several values of a dimension of this kind without double counting. */
export function nonAdditive(kind: RowKind): Metric[] {
  // A visit has one value of a visit dimension: its visits add up over values; its visitor may come back with another.
  return METRICS.filter((m) => {
    const d: MetricDef = METRIC_DEFS[m]
    return d.distinct === 'visitor' || (d.distinct === 'visit' && kind !== 'visit')
  })
}

/** Metrics per section that relabeling the sections cannot carry back in time (a visit counts once per section). */
const LOST_BY_RELABEL: readonly Metric[] = METRICS.filter((m) => (METRIC_DEFS[m] as MetricDef).distinct !== undefined)

export interface MetricContext {
  /** the first day asked for */
  from: string
  /** per-section visits and visitors exist from this day on (the section rules last changed) */
  sectionsSince?: string | undefined
}

/** Why `metric` cannot be read for rows of `dim` (grouped by it, or filtered on one value); undefined when it can. */
export function metricUnavailable(metric: Metric, dim: string | undefined, ctx: MetricContext): 'kind' | 'visitors' | 'sections' | undefined {
  const kind = kindOf(dim)
  if (!kind || !metricsOf(kind).includes(metric)) return 'kind'
  if (metric === 'visitors' && dim && dimension(dim)?.visitors === false) return 'visitors'
  if (dim === 'event:section' && ctx.sectionsSince && ctx.from < ctx.sectionsSince && LOST_BY_RELABEL.includes(metric)) return 'sections'
  return undefined
}
