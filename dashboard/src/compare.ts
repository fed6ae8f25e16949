/**
 * The top row's numbers and their change against the previous period, cut to the same elapsed
 * part when the range is under way (periods.ts: comparedRange).
 */
import type { QueryResult } from './api.ts'
import type { Metric } from './model.ts'

/** A value per metric; null where there is none (a ratio of nothing). */
export type Totals = Partial<Record<Metric, number | null>>

/** Metrics that add up over days and hours (unique visitors too: a visitor is counted once a day). */
const ADDITIVE: readonly Metric[] = ['visitors', 'visits', 'pageviews', 'events']

/** What a ratio is an average over, to combine the ratios of two parts (time on page: pageviews stand in for engaged pageviews). */
const RATIO_OF: Partial<Record<Metric, Metric>> = {
  views_per_visit: 'visits',
  bounce_rate: 'visits',
  visit_duration: 'visits',
  time_on_page: 'pageviews',
}

export function totalsOf(answer: QueryResult, metrics: Metric[]): Totals {
  const row = answer.results[0]?.metrics
  return Object.fromEntries(metrics.map((m, i) => [m, row ? (row[i] ?? null) : ADDITIVE.includes(m) ? 0 : null]))
}

/** One hour of a day (time:hour rows): its hour and its values. */
export interface HourRow {
  hour: number
  values: Totals
}

export function hoursOf(answer: QueryResult, metrics: Metric[]): HourRow[] {
  return answer.results.map((row) => ({
    hour: Number(row.dimensions[0]!.slice(11, 13)),
    values: Object.fromEntries(metrics.map((m, i) => [m, row.metrics[i] ?? null])),
  }))
}

/** How much of an hour lies before a time of day: whole hours before it, the minutes of the hour under way. */
function hourBefore(hour: number, untilMinute: number): number {
  return Math.min(1, Math.max(0, (untilMinute - hour * 60) / 60))
}

/**
 * A day's totals until a time of day. The Stats API counts whole days, and a closed day keeps
 * hours for the site total alone (nothing by page or source, no unique visitors across its
 * hours), so the day's totals are scaled by how the site's hours before that time compare with
 * the whole day: a sum by its share of the day, a ratio by how its average differs from the
 * day's. Unfiltered visits and pageviews come out exact; unique visitors and filtered views are
 * estimates in proportion to the site's traffic.
 */
export function untilTimeOfDay(day: Totals, siteHours: HourRow[], untilMinute: number, metrics: Metric[]): Totals {
  const out: Totals = {}
  for (const m of metrics) {
    const v = day[m]
    if (v === null || v === undefined) {
      out[m] = v ?? null
      continue
    }
    const weightOf = RATIO_OF[m]
    if (!weightOf) {
      const whole = sum(siteHours, (h) => h.values[m] ?? 0)
      const before = sum(siteHours, (h) => hourBefore(h.hour, untilMinute) * (h.values[m] ?? 0))
      out[m] = v * (whole > 0 ? before / whole : untilMinute / 1440)
      continue
    }
    const average = (share: (h: HourRow) => number) => {
      const rows = siteHours.filter((h) => h.values[m] !== null && h.values[m] !== undefined)
      const weight = sum(rows, (h) => share(h) * (h.values[weightOf] ?? 0))
      return weight > 0 ? sum(rows, (h) => share(h) * (h.values[weightOf] ?? 0) * h.values[m]!) / weight : undefined
    }
    const whole = average(() => 1)
    const before = average((h) => hourBefore(h.hour, untilMinute))
    out[m] = whole && before !== undefined ? (v * before) / whole : v
  }
  return out
}

/** The totals of two parts of a period: sums added, ratios averaged over what they are ratios of. */
export function combined(a: Totals, b: Totals, metrics: Metric[]): Totals {
  const out: Totals = {}
  for (const m of metrics) {
    const [x, y] = [a[m] ?? null, b[m] ?? null]
    if (!RATIO_OF[m]) {
      out[m] = x === null && y === null ? null : (x ?? 0) + (y ?? 0)
      continue
    }
    const by = [RATIO_OF[m]!, 'pageviews' as const, 'visitors' as const].find((w) => metrics.includes(w))
    const [wx, wy] = by ? [a[by] ?? 0, b[by] ?? 0] : [1, 1]
    out[m] = x === null ? y : y === null || wx + wy === 0 ? x : (x * wx + y * wy) / (wx + wy)
  }
  return out
}

/** The change from `before` to `now` in percent (bounce rate: percentage points), rounded; undefined from (next to) nothing. */
export function changeBetween(m: Metric, now: number, before: number): number | undefined {
  if (m === 'bounce_rate') return Math.round(now - before)
  // Under half a visit before (a part of a day, scaled) is none.
  if (before === 0 || (ADDITIVE.includes(m) && Math.round(before) === 0)) return undefined
  return Math.round((100 * (now - before)) / before)
}

/** Whether a previous period has no traffic at all (its ratios, such as a bounce rate of 0, then mean nothing). */
export function isEmpty(t: Totals, metrics: Metric[]): boolean {
  const sums = metrics.filter((m) => ADDITIVE.includes(m))
  return sums.length > 0 && sums.every((m) => Math.round(t[m] ?? 0) === 0)
}

function sum<T>(xs: T[], f: (x: T) => number): number {
  let s = 0
  for (const x of xs) s += f(x)
  return s
}
