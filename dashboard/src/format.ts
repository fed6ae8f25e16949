import { getLang } from './i18n.ts'
import type { ApiMetric } from './model.ts'

/** Revenue as the Stats API answers it (server/goals/money.ts): `{short, long, value, currency}`. */
export interface Money {
  short: string
  long: string
  value: number
  currency: string
}

const numberFormats = new Map<string, Intl.NumberFormat>()
function nf(options: Intl.NumberFormatOptions = {}): Intl.NumberFormat {
  const key = getLang() + JSON.stringify(options)
  let f = numberFormats.get(key)
  if (!f) numberFormats.set(key, (f = new Intl.NumberFormat(getLang() === 'lv' ? 'lv-LV' : 'en-GB', options)))
  return f
}

/** Exact, with thousands separators. */
export function exact(n: number): string {
  return nf({ maximumFractionDigits: 2 }).format(n)
}

/**
 * Short for the top row and tables: 1,234 / 12.3k / 459k / 1.2M, in both languages (Latvian's
 * own "459 tūkst." does not fit a table column).
 */
export function short(n: number): string {
  const a = Math.abs(n)
  if (a < 10_000) return exact(n)
  if (a < 999_500) return `${nf({ maximumFractionDigits: a < 100_000 ? 1 : 0 }).format(n / 1000)}k`
  return `${nf({ maximumFractionDigits: 1 }).format(n / 1_000_000)}M`
}

/** Seconds as "1m 05s" / "2h 10m". */
export function duration(seconds: number): string {
  const s = Math.round(seconds)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}

/** A metric's value as shown in the top row and the panels; null is "no data" (—). */
export function metricValue(metric: ApiMetric, v: number | null | undefined, compact = true): string {
  if (v === null || v === undefined) return '—'
  switch (metric) {
    case 'bounce_rate':
    case 'scroll_depth':
    case 'conversion_rate':
    case 'group_conversion_rate':
      return `${exact(v)}%`
    case 'visit_duration':
    case 'time_on_page':
      return duration(v)
    case 'views_per_visit':
      return nf({ maximumFractionDigits: 2, minimumFractionDigits: 0 }).format(v)
    default:
      return compact ? short(v) : exact(v)
  }
}

/** Revenue as the Stats API answers it (goals/money.ts), in the page's language: "€30.50", "30,50 €". */
export function moneyText(m: Money): string {
  return nf({ style: 'currency', currency: m.currency }).format(m.value)
}

export function isMoney(v: unknown): v is Money {
  return typeof v === 'object' && v !== null && typeof (v as Money).value === 'number' && typeof (v as Money).currency === 'string'
}

/** A day (YYYY-MM-DD) as "5 Nov 2026" / "2026. gada 5. nov.". */
export function dayLabel(day: string, withYear = true): string {
  const d = new Date(`${day}T00:00:00Z`)
  return d.toLocaleDateString(getLang() === 'lv' ? 'lv-LV' : 'en-GB', {
    timeZone: 'UTC',
    day: 'numeric',
    month: 'short',
    ...(withYear ? { year: 'numeric' } : {}),
  })
}

export function monthLabel(day: string): string {
  return new Date(`${day.slice(0, 7)}-01T00:00:00Z`).toLocaleDateString(getLang() === 'lv' ? 'lv-LV' : 'en-GB', {
    timeZone: 'UTC',
    month: 'short',
    year: 'numeric',
  })
}

/** Runs of days ([first, last]): "1 Mar – 31 Mar 2025, 5 Apr 2025". */
export function periodsText(periods: [string, string][]): string {
  return periods.map(([a, b]) => (a === b ? dayLabel(a) : `${dayLabel(a, a.slice(0, 4) !== b.slice(0, 4))} – ${dayLabel(b)}`)).join(', ')
}
