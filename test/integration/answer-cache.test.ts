import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDb, type Db } from '../../server/db/client.ts'
import { migrate } from '../../server/db/migrate.ts'
import { EventBuffer } from '../../server/ingest/buffer.ts'
import { createLogger } from '../../server/log.ts'
import { rollupDay } from '../../server/rollup/rollup.ts'
import { deleteSiteData } from '../../server/sites/data.ts'
import type { Cell } from '../../server/sessions/cells.ts'
import { AnswerCache, splitOf } from '../../server/stats/answer-cache.ts'
import { resolveDateRange } from '../../server/stats/date-range.ts'
import { plan, PlanError, type Plan } from '../../server/stats/plan.ts'
import { queryRequest } from '../../server/stats/request.ts'
import { answerRows } from '../../server/stats/run.ts'
import { addDays, dayOf } from '../../server/time.ts'
import { kindOf, metricsOf } from '../../server/vocabulary/metrics.ts'
import { mulberry32 } from '../helpers/random.ts'
import { tempDir } from '../helpers/skaits.ts'

/**
 * The answer cache (server/stats/answer-cache.ts) must answer exactly what the engine answers
 * without it. Random writes through the ingest buffer (today's and late ones), rollups, a
 * site's deletion and the clock crossing midnight, each followed by random Stats API requests
 * asked twice with the cache (read, then kept) and once without: the same rows, in the same
 * order. In UTC and in a time zone whose hours are not the UTC day's (Asia/Kolkata, +05:30).
 * A failure prints its seed; ANSWER_CACHE_SEED=<seed> runs it again.
 */
const SEED = Number(process.env.ANSWER_CACHE_SEED ?? Date.now() % 1_000_000)
const SITES = ['a.lv', 'b.lv']
const DIMENSIONS = ['', 'event:page', 'visit:source', 'visit:country', 'event:name', 'visit:exit_page']
const PAGES = ['/', '/cenas', '/par-mums', '/ā', '/\u{1F600}', '/\uE000', '/kontakti', '/blogs/1']
const SOURCES = ['Google', 'Direct / None', 'Facebook', 'DuckDuckGo']
const COUNTRIES = ['LV', 'EE', 'LT', 'DE']
const EVENTS = ['Signup', 'Download']
const log = createLogger('silent')

let dir: string
let db: Db

beforeAll(async () => {
  dir = tempDir('skaits-answer-cache-')
  db = createDb({ clickhouse: { kind: 'embedded', path: path.join(dir, 'clickhouse') } })
  await migrate(db)
}, 60_000)

afterAll(async () => {
  await db?.close()
})

/** A scenario in one time zone: its clock, buffer, cache and random source. */
function scenario(tz: string, seed: number) {
  const random = mulberry32(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!
  const int = (n: number) => Math.floor(random() * n)
  // Today's 09:00 UTC, from the clock: the dates of every write and range follow it.
  let now = Date.parse(`${dayOf(Date.now(), 'UTC')}T09:00:00Z`)
  const clock = () => now
  const buffer = new EventBuffer(db, { flushIntervalMs: 3_600_000, batchMaxEvents: 1e9, bufferMaxEvents: 1e9, timezone: tz }, log, clock)
  const cache = new AnswerCache(db, { maxBytes: 64 * 1024 * 1024, now: clock })
  buffer.onWritten((rows) => cache.written(rows))
  const visitors = Array.from({ length: 40 }, (_, i) => String(1_000_003 * (i + 1) + seed))

  /** One event's cells, as sessions/cells.ts makes them: the total and one value of each dimension. */
  function cells(): Cell[] {
    const pv = int(3) > 0 ? 1 : 0
    const visit = int(3) === 0 ? 1 : 0
    const base = () => ({
      pageviews: pv,
      visits: visit,
      bounces: visit ? int(2) : -int(2) * (1 - visit),
      duration: int(4) * 30,
      events: 1,
      entries: visit,
      exits: int(2),
      engaged_ms: int(3) * 7000,
      engaged_n: int(2),
      scroll_sum: int(100),
      scroll_n: int(2),
      revenue: 0,
      revenue_n: 0,
    })
    const uniq = () => (int(4) > 0 ? 1 : 0) as 0 | 1
    return [
      { dimension: '', value: '', uniq: uniq(), ...base() },
      { dimension: 'event:page', value: pick(PAGES), uniq: uniq(), ...base() },
      { dimension: 'visit:source', value: pick(SOURCES), uniq: uniq(), ...base() },
      { dimension: 'visit:country', value: pick(COUNTRIES), uniq: uniq(), ...base() },
      { dimension: 'visit:exit_page', value: pick(PAGES), uniq: 0, ...base() },
      ...(int(3) === 0 ? [{ dimension: 'event:name', value: pick(EVENTS), uniq: uniq(), ...base(), pageviews: 0, visits: 0 }] : []),
    ]
  }

  /** `n` events at random instants between `fromMs` and `toMs` (the clock), flushed in one insert. */
  async function write(n: number, fromMs: number, toMs = now): Promise<void> {
    for (let i = 0; i < n; i++) {
      const ts = fromMs + Math.floor(random() * Math.max(1, toMs - fromMs))
      buffer.add(pick(SITES), ts, dayOf(ts, tz), pick(visitors), cells())
    }
    await buffer.flush()
  }

  /** Requests asked before: asked again after later writes, whose answers must not be the kept ones. */
  const asked: Record<string, unknown>[] = []

  /** A random request's body. */
  function body(): Record<string, unknown> {
    const dim = pick(DIMENSIONS)
    const today = dayOf(now, tz)
    const date_range = pick<unknown>([
      'day', 'yesterday', '7d', '30d', 'month', '12mo',
      [addDays(today, -20), addDays(today, -3)],
      [addDays(today, -9), today],
      [today, addDays(today, 2)],
      [addDays(today, -2), addDays(today, -1)],
    ])
    const kind = kindOf(dim)!
    const allowed = metricsOf(kind).filter((m) => !(m === 'visitors' && dim === 'visit:exit_page'))
    const metrics = allowed.filter(() => random() < 0.5)
    if (!metrics.length) metrics.push(pick(allowed))
    const time = pick([undefined, 'time', 'time:day', 'time:week', 'time:month', 'time:hour'])
    const dimensions = [...(time ? [time] : []), ...(dim ? [dim] : [])]
    // Every order ends with every dimension: rows tied on the metrics come in one order only.
    const order_by: [string, string][] = [
      ...(random() < 0.7 ? [[pick(metrics), pick(['asc', 'desc'])] as [string, string]] : []),
      ...dimensions.map((d) => [d, pick(['asc', 'desc'])] as [string, string]),
    ]
    const filters = random() < 0.1 && dim ? [['is', dim, [pick(dim === 'event:page' ? PAGES : SOURCES)]]] : []
    return {
      site_id: pick(SITES),
      metrics,
      date_range,
      dimensions,
      filters,
      ...(order_by.length ? { order_by } : {}),
      pagination: { limit: 1 + int(12), offset: int(4) },
      include: { total_rows: random() < 0.3 },
    }
  }

  /** A request's plan at the clock's time; undefined when the planner refuses it (as the API would, with a 400). */
  function planOf(b: Record<string, unknown>): { p: Plan; label: string } | undefined {
    const req = queryRequest.parse(b)
    const range = resolveDateRange(req.date_range, now, tz, 0)
    if ('error' in range) throw new Error(range.error)
    try {
      return { p: plan(req, { domain: req.site_id, settings: { sections: [] } }, range), label: JSON.stringify(b) }
    } catch (err) {
      if (err instanceof PlanError) return undefined
      throw err
    }
  }

  /**
   * Requests with the cache (twice) and without: the same rows. Returns how many the cache
   * answered.
   */
  async function check(n: number, step: string): Promise<number> {
    let answered = 0
    // Half of them asked before (kept answers, if nothing since may have changed them), half new.
    const bodies = [...asked.filter(() => random() < 0.5).slice(0, n >> 1), ...Array.from({ length: n >> 1 }, body)]
    for (const b of bodies) {
      if (!asked.includes(b)) asked.push(b)
      const r = planOf(b)
      if (!r) continue
      const pick = (rows: Record<string, unknown>[]) =>
        rows.map((row) => ({
          bucket: String(row.bucket),
          val: String(row.val),
          ...Object.fromEntries(r.p.metrics.map((m) => [m, row[m] === null || row[m] === undefined ? null : Number(row[m])])),
          ...(r.p.totalRows ? { total_rows: Number(row.total_rows) } : {}),
        }))
      const expected = pick(await answerRows(db, r.p, tz))
      const first = pick(await answerRows(db, r.p, tz, undefined, cache))
      const again = pick(await answerRows(db, r.p, tz, undefined, cache))
      const where = `seed ${seed}, ${tz}, ${step}: ${r.label}`
      expect(first, where).toEqual(expected)
      expect(again, where).toEqual(expected)
      if (splitOf(r.p)) answered++
    }
    return answered
  }

  /** `act` while requests are answered with the cache, read and kept at the same time. */
  async function racing(act: () => Promise<void>): Promise<void> {
    const plans = Array.from({ length: 12 }, () => planOf(body())).filter((r) => r !== undefined)
    await Promise.all([act(), ...plans.map((r) => answerRows(db, r.p, tz, undefined, cache))])
  }

  return {
    cache,
    buffer,
    check,
    racing,
    write,
    random,
    now: () => now,
    advance: (ms: number) => {
      now += ms
    },
  }
}

describe('answers kept in memory', () => {
  for (const [i, tz] of ['UTC', 'Asia/Kolkata'].entries()) {
    it(`are the engine's answers through random writes, rollups and midnight (${tz})`, async () => {
      const s = scenario(tz, SEED + i)
      const today = () => dayOf(s.now(), tz)
      // History: 40 days of events, the days before yesterday rolled up.
      await s.write(400, s.now() - 40 * 86_400_000)
      for (let d = -40; d <= -2; d++) await rollupDay(db, addDays(today(), d), tz)
      let answered = await s.check(40, 'history')
      const steps: [string, () => Promise<void>][] = [
        ['today written', () => s.write(30, s.now() - 3_600_000)],
        ['late events of closed days', () => s.write(20, s.now() - 5 * 86_400_000)],
        ['yesterday rolled up', () => rollupDay(db, addDays(today(), -1), tz)],
        ['today written again', () => s.write(15, s.now() - 600_000)],
        ['today written while answers are read', () => s.racing(() => s.write(20, s.now() - 900_000))],
        ['across midnight', async () => s.advance(16 * 3_600_000)],
        ['the new today written', () => s.write(25, s.now() - 3_600_000)],
        ['the day before rolled up', () => rollupDay(db, addDays(today(), -1), tz)],
        ['a site deleted', () => deleteSiteData(db, 'b.lv')],
        ['the deleted site written again', () => s.write(20, s.now() - 7_200_000)],
      ]
      for (const [step, act] of steps) {
        await act()
        answered += await s.check(25, step)
      }
      // The test is worth something only if the cache answered, read and kept.
      expect(answered).toBeGreaterThan(100)
      expect(s.cache.counts.closedHits).toBeGreaterThan(50)
      expect(s.cache.counts.closedReads).toBeGreaterThan(20)
      expect(s.cache.counts.dayHits).toBeGreaterThan(20)
      expect(s.cache.counts.dayReads).toBeGreaterThan(5)
      expect(s.cache.counts.staleReads).toBeGreaterThan(3)
    }, 240_000)
  }
})

describe('what invalidates them', () => {
  it("keeps closed days through today's writes, and reads them again after a late event or a rollup", async () => {
    const s = scenario('UTC', SEED + 7)
    await s.write(50, s.now() - 10 * 86_400_000)
    const req = queryRequest.parse({ site_id: 'a.lv', metrics: ['visitors', 'pageviews'], date_range: '7d', dimensions: ['event:page'] })
    const ask = () => {
      const range = resolveDateRange(req.date_range, s.now(), 'UTC', 0)
      if ('error' in range) throw new Error(range.error)
      return answerRows(db, plan(req, { domain: 'a.lv', settings: { sections: [] } }, range), 'UTC', undefined, s.cache)
    }
    await ask()
    const reads = () => ({ ...s.cache.counts })
    const before = reads()
    await s.write(10, s.now() - 600_000)
    await ask()
    // Today's write: the rows it wrote read again, the rest of today and the closed days kept.
    expect(reads().closedReads).toBe(before.closedReads)
    expect(reads().closedHits).toBe(before.closedHits + 1)
    expect(reads().dayReads).toBe(before.dayReads)
    expect(reads().staleReads).toBe(before.staleReads + 1)
    // A late event of three days ago (within that hour: anywhere up to now, it was today one run
    // in eight, and nothing closed was written): the closed days and today read again.
    await s.write(1, s.now() - 3 * 86_400_000, s.now() - 3 * 86_400_000 + 3_600_000)
    await ask()
    expect(reads().closedReads).toBe(before.closedReads + 1)
    expect(reads().dayReads).toBe(before.dayReads + 1)
    // Nothing written: both kept.
    await ask()
    expect(reads().closedReads).toBe(before.closedReads + 1)
    expect(reads().dayReads).toBe(before.dayReads + 1)
    expect(reads().staleReads).toBe(before.staleReads + 1)
    // The rollup of yesterday writes closed days.
    await rollupDay(db, addDays(dayOf(s.now(), 'UTC'), -1), 'UTC')
    await ask()
    expect(reads().closedReads).toBe(before.closedReads + 2)
  }, 60_000)

  it('answers from the engine what is too large to keep, the same rows', async () => {
    const s = scenario('UTC', SEED + 11)
    await s.write(60, s.now() - 20 * 86_400_000)
    const small = new AnswerCache(db, { maxBytes: 4000, now: s.now })
    const req = queryRequest.parse({ site_id: 'a.lv', metrics: ['visitors', 'pageviews'], date_range: '30d', dimensions: ['time:day', 'event:page'] })
    const range = resolveDateRange(req.date_range, s.now(), 'UTC', 0)
    if ('error' in range) throw new Error(range.error)
    const p = plan(req, { domain: 'a.lv', settings: { sections: [] } }, range)
    const shape = (rows: Record<string, unknown>[]) => rows.map((r) => [r.bucket, r.val, Number(r.visitors), Number(r.pageviews)])
    const expected = shape(await answerRows(db, p, 'UTC'))
    expect(expected.length).toBeGreaterThan(5)
    expect(shape(await answerRows(db, p, 'UTC', undefined, small))).toEqual(expected)
    expect(small.counts.closedReads).toBe(1)
    // Found too large once: left to the engine's own query, which reads the top values only.
    expect(shape(await answerRows(db, p, 'UTC', undefined, small))).toEqual(expected)
    expect(small.counts.closedReads).toBe(1)
    expect(small.counts.closedHits).toBe(0)
  }, 60_000)

  it("counts today's kept rows in the budget, closed days giving way to them", async () => {
    const s = scenario('UTC', SEED + 13)
    await s.write(80, s.now() - 5 * 86_400_000)
    await s.write(40, s.now() - 3_600_000)
    const ask = async (cache: AnswerCache | undefined, dim: string) => {
      const req = queryRequest.parse({ site_id: 'a.lv', metrics: ['visitors', 'pageviews'], date_range: '7d', dimensions: [dim] })
      const range = resolveDateRange(req.date_range, s.now(), 'UTC', 0)
      if ('error' in range) throw new Error(range.error)
      const rows = await answerRows(db, plan(req, { domain: 'a.lv', settings: { sections: [] } }, range), 'UTC', undefined, cache)
      return rows.map((r) => [r.val, Number(r.visitors), Number(r.pageviews)])
    }
    const roomy = new AnswerCache(db, { maxBytes: 64 * 1024 * 1024, now: s.now })
    for (const dim of ['event:page', 'visit:source']) expect(await ask(roomy, dim)).toEqual(await ask(undefined, dim))
    const { closed, today } = roomy.memory()
    expect(today).toBeGreaterThan(0)
    expect(closed).toBeGreaterThan(0)
    // A budget that holds today's rows alone: the closed days are not kept, the answers the same.
    const tight = new AnswerCache(db, { maxBytes: today + 1, now: s.now })
    for (const dim of ['event:page', 'visit:source']) expect(await ask(tight, dim)).toEqual(await ask(undefined, dim))
    expect(tight.memory()).toEqual({ closed: 0, today })
  }, 60_000)

  it('keeps nothing with a zero budget, and never for a ClickHouse server (other processes write to it)', async () => {
    const none = new AnswerCache(db, { maxBytes: 0 })
    const p = plan(
      queryRequest.parse({ site_id: 'a.lv', metrics: ['pageviews'], date_range: '7d' }),
      { domain: 'a.lv', settings: { sections: [] } },
      resolveDateRange('7d', Date.now(), 'UTC', 0) as never,
    )
    expect(await none.answer(p, 'UTC', async () => [], async () => ({ cleanMonths: new Set(), sketches: true }))).toBeUndefined()
    const server = { historyWrites: undefined } as unknown as Db
    const remote = new AnswerCache(server, { maxBytes: 1 << 20 })
    expect(await remote.answer(p, 'UTC', async () => [], async () => ({ cleanMonths: new Set(), sketches: true }))).toBeUndefined()
  })
})
