import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createDb, queryRows } from '../../server/db/client.ts'
import { addDays, dayOf } from '../../server/time.ts'
import { clockAt } from '../helpers/clock.ts'
import { API_KEY, browserUA, sendEvent, spawnServer, tempDir, type SpawnedSkaits } from '../helpers/skaits.ts'

/**
 * A server that was off for days must find every day it counted before the outage intact at
 * its next start: counts, visits and unique visitors. The first run's clock is moved back with
 * test/helpers/clockshift.c (the engine's clock too, so its TTLs see the day as today), the second runs on
 * this process's clock on the same data directory, as after a real outage.
 */
const DAY_MS = 86_400_000
let running: SpawnedSkaits | undefined

afterEach(async () => {
  await running?.stop('SIGKILL')
  running = undefined
})

async function api(url: string, day: string, metrics: string[], dimensions: string[] = []) {
  const res = await fetch(`${url}/api/v2/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ site_id: 'example.lv', metrics, dimensions, date_range: [day, day] }),
  })
  expect(res.status).toBe(200)
  return ((await res.json()) as { results: { dimensions: string[]; metrics: number[] }[] }).results
}

async function outage(days: number): Promise<void> {
  const dataDir = tempDir('skaits-outage-')
  const env = { DATA_DIR: dataDir, TIMEZONE: 'UTC', FLUSH_INTERVAL_MS: '100' }
  const day = dayOf(Date.now() - days * DAY_MS, 'UTC')
  // Noon of that day: the traffic cannot cross its midnight.
  running = await spawnServer({ ...env, ...clockAt(Date.parse(`${day}T12:00:00Z`)) })
  // 12 visitors (address and browser differ), 2 pages each, 3 of them on both browsers: 15 visits.
  const pages = ['/', '/pricing', '/blog/a']
  const visits: [string, string][] = []
  for (let v = 0; v < 12; v++) visits.push([`198.51.100.${v + 1}`, browserUA(v)])
  for (let v = 0; v < 3; v++) visits.push([`198.51.100.${v + 1}`, browserUA(v + 100)])
  for (const [n, [ip, ua]] of visits.entries()) {
    for (const step of [0, 1]) {
      const res = await sendEvent(running.url, { n: 'pageview', u: `https://example.lv${pages[(n + step) % 3]}`, d: 'example.lv' }, { ip, ua })
      expect(res.status).toBe(202)
    }
  }
  // Inserted within FLUSH_INTERVAL_MS; read once there.
  const expected = [{ dimensions: [], metrics: [15, 15, 30] }]
  let before = await api(running.url, day, ['visitors', 'visits', 'pageviews'])
  const metricsOf = (r: typeof before) => JSON.stringify(r.map((row) => row.metrics))
  for (const t = Date.now(); metricsOf(before) !== metricsOf(expected) && Date.now() - t < 15_000; ) {
    await new Promise((r) => setTimeout(r, 200))
    before = await api(running.url, day, ['visitors', 'visits', 'pageviews'])
  }
  expect(before).toEqual(expected)
  const pagesBefore = await api(running.url, day, ['visitors', 'pageviews'], ['event:page'])
  expect(await running.stop('SIGTERM')).toBe(0)

  // The outage. A ClickHouse server stays up while Skaits is away and applies its TTLs (the
  // embedded engine does so at the next start, racing the rollup): do what it would have done.
  const engine = createDb({ clickhouse: { kind: 'embedded', path: path.join(dataDir, 'clickhouse') } })
  await engine.command({ query: 'OPTIMIZE TABLE visitor_sketches FINAL' })
  await engine.close()
  // The next start is `days` later, on this process's clock.
  running = await spawnServer(env)
  expect(await api(running.url, day, ['visitors', 'visits', 'pageviews'])).toEqual(before)
  expect(await api(running.url, day, ['visitors', 'pageviews'], ['event:page'])).toEqual(pagesBefore)
  expect(pagesBefore.length).toBe(3)
  expect(await running.stop('SIGTERM')).toBe(0)
  running = undefined

  const db = createDb({ clickhouse: { kind: 'embedded', path: path.join(dataDir, 'clickhouse') } })
  try {
    const today = dayOf(Date.now(), 'UTC')
    // The day was rolled up into integers, then its sketches dropped; its salt is long gone.
    expect(await queryRows(db, 'SELECT toString(day) AS d FROM rolled_days WHERE day = {day:Date}', { day })).toEqual([{ d: day }])
    expect(await queryRows(db, 'SELECT toString(day) AS d, count() AS n FROM visitor_sketches WHERE day < {today:Date} GROUP BY day', { today })).toEqual([])
    expect(await queryRows(db, 'SELECT toString(day) AS d FROM salts WHERE day < {y:Date}', { y: addDays(today, -1) })).toEqual([])
    const [daily] = await queryRows<{ n: number }>(db, "SELECT sum(visitors) AS n FROM visitors_daily FINAL WHERE day = {day:Date} AND dimension = ''", { day })
    expect(Number(daily!.n)).toBe(15)
  } finally {
    await db.close()
  }
}

describe('an outage', () => {
  it('of 3 days (a weekend and more) loses no visitor of the day before it', () => outage(3), 180_000)
  it('of 14 days loses none either', () => outage(14), 180_000)
})
