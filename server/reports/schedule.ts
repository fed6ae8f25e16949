import { dayNumber, isoDate, mondayOf, monthStart } from '../calendar.ts'
import { addDays, dayOf, startOfDay } from '../time.ts'

/**
 * When reports are due (issue 23): a weekly report on Monday from 07:00, of the week Monday to
 * Sunday before it; a monthly one on the 1st from 07:00, of the month before; both in the
 * instance TIMEZONE. Pure: the scheduler asks it every minute with the clock's time and sends
 * what is due and not yet recorded as sent (reports_sent), so a stop over Monday morning sends
 * the report when the server is back, and never twice.
 */
export type ReportKind = 'weekly' | 'monthly'

export interface ReportPeriod {
  kind: ReportKind
  /** first and last day, inclusive */
  from: string
  to: string
  /** the instant (Unix ms) from which it may be sent */
  dueAt: number
}

/** The hour of the day reports go out from, in the instance TIMEZONE. */
export const SEND_HOUR = 7

/** The latest period of `kind` whose sending time has come at `now`. */
export function latestDue(kind: ReportKind, now: number, tz: string): ReportPeriod {
  const today = dayNumber(dayOf(now, tz))!
  const start = kind === 'weekly' ? mondayOf(today) : monthStart(today)
  const sendDay = isoDate(start)
  const dueAt = startOfDay(sendDay, tz) + SEND_HOUR * 3_600_000
  // Before 07:00 on the sending day, the period due is the one before.
  const at = now >= dueAt ? start : kind === 'weekly' ? start - 7 : monthStart(start - 1)
  return periodSentOn(kind, isoDate(at), tz)
}

/** The period a report sent on `sendDay` (a Monday, or a 1st) covers. */
export function periodSentOn(kind: ReportKind, sendDay: string, tz: string): ReportPeriod {
  const dueAt = startOfDay(sendDay, tz) + SEND_HOUR * 3_600_000
  const to = addDays(sendDay, -1)
  const from = kind === 'weekly' ? addDays(sendDay, -7) : isoDate(monthStart(dayNumber(to)!))
  return { kind, from, to, dueAt }
}

/** The period before `p`, for the changes a report shows. */
export function previousPeriod(p: ReportPeriod, tz: string): ReportPeriod {
  return periodSentOn(p.kind, p.from, tz)
}
