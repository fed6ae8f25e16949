import { DAY_S, isoDate, mondayOf, mondayOnOrAfter, monthStart, monthStartOnOrAfter } from '../calendar.ts'

/**
 * Splitting a range of hours into the pieces a query reads: whole UTC months, weeks and days
 * from their sums (projections, migration 009), the hours left at the edges from the hourly
 * rows. Which levels a plan may use is levels.ts's to say.
 */

export type Level = 'month' | 'week' | 'day' | 'hour'

export interface Piece {
  level: Level
  /** UTC seconds, inclusive */
  from: number
  /** UTC seconds, exclusive */
  to: number
}

/**
 * Splits [from, to) into whole UTC months, weeks (Monday to Sunday) and days, as far as
 * `levels` allow, and the hours left at the edges: coarsest first, covering exactly the hours
 * of the range.
 */
export function splitRange(from: number, to: number, levels: Level[]): Piece[] {
  const d0 = Math.ceil(from / DAY_S) * DAY_S
  const d1 = Math.floor(to / DAY_S) * DAY_S
  if (!levels.includes('day') || d0 >= d1) return [{ level: 'hour', from, to }]
  const days = (a: number, b: number): Piece[] => (a < b ? [{ level: 'day', from: a, to: b }] : [])
  const weeks = (a: number, b: number): Piece[] => {
    const w0 = mondayAtOrAfter(a)
    const w1 = mondayAtOrBefore(b)
    if (!levels.includes('week') || w0 >= w1) return days(a, b)
    return [...days(a, w0), { level: 'week', from: w0, to: w1 }, ...days(w1, b)]
  }
  const months = (a: number, b: number): Piece[] => {
    const m0 = monthStartAtOrAfter(a)
    const m1 = monthStartAtOrBefore(b)
    if (!levels.includes('month') || m0 >= m1) return weeks(a, b)
    return [...weeks(a, m0), { level: 'month', from: m0, to: m1 }, ...weeks(m1, b)]
  }
  return [
    ...(from < d0 ? [{ level: 'hour' as const, from, to: d0 }] : []),
    ...months(d0, d1),
    ...(d1 < to ? [{ level: 'hour' as const, from: d1, to }] : []),
  ]
}

// UTC seconds over server/calendar.ts: the closest month start / Monday at or before, or at or
// after, an instant; the UTC date (YYYY-MM-DD) of an instant, and the instant a date starts.
const monthStartAtOrBefore = (s: number): number => monthStart(Math.floor(s / DAY_S)) * DAY_S
export const monthStartAtOrAfter = (s: number): number => monthStartOnOrAfter(Math.ceil(s / DAY_S)) * DAY_S
const mondayAtOrBefore = (s: number): number => mondayOf(Math.floor(s / DAY_S)) * DAY_S
const mondayAtOrAfter = (s: number): number => mondayOnOrAfter(Math.ceil(s / DAY_S)) * DAY_S
export const utcDay = (s: number): string => isoDate(Math.floor(s / DAY_S))
export const dayStart = (day: string) => Date.parse(`${day}T00:00:00Z`) / 1000
