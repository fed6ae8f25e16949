import type { Plan } from './plan.ts'

/**
 * A row's time bucket (its label in the answer) as SQL, by the column a table keys its rows by:
 * `hour` (counts_hourly, visitors_hourly, visitor_sketches) or `day` (visitors_daily,
 * visitor_sketches). '' when the plan has no time buckets.
 */

/** `hour` columns are UTC instants: the bucket is taken in the reporting time zone. */
export function bucketOfHour(plan: Plan): string {
  switch (plan.granularity) {
    case undefined:
      return "''"
    case 'hour':
      return "formatDateTime(toTimeZone(hour, {tz:String}), '%Y-%m-%d %H:00:00')"
    case 'day':
      return 'toString(toDate(hour, {tz:String}))'
    case 'week':
      return 'toString(toMonday(toDate(hour, {tz:String})))'
    case 'month':
      return 'toString(toStartOfMonth(toDate(hour, {tz:String})))'
  }
}

/** `day` columns are already calendar days of the instance time zone. */
export function bucketOfDay(plan: Plan): string {
  switch (plan.granularity) {
    case undefined:
      return "''"
    case 'hour':
      throw new Error('hourly visitors come from hourly tables')
    case 'day':
      return 'toString(day)'
    case 'week':
      return 'toString(toMonday(day))'
    case 'month':
      return 'toString(toStartOfMonth(day))'
  }
}
