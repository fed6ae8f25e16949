// The comparison modes of the top row and the chart (dashboard/src/periods.ts): the previous
// period, the same days a year before, chosen days, and Plausible's "match day of week". Each
// case is worked from the "today" it is given; the last walks every day of the coming two years
// from the real clock's today, so month ends, year ends and leap days all come by.
import { describe, expect, it } from 'vitest'
import { addDays, comparedRange, comparisonRange, resolvePeriod, yearBefore, type CompareChoice, type Period } from '../../dashboard/src/periods.ts'
import { readState, writeState } from '../../dashboard/src/state.ts'
import type { Boot } from '../../dashboard/src/boot.ts'
import { dayOf } from '../../server/time.ts'

const weekday = (day: string) => new Date(`${day}T00:00:00Z`).getUTCDay()
const days = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000) + 1
const range = (c: CompareChoice, period: Period, today: string, o: { from?: string; to?: string } = {}) => {
  const r = comparisonRange(resolvePeriod(period, today, o), c)
  return r && { from: r.from, to: r.to }
}
const PREV: CompareChoice = { mode: 'previous_period' }
const PREV_WEEKDAYS: CompareChoice = { mode: 'previous_period', matchDayOfWeek: true }
const YOY: CompareChoice = { mode: 'year_over_year' }
const YOY_WEEKDAYS: CompareChoice = { mode: 'year_over_year', matchDayOfWeek: true }

describe('comparison ranges', () => {
  it('previous period: just before, as long; by months for monthly ranges', () => {
    const today = '2026-12-08'
    expect(range(PREV, '7d', today)).toEqual({ from: '2026-11-25', to: '2026-12-01' })
    expect(range(PREV, '30d', today)).toEqual({ from: '2026-10-10', to: '2026-11-08' })
    expect(range(PREV, 'lastmonth', today)).toEqual({ from: '2026-10-01', to: '2026-10-31' })
    expect(range(PREV, '12mo', today)).toEqual({ from: '2025-01-01', to: '2025-12-31' })
    expect(range(PREV, 'all', today)).toBeUndefined()
  })

  it('previous period with weekdays matched: moved back by whole weeks, never overlapping', () => {
    // 8 Dec 2026 is a Tuesday.
    const today = '2026-12-08'
    expect(range(PREV_WEEKDAYS, '7d', today)).toEqual({ from: '2026-11-25', to: '2026-12-01' })
    // 30 days from Tuesday 9 Nov: five weeks back, Tuesday 5 Oct.
    expect(range(PREV_WEEKDAYS, '30d', today)).toEqual({ from: '2026-10-05', to: '2026-11-03' })
    expect(range(PREV_WEEKDAYS, 'day', today)).toEqual({ from: '2026-12-01', to: '2026-12-01' })
    expect(range(PREV_WEEKDAYS, 'yesterday', today)).toEqual({ from: '2026-11-30', to: '2026-11-30' })
    // Over a year's end: 1–6 Jan 2027 (Friday to Wednesday) against 25–30 Dec 2026.
    expect(range(PREV_WEEKDAYS, 'month', '2027-01-06')).toEqual({ from: '2026-12-25', to: '2026-12-30' })
    // Over a leap day: March 2028 (31 days) five weeks back, from Wednesday 26 Jan.
    expect(range(PREV_WEEKDAYS, 'lastmonth', '2028-04-10')).toEqual({ from: '2028-01-26', to: '2028-02-25' })
    expect(weekday('2028-01-26')).toBe(weekday('2028-03-01'))
    // Monthly ranges keep their months.
    expect(range(PREV_WEEKDAYS, '12mo', today)).toEqual(range(PREV, '12mo', today))
  })

  it('year over year: the same days a year before; whole months stay whole over a leap year', () => {
    expect(range(YOY, '7d', '2026-12-08')).toEqual({ from: '2025-12-02', to: '2025-12-08' })
    expect(range(YOY, '12mo', '2026-12-08')).toEqual({ from: '2025-01-01', to: '2025-12-08' })
    // February 2029 against all of February 2028, 29th included; and back again.
    expect(range(YOY, 'lastmonth', '2029-03-15')).toEqual({ from: '2028-02-01', to: '2028-02-29' })
    expect(range(YOY, 'lastmonth', '2028-03-15')).toEqual({ from: '2027-02-01', to: '2027-02-28' })
    // A single leap day has no own day a year before: the 28th stands for it.
    expect(range(YOY, 'custom', '2028-03-15', { from: '2028-02-29', to: '2028-02-29' })).toEqual({ from: '2027-02-28', to: '2027-02-28' })
    expect(yearBefore('2027-01-01')).toBe('2026-01-01')
    expect(range(YOY, 'all', '2026-12-08')).toBeUndefined()
  })

  it('year over year with weekdays matched: 52 weeks before, the same weekday', () => {
    expect(range(YOY_WEEKDAYS, 'day', '2026-12-08')).toEqual({ from: '2025-12-09', to: '2025-12-09' })
    expect(weekday('2025-12-09')).toBe(weekday('2026-12-08'))
    // Across a leap day the 52 weeks land two days off the calendar date: still a Tuesday against a Tuesday.
    expect(range(YOY_WEEKDAYS, '7d', '2028-03-06')).toEqual({ from: '2027-03-02', to: '2027-03-08' })
    expect(weekday('2027-03-02')).toBe(weekday('2028-02-29'))
  })

  it('custom: the chosen days as they are (ordered), taken whole even while the range is under way', () => {
    const today = '2026-12-08'
    const custom: CompareChoice = { mode: 'custom', from: '2026-06-30', to: '2026-06-01' }
    expect(range(custom, '7d', today)).toEqual({ from: '2026-06-01', to: '2026-06-30' })
    expect(comparedRange(resolvePeriod('day', today), { today, minute: 600 }, '2020-01-01', custom)).toEqual({ from: '2026-06-01', to: '2026-06-30', beforeSite: false })
    expect(range({ mode: 'custom', from: '2026-02-30', to: '2026-03-01' }, '7d', today)).toBeUndefined()
    // "All time" can be compared with chosen days only.
    expect(range(custom, 'all', today)).toEqual({ from: '2026-06-01', to: '2026-06-30' })
  })

  it('compares like with like while the range is under way, and not with days before the site', () => {
    const today = '2026-12-08'
    const now = { today, minute: 13 * 60 + 37 }
    expect(comparedRange(resolvePeriod('month', today), now, '2020-01-01', YOY)).toEqual({ from: '2025-12-01', to: '2025-12-08', untilMinute: 817, beforeSite: false })
    expect(comparedRange(resolvePeriod('7d', today), now, '2020-01-01', PREV_WEEKDAYS)).toEqual({ from: '2026-11-25', to: '2026-12-01', untilMinute: 817, beforeSite: false })
    expect(comparedRange(resolvePeriod('30d', today), now, '2020-01-01', PREV_WEEKDAYS)).toEqual({ from: '2026-10-05', to: '2026-11-03', untilMinute: 817, beforeSite: false })
    expect(comparedRange(resolvePeriod('day', today), now, '2020-01-01', YOY_WEEKDAYS)).toEqual({ from: '2025-12-09', to: '2025-12-09', untilMinute: 817, beforeSite: false })
    // A site (or its imported history) that begins within the year has nothing a year before.
    expect(comparedRange(resolvePeriod('7d', today), now, '2026-03-01', YOY)?.beforeSite).toBe(true)
    expect(comparedRange(resolvePeriod('7d', today), now, '2025-03-01', YOY)?.beforeSite).toBe(false)
    // Closed ranges are compared whole.
    expect(comparedRange(resolvePeriod('lastmonth', today), now, undefined, YOY)).toEqual({ from: '2025-11-01', to: '2025-11-30', beforeSite: false })
  })

  it('on every day of the coming two years: weekdays line up, lengths agree, nothing overlaps', () => {
    const start = dayOf(Date.now(), 'UTC')
    for (let today = start; today < addDays(start, 731); today = addDays(today, 1)) {
      for (const period of ['day', '7d', '30d', 'month', 'lastmonth'] as const) {
        const r = resolvePeriod(period, today)
        for (const c of [PREV_WEEKDAYS, YOY_WEEKDAYS]) {
          const other = comparisonRange(r, c)!
          expect(weekday(other.from), `${period} ${c.mode} on ${today}`).toBe(weekday(r.from))
          expect(days(other.from, other.to)).toBe(days(r.from, r.to))
          expect(other.to < r.from).toBe(true)
        }
        const yoy = comparisonRange(r, YOY)!
        expect(yoy.from.slice(5)).toBe(r.from.slice(5) === '02-29' ? '02-28' : r.from.slice(5))
        expect(Number(r.from.slice(0, 4)) - Number(yoy.from.slice(0, 4))).toBe(1)
      }
    }
  })
})

describe('comparison in the URL', () => {
  const boot = { mode: 'app', lang: 'en', today: '2026-12-08', hour: 12, minute: 0, timezone: 'UTC', sites: [{ domain: 'example.lv', created: '2025-01-01' }] } as Boot
  const roundTrip = (search: string) => writeState(readState(search, boot), false)

  it('reads and writes Plausible’s names; the previous period is the default and not written', () => {
    expect(readState('?compare=year_over_year&match_day_of_week=true', boot).compare).toEqual({ mode: 'year_over_year', matchDayOfWeek: true })
    expect(roundTrip('?compare=year_over_year')).toBe('?site=example.lv&compare=year_over_year')
    expect(roundTrip('?compare=custom&compare_from=2025-01-01&compare_to=2025-01-31')).toBe('?site=example.lv&compare=custom&compare_from=2025-01-01&compare_to=2025-01-31')
    expect(roundTrip('?compare=previous_period&match_day_of_week=true')).toBe('?site=example.lv&compare=previous_period&match_day_of_week=true')
    expect(roundTrip('?compare=previous_period')).toBe('?site=example.lv')
    // Plausible's own parameter, a custom comparison without its days, and nonsense.
    expect(readState('?comparison=year_over_year', boot).compare).toEqual({ mode: 'year_over_year' })
    expect(readState('?compare=custom&compare_from=2025-01-01', boot).compare).toBeUndefined()
    expect(readState('?compare=tomorrow', boot).compare).toBeUndefined()
  })
})
