import { describe, expect, it } from 'vitest'
import { latestDue, periodSentOn, previousPeriod } from '../../../server/reports/schedule.ts'
import { addDays, dayOf, startOfDay } from '../../../server/time.ts'

const TZ = 'Europe/Riga'

/** The Monday of the week of `day` (ISO), and the 1st of its month. */
const mondayOf = (day: string) => addDays(day, -((new Date(`${day}T12:00:00Z`).getUTCDay() + 6) % 7))
const firstOf = (day: string) => `${day.slice(0, 8)}01`

describe('when reports are due', () => {
  // Dates from the clock: this week's and this month's, whatever today is.
  const today = dayOf(Date.now(), TZ)
  const monday = mondayOf(today)
  const first = firstOf(today)
  const at = (day: string, hours: number) => startOfDay(day, TZ) + hours * 3_600_000

  it('sends the week before on Monday from 07:00 in the instance time zone', () => {
    const p = latestDue('weekly', at(monday, 7), TZ)
    expect(p).toEqual({ kind: 'weekly', from: addDays(monday, -7), to: addDays(monday, -1), dueAt: at(monday, 7) })
    // At 06:59 the week due is the one before.
    expect(latestDue('weekly', at(monday, 7) - 60_000, TZ).from).toBe(addDays(monday, -14))
    // All week long, the same period stays the latest due.
    expect(latestDue('weekly', at(addDays(monday, 6), 23), TZ).from).toBe(addDays(monday, -7))
  })

  it('sends the month before on the 1st from 07:00', () => {
    const p = latestDue('monthly', at(first, 8), TZ)
    const lastDay = addDays(first, -1)
    expect(p).toEqual({ kind: 'monthly', from: firstOf(lastDay), to: lastDay, dueAt: at(first, 7) })
    expect(latestDue('monthly', at(first, 6), TZ).to).toBe(addDays(firstOf(lastDay), -1))
  })

  it('knows the period before, for the changes', () => {
    const week = periodSentOn('weekly', monday, TZ)
    expect(previousPeriod(week, TZ)).toMatchObject({ from: addDays(monday, -14), to: addDays(monday, -8) })
    const month = periodSentOn('monthly', first, TZ)
    expect(previousPeriod(month, TZ).to).toBe(addDays(month.from, -1))
  })

  it('holds across daylight saving changes: 07:00 is 07:00 on the wall', () => {
    // The Mondays after this year's and next year's last Sundays of March and October (EU clock changes).
    const year = Number(today.slice(0, 4))
    const mondayAfterLastSunday = (y: number, month: number) => {
      const last = new Date(Date.UTC(y, month, 0))
      return addDays(last.toISOString().slice(0, 10), -last.getUTCDay() + 1)
    }
    const days = [year, year + 1].flatMap((y) => [mondayAfterLastSunday(y, 3), mondayAfterLastSunday(y, 10)])
    for (const day of days) {
      const p = periodSentOn('weekly', day, TZ)
      expect(new Intl.DateTimeFormat('en-GB', { timeZone: TZ, hour: '2-digit', minute: '2-digit' }).format(p.dueAt)).toBe('07:00')
    }
  })
})
