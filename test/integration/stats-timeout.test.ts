// The cost limits of one Stats API query, through the real app and the embedded ClickHouse: the
// engine itself stops the query (SETTINGS in the statement), and the answer says why.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queryRows } from '../../server/db/client.ts'
import { query, sendEvent, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

let s: RunningSkaits

beforeAll(async () => {
  // A limit no real query meets: every query that reads anything is past it.
  s = await startInProcess({ dataDir: tempDir(), env: { STATS_MAX_EXECUTION_MS: '1' } })
  for (let i = 0; i < 20; i++) {
    expect((await sendEvent(s.url, { n: 'pageview', u: `https://example.lv/p${i % 7}`, d: 'example.lv' }, { ip: `198.51.100.${i}` })).status).toBe(202)
  }
  await s.skaits.buffer.flush()
})
afterAll(async () => {
  await s?.stop()
})

describe('cost limits of a Stats API query', () => {
  it('stops a query past STATS_MAX_EXECUTION_MS and answers 503 saying which limit, at once', async () => {
    const started = performance.now()
    const r = await query(s.url, { metrics: ['visitors', 'pageviews', 'bounce_rate'], date_range: '12mo', dimensions: ['event:page'] })
    expect(r.status, JSON.stringify(r.json)).toBe(503)
    expect(r.json.error).toBe(
      'the query was stopped: it ran longer than 0.001 s (STATS_MAX_EXECUTION_MS); ask for a shorter date range, fewer values or simpler filters',
    )
    expect(performance.now() - started).toBeLessThan(5000)
    expect(s.logs.join('')).toContain('stats query stopped at its limit')
  })

  it('leaves the limits on that statement only: the engine session keeps none of them', async () => {
    // Ingest, the rollup and the CLI share the embedded engine's session.
    const [row] = await queryRows<{ n: string }>(s.db, `SELECT toString(sum(number)) AS n FROM numbers(3000000)`)
    expect(row!.n).toBe('4499998500000')
    const [setting] = await queryRows<{ value: string }>(s.db, `SELECT value FROM system.settings WHERE name = 'max_execution_time'`)
    expect(Number(setting!.value)).toBe(0)
  })

  it('the embedded engine honours max_memory_usage given in the statement', async () => {
    const err = await queryRows(s.db, `SELECT groupArray(number) FROM numbers(20000000) SETTINGS max_memory_usage = 10000000`).then(
      () => undefined,
      (e: unknown) => e as { code?: string; message: string },
    )
    expect(err?.code === '241' || /MEMORY_LIMIT_EXCEEDED|Memory limit/.test(err?.message ?? '')).toBe(true)
  })
})
