/**
 * A site's report for a week or a month (issue 23, part A): its numbers, asked through the same
 * plans as the Stats API so they equal what the API answers for the same days.
 *
 * Done: the numbers (this file), their rendering in English and Latvian with a PNG chart
 * (render.ts, chart.ts, png.ts), sending over SMTP with retries (mail.ts), and
 * `skaits reports render` (cli/reports.ts).
 * Not yet: sending on schedule (Monday 07:00 / the 1st in TIMEZONE) and recording what was sent
 * in ClickHouse so nothing goes twice; owners' subscriptions (dashboard, REST, CLI) and language;
 * the unsubscribe endpoint the List-Unsubscribe link points at; recipients outside the owners;
 * alerts (spike, quiet tracker, webhook); a site's own minimum crowd (`minCrowd`), which the
 * API applies to its owner too and which these numbers do not yet apply.
 */
import { dayNumber, isoDate, mondayOf, monthEnd, monthStart } from '../calendar.ts'
import type { Db } from '../db/client.ts'
import type { Site } from '../sites/sites.ts'
import type { DayRange } from '../stats/date-range.ts'
import { goalQuery } from '../stats/goals.ts'
import { plan } from '../stats/plan.ts'
import { queryRequest, type QueryRequest } from '../stats/request.ts'
import type { QueryCost, QueryResponse } from '../stats/run.ts'
import { planRunner } from '../stats/answer.ts'

export type PeriodKind = 'week' | 'month'
export const PERIOD_KINDS: readonly PeriodKind[] = ['week', 'month']

export interface Period {
  kind: PeriodKind
  from: string
  to: string
  /** the period before, to compare with */
  previous: { from: string; to: string }
}

/**
 * The period a report sent on `sendDay` (YYYY-MM-DD in TIMEZONE) is about: the Monday–Sunday
 * before the week of the send day, or the calendar month before the send day's.
 */
export function reportPeriod(kind: PeriodKind, sendDay: string): Period {
  const day = dayNumber(sendDay)
  if (day === undefined) throw new RangeError(`not a day: ${sendDay}`)
  if (kind === 'week') {
    const monday = mondayOf(day) - 7
    return { kind, from: isoDate(monday), to: isoDate(monday + 6), previous: { from: isoDate(monday - 7), to: isoDate(monday - 1) } }
  }
  const last = monthStart(day) - 1
  const first = monthStart(last)
  return { kind, from: isoDate(first), to: isoDate(last), previous: { from: isoDate(monthStart(first - 1)), to: isoDate(monthEnd(first - 1)) } }
}

export const TOTALS = ['visitors', 'visits', 'pageviews', 'bounce_rate', 'visit_duration'] as const
export type Total = (typeof TOTALS)[number]

export interface Compared {
  value: number
  previous: number
  /** percent for counts and durations, percentage points for the bounce rate; null when the previous period had none */
  change: number | null
}

export interface Ranked {
  value: string
  visitors: number
}

export interface GoalLine {
  name: string
  visitors: number
  conversionRate: number
}

export interface ReportData {
  site: string
  period: Period
  totals: Record<Total, Compared>
  /** visitors of each day of the period, in order */
  daily: { day: string; visitors: number }[]
  pages: Ranked[]
  sources: Ranked[]
  countries: Ranked[]
  /** undefined when the site declares no goals */
  goals?: GoalLine[]
}

export interface ReportDeps {
  db: Db
  timezone: string
  clock: () => number
  /** the Stats API's own limits (STATS_MAX_EXECUTION_MS, STATS_MAX_MEMORY_MB) */
  cost?: QueryCost
  /**
   * the reader's minimum crowd: a report to someone outside the owners hides values under k
   * visitors as a shared link does; the site's own k holds for everyone. 0: exact.
   */
  minCrowd?: number
}

export const TOP = 5

/** The numbers of `site`'s report for `period`. */
export async function reportData(deps: ReportDeps, site: Site, period: Period, today: string): Promise<ReportData> {
  const range: DayRange = { from: period.from, to: period.to, today }
  const before: DayRange = { ...period.previous, today }
  const ask = (r: DayRange, body: Record<string, unknown>) => queryRequest.parse({ site_id: site.domain, date_range: [r.from, r.to], ...body })
  const runner = planRunner(deps, Math.max(deps.minCrowd ?? 0, site.settings.minCrowd ?? 0))
  const run = (r: DayRange, req: QueryRequest) => runner(plan(req, site, r), req)
  const totalsOf = async (r: DayRange) => firstRow(await run(r, ask(r, { metrics: [...TOTALS] })))
  const [now, then] = [await totalsOf(range), await totalsOf(before)]
  const hadVisits = (then[TOTALS.indexOf('visits')] ?? 0) > 0
  const totals = Object.fromEntries(TOTALS.map((m, i) => [m, compared(m, now[i] ?? 0, then[i] ?? 0, hadVisits)])) as Record<Total, Compared>
  const dailyReq = ask(range, { metrics: ['visitors'], dimensions: ['time:day'], include: { time_labels: true } })
  const daily = await run(range, dailyReq)
  const byDay = new Map(daily.results.map((r) => [r.dimensions[0]!, r.metrics[0] ?? 0]))
  const top = async (dimension: string) => {
    const answer = await run(range, ask(range, { metrics: ['visitors'], dimensions: [dimension], pagination: { limit: TOP, offset: 0 } }))
    return answer.results.map((r) => ({ value: r.dimensions[0]!, visitors: r.metrics[0] ?? 0 }))
  }
  const data: ReportData = {
    site: site.domain,
    period,
    totals,
    daily: (daily.meta.time_labels ?? []).map((day) => ({ day, visitors: byDay.get(day) ?? 0 })),
    pages: await top('event:page'),
    sources: await top('visit:source'),
    countries: await top('visit:country'),
  }
  if (site.settings.goals?.length) {
    const req = ask(range, { metrics: ['visitors', 'conversion_rate'], dimensions: ['event:goal'], pagination: { limit: TOP, offset: 0 } })
    const answer = await goalQuery(req, site, range, runner, deps.timezone)
    data.goals = answer.results.map((r) => ({ name: r.dimensions[0]!, visitors: r.metrics[0] ?? 0, conversionRate: r.metrics[1] ?? 0 }))
  }
  return data
}

function firstRow(answer: QueryResponse): (number | null)[] {
  return answer.results[0]?.metrics ?? []
}

function compared(metric: Total, value: number | null, previous: number | null, hadVisits: boolean): Compared {
  const v = value ?? 0
  const p = previous ?? 0
  if (metric === 'bounce_rate') return { value: v, previous: p, change: hadVisits ? Math.round(v - p) : null }
  return { value: v, previous: p, change: p ? Math.round(((v - p) / p) * 100) : null }
}
