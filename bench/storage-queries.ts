import type { Db } from '../server/db/client.ts'
import { resolveDateRange } from '../server/stats/date-range.ts'
import { plan, type Plan } from '../server/stats/plan.ts'
import { queryRequest } from '../server/stats/request.ts'
import { answerRows } from '../server/stats/run.ts'
import { unionQuery } from '../server/stats/queries.ts'
import { addDays, startOfDay } from '../server/time.ts'

/**
 * The dashboard's first view (dashboard/src/dashboard.ts and panels.ts): the top-line numbers,
 * the chart, and the first tab of every panel (nine rows each). The Skaits side answers as the
 * Stats API does (request schema → date range → planner → server/stats/run.ts); the raw side runs
 * equivalent SQL over Plausible-style events_v2 and sessions_v2, with Plausible's metric
 * definitions (visitors = uniq(user_id) without engagement events; visits, bounces and duration
 * from sessions with sum(sign)), sorted and limited alike.
 */
export interface DashboardQuery {
  id: string
  /** the Stats API body the dashboard sends, less site_id and date_range */
  body: Record<string, unknown>
  /** the raw side's SQL; {from}/{to} are the range's Unix seconds, {site_id} the raw site */
  raw: (granularity: 'hour' | 'day') => string
  /** a second raw query for the rows the first returned ({vals}), adding metrics to them */
  rawDetail?: () => string
  /** metrics whose values agree exactly on both sides; the others go through a sketch */
  exact: string[]
}

const EVENTS = `plausible.events_v2 WHERE site_id = {site_id:UInt64}
  AND timestamp >= toDateTime({from:UInt32}) AND timestamp < toDateTime({to:UInt32})`
const SESSIONS = `plausible.sessions_v2 WHERE site_id = {site_id:UInt64}
  AND start >= toDateTime({from:UInt32}) AND start < toDateTime({to:UInt32})`
const SECTION = "if(pathname = '/', '/', splitByChar('/', pathname)[2])"

/**
 * Per page (or section), in two steps as Plausible's breakdowns do: visitors and pageviews for
 * all, then time on page and scroll depth for the nine shown. Scroll depth is the deepest scroll
 * of each (visit, page), averaged; time on page the engaged time per (visit, page) engaged.
 * Sections are a function of the path, so rows are first summed per path (1,500 of them) and
 * the section worked out once per path, not once per event.
 */
const pagesSql = (section: boolean) =>
  section
    ? `
  SELECT ${SECTION} AS val, uniqMerge(visitors_state) AS visitors, sum(views) AS pageviews
  FROM (SELECT pathname, uniqStateIf(user_id, name != 'engagement') AS visitors_state, countIf(name = 'pageview') AS views
        FROM ${EVENTS} GROUP BY pathname)
  GROUP BY val ORDER BY visitors DESC, val ASC LIMIT 9`
    : `
  SELECT pathname AS val, uniqIf(user_id, name != 'engagement') AS visitors, countIf(name = 'pageview') AS pageviews
  FROM ${EVENTS}
  GROUP BY val ORDER BY visitors DESC, val ASC LIMIT 9`
const pagesDetailSql = (section: boolean) => `
  SELECT ${section ? "if(path = '/', '/', splitByChar('/', path)[2])" : 'path'} AS val,
    round(sum(engaged_ms) / count() / 1000) AS time_on_page, round(sum(max_sd) / count()) AS scroll_depth
  FROM (
    SELECT any(pathname) AS path, sum(engagement_time) AS engaged_ms, max(scroll_depth) AS max_sd
    FROM ${EVENTS} AND name = 'engagement' ${section ? '' : 'AND pathname IN {vals:Array(String)}'}
    GROUP BY session_id, cityHash64(pathname))
  ${section ? 'WHERE val IN {vals:Array(String)}' : ''}
  GROUP BY val`

const visitBreakdown = (key: string, metrics: string) => `
  SELECT ${key} AS val, uniq(user_id) AS visitors, ${metrics}
  FROM ${SESSIONS}
  GROUP BY val ORDER BY visitors DESC, val ASC LIMIT 9`

export const DASHBOARD: DashboardQuery[] = [
  {
    id: 'top-line',
    body: { metrics: ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration', 'time_on_page'] },
    raw: () => `
      SELECT e.visitors AS visitors, s.visits AS visits, e.pageviews AS pageviews,
        round(pageviews / visits, 2) AS views_per_visit, round(100 * s.bounces / visits) AS bounce_rate,
        round(s.duration / visits) AS visit_duration, round(e.engaged_ms / e.engaged_n / 1000) AS time_on_page
      FROM (SELECT uniqIf(user_id, name != 'engagement') AS visitors, countIf(name = 'pageview') AS pageviews,
              sumIf(engagement_time, name = 'engagement') AS engaged_ms, uniqIf((session_id, pathname), name = 'engagement') AS engaged_n
            FROM ${EVENTS}) AS e,
           (SELECT sum(sign) AS visits, sum(sign * is_bounce) AS bounces, sum(sign * duration) AS duration FROM ${SESSIONS}) AS s`,
    exact: ['visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration'],
  },
  {
    id: 'chart',
    body: { metrics: ['visitors', 'visits', 'pageviews'], dimensions: ['time'], include: { time_labels: true } },
    raw: (g) => {
      const bucket = (col: string) => (g === 'hour' ? `formatDateTime(toStartOfHour(${col}), '%Y-%m-%d %H:00:00')` : `toString(toDate(${col}))`)
      return `
      SELECT e.val AS val, visitors, visits, pageviews
      FROM (SELECT ${bucket('timestamp')} AS val, uniqIf(user_id, name != 'engagement') AS visitors, countIf(name = 'pageview') AS pageviews
            FROM ${EVENTS} GROUP BY val) AS e
      LEFT JOIN (SELECT ${bucket('start')} AS val, sum(sign) AS visits FROM ${SESSIONS} GROUP BY val) AS s ON e.val = s.val
      ORDER BY val`
    },
    exact: ['visits', 'pageviews'],
  },
  {
    id: 'sections',
    body: { metrics: ['visitors', 'pageviews', 'time_on_page', 'scroll_depth'], dimensions: ['event:section'], pagination: { limit: 9 } },
    raw: () => pagesSql(true),
    rawDetail: () => pagesDetailSql(true),
    exact: ['pageviews', 'scroll_depth', 'time_on_page'],
  },
  {
    id: 'pages',
    body: { metrics: ['visitors', 'pageviews', 'time_on_page', 'scroll_depth'], dimensions: ['event:page'], pagination: { limit: 9 } },
    raw: () => pagesSql(false),
    rawDetail: () => pagesDetailSql(false),
    exact: ['pageviews', 'scroll_depth', 'time_on_page'],
  },
  {
    id: 'sources',
    body: { metrics: ['visitors', 'visits', 'bounce_rate'], dimensions: ['visit:source'], pagination: { limit: 9 } },
    raw: () =>
      visitBreakdown("if(referrer_source = '', 'Direct / None', referrer_source)", 'sum(sign) AS visits, round(100 * sum(sign * is_bounce) / visits) AS bounce_rate'),
    exact: ['visits', 'bounce_rate'],
  },
  {
    id: 'countries',
    body: { metrics: ['visitors', 'visits'], dimensions: ['visit:country'], pagination: { limit: 9 } },
    raw: () => visitBreakdown('toString(country_code)', 'sum(sign) AS visits'),
    exact: ['visits'],
  },
  {
    id: 'isp',
    body: { metrics: ['visitors', 'visits', 'visit_duration'], dimensions: ['visit:isp'], pagination: { limit: 9 } },
    raw: () => visitBreakdown('toString(isp)', 'sum(sign) AS visits, round(sum(sign * duration) / visits) AS visit_duration'),
    exact: ['visits', 'visit_duration'],
  },
  {
    id: 'browsers',
    body: { metrics: ['visitors', 'visits'], dimensions: ['visit:browser'], pagination: { limit: 9 } },
    raw: () => visitBreakdown('toString(browser)', 'sum(sign) AS visits'),
    exact: ['visits'],
  },
  {
    id: 'custom events',
    body: {
      metrics: ['visitors', 'events'],
      dimensions: ['event:name'],
      filters: [['is_not', 'event:name', ['pageview']]],
      pagination: { limit: 9 },
    },
    raw: () => `
      SELECT toString(name) AS val, uniq(user_id) AS visitors, count() AS events
      FROM ${EVENTS} AND name NOT IN ('pageview', 'engagement')
      GROUP BY val ORDER BY visitors DESC, val ASC LIMIT 9`,
    exact: ['events'],
  },
]

/** A row of an answer: its key (dimension value or time bucket, '' for totals) and metrics. */
export interface AnswerRow {
  key: string
  metrics: Record<string, number | null>
}

export interface Answer {
  rows: AnswerRow[]
  ms: number
  rowsRead: number
  bytesRead: number
}

interface JsonAnswer {
  data: Record<string, unknown>[]
  statistics?: { rows_read?: number; bytes_read?: number }
}

async function timed(db: Db, sql: string, params: Record<string, unknown>): Promise<{ data: Record<string, unknown>[]; ms: number; rowsRead: number; bytesRead: number }> {
  const started = performance.now()
  const rs = await db.query({ query: sql, query_params: params, format: 'JSON' })
  const json = (await rs.json()) as unknown as JsonAnswer
  const ms = performance.now() - started
  return { data: json.data, ms, rowsRead: Number(json.statistics?.rows_read ?? 0), bytesRead: Number(json.statistics?.bytes_read ?? 0) }
}

function toRows(data: Record<string, unknown>[], metrics: string[], key: (row: Record<string, unknown>) => string): AnswerRow[] {
  return data.map((row) => ({
    key: key(row),
    metrics: Object.fromEntries(metrics.map((m) => [m, row[m] === null || row[m] === undefined ? null : Number(row[m])])),
  }))
}

/**
 * The Stats API's plan for `q` over `range` (a Plausible date_range), as the server makes it,
 * and its one-query SQL (queries.ts; the server may ask two plainer queries instead, see run.ts).
 */
export function skaitsSql(q: DashboardQuery, site: string, range: string, nowMs: number): { plan: Plan; sql: string; params: Record<string, unknown>; metrics: string[]; byTime: boolean } {
  const req = queryRequest.parse({ site_id: site, date_range: range, ...q.body })
  const days = resolveDateRange(req.date_range, nowMs, 'UTC', 0)
  if ('error' in days) throw new Error(days.error)
  const p = plan(req, { domain: site, settings: { sections: [] } }, days)
  const { sql, params } = unionQuery(p, 'UTC', { cleanMonths: new Set(), sketches: true })
  return { plan: p, sql, params, metrics: req.metrics, byTime: req.dimensions.some((d) => d.startsWith('time')) }
}

/**
 * Answers as the server does (server/stats/run.ts), timed. The rows read are the one query's
 * (read again, untimed): the server's own path does not report them.
 */
export async function runSkaits(db: Db, built: ReturnType<typeof skaitsSql>): Promise<Answer> {
  const started = performance.now()
  const data = await answerRows(db, built.plan, 'UTC')
  const ms = performance.now() - started
  const { rowsRead, bytesRead } = await timed(db, built.sql, built.params)
  return { ms, rowsRead, bytesRead, rows: toRows(data, built.metrics, (row) => String(built.byTime ? row.bucket : row.val)) }
}

/** The raw side's SQL for `q` over whole days [from, to) (Unix seconds). */
export function rawSql(
  q: DashboardQuery,
  siteId: number,
  fromDay: string,
  toDay: string,
): { sql: string; detail: string | undefined; params: Record<string, unknown>; metrics: string[] } {
  const granularity = fromDay === toDay ? 'hour' : 'day'
  const from = startOfDay(fromDay, 'UTC') / 1000
  const to = startOfDay(addDays(toDay, 1), 'UTC') / 1000
  return { sql: q.raw(granularity), detail: q.rawDetail?.(), params: { site_id: siteId, from, to }, metrics: q.body.metrics as string[] }
}

/** Runs the raw query (and its follow-up for the rows found); the time is that of both. */
export async function runRaw(db: Db, built: ReturnType<typeof rawSql>): Promise<Answer> {
  const r = await timed(db, built.sql, built.params)
  if (!built.detail) return { ...r, rows: toRows(r.data, built.metrics, (row) => String(row.val ?? '')) }
  const vals = r.data.map((row) => String(row.val))
  const d = await timed(db, built.detail, { ...built.params, vals })
  const byVal = new Map(d.data.map((row) => [String(row.val), row]))
  const merged = r.data.map((row) => ({ ...byVal.get(String(row.val)), ...row }))
  return {
    rows: toRows(merged, built.metrics, (row) => String(row.val ?? '')),
    ms: r.ms + d.ms,
    rowsRead: r.rowsRead + d.rowsRead,
    bytesRead: r.bytesRead + d.bytesRead,
  }
}
