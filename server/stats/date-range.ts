import { dayNumber, isoDate, mondayOf } from '../calendar.ts'
import { say, type Said } from '../http/messages.ts'
import { addDays, dayOf, isValidDay } from '../time.ts'

export interface DayRange {
  from: string
  to: string
  /** the instance's current day, when the range was resolved against the clock */
  today?: string
}

/** Resolves a Plausible `date_range` to inclusive calendar days in the reporting time zone. */
export function resolveDateRange(
  range: string | [string, string],
  now: number,
  tz: string,
  siteCreatedAt: number,
): DayRange | Said {
  const today = dayOf(now, tz)
  if (Array.isArray(range)) {
    const [from, to] = range.map((d) => d.slice(0, 10)) as [string, string]
    if (!isValidDay(from) || !isValidDay(to)) return say('date_invalid')
    if (from > to) return say('date_reversed')
    if (from < addDays(to, -3700)) return say('date_too_long')
    return { from, to, today }
  }
  const [y, m] = today.split('-').map(Number) as [number, number]
  const monthStart = (monthsBack: number) => {
    const d = new Date(Date.UTC(y, m - 1 - monthsBack, 1))
    return d.toISOString().slice(0, 10)
  }
  if (range === 'day' || range === 'today') return { from: today, to: today, today }
  if (range === 'yesterday') return { from: addDays(today, -1), to: addDays(today, -1), today }
  if (range === 'month') return { from: monthStart(0), to: today, today }
  if (range === 'year') return { from: `${y}-01-01`, to: today, today }
  if (range === 'all') {
    const created = dayOf(siteCreatedAt, tz)
    return { from: created < today ? created : today, to: today, today }
  }
  const days = /^(\d+)d$/.exec(range)
  if (days) {
    const n = Number(days[1])
    if (n < 1 || n > 3700) return say('date_days')
    return { from: addDays(today, -(n - 1)), to: today, today }
  }
  const months = /^(\d+)mo$/.exec(range)
  if (months) {
    const n = Number(months[1])
    if (n < 1 || n > 120) return say('date_months')
    return { from: monthStart(n - 1), to: today, today }
  }
  return say('date_unknown', { range })
}

export type Granularity = 'hour' | 'day' | 'week' | 'month'

/** Every bucket label of a range, for `include.time_labels` and for filling gaps. */
export function timeLabels(range: DayRange, granularity: Granularity): string[] {
  const labels: string[] = []
  if (granularity === 'hour') {
    for (let d = range.from; d <= range.to; d = addDays(d, 1)) {
      for (let h = 0; h < 24; h++) labels.push(`${d} ${h < 10 ? '0' : ''}${h}:00:00`)
    }
    return labels
  }
  const seen = new Set<string>()
  for (let d = range.from; d <= range.to; d = addDays(d, 1)) {
    const label = granularity === 'day' ? d : granularity === 'month' ? `${d.slice(0, 7)}-01` : isoDate(mondayOf(dayNumber(d)!))
    if (!seen.has(label)) {
      seen.add(label)
      labels.push(label)
    }
  }
  return labels
}

/** `time` picks a granularity that suits the range, as Plausible's dashboard does. */
export function autoGranularity(range: DayRange): Granularity {
  const days = (Date.parse(range.to) - Date.parse(range.from)) / 86_400_000 + 1
  if (days <= 1) return 'hour'
  if (days <= 92) return 'day'
  return 'month'
}
