import type { Boot, Lang } from './boot.ts'
import type { Filter } from './model.ts'
import type { Metric } from './model.ts'
import { COMPARE_MODES, INTERVALS, PERIODS, isDay, type CompareChoice, type CompareMode, type Granularity, type Period } from './periods.ts'

/** The top row's seven metrics; each card draws its metric in the chart. */
export const CHART_METRICS = ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration', 'time_on_page'] as const satisfies readonly Metric[]
export type ChartMetric = (typeof CHART_METRICS)[number]

/** Metrics that count: a bucket without data is a zero (for a rate or a duration it is a gap). */
export const isCount = (m: Metric): boolean => m === 'visitors' || m === 'visits' || m === 'pageviews'

/** Everything a view depends on; all of it lives in the URL, so a view can be bookmarked. */
export interface State {
  site: string
  period: Period
  from?: string
  to?: string
  filter?: Filter
  /** the goal shown (its name): the goal view, beside `filter` or alone */
  goal?: string
  metric: ChartMetric
  /** the chart's buckets, when chosen (else the range's own: periods.ts intervalsOf) */
  interval?: Granularity
  /** only when the URL names one */
  lang?: Lang
  /** what the top row and the chart compare with; unset: the previous period (issue 25, comparison modes) */
  compare?: CompareChoice
}

export function readState(search: string, boot: Boot): State {
  const q = new URLSearchParams(search)
  const sites = boot.sites.map((s) => s.domain)
  const asked = q.get('site')
  const site = asked && sites.includes(asked) ? asked : (sites[0] ?? '')
  const p = q.get('period')
  const period: Period = (PERIODS as readonly string[]).includes(p ?? '') ? (p as Period) : '30d'
  const state: State = { site, period, metric: 'visitors' }
  if (period === 'custom') {
    const from = q.get('from')
    const to = q.get('to')
    if (isDay(from) && isDay(to)) Object.assign(state, { from, to })
    else state.period = '30d'
  }
  const f = q.get('f')
  const eq = f?.indexOf('=') ?? -1
  if (f && eq > 0) state.filter = { dim: f.slice(0, eq), value: f.slice(eq + 1) }
  const goal = q.get('goal')
  if (goal) state.goal = goal
  const m = q.get('metric')
  if ((CHART_METRICS as readonly string[]).includes(m ?? '')) state.metric = m as ChartMetric
  const interval = q.get('interval')
  if ((INTERVALS as readonly string[]).includes(interval ?? '')) state.interval = interval as Granularity
  const lang = q.get('lang')
  if (lang === 'lv' || lang === 'en') state.lang = lang
  const compare = readCompare(q)
  if (compare) state.compare = compare
  return state
}

export function writeState(s: State, share: boolean): string {
  const q = new URLSearchParams()
  if (!share && s.site) q.set('site', s.site)
  if (s.period !== '30d') q.set('period', s.period)
  if (s.period === 'custom' && s.from && s.to) {
    q.set('from', s.from)
    q.set('to', s.to)
  }
  if (s.filter) q.set('f', `${s.filter.dim}=${s.filter.value}`)
  if (s.goal) q.set('goal', s.goal)
  if (s.metric !== 'visitors') q.set('metric', s.metric)
  if (s.interval) q.set('interval', s.interval)
  if (s.lang) q.set('lang', s.lang)
  writeCompare(q, s.compare)
  const text = q.toString()
  return text ? `?${text}` : ''
}

// Comparison modes (issue 25, annotations and comparison modes)

/**
 * `compare=previous_period|year_over_year|custom&compare_from=&compare_to=&match_day_of_week=true`;
 * Plausible's own `comparison=` is read too, so its links keep their comparison. Custom without
 * both days is the previous period.
 */
function readCompare(q: URLSearchParams): CompareChoice | undefined {
  const asked = q.get('compare') ?? q.get('comparison')
  const mode = (COMPARE_MODES as readonly string[]).includes(asked ?? '') ? (asked as CompareMode) : 'previous_period'
  const matchDayOfWeek = q.get('match_day_of_week') === 'true'
  const [from, to] = [q.get('compare_from'), q.get('compare_to')]
  if (mode === 'custom') return isDay(from) && isDay(to) ? { mode, from, to } : undefined
  if (mode === 'previous_period' && !matchDayOfWeek) return undefined
  return matchDayOfWeek ? { mode, matchDayOfWeek } : { mode }
}

function writeCompare(q: URLSearchParams, c: CompareChoice | undefined): void {
  if (!c || (c.mode === 'previous_period' && !c.matchDayOfWeek)) return
  q.set('compare', c.mode)
  if (c.mode === 'custom' && c.from && c.to) {
    q.set('compare_from', c.from)
    q.set('compare_to', c.to)
  }
  if (c.mode !== 'custom' && c.matchDayOfWeek) q.set('match_day_of_week', 'true')
}
