// Stats API limits per credential and per query, through the real app, embedded ClickHouse and HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { API_KEY, query, sendEvent, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

let s: RunningSkaits

beforeAll(async () => {
  s = await startInProcess({ dataDir: tempDir(), env: { STATS_CONCURRENCY: '1', STATS_RATE_PER_MINUTE: '60', METRICS_PUBLIC: 'true' } })
  for (let i = 0; i < 7; i++) {
    expect((await sendEvent(s.url, { n: 'pageview', u: `https://example.lv/p${i}`, d: 'example.lv' }, { ip: `198.51.100.${i}` })).status).toBe(202)
  }
  await s.skaits.buffer.flush()
})
afterAll(async () => {
  await s?.stop()
})

const breakdown = { metrics: ['visitors', 'pageviews', 'bounce_rate'], date_range: '7d', dimensions: ['event:page'] }

describe('Stats API limits', () => {
  it('refuses more than 10 matches patterns, or one over 200 characters, with a 400 that says so', async () => {
    const many = await query(s.url, { ...breakdown, filters: [['matches', 'event:page', Array.from({ length: 11 }, (_, i) => `^/p${i}$`)]] })
    expect(many.status).toBe(400)
    expect(many.json.error).toBe('filters: at most 10 "matches"/"matches_not" patterns per query, got 11')
    const long = await query(s.url, { ...breakdown, filters: [['matches_not', 'event:page', [`^/${'a'.repeat(200)}`]]] })
    expect(long.status).toBe(400)
    expect(long.json.error).toBe('filters: a "matches"/"matches_not" pattern is at most 200 characters')
    const fine = await query(s.url, { ...breakdown, filters: [['matches', 'event:page', ['^/p[0-2]$']]] })
    expect(fine.status).toBe(200)
    expect(fine.json.results.map((r: { dimensions: string[] }) => r.dimensions[0]).sort()).toEqual(['/p0', '/p1', '/p2'])
  })

  it('answers the realtime figure from the visits in memory', async () => {
    const res = await fetch(`${s.url}/api/v1/stats/realtime/visitors?site_id=example.lv`, { headers: { authorization: `Bearer ${API_KEY}` } })
    expect(res.status).toBe(200)
    expect(await res.json()).toBe(7)
  })

  it('runs STATS_CONCURRENCY queries of a credential at once, queues 4× as many, and answers 429 beyond', async () => {
    const answers = await Promise.all(Array.from({ length: 30 }, () => query(s.url, breakdown)))
    const statuses = answers.map((a) => a.status)
    expect(statuses.filter((x) => x === 200).length).toBeGreaterThanOrEqual(5)
    const busy = answers.filter((a) => a.status === 429)
    expect(busy.length).toBeGreaterThan(0)
    expect(busy[0]!.json.error).toBe('too many queries at once from this credential; send fewer at a time')
    expect(statuses.every((x) => x === 200 || x === 429)).toBe(true)
    const metrics = await (await fetch(`${s.url}/metrics`)).text()
    expect(metrics).toContain(`skaits_queries_refused_total{reason="busy"} ${busy.length}`)
  })

  it('answers 429 with Retry-After beyond STATS_RATE_PER_MINUTE', async () => {
    let refused: Response | undefined
    for (let i = 0; i < 70 && !refused; i++) {
      const res = await fetch(`${s.url}/api/v2/query`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ site_id: 'example.lv', metrics: ['pageviews'], date_range: 'day' }),
      })
      if (res.status === 429) refused = res
      else expect(res.status).toBe(200)
    }
    expect(refused).toBeDefined()
    expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(((await refused!.json()) as { error: string }).error).toBe('too many queries from this credential; try again later')
  })
})
