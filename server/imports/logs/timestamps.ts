/**
 * The two time stamps web servers write, read by hand: `Date.parse` costs about a microsecond
 * a call and does not know the Common Log Format at all. Both return Unix ms (NaN when the
 * text is not a time), taking the offset the log itself wrote, never the machine's zone.
 */

const MONTHS = 'JanFebMarAprMayJunJulAugSepOctNovDec'

function twoDigits(s: string, at: number): number {
  const a = s.charCodeAt(at) - 48
  const b = s.charCodeAt(at + 1) - 48
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : NaN
}

/** `+hhmm` / `-hhmm` (or with a colon when `colon`), in ms east of UTC. */
function offsetMs(s: string, at: number, colon: boolean): number {
  const sign = s.charCodeAt(at)
  const hours = twoDigits(s, at + 1)
  const minutes = twoDigits(s, at + (colon ? 4 : 3))
  if (colon && s.charCodeAt(at + 3) !== 58) return NaN
  const ms = (hours * 60 + minutes) * 60_000
  return sign === 43 ? ms : sign === 45 ? -ms : NaN
}

function utc(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  // Date.UTC rolls 31 Feb into March; a log that says so is not a time.
  if (!(month >= 0 && month < 12 && day >= 1 && day <= 31 && hour < 24 && minute < 60 && second <= 60)) return NaN
  return Date.UTC(year, month, day, hour, minute, second)
}

/** `10/Oct/2000:13:55:36 -0700` ($time_local, Apache's %t without its brackets), in s[at, end). */
export function clfTime(s: string, at: number, end: number): number {
  if (end - at !== 26 || s.charCodeAt(at + 2) !== 47 || s.charCodeAt(at + 6) !== 47 || s.charCodeAt(at + 20) !== 32) return NaN
  const month = MONTHS.indexOf(s.slice(at + 3, at + 6))
  if (month % 3 !== 0) return NaN
  const year = twoDigits(s, at + 7) * 100 + twoDigits(s, at + 9)
  const time = utc(year, month / 3, twoDigits(s, at), twoDigits(s, at + 12), twoDigits(s, at + 15), twoDigits(s, at + 18))
  return time - offsetMs(s, at + 21, false)
}

/** `2000-10-10T13:55:36-07:00` ($time_iso8601); other ISO 8601 shapes (fractions, `Z`) through Date.parse. */
export function isoTime(s: string, at: number, end: number): number {
  if (end - at === 25 && s.charCodeAt(at + 10) === 84) {
    const year = twoDigits(s, at) * 100 + twoDigits(s, at + 2)
    const time = utc(year, twoDigits(s, at + 5) - 1, twoDigits(s, at + 8), twoDigits(s, at + 11), twoDigits(s, at + 14), twoDigits(s, at + 17))
    return time - offsetMs(s, at + 19, true)
  }
  // Only with an explicit zone: without one Date.parse would take the machine's.
  const text = s.slice(at, end)
  return /(?:Z|[+-]\d\d:?\d\d)$/.test(text) ? Date.parse(text) : NaN
}

/** `$msec`, or Caddy's `ts`: seconds since the epoch with a fraction. */
export function secondsTime(s: string, at: number, end: number): number {
  const seconds = Number(s.slice(at, end))
  return at < end && Number.isFinite(seconds) ? Math.round(seconds * 1000) : NaN
}
