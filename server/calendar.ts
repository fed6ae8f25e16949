/**
 * UTC calendar arithmetic on day numbers: whole days since 1970-01-01 (day 0), so that
 * 2024-03-04 is day 19786. Weeks run Monday to Sunday; months are calendar months. Pure: no
 * clock, no time zone (a reporting time zone's days are in time.ts).
 *
 * Callers holding UTC seconds or milliseconds convert at their edge:
 * `Math.floor(s / DAY_S)` is the day of an instant, `day * DAY_S` the instant it starts.
 */

/** Seconds in a UTC day. */
export const DAY_S = 86_400
/** Milliseconds in a UTC day. */
export const DAY_MS = 86_400_000

/** 0 for Monday … 6 for Sunday. 1970-01-01 (day 0) was a Thursday, so day −3 was a Monday. */
export function weekday(day: number): number {
  return (((day + 3) % 7) + 7) % 7
}

export function isMonday(day: number): boolean {
  return weekday(day) === 0
}

/** The Monday of the week holding `day` (the day itself when it is a Monday). */
export function mondayOf(day: number): number {
  return day - weekday(day)
}

/** The first Monday on or after `day`. */
export function mondayOnOrAfter(day: number): number {
  return day + ((7 - weekday(day)) % 7)
}

/** The first day of the month holding `day`. */
export function monthStart(day: number): number {
  const d = new Date(day * DAY_MS)
  return Math.round(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) / DAY_MS)
}

/** The last day of the month holding `day`. */
export function monthEnd(day: number): number {
  const d = new Date(day * DAY_MS)
  return Math.round(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) / DAY_MS) - 1
}

/** The first first-of-a-month on or after `day`. */
export function monthStartOnOrAfter(day: number): number {
  const start = monthStart(day)
  return start === day ? start : monthEnd(day) + 1
}

/** The day number of a real calendar date written YYYY-MM-DD; undefined for anything else ('2023-02-29', '2024-3-4'). */
export function dayNumber(iso: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso)
  if (!m) return undefined
  const y = Number(m[1])
  const mo = Number(m[2])
  const d = Number(m[3])
  const ms = Date.UTC(y, mo - 1, d)
  const back = new Date(ms)
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return undefined
  return Math.round(ms / DAY_MS)
}

/** The date of a day number, YYYY-MM-DD. */
export function isoDate(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10)
}
