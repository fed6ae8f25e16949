import { describe, expect, it } from 'vitest'
import { dayNumber, isMonday, isoDate, mondayOf, mondayOnOrAfter, monthEnd, monthStart, monthStartOnOrAfter, weekday } from '../../server/calendar.ts'

/** Test-side day numbers, through Date.parse rather than calendar.ts. */
const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 86_400_000
const iso = (d: number): string => new Date(d * 86_400_000).toISOString().slice(0, 10)

describe('calendar: day numbers', () => {
  it('counts days from 1970-01-01 both ways', () => {
    expect(dayNumber('1970-01-01')).toBe(0)
    expect(dayNumber('2024-03-04')).toBe(19786)
    expect(dayNumber('1969-12-31')).toBe(-1)
    expect(isoDate(0)).toBe('1970-01-01')
    expect(isoDate(19786)).toBe('2024-03-04')
    expect(isoDate(-1)).toBe('1969-12-31')
    for (let d = -800; d <= 21_000; d += 7) expect(dayNumber(isoDate(d))).toBe(d)
  })

  it('reads only real dates written YYYY-MM-DD', () => {
    expect(dayNumber('2024-02-29')).toBe(day('2024-02-29'))
    expect(dayNumber('2000-02-29')).toBe(day('2000-02-29'))
    for (const bad of ['2023-02-29', '1900-02-29', '2024-04-31', '2024-13-01', '2024-00-10', '2024-3-4', '2024-03-04T00:00', '', 'today']) {
      expect(dayNumber(bad), bad).toBeUndefined()
    }
  })
})

describe('calendar: weeks', () => {
  it('finds Mondays, across year ends', () => {
    expect(weekday(0)).toBe(3) // 1970-01-01, a Thursday
    expect(isMonday(day('1970-01-05'))).toBe(true)
    expect(isMonday(day('2024-03-04'))).toBe(true)
    expect(isMonday(day('2024-03-05'))).toBe(false)
    expect(iso(mondayOf(day('2025-01-01')))).toBe('2024-12-30')
    expect(iso(mondayOf(day('2026-01-04')))).toBe('2025-12-29') // a Sunday
    expect(iso(mondayOf(day('2026-01-05')))).toBe('2026-01-05')
    expect(iso(mondayOnOrAfter(day('2024-12-31')))).toBe('2025-01-06')
    expect(iso(mondayOnOrAfter(day('2025-12-29')))).toBe('2025-12-29')
    expect(iso(mondayOf(day('1970-01-01')))).toBe('1969-12-29')
    expect(iso(mondayOf(day('1969-12-28')))).toBe('1969-12-22')
  })

  it('agrees with Date on every day from 1960 to 2100', () => {
    const wrong: string[] = []
    for (let d = day('1960-01-01'); d <= day('2100-12-31'); d++) {
      const js = (new Date(d * 86_400_000).getUTCDay() + 6) % 7 // 0 = Monday
      const ok = weekday(d) === js && isMonday(d) === (js === 0) && mondayOf(d) === d - js && mondayOnOrAfter(d) === (js === 0 ? d : d + 7 - js)
      if (!ok) wrong.push(iso(d))
    }
    expect(wrong).toEqual([])
  })
})

describe('calendar: months', () => {
  it('finds first and last days, February of leap years included', () => {
    expect(iso(monthStart(day('2024-02-29')))).toBe('2024-02-01')
    expect(iso(monthEnd(day('2024-02-10')))).toBe('2024-02-29')
    expect(iso(monthEnd(day('2023-02-10')))).toBe('2023-02-28')
    expect(iso(monthEnd(day('2000-02-01')))).toBe('2000-02-29')
    expect(iso(monthEnd(day('2100-02-01')))).toBe('2100-02-28')
    expect(iso(monthEnd(day('2024-04-30')))).toBe('2024-04-30')
    expect(iso(monthStart(day('2024-12-31')))).toBe('2024-12-01')
    expect(iso(monthEnd(day('2024-12-01')))).toBe('2024-12-31')
    expect(iso(monthEnd(day('1969-12-15')))).toBe('1969-12-31')
  })

  it('finds the next first of a month, across year ends', () => {
    expect(iso(monthStartOnOrAfter(day('2024-12-02')))).toBe('2025-01-01')
    expect(iso(monthStartOnOrAfter(day('2025-01-01')))).toBe('2025-01-01')
    expect(iso(monthStartOnOrAfter(day('2024-02-29')))).toBe('2024-03-01')
    expect(iso(monthStartOnOrAfter(day('1969-12-31')))).toBe('1970-01-01')
  })

  it('agrees with Date on every day from 1960 to 2100', () => {
    const wrong: string[] = []
    for (let d = day('1960-01-01'); d <= day('2100-12-31'); d++) {
      const date = new Date(d * 86_400_000)
      const first = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1) / 86_400_000
      const last = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0) / 86_400_000
      const ok = monthStart(d) === first && monthEnd(d) === last && monthStartOnOrAfter(d) === (d === first ? d : last + 1)
      if (!ok) wrong.push(iso(d))
    }
    expect(wrong).toEqual([])
  })
})
