/** A clock in milliseconds since the epoch; tests pass a fake one. */
export type Clock = () => number

export const systemClock: Clock = () => Date.now()

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz)
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
    formatters.set(tz, f)
  }
  return f
}

/** Wall-clock fields of an instant in a time zone. */
function wallClock(ms: number, tz: string): { y: number; m: number; d: number; h: number; mi: number; s: number } {
  const p: Record<string, number> = {}
  for (const part of formatter(tz).formatToParts(ms)) {
    if (part.type !== 'literal') p[part.type] = Number(part.value)
  }
  return { y: p.year!, m: p.month!, d: p.day!, h: p.hour!, mi: p.minute!, s: p.second! }
}

/** The calendar day (YYYY-MM-DD) of an instant in a time zone. */
export function dayOf(ms: number, tz: string): string {
  const { y, m, d } = wallClock(ms, tz)
  return `${y}-${pad(m)}-${pad(d)}`
}

/** The time zone's offset from UTC at an instant, in milliseconds. */
function offsetAt(ms: number, tz: string): number {
  const w = wallClock(ms, tz)
  return Date.UTC(w.y, w.m - 1, w.d, w.h, w.mi, w.s) - Math.floor(ms / 1000) * 1000
}

/** The instant a calendar day starts in a time zone (handles DST shifts). */
export function startOfDay(day: string, tz: string): number {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number]
  const guess = Date.UTC(y, m - 1, d)
  let t = guess - offsetAt(guess, tz)
  t = guess - offsetAt(t, tz)
  return t
}

export function addDays(day: string, n: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number]
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10)
}

export function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n)
}

export const DAY_RE = /^\d{4}-\d{2}-\d{2}$/

export function isValidDay(day: string): boolean {
  if (!DAY_RE.test(day)) return false
  const date = new Date(`${day}T00:00:00Z`)
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === day
}
