/** Date ranges of the dashboard, resolved to calendar days of the server's time zone. */

export const PERIODS = ['day', 'yesterday', '7d', '30d', 'month', 'lastmonth', '12mo', 'all', 'custom'] as const
export type Period = (typeof PERIODS)[number]
export const INTERVALS = ['hour', 'day', 'week', 'month'] as const
export type Granularity = (typeof INTERVALS)[number]

export interface DayRange {
  from: string
  to: string
}

export interface Range extends DayRange {
  period: Period
  granularity: Granularity
  /** what the Stats API is asked: a named range where it has one, else the two days */
  apiRange: string | [string, string]
}

export function addDays(day: string, n: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number]
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10)
}

function lastDayOfMonth(y: number, m0: number): number {
  return new Date(Date.UTC(y, m0 + 1, 0)).getUTCDate()
}

/** The same day `n` months later, clamped to the month's end; a month's last day stays last. */
export function addMonths(day: string, n: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number]
  const target = new Date(Date.UTC(y, m - 1 + n, 1))
  const ty = target.getUTCFullYear()
  const tm = target.getUTCMonth()
  const last = lastDayOfMonth(ty, tm)
  const dd = d === lastDayOfMonth(y, m - 1) ? last : Math.min(d, last)
  return `${ty}-${String(tm + 1).padStart(2, '0')}-${String(dd).padStart(2, '0')}`
}

export function daysIn(r: DayRange): number {
  return Math.round((Date.parse(r.to) - Date.parse(r.from)) / 86_400_000) + 1
}

/** Hourly for a day, daily up to a quarter, monthly beyond (as the Stats API's `time`). */
export function granularityOf(r: DayRange): Granularity {
  const days = daysIn(r)
  if (days <= 1) return 'hour'
  if (days <= 92) return 'day'
  return 'month'
}

/**
 * The chart's buckets a range can be drawn in: hours for one day; otherwise days (up to a year
 * of points), weeks (from two of them) and months (beyond one).
 */
export function intervalsOf(r: DayRange): Granularity[] {
  const days = daysIn(r)
  if (days <= 1) return ['hour']
  const out: Granularity[] = []
  if (days <= 366) out.push('day')
  if (days >= 14) out.push('week')
  if (days > 31) out.push('month')
  return out
}

/** The Monday a day's week starts on (weeks as the Stats API's time:week counts them). */
export function mondayOf(day: string): string {
  const weekday = (new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7
  return addDays(day, -weekday)
}

/** The first day of the bucket holding `day`. */
export function bucketStart(day: string, g: Granularity): string {
  return g === 'month' ? `${day.slice(0, 8)}01` : g === 'week' ? mondayOf(day) : day
}

export const isDay = (s: string | null | undefined): s is string =>
  Boolean(s && /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(s)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s))

/**
 * A period on `today`. `all` starts at the site's creation; `custom` needs both days (else
 * it falls back to 30 days).
 */
export function resolvePeriod(period: Period, today: string, o: { created?: string; from?: string; to?: string } = {}): Range {
  const range = (from: string, to: string, apiRange: Range['apiRange'], p: Period = period): Range => ({
    period: p,
    from,
    to,
    apiRange,
    granularity: p === '12mo' ? 'month' : granularityOf({ from, to }),
  })
  const monthStart = `${today.slice(0, 8)}01`
  switch (period) {
    case 'day':
      return range(today, today, 'day')
    case 'yesterday': {
      const y = addDays(today, -1)
      return range(y, y, 'yesterday')
    }
    case '7d':
      return range(addDays(today, -6), today, '7d')
    case '30d':
      return range(addDays(today, -29), today, '30d')
    case 'month':
      return range(monthStart, today, 'month')
    case 'lastmonth': {
      const from = addMonths(monthStart, -1)
      const to = addDays(monthStart, -1)
      return range(from, to, [from, to])
    }
    case '12mo':
      return range(addMonths(monthStart, -11), today, '12mo')
    case 'all': {
      const from = o.created && o.created < today ? o.created : today
      return range(from, today, 'all')
    }
    case 'custom': {
      if (!isDay(o.from) || !isDay(o.to)) return resolvePeriod('30d', today)
      const [from, to] = o.from <= o.to ? [o.from, o.to] : [o.to, o.from]
      return range(from, to, [from, to])
    }
  }
}

/**
 * The period compared against: just before, as long (monthly ranges and last month: as many
 * months, so their buckets line up); `all` has none. It always ends the day before the range
 * starts, so one query can read both.
 */
export function previousRange(r: Range): DayRange | undefined {
  if (r.period === 'all') return undefined
  if (byMonths(r)) return { from: addMonths(r.from, -monthsSpanned(r)), to: addDays(r.from, -1) }
  return { from: addDays(r.from, -daysIn(r)), to: addDays(r.from, -1) }
}

const byMonths = (r: Range) => r.granularity === 'month' || r.period === 'lastmonth'

/**
 * The range one step back (-1) or forward (+1) from `r`, as ← and → step it: the period
 * before it (previousRange), or the one after it, the same length, ending today at the latest.
 * Undefined where there is no step: forward from a range that ends today, or from all time.
 */
export function stepRange(r: Range, direction: -1 | 1, today: string): DayRange | undefined {
  if (direction < 0) return previousRange(r)
  if (r.period === 'all' || r.to >= today) return undefined
  const from = addDays(r.to, 1)
  const to = byMonths(r) ? addDays(addMonths(from, monthsSpanned(r)), -1) : addDays(r.to, daysIn(r))
  return { from, to: to < today ? to : today }
}

/** The server's wall clock: its day, and the minutes since that day's midnight. */
export interface WallTime {
  today: string
  minute: number
}

/** The server's wall clock `elapsedMs` after it read `at` (a change of summer time while a page is open is not followed). */
export function wallTimeAfter(at: WallTime, elapsedMs: number): WallTime {
  const minutes = at.minute + Math.floor(Math.max(0, elapsedMs) / 60_000)
  const days = Math.floor(minutes / 1440)
  return { today: addDays(at.today, days), minute: minutes - days * 1440 }
}

const dayFormats = new Map<string, Intl.DateTimeFormat>()

/** The day (YYYY-MM-DD) an instant (ISO) falls on in the server's time zone (boot.ts: timezone), as the server's time.ts dayOf. */
export function dayIn(iso: string, timezone: string): string {
  let f = dayFormats.get(timezone)
  if (!f) dayFormats.set(timezone, (f = new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' })))
  const part = Object.fromEntries(f.formatToParts(Date.parse(iso)).map((p) => [p.type, p.value]))
  return `${part.year}-${part.month}-${part.day}`
}

/** A range that includes today: its numbers still grow. */
export const isLive = (r: DayRange, today: string): boolean => r.from <= today && today <= r.to

export interface Comparison extends DayRange {
  /** only this much of its last day counts (minutes since midnight): the range it is compared with is under way */
  untilMinute?: number
  /** it begins before the site's history does, so it cannot be whole: there is nothing to compare with */
  beforeSite: boolean
}

// Comparison modes (issue 25, annotations and comparison modes)

/** What a range is compared with, by Plausible's names: the period before, a year before, or chosen days. */
export const COMPARE_MODES = ['previous_period', 'year_over_year', 'custom'] as const
export type CompareMode = (typeof COMPARE_MODES)[number]

export interface CompareChoice {
  mode: CompareMode
  /** the chosen days of `custom` */
  from?: string
  to?: string
  /** Plausible's "match day of week": Mondays against Mondays */
  matchDayOfWeek?: boolean
}

export const PREVIOUS_PERIOD: CompareChoice = { mode: 'previous_period' }

/** The days compared with, and the day of them that stands against each day of the range. */
export interface Counterpart extends DayRange {
  shift: (day: string) => string
}

const daysBetween = (a: string, b: string) => Math.round((Date.parse(b) - Date.parse(a)) / 86_400_000)

/** The same day a year before; 29 February, which that year lacks, is the 28th. */
export function yearBefore(day: string): string {
  const y = String(Number(day.slice(0, 4)) - 1).padStart(4, '0')
  const md = day.slice(5) === '02-29' ? '02-28' : day.slice(5)
  return `${y}-${md}`
}

const isMonthEnd = (day: string) => addDays(day, 1).slice(8) === '01'
const monthEnd = (day: string) => addDays(addMonths(`${day.slice(0, 8)}01`, 1), -1)

/**
 * The days a range is compared with, whole (comparedRange cuts them like a range under way):
 * - previous period: just before, as long (previousRange); with weekdays matched, moved back by
 *   whole weeks, the fewest that reach before the range (7 days by 7, 30 days by 35), so each
 *   day stands against the same weekday and the two never overlap;
 * - year over year: the same days a year before (whole months stay whole: February 2029 against
 *   all of February 2028); with weekdays matched, 52 weeks (364 days) before;
 * - custom: the chosen days, as they are.
 * Ranges drawn by months cannot match weekdays: they keep their months. "All time" has only a
 * custom comparison.
 */
export function comparisonRange(r: Range, c: CompareChoice = PREVIOUS_PERIOD): Counterpart | undefined {
  const back = (days: number): Counterpart => ({ from: addDays(r.from, -days), to: addDays(r.to, -days), shift: (d) => addDays(d, -days) })
  if (c.mode === 'custom') {
    if (!isDay(c.from) || !isDay(c.to)) return undefined
    const [from, to] = c.from <= c.to ? [c.from, c.to] : [c.to, c.from]
    return { from, to, shift: (d) => addDays(from, daysBetween(r.from, d)) }
  }
  if (r.period === 'all') return undefined
  const weekdays = c.matchDayOfWeek === true && r.granularity !== 'month'
  if (c.mode === 'year_over_year') {
    if (weekdays) return back(364)
    const whole = r.from.slice(8) === '01' && isMonthEnd(r.to)
    return { from: yearBefore(r.from), to: whole ? monthEnd(yearBefore(r.to)) : yearBefore(r.to), shift: yearBefore }
  }
  if (weekdays) return back(7 * Math.ceil(daysIn(r) / 7))
  const prev = previousRange(r)!
  const months = byMonths(r) ? monthsSpanned(r) : 0
  return { ...prev, shift: months ? (d) => addMonths(d, -months) : (d) => addDays(d, -daysIn(r)) }
}

/**
 * What the top row compares a range with (comparisonRange), like with like: a range still under
 * way is compared with as much of the other days as has elapsed of its own. Today until now
 * against yesterday until the same time of day, 1–7 Dec at 13:00 against the seven days before
 * until 13:00 of the last, 1 Jan–7 Dec (by months) against 1 Jan–7 Dec a year before. Chosen
 * days (custom) are taken whole, as chosen.
 */
export function comparedRange(r: Range, now: WallTime, created?: string, c: CompareChoice = PREVIOUS_PERIOD): Comparison | undefined {
  const other = comparisonRange(r, c)
  if (!other) return undefined
  const beforeSite = created !== undefined && other.from < created
  if (c.mode === 'custom' || !isLive(r, now.today)) return { from: other.from, to: other.to, beforeSite }
  return { from: other.from, to: other.shift(now.today), untilMinute: now.minute, beforeSite }
}

/** The label of the bucket under way (the hour, day or month of now), as the Stats API writes it. */
export function bucketAt(now: WallTime, g: Granularity): string {
  if (g === 'hour') return `${now.today} ${String(Math.floor(now.minute / 60)).padStart(2, '0')}:00:00`
  return bucketStart(now.today, g)
}

/** The bucket a range's chart is still filling; undefined when the range has none under way. */
export function partialBucket(r: DayRange, g: Granularity, now: WallTime): string | undefined {
  return isLive(r, now.today) ? bucketAt(now, g) : undefined
}

function monthsSpanned(r: DayRange): number {
  const [fy, fm] = r.from.split('-').map(Number) as [number, number]
  const [ty, tm] = r.to.split('-').map(Number) as [number, number]
  return (ty - fy) * 12 + (tm - fm) + 1
}

/** Every bucket label of a range, as the Stats API writes them (for days the API has none of). */
export function bucketLabels(r: DayRange, g: Granularity): string[] {
  const out: string[] = []
  if (g === 'hour') {
    for (let d = r.from; d <= r.to; d = addDays(d, 1)) for (let h = 0; h < 24; h++) out.push(`${d} ${String(h).padStart(2, '0')}:00:00`)
    return out
  }
  for (let d = r.from; d <= r.to; d = addDays(d, 1)) {
    const label = bucketStart(d, g)
    if (out.at(-1) !== label) out.push(label)
  }
  return out
}
