import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { API_KEY, breakdown, browserUA, sendEvent, startInProcess, tempDir, totals, type RunningSkaits } from '../helpers/skaits.ts'

/**
 * 200 visitors (distinct address/User-Agent pairs) in four groups of 50, at known times:
 *   g0: /                                   one page, no engagement
 *   g1: / → /pricing (+30 s), Signup{plan:pro} (+45 s), engagement on /pricing (+60 s, 25 s, 50 %)
 *   g2: /blog, engagement on /blog (+41 s, 40 s, 100 %)
 *   g3: / → /blog (+10 s) → /pricing (+20 s), engagement on /pricing (+30 s, 11 s, 30 %)
 * Every expected number below is computed by hand from this table.
 */
// Today (real date) at 10:00 UTC: ClickHouse applies the sketches' 48 h TTL against the real
// clock, so a fake clock must not wander days away from it.
const today = new Date()
const BASE = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate(), 10, 0, 0)
const RIGA_HOUR = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Riga', dateStyle: 'short', timeStyle: 'short' })
  .format(BASE)
  .replace(/:\d\d$/, ':00:00')
const dataDir = tempDir()
let now = BASE
const clock = () => now
let server: RunningSkaits

async function visitor(i: number) {
  const start = BASE + i * 1000
  const who = { ip: `198.51.100.${i}`, ua: browserUA(i % 7) }
  const at = async (offsetS: number, body: Record<string, unknown>) => {
    now = start + offsetS * 1000
    const res = await sendEvent(server.url, { d: 'example.lv', ...body }, who)
    expect(res.status).toBe(202)
  }
  const pv = (offset: number, path: string) => at(offset, { n: 'pageview', u: `https://example.lv${path}?utm_x=${i}#top` })
  switch (i % 4) {
    case 0:
      await pv(0, '/')
      break
    case 1:
      await pv(0, '/')
      await pv(30, '/pricing')
      await at(45, { n: 'Signup', u: 'https://example.lv/pricing', p: { plan: 'pro' } })
      await at(60, { n: 'engagement', u: 'https://example.lv/pricing', e: 25_000, sd: 50 })
      break
    case 2:
      await pv(0, '/blog')
      await at(41, { n: 'engagement', u: 'https://example.lv/blog', e: 40_000, sd: 100 })
      break
    case 3:
      await pv(0, '/')
      await pv(10, '/blog')
      await pv(20, '/pricing')
      await at(30, { n: 'engagement', u: 'https://example.lv/pricing', e: 11_000, sd: 30 })
      break
  }
}

const TOTALS = {
  visitors: 200,
  visits: 200,
  pageviews: 350,
  views_per_visit: 1.75,
  bounce_rate: 50,
  visit_duration: 33, // (50·0 + 50·60 + 50·41 + 50·30) / 200 = 32.75
  time_on_page: 25, // (50·25 + 50·11 + 50·40) / 150 pairs = 25.33
  scroll_depth: 60, // (50·50 + 50·30 + 50·100) / 150
  events: 400, // 350 pageviews + 50 Signup
}

const PAGES = {
  '/': { visitors: 150, visits: 150, pageviews: 150, bounce_rate: 33, time_on_page: null, scroll_depth: null },
  '/pricing': { visitors: 100, visits: 100, pageviews: 100, bounce_rate: 0, time_on_page: 18, scroll_depth: 40 },
  '/blog': { visitors: 100, visits: 100, pageviews: 100, bounce_rate: 100, time_on_page: 40, scroll_depth: 100 },
}

async function expectKnownNumbers(url: string) {
  expect(await totals(url, Object.keys(TOTALS))).toEqual(TOTALS)
  expect(await breakdown(url, 'event:page', Object.keys(PAGES['/']))).toEqual(PAGES)
  expect(await breakdown(url, 'visit:entry_page', ['visitors', 'visits', 'bounce_rate', 'pageviews'])).toEqual({
    '/': { visitors: 150, visits: 150, bounce_rate: 33, pageviews: 300 },
    '/blog': { visitors: 50, visits: 50, bounce_rate: 100, pageviews: 50 },
  })
  expect(await breakdown(url, 'visit:exit_page', ['visits', 'pageviews', 'visit_duration'])).toEqual({
    '/': { visits: 50, pageviews: 50, visit_duration: 0 },
    '/pricing': { visits: 100, pageviews: 250, visit_duration: 45 },
    '/blog': { visits: 50, pageviews: 50, visit_duration: 41 },
  })
  expect(await breakdown(url, 'event:name', ['visitors', 'events'])).toEqual({
    pageview: { visitors: 200, events: 350 },
    Signup: { visitors: 50, events: 50 },
  })
  expect(await breakdown(url, 'event:props:plan', ['visitors', 'events'])).toEqual({ pro: { visitors: 50, events: 50 } })
  expect(await breakdown(url, 'time:hour', ['visitors', 'pageviews'])).toEqual({
    [RIGA_HOUR]: { visitors: 200, pageviews: 350 },
  })
  expect(await totals(url, ['visitors', 'pageviews', 'time_on_page'], 'day', [['is', 'event:page', ['/blog']]])).toEqual({
    visitors: 100,
    pageviews: 100,
    time_on_page: 40,
  })
}

describe('known traffic in, exact numbers out', () => {
  beforeAll(async () => {
    server = await startInProcess({ dataDir, clock, env: { TIMEZONE: 'Europe/Riga' } })
    for (let i = 0; i < 200; i++) await visitor(i)
    await server.skaits.buffer.flush()
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('reports the hand-computed visitors, visits, pageviews, bounce rate, durations and time on page', async () => {
    await expectKnownNumbers(server.url)
  })

  it('exposes Prometheus metrics to the admin credentials only', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401)
    const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${API_KEY}` } })
    expect(res.status).toBe(200)
    const text = await res.text()
    expect(text).toMatch(/^skaits_events_accepted_total 550$/m) // 350 pageviews, 50 Signup, 150 engagement
    expect(text).toMatch(/^skaits_events_inserted_total 550$/m)
    expect(text).toMatch(/^skaits_buffer_depth 0$/m)
    expect(text).toMatch(/^skaits_flush_duration_seconds_count [1-9]\d*$/m)
    expect(text).toMatch(/^skaits_query_duration_seconds_count [1-9]\d*$/m)
    expect(text).not.toMatch(/198\.51\.100/)
  })

  it('reports current visitors (visits active in the last 5 minutes) from memory', async () => {
    const realtime = (url: string) =>
      fetch(`${url}/api/v1/stats/realtime/visitors?site_id=example.lv`, { headers: { authorization: `Bearer ${API_KEY}` } })
    expect(await (await realtime(server.url)).json()).toBe(200)
    now += 10 * 60_000
    expect(await (await realtime(server.url)).json()).toBe(0)
    expect((await fetch(`${server.url}/api/v1/stats/realtime/visitors?site_id=example.lv`)).status).toBe(401)
  })

  it('reports the same numbers after a restart on the same data directory', async () => {
    await server.stop()
    server = await startInProcess({ dataDir, clock, env: { TIMEZONE: 'Europe/Riga' } })
    await expectKnownNumbers(server.url)
  })

  it('stores no query string or fragment: pages are paths only', async () => {
    const pages = Object.keys(await breakdown(server.url, 'event:page', ['pageviews']))
    expect(pages.sort()).toEqual(['/', '/blog', '/pricing'])
  })
})
