import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import type { ServerType } from '@hono/node-server'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSkaits, type Skaits } from '../../server/app.ts'
import { loadConfig } from '../../server/config.ts'
import { createDb, queryRows, type Db } from '../../server/db/client.ts'
import { listen } from '../../server/http/serve.ts'
import { browserUA, sendEvent, tempDir } from '../helpers/skaits.ts'
import { faultPlan, faultyDb, type FaultPlan } from '../unit/ingest/faulty-db.ts'

/**
 * ClickHouse failing under the real app and the real embedded ClickHouse: faults are injected
 * around the client's insert (and ping), then lifted. Every event that got a 202 must be
 * counted exactly once afterwards, whatever the fault did with the attempts in between.
 */
const BUFFER_MAX = 40
let db: Db
let plan: FaultPlan
let skaits: Skaits
let server: ServerType
let url: string
const logs: string[] = []
let visitor = 0

beforeAll(async () => {
  const config = loadConfig({
    DATA_DIR: tempDir(),
    SKAITS_SITES: 'example.lv',
    TRUST_PROXY: '1',
    ISP_LOOKUP: 'off',
    FLUSH_INTERVAL_MS: '50',
    BATCH_MAX_EVENTS: '10',
    BUFFER_MAX_EVENTS: String(BUFFER_MAX),
    INSERT_TIMEOUT_MS: '300',
  })
  db = createDb(config)
  plan = faultPlan()
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk))
      cb()
    },
  })
  skaits = await createSkaits(config, faultyDb(db, plan), pino({ level: 'info' }, sink), { start: true })
  server = await new Promise<ServerType>((resolve) => {
    const s = listen(skaits.app.fetch, { port: 0, hostname: '127.0.0.1', limits: config.http }, () => resolve(s))
  })
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  plan.insert = 'ok'
  await new Promise<void>((r) => server?.close(() => r()))
  await skaits?.drain()
  await db?.close()
})

/** A pageview by a new visitor; its status. */
async function pageview(): Promise<Response> {
  const n = visitor++
  const res = await sendEvent(url, { n: 'pageview', u: `https://example.lv/p${n % 7}`, d: 'example.lv' }, {
    ip: `198.51.100.${n % 250}`,
    ua: browserUA(n),
  })
  await res.arrayBuffer()
  return res
}

async function stored(): Promise<{ total: number; pages: number }> {
  const [row] = await queryRows<{ total: number; pages: number }>(
    db,
    `SELECT sumIf(pageviews, dimension = '') AS total, sumIf(pageviews, dimension = 'event:page') AS pages FROM counts_hourly`,
  )
  return { total: Number(row!.total), pages: Number(row!.pages) }
}

async function waitFor(condition: () => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** Sends pageviews until the buffer refuses; the 202s before and the first refusal. */
async function fillBuffer(): Promise<{ accepted: number; refusal: Response }> {
  let accepted = 0
  for (let i = 0; i < BUFFER_MAX * 3; i++) {
    const res = await pageview()
    if (res.status !== 202) return { accepted, refusal: res }
    accepted++
  }
  throw new Error('the buffer never filled')
}

/** Lifts the fault and waits until the buffer is empty again (with backoff, a few seconds). */
async function recover(): Promise<void> {
  plan.insert = 'ok'
  plan.down = false
  await waitFor(() => skaits.buffer.depth === 0 && plan.landing === 0, 20_000, 'the buffer to drain')
}

describe('ClickHouse faults', () => {
  it('works before any fault', async () => {
    expect((await pageview()).status).toBe(202)
    await waitFor(() => skaits.buffer.depth === 0, 5000, 'the first insert')
    expect(await stored()).toEqual({ total: 1, pages: 1 })
  })

  it.each(['error', 'hang'] as const)('inserts that %s: 202 until the buffer is full, then 503 with Retry-After; all counted once after', async (fault) => {
    const before = await stored()
    const errorsBefore = skaits.buffer.stats.insertErrors
    plan.insert = fault
    plan.down = true
    const { accepted, refusal } = await fillBuffer()
    expect(accepted).toBeGreaterThan(0)
    expect(accepted).toBeLessThanOrEqual(BUFFER_MAX)
    expect(refusal.status).toBe(503)
    expect(refusal.headers.get('retry-after')).toBe('1')
    // Still refusing, still alive, and unhealthy while ClickHouse is away.
    expect((await pageview()).status).toBe(503)
    expect((await fetch(`${url}/healthz`)).status).toBe(503)
    // A hung insert is given up after INSERT_TIMEOUT_MS (300 ms here) and retried with backoff.
    await waitFor(() => skaits.buffer.stats.insertErrors >= errorsBefore + 2, 5000, 'retries')
    expect(skaits.buffer.depth).toBe(accepted)

    await recover()
    expect((await fetch(`${url}/healthz`)).status).toBe(200)
    expect(await stored()).toEqual({ total: before.total + accepted, pages: before.pages + accepted })
    expect(skaits.ingestor.counters.dropped.buffer_full).toBeGreaterThan(0)
  })

  it.each(['late', 'lost_answer'] as const)(
    'an insert abandoned or failed after it was written (%s) is resent and still counted once',
    async (fault) => {
      const before = await stored()
      const attemptsBefore = plan.attempts
      plan.insert = fault
      plan.lateMs = 700 // longer than INSERT_TIMEOUT_MS: the client gives up before the insert lands
      let accepted = 0
      for (let i = 0; i < 25; i++) if ((await pageview()).status === 202) accepted++
      expect(accepted).toBe(25)
      await waitFor(() => plan.attempts >= attemptsBefore + 2, 5000, 'a failed attempt')
      await recover()
      // Each batch was written by the first attempt and again by the retry: without the
      // deduplication token these would count twice.
      expect(plan.attempts).toBeGreaterThan(attemptsBefore + 1)
      expect(await stored()).toEqual({ total: before.total + accepted, pages: before.pages + accepted })
    },
  )

  it('logged the failures without crashing, and nothing unhandled', () => {
    const text = logs.join('')
    expect(text).toMatch(/insert failed; events kept for retry/)
    expect(text).toMatch(/InsertTimeout/)
    expect(text).not.toMatch(/unhandled error/)
    expect(text).not.toMatch(/could not enable insert deduplication/)
  })
})
