import { DAY_S } from '../calendar.ts'
import { dimension } from '../vocabulary/dimensions.ts'
import { dayStart, type Level } from './pieces.ts'
import type { Plan } from './plan.ts'

/** The longest range (days) a mid-tailed dimension (server/vocabulary/dimensions.ts) reads day by day. */
const MID_TAILED_DAYS = 62

/**
 * Levels for a range read without time buckets. Weekly and monthly sums save rows only where a
 * dimension has many values; elsewhere a range's days are few rows, and each further piece
 * costs more to plan (a few ms in the embedded engine) than they take to read. Measured on
 * the 1 M/day site (bench/queries.ts data), days alone against months, weeks and days: at 30
 * days ISPs 27 against 35 ms, referrers 26 against 35, but pages 102 against 74; at 12 months
 * ISPs 65 against 61, referrers 70 against 68. Sources (about 500 values a day) are faster by
 * days at any range: 25 against 35 ms at 30 days, 50 against 59 at 12 months.
 */
function wholeRangeLevels(plan: Plan): Level[] {
  const tail = dimension(plan.dimension)?.tail
  if (tail === 'long') return ['month', 'week', 'day']
  if (tail === 'mid' && rangeDays(plan) > MID_TAILED_DAYS) return ['month', 'week', 'day']
  return ['day']
}

function rangeDays(plan: Plan): number {
  return (dayStart(plan.range.to) - dayStart(plan.range.from)) / DAY_S + 1
}

/**
 * Which pieces a query may read from the daily, weekly and monthly sums. Those are UTC days,
 * weeks and months: a range's time buckets can come from them only when the reporting time
 * zone is UTC (and only from pieces that fall in one bucket), hourly buckets never.
 * Without time buckets any time zone can use them in the middle of its range.
 */
export function levelsFor(plan: Plan, tz: string): Level[] {
  // The site total has one row an hour: reading them is cheaper than planning more pieces.
  if (plan.dimension === '') return []
  const utc = tz === 'UTC' || tz === 'Etc/UTC'
  switch (plan.granularity) {
    case undefined:
      return wholeRangeLevels(plan)
    case 'month':
      return utc ? ['month', 'day'] : []
    case 'week':
      return utc ? ['week', 'day'] : []
    case 'day':
      return utc ? ['day'] : []
    case 'hour':
      return []
  }
}

/**
 * Which pieces of `visitors_daily`'s clean months are summed from its weekly and monthly sums
 * (visitor-pieces.ts). Its days are days of the reporting time zone, so any time zone's
 * buckets can come from them; hourly visitors are not read from it at all.
 */
export function dailyVisitorLevels(plan: Plan): Level[] {
  switch (plan.granularity) {
    case 'month':
      return ['month', 'day']
    case 'week':
      return ['week', 'day']
    case 'day':
      return ['day']
    case undefined:
    case 'hour':
      return wholeRangeLevels(plan)
  }
}
