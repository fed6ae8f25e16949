// Exclusions per site, referrer spam and the counts of what was filtered, on the real server:
// each drop happens, answers its reason, and is counted under its site, day and reason; the
// address that an exclusion matched is neither stored nor logged (documentation ranges only).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { IngestRateLimiter } from '../../server/ingest/rate-limit.ts'
import { dayOf } from '../../server/time.ts'
import { findInAnyColumn } from '../helpers/audit.ts'
import { adminCall, sendEvent, startInProcess, tempDir, totals, type RunningSkaits } from '../helpers/skaits.ts'

const TZ = 'Europe/Riga'
let running: RunningSkaits
beforeAll(async () => {
  running = await startInProcess({ dataDir: tempDir(), env: { TIMEZONE: TZ } })
}, 60_000)
afterAll(() => running?.stop())

const pageview = (path: string, extra: Record<string, unknown> = {}) => ({ n: 'pageview', u: `https://example.lv${path}`, d: 'example.lv', ...extra })

async function outcome(res: Response) {
  return { status: res.status, body: (await res.json()) as { status?: string; reason?: string; error?: string } }
}

async function filtered(query = '') {
  await running.skaits.filtered.flush()
  return adminCall(running.url, 'GET', `/api/sites/example.lv/filtered${query}`)
}

describe('exclusions per site', () => {
  it('refuses what is not an address range or a page pattern, and too many of them, with a clear 400', async () => {
    for (const body of [
      { addresses: ['203.0.113.0/33'] },
      { addresses: ['office'] },
      { addresses: ['2001:db8::/129'] },
      { addresses: ['203.0.113.0/24/8'] },
      { pages: ['admin/*'] },
      { addresses: Array.from({ length: 101 }, (_, i) => `10.0.${i}.0/24`) },
      { pages: 'not a list' },
    ]) {
      const res = await adminCall(running.url, 'PUT', '/api/sites/example.lv/exclusions', body)
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400)
      expect(res.json.code).toBe('invalid_request')
      expect(res.json.error.length).toBeGreaterThan(10)
    }
    const unknown = await adminCall(running.url, 'GET', '/api/sites/nowhere.lv/exclusions')
    expect(unknown.status).toBe(404)
  })

  it('keeps ranges as networks (IPv4 and IPv6) and page patterns, and links the allowed hostnames', async () => {
    const res = await adminCall(running.url, 'PUT', '/api/sites/example.lv/exclusions', {
      addresses: ['203.0.113.9/24', '2001:DB8::/32', '203.0.113.0/24'],
      pages: ['/admin/**', '/preview/*'],
    })
    expect(res.status).toBe(200)
    expect(res.json).toMatchObject({
      addresses: ['203.0.113.0/24', '2001:db8::/32'],
      pages: ['/admin/**', '/preview/*'],
      hostnames: ['example.lv', '*.example.lv'],
      hostnamesUrl: '/api/sites/example.lv/hostnames',
    })
    expect((await adminCall(running.url, 'GET', '/api/sites/example.lv/exclusions')).json.addresses).toEqual(['203.0.113.0/24', '2001:db8::/32'])
  })

  it('drops each kind of event with its reason, counts the rest, and tallies the drops per site, day and reason', async () => {
    const before = (await filtered()).json.totals as Record<string, number>
    const drops: [string, Promise<Response>][] = [
      ['excluded_address', sendEvent(running.url, pageview('/pricing'), { ip: '203.0.113.77' })],
      ['excluded_address', sendEvent(running.url, pageview('/pricing'), { ip: '2001:db8:5::1' })],
      ['excluded_page', sendEvent(running.url, pageview('/admin/users/7'), { ip: '192.0.2.10' })],
      ['excluded_page', sendEvent(running.url, pageview('/preview/draft'), { ip: '192.0.2.10' })],
      ['spam_referrer', sendEvent(running.url, pageview('/pricing', { r: 'https://www.semalt.com/crawler' }), { ip: '192.0.2.11' })],
      ['spam_referrer', sendEvent(running.url, pageview('/pricing', { r: 'http://QIWI.xyz/' }), { ip: '192.0.2.11' })],
      ['bot', sendEvent(running.url, pageview('/pricing'), { ip: '192.0.2.12', ua: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' })],
      ['gpc', sendEvent(running.url, pageview('/pricing'), { ip: '192.0.2.13', headers: { 'sec-gpc': '1' } })],
      ['hostname', sendEvent(running.url, { ...pageview('/pricing'), u: 'https://copycat.example/pricing' }, { ip: '192.0.2.14' })],
    ]
    const expected: Record<string, number> = {}
    for (const [reason, sent] of drops) {
      const { status, body } = await outcome(await sent)
      expect(status, reason).toBe(202)
      expect(body, reason).toEqual({ status: 'dropped', reason })
      expected[reason] = (expected[reason] ?? 0) + 1
    }
    // Not excluded: another address, another page, a referrer below no listed domain.
    for (const [path, ip, r] of [['/pricing', '198.51.100.20', 'https://notsemalt.com/'], ['/administration', '203.0.114.1', undefined], ['/preview/a/b', '2001:db9::1', undefined]] as const) {
      const { body } = await outcome(await sendEvent(running.url, pageview(path, r ? { r } : {}), { ip }))
      expect(body, path).toEqual({ status: 'accepted' })
    }
    await running.skaits.buffer.flush()
    expect((await totals(running.url, ['pageviews'])).pageviews).toBe(3)

    const res = await filtered()
    expect(res.status).toBe(200)
    const today = dayOf(Date.now(), TZ)
    expect(res.json.to).toBe(today)
    for (const [reason, n] of Object.entries(expected)) expect(res.json.totals[reason] - (before[reason] ?? 0), reason).toBe(n)
    for (const d of res.json.days) expect(d.day).toBe(today)
    expect(new Set(res.json.days.map((d: { reason: string }) => d.reason))).toEqual(new Set(Object.keys(expected)))
  })

  it('counts rate-limited requests for the whole instance, since their site is never read', async () => {
    running.skaits.ingestor.limitRate(new IngestRateLimiter({ perMinute: 2 }))
    try {
      const statuses: number[] = []
      for (let i = 0; i < 5; i++) statuses.push((await sendEvent(running.url, pageview('/limited'), { ip: '198.51.100.7' })).status)
      expect(statuses).toEqual([202, 202, 429, 429, 429])
    } finally {
      running.skaits.ingestor.limitRate(undefined)
    }
    const res = await filtered()
    expect(res.json.totals.rate_limited).toBeUndefined()
    expect(res.json.instance.totals.rate_limited).toBe(3)
    expect(res.json.instance.days).toEqual([{ day: dayOf(Date.now(), TZ), reason: 'rate_limited', n: 3 }])
  })

  it('neither stores nor logs an address an exclusion matched', async () => {
    await running.skaits.buffer.flush()
    await running.skaits.filtered.flush()
    for (const address of ['203.0.113.77', '2001:db8:5::1', '192.0.2.10', '198.51.100.7']) {
      expect(await findInAnyColumn(running.db, address), address).toEqual([])
      expect(running.logs.join('\n'), address).not.toContain(address)
    }
  })

  it('answers only real dates, in order, and a bounded span', async () => {
    for (const q of ['?from=2026-02-30', '?from=yesterday', '?from=2026-03-02&to=2026-03-01', '?from=2020-01-01&to=2026-01-01']) {
      const res = await adminCall(running.url, 'GET', `/api/sites/example.lv/filtered${q}`)
      expect(res.status, q).toBe(400)
      expect(res.json.code).toBe('invalid_request')
    }
    const far = await adminCall(running.url, 'GET', '/api/sites/example.lv/filtered?from=2001-01-01&to=2001-01-31')
    expect(far.json).toMatchObject({ days: [], totals: {}, instance: { days: [], totals: {} } })
  })

  it('an emptied list counts everything again', async () => {
    const res = await adminCall(running.url, 'PUT', '/api/sites/example.lv/exclusions', { addresses: [], pages: [] })
    expect(res.json).toMatchObject({ addresses: [], pages: [] })
    const { body } = await outcome(await sendEvent(running.url, pageview('/admin/users/7'), { ip: '203.0.113.77' }))
    expect(body).toEqual({ status: 'accepted' })
  })
})
