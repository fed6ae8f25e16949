import { rmSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createDb, queryRows, type Db } from '../../server/db/client.ts'
import { migrate } from '../../server/db/migrate.ts'
import { deleteSiteData } from '../../server/sites/data.ts'
import { resolveDateRange } from '../../server/stats/date-range.ts'
import { plan } from '../../server/stats/plan.ts'
import { queryRequest } from '../../server/stats/request.ts'
import { runQuery } from '../../server/stats/run.ts'
import { addDays, dayOf } from '../../server/time.ts'
import { currentShift } from '../helpers/clock.ts'
import { buildQuery } from '../helpers/stats-oracle.ts'
import { tempDir } from '../helpers/skaits.ts'

/**
 * The Stats API reads daily, weekly and monthly sums (projections, migration 009) and sums
 * daily visitors without FINAL in months stored once. Every answer must be the one the hourly
 * rows and FINAL give: checked here against the same query with projections off and FINAL
 * everywhere, through inserts, merges, a day rolled up twice, mutations, a site's deletion and
 * the TTL, in UTC and in a time zone whose days are not UTC days.
 */
// Dates come from the clock: sketches expire against the engine's clock and counts by the
// retention TTL, so data written for fixed days would vanish as the calendar moves on.
const TODAY = dayOf(Date.now(), 'UTC')
const NOW = Date.parse(`${TODAY}T10:00:00Z`)
const day = (n: number): string => addDays(TODAY, n)
/** The first day of the month `k` months from this one (k ≤ 0). */
function monthStart(k: number): string {
  const t = new Date(`${TODAY}T00:00:00Z`)
  return new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + k, 1)).toISOString().slice(0, 10)
}
const daysBetween = (from: string, to: string): number => (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000
/** Where the rollup's single days begin: before it, days are rolled up a month at a time. */
const DAILY_FROM = day(-30)
const SITES = ['a.lv', 'b.lv']
let dir: string
let db: Db

/** Hourly counts for two sites, 420 days, three dimensions; some increments negative (bounces taken back). */
async function insertCounts(fromDay: string, days: number, salt: number): Promise<void> {
  await db.command({
    query: `INSERT INTO counts_hourly (site, dimension, hour, value, pageviews, visits, bounces, duration, events, entries, exits,
              engaged_ms, engaged_n, scroll_sum, scroll_n)
      SELECT s, d, h, v, pv, intDiv(pv, 2), toInt64(cityHash64(n, {salt:UInt32}) % 3) - 1, pv * 7, pv, intDiv(pv, 3), intDiv(pv, 4), pv * 900, pv, pv * 40, pv
      FROM (
        SELECT number AS n, ['a.lv', 'b.lv'][1 + number % 2] AS s,
          ['', 'event:page', 'visit:source'][1 + intDiv(number, 2) % 3] AS d,
          toDateTime({from:Date}) + intDiv(number, 6 * 12) % ({days:UInt32} * 24) * 3600 AS h,
          if(d = '', '', concat(d = 'event:page' ? '/p' : 'src', toString(cityHash64(number, {salt:UInt32}) % 12))) AS v,
          toInt64(cityHash64(number, 7, {salt:UInt32}) % 5) AS pv
        FROM numbers({days:UInt32} * 24 * 6 * 12)
      )`,
    query_params: { from: fromDay, days, salt },
  })
}

/** One rollup's worth of daily visitors: every site, dimension and value of the days given. */
async function rollUp(fromDay: string, days: number, salt: number): Promise<void> {
  await db.command({
    query: `INSERT INTO visitors_daily (site, dimension, day, value, visitors)
      SELECT DISTINCT s, d, day, v, cityHash64(s, d, day, v, {salt:UInt32}) % 50 + 1
      FROM (SELECT arrayJoin({sites:Array(String)}) AS s, arrayJoin(['', 'event:page', 'visit:source']) AS d,
              toDate({from:Date}) + number AS day, if(d = '', '', concat(d = 'event:page' ? '/p' : 'src', toString(arrayJoin(range(12))))) AS v
            FROM numbers({days:UInt32}))`,
    query_params: { from: fromDay, days, salt, sites: SITES },
  })
}

const SHAPES: Record<string, unknown>[] = [
  { metrics: ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration', 'time_on_page'] },
  { metrics: ['visitors', 'pageviews', 'bounce_rate'], dimensions: ['time'] },
  { metrics: ['visitors', 'pageviews'], dimensions: ['time:week'] },
  { metrics: ['visitors', 'visits'], dimensions: ['time:month'] },
  { metrics: ['visitors', 'pageviews', 'time_on_page', 'scroll_depth'], dimensions: ['event:page'], pagination: { limit: 5, offset: 2 } },
  { metrics: ['pageviews', 'bounce_rate'], dimensions: ['event:page'], include: { total_rows: true } },
  { metrics: ['visitors', 'visits', 'bounce_rate'], dimensions: ['visit:source'] },
  { metrics: ['visitors', 'visits', 'bounce_rate'], dimensions: ['visit:source'], pagination: { limit: 3 } },
  { metrics: ['visitors', 'pageviews'], dimensions: ['event:page'], pagination: { limit: 20 } },
  { metrics: ['visitors', 'pageviews'], dimensions: ['time:day'], filters: [['is', 'event:page', ['/p3']]] },
  { metrics: ['visitors', 'pageviews'], filters: [['is', 'visit:source', ['src1']]] },
]
const RANGES: unknown[] = [
  'day', 'yesterday', '7d', '30d', 'month', '12mo',
  [addDays(monthStart(-11), -1), addDays(monthStart(-9), 1)], // across two month ends
  [monthStart(-9), addDays(monthStart(-8), -1)], // one whole month
  [addDays(monthStart(-13), 6), day(-1)], // 13 months, ending yesterday
]

/** The answer to one request, and what the hourly rows and FINAL say. */
async function expectAsOracle(site: string, date_range: unknown, shape: Record<string, unknown>, tz: string): Promise<void> {
  const req = queryRequest.parse({ site_id: site, date_range, ...shape })
  const range = resolveDateRange(req.date_range, NOW, tz, 0)
  if ('error' in range) throw new Error(range.error)
  const p = plan(req, { domain: site, settings: { sections: [] } }, range)
  const answer = await runQuery(db, p, req, tz)
  const oracle = buildQuery(p, tz, new Set())
  const unprojected = oracle.sql.includes('SETTINGS optimize_use_projections') ? oracle.sql : `${oracle.sql} SETTINGS optimize_use_projections = 0`
  const expected = await queryRows<Record<string, unknown>>(db, unprojected, oracle.params)
  const shaped = expected.map((row) => ({
    metrics: p.metrics.map((m) => (row[m] === null || row[m] === undefined ? null : Number(row[m]))),
    dimensions: p.dimensions.map((d) => String(d === 'time' || d.startsWith('time:') ? row.bucket : row.val)),
  }))
  expect(answer.results, `${tz} ${site} ${JSON.stringify(date_range)} ${JSON.stringify(shape)}`).toEqual(shaped)
  if (req.include.total_rows) expect(answer.meta.total_rows).toBe(expected.length ? Number(expected[0]!.total_rows) : 0)
}

/**
 * The time-travel pass of `npm test` (test/run.ts) is here to catch dates that go stale, which
 * every range shows with any shape: it checks a third of the shapes (totals, the weekly chart,
 * pages, sources, a filter) to keep the pass short.
 */
const CHECKED_SHAPES = currentShift() ? SHAPES.filter((_, i) => i % 3 === 0) : SHAPES

/** Every shape and range, for one site and time zone: the answer, and what the hourly rows and FINAL say. */
async function compare(tz: string): Promise<number> {
  let checked = 0
  for (const site of SITES) {
    for (const date_range of RANGES) {
      for (const shape of CHECKED_SHAPES) {
        await expectAsOracle(site, date_range, shape, tz)
        checked++
      }
    }
  }
  return checked
}

async function projectionRows(table: string): Promise<number> {
  const [r] = await queryRows<{ n: number }>(db, 'SELECT sum(rows) AS n FROM system.projection_parts WHERE active AND table = {t:String}', { t: table })
  return Number(r!.n)
}

describe('the Stats API over daily, weekly and monthly sums', () => {
  beforeAll(async () => {
    dir = tempDir('skaits-rollups-')
    db = createDb({ clickhouse: { kind: 'embedded', path: path.join(dir, 'clickhouse') } })
    await migrate(db)
    // Two inserts, so months hold more than one part; then the rollup's days: a year in months
    // (as merges leave them), the last 30 days one by one.
    await insertCounts(monthStart(-13), 220, 1)
    await insertCounts(monthStart(-6), daysBetween(monthStart(-6), TODAY) + 1, 2)
    for (let m = -13; m < 0; m++) {
      const days = Math.min(daysBetween(monthStart(m), monthStart(m + 1)), daysBetween(monthStart(m), DAILY_FROM))
      if (days > 0) await rollUp(monthStart(m), days, 1)
    }
    for (let d = 0; d < 30; d++) await rollUp(addDays(DAILY_FROM, d), 1, 1)
  }, 120_000)

  afterAll(async () => {
    await db?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('answers from the sums exactly as from the hourly rows and FINAL', async () => {
    expect(await projectionRows('counts_hourly')).toBeGreaterThan(0)
    expect(await projectionRows('visitors_daily')).toBeGreaterThan(0)
    expect(await compare('UTC')).toBe(SITES.length * RANGES.length * CHECKED_SHAPES.length)
    await compare('Europe/Riga')
  }, 300_000)

  it('still does when the pages with the most visitors have no counts', async () => {
    // Two steps answer a breakdown of pages by visitors: the leading pages by visitors, then
    // their counts. A page with visitors but no counts (or counts that sum to 0) is no row of
    // the answer, and the pages after it are; the same holds with fewer pages than asked for.
    await db.command({
      query: `INSERT INTO visitors_daily (site, dimension, day, value, visitors) VALUES
        ('c.lv', 'event:page', '${day(-2)}', '/gone', 900), ('c.lv', 'event:page', '${day(-2)}', '/zero', 800),
        ('c.lv', 'event:page', '${day(-2)}', '/kept', 5), ('c.lv', 'event:page', '${day(-2)}', '/also', 4)`,
    })
    await db.command({
      query: `INSERT INTO counts_hourly (site, dimension, hour, value, pageviews, visits, bounces) VALUES
        ('c.lv', 'event:page', '${day(-2)} 10:00:00', '/zero', 1, 1, 1), ('c.lv', 'event:page', '${day(-2)} 11:00:00', '/zero', -1, -1, -1),
        ('c.lv', 'event:page', '${day(-2)} 10:00:00', '/kept', 3, 2, 1), ('c.lv', 'event:page', '${day(-2)} 12:00:00', '/also', 2, 1, 0),
        ('c.lv', 'event:page', '${day(-2)} 13:00:00', '/none', 7, 4, 2)`,
    })
    for (const limit of [1, 2, 3, 9]) {
      const shape = { metrics: ['visitors', 'pageviews', 'bounce_rate'], dimensions: ['event:page'], pagination: { limit } }
      await expectAsOracle('c.lv', [day(-2), day(-2)], shape, 'UTC')
      await expectAsOracle('c.lv', [day(-2), day(-2)], { ...shape, pagination: { limit, offset: 1 } }, 'UTC')
    }
    const req = queryRequest.parse({ site_id: 'c.lv', date_range: [day(-2), day(-2)], metrics: ['visitors', 'pageviews'], dimensions: ['event:page'] })
    const p = plan(req, { domain: 'c.lv', settings: { sections: [] } }, { from: day(-2), to: day(-2) })
    const answer = await runQuery(db, { ...p, limit: 2 }, req, 'UTC')
    expect(answer.results.map((r) => r.dimensions[0])).toEqual(['/kept', '/also'])
  }, 60_000)

  it('lists a value that had visits, pageviews or events, or a count behind a metric asked for', async () => {
    // What the ingest writes alone, without a visit, pageview or event on that value: engaged
    // time on a page viewed the day before, a visit lengthened past midnight, an exit moved on.
    await db.command({
      query: `INSERT INTO counts_hourly (site, dimension, hour, value, pageviews, visits, events, duration, exits, engaged_ms, engaged_n) VALUES
        ('d.lv', 'event:page', '${day(-2)} 00:10:00', '/viewed', 2, 1, 2, 0, 1, 0, 0),
        ('d.lv', 'event:page', '${day(-2)} 00:10:00', '/read-late', 0, 0, 0, 0, 0, 40000, 1),
        ('d.lv', 'event:page', '${day(-2)} 00:10:00', '/left', 0, 0, 0, 0, -1, 0, 0),
        ('d.lv', 'visit:source', '${day(-2)} 00:10:00', 'Google', 2, 1, 2, 30, 0, 0, 0),
        ('d.lv', 'visit:source', '${day(-2)} 00:10:00', 'Bing', 0, 0, 0, 45, 0, 0, 0)`,
    })
    const rows = async (dimension: string, metrics: string[]) => {
      const body = { site_id: 'd.lv', date_range: [day(-2), day(-2)], metrics, dimensions: [dimension] }
      await expectAsOracle('d.lv', body.date_range, { metrics, dimensions: [dimension] }, 'UTC')
      const req = queryRequest.parse(body)
      const answer = await runQuery(db, plan(req, { domain: 'd.lv', settings: { sections: [] } }, { from: day(-2), to: day(-2) }), req, 'UTC')
      return answer.results.map((r) => [r.dimensions[0], ...r.metrics])
    }
    expect(await rows('event:page', ['pageviews'])).toEqual([['/viewed', 2]])
    expect(await rows('event:page', ['pageviews', 'time_on_page'])).toEqual([
      ['/viewed', 2, null],
      ['/read-late', 0, 40],
    ])
    expect(await rows('visit:source', ['visits'])).toEqual([['Google', 1]])
    expect(await rows('visit:source', ['visits', 'visit_duration'])).toEqual([
      ['Google', 1, 30],
      ['Bing', 0, 0],
    ])
  }, 60_000)

  it('looks at the parts once for panels asked together, and again after any write', async () => {
    const spy = vi.spyOn(db, 'query')
    const partsLooks = () => spy.mock.calls.filter(([args]) => args.query.includes('system.parts')).length
    const ask = async (dimensions = ['visit:source']) => {
      const req = queryRequest.parse({ site_id: 'e.lv', date_range: 'day', metrics: ['visitors', 'pageviews'], dimensions })
      const range = resolveDateRange(req.date_range, NOW, 'UTC', 0)
      if ('error' in range) throw new Error(range.error)
      const answer = await runQuery(db, plan(req, { domain: 'e.lv', settings: { sections: [] } }, range), req, 'UTC')
      return answer.results.map((r) => [...r.dimensions, ...r.metrics])
    }
    await db.command({
      query: `INSERT INTO counts_hourly (site, dimension, hour, value, pageviews, visits, events) VALUES
        ('e.lv', 'visit:source', '${TODAY} 09:00:00', 'Google', 3, 1, 3), ('e.lv', '', '${TODAY} 09:00:00', '', 3, 1, 3)`,
    })
    // Today has no sketches yet (nothing of any site): the panels read none, after one look.
    expect(await Promise.all([ask(), ask(), ask([])])).toEqual([[['Google', 0, 3]], [['Google', 0, 3]], [[0, 3]]])
    expect(partsLooks()).toBe(1)
    // The first visitor of the day writes today's first sketch: the very next panel sees it.
    await db.command({
      query: `INSERT INTO visitor_sketches (site, day, hour, dimension, value, visitors)
        SELECT 'e.lv', toDate('${TODAY}'), toDateTime('${TODAY} 09:00:00'), d, v, uniqState(toUInt64(number))
        FROM numbers(2) ARRAY JOIN ['visit:source', ''] AS d, ['Google', ''] AS v GROUP BY d, v`,
    })
    expect(await ask([])).toEqual([[2, 3]])
    expect(partsLooks()).toBe(2)
    expect(await ask()).toEqual([['Google', 2, 3]])
    expect(partsLooks()).toBe(2)
    spy.mockRestore()
  }, 60_000)

  it('still does when a day is rolled up twice with other numbers (FINAL keeps the last)', async () => {
    // A merge in between would keep one row of the two before they are counted.
    await db.command({ query: 'SYSTEM STOP MERGES visitors_daily' })
    await rollUp(day(-12), 1, 2)
    await rollUp(addDays(monthStart(-8), 14), 1, 3)
    const [twice] = await queryRows<{ n: number }>(db, "SELECT count() AS n FROM visitors_daily WHERE day = {d:Date} AND site = 'a.lv' AND dimension = ''", { d: day(-12) })
    expect(Number(twice!.n)).toBe(2)
    await db.command({ query: 'SYSTEM START MERGES visitors_daily' })
    await compare('UTC')
  }, 300_000)

  it('still does after merges, mutations, a deleted site and the TTL', async () => {
    await db.command({ query: 'OPTIMIZE TABLE counts_hourly FINAL' })
    // Partition expressions take no query parameters; the month is ours.
    await db.command({ query: `OPTIMIZE TABLE visitors_daily PARTITION ${monthStart(-8).slice(0, 7).replace('-', '')} FINAL` })
    await compare('UTC')
    await db.command({
      query: "ALTER TABLE counts_hourly DELETE WHERE dimension = 'event:page' AND value = '/p3' AND hour < toDateTime({d:Date})",
      query_params: { d: monthStart(-5) },
      clickhouse_settings: { mutations_sync: '2' },
    })
    await db.command({
      query: "ALTER TABLE visitors_daily DELETE WHERE dimension = 'visit:source' AND day < {d:Date}",
      query_params: { d: monthStart(-7) },
      clickhouse_settings: { mutations_sync: '2' },
    })
    await compare('UTC')
    await deleteSiteData(db, 'b.lv')
    await compare('UTC')
    // Retention of 10 months: rows from before this day 10 months ago expire.
    await db.command({ query: 'ALTER TABLE counts_hourly MODIFY TTL hour + toIntervalMonth(10)', clickhouse_settings: { mutations_sync: '2' } })
    await db.command({ query: 'ALTER TABLE visitors_daily MODIFY TTL day + toIntervalMonth(10)', clickhouse_settings: { mutations_sync: '2' } })
    await db.command({ query: 'OPTIMIZE TABLE counts_hourly FINAL' })
    const [old] = await queryRows<{ n: number }>(db, 'SELECT count() AS n FROM counts_hourly WHERE hour < toDateTime({d:Date})', { d: monthStart(-11) })
    expect(Number(old!.n)).toBe(0)
    await compare('UTC')
    await compare('Europe/Riga')
  }, 600_000)
})
