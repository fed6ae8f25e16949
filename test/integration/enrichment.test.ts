import { afterAll, describe, expect, it } from 'vitest'
import { findInAnyColumn } from '../helpers/audit.ts'
import { reverseName, startDns, startSilentDns, type TestDns } from '../helpers/dns.ts'
import { breakdown, CHROME_UA, sendEvent, startInProcess, tempDir, totals, type RunningSkaits } from '../helpers/skaits.ts'

const IPHONE_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1'
const FIREFOX_LINUX_UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0'
const GOOGLEBOT_UA = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'

let server: RunningSkaits | undefined
let dns: TestDns | undefined
afterAll(async () => {
  await server?.stop()
  await dns?.close()
})

const pageview = (ip: string, ua: string, extra: Record<string, unknown> = {}) =>
  sendEvent(server!.url, { n: 'pageview', u: 'https://example.lv/', d: 'example.lv', ...extra }, { ip, ua })

describe('enrichment through the real server', () => {
  it('counts sources, channels, devices, countries and ISP domains, one dimension at a time', async () => {
    // Skaits asks about each network's .1; 193.0.6.0/24's reverse zone forges a name of Tet's
    // whose address is elsewhere.
    dns = await startDns(
      {
        '87.110.0.1': 'host-87-110-0-1.static.tet.lv',
        '78.84.12.1': '78-84-12-1.static.example-isp.lv',
        '203.0.113.1': '203-0-113-1.dyn.example-isp.lv',
        '193.0.6.1': 'mail.tet.lv',
      },
      { 'mail.tet.lv': ['192.0.2.25'] },
    )
    server = await startInProcess({ dataDir: tempDir(), env: { ISP_LOOKUP: 'dns', DNS_SERVERS: dns.server, ISP_TIMEOUT_MS: '1000' } })
    const accepted = await Promise.all([
      pageview('87.110.0.1', CHROME_UA, { r: 'https://www.google.com/search?q=skaits', w: 1500 }),
      pageview('78.84.12.1', IPHONE_UA, { r: 'https://m.facebook.com/story.php?id=1', w: 390 }),
      pageview('78.84.12.2', FIREFOX_LINUX_UA, { u: 'https://example.lv/?utm_source=newsletter&utm_medium=email&utm_campaign=nov', w: 1200 }),
      pageview('193.0.6.139', CHROME_UA, { r: 'https://www.example.lv/other', w: 1920 }),
      pageview('203.0.113.77', CHROME_UA, { r: 'https://inbox.lv/', w: 1300 }),
    ])
    expect(accepted.map((r) => r.status)).toEqual([202, 202, 202, 202, 202])
    const bot = await pageview('66.249.66.1', GOOGLEBOT_UA)
    expect(bot.status).toBe(202)
    expect(await bot.json()).toEqual({ status: 'dropped', reason: 'bot' })

    await new Promise((r) => setTimeout(r, 300)) // the DNS answers
    await server.skaits.buffer.flush()
    const url = server.url
    expect(await totals(url, ['visitors', 'visits'])).toEqual({ visitors: 5, visits: 5 })
    expect(await breakdown(url, 'visit:isp', ['visitors', 'visits'])).toEqual({
      'example-isp.lv': { visitors: 3, visits: 3 },
      'tet.lv': { visitors: 1, visits: 1 },
      '(unknown)': { visitors: 1, visits: 1 },
    })
    // One PTR per /24, for its .1, and one forward confirmation of each usable name: 78.84.12.2
    // was answered from the prefix cache (or the shared query); the forged mail.tet.lv was refused.
    expect([...dns.questions].sort()).toEqual([
      'A 203-0-113-1.dyn.example-isp.lv',
      'A 78-84-12-1.static.example-isp.lv',
      'A host-87-110-0-1.static.tet.lv',
      'A mail.tet.lv',
      'PTR 1.0.110.87.in-addr.arpa',
      'PTR 1.113.0.203.in-addr.arpa',
      'PTR 1.12.84.78.in-addr.arpa',
      'PTR 1.6.0.193.in-addr.arpa',
    ])
    for (const visitor of ['203.0.113.77', '78.84.12.2', '193.0.6.139']) {
      for (const spelling of [visitor, reverseName(visitor).replace('.in-addr.arpa', ''), visitor.replaceAll('.', '-')]) {
        expect(dns.queries.filter((q) => q.includes(spelling)), spelling).toEqual([])
      }
    }
    expect(await breakdown(url, 'visit:country', ['visitors'])).toEqual({ LV: { visitors: 3 }, NL: { visitors: 1 } })
    expect(await breakdown(url, 'visit:source', ['visits'])).toEqual({
      Google: { visits: 1 },
      Facebook: { visits: 1 },
      newsletter: { visits: 1 },
      'Direct / None': { visits: 1 },
      'inbox.lv': { visits: 1 },
    })
    expect(await breakdown(url, 'visit:channel', ['visits'])).toEqual({
      'Organic Search': { visits: 1 },
      'Organic Social': { visits: 1 },
      Email: { visits: 2 },
      Direct: { visits: 1 },
    })
    expect(await breakdown(url, 'visit:referrer', ['visits'])).toEqual({
      'google.com': { visits: 1 },
      'm.facebook.com': { visits: 1 },
      'inbox.lv': { visits: 1 },
    })
    expect(await breakdown(url, 'visit:utm_campaign', ['visits'])).toEqual({ nov: { visits: 1 } })
    expect(await breakdown(url, 'visit:device', ['visits'])).toEqual({ Desktop: { visits: 2 }, Mobile: { visits: 1 }, Laptop: { visits: 2 } })
    expect(await breakdown(url, 'visit:browser', ['visits'])).toEqual({ Chrome: { visits: 3 }, Safari: { visits: 1 }, Firefox: { visits: 1 } })
    expect(await breakdown(url, 'visit:os', ['visits'])).toEqual({ Windows: { visits: 3 }, iOS: { visits: 1 }, Linux: { visits: 1 } })
    expect(server.skaits.ingestor.counters.dropped.bot).toBe(1)
  })

  it('keeps nothing finer than the prefix or the derived domain: not in columns, caches or logs', async () => {
    const db = server!.db
    for (const needle of ['203.0.113.77', '203-0-113-77', '78.84.12.1', '78-84-12-1', '87.110.0.1', '87-110-0-1']) {
      expect(await findInAnyColumn(db, needle), needle).toEqual([])
      expect(server!.logs.join('').includes(needle), needle).toBe(false)
    }
    const keys = server!.skaits.enricher.isps!.cachedPrefixes()
    expect(keys.sort()).toEqual(['193.0.6.0/24', '203.0.113.0/24', '78.84.12.0/24', '87.110.0.0/24'])
    await server!.stop()
    server = undefined
    await dns!.close()
    dns = undefined
  })

  it('never waits for a resolver that does not answer, and counts the visit as (unknown)', async () => {
    const silent = await startSilentDns()
    server = await startInProcess({ dataDir: tempDir(), env: { ISP_LOOKUP: 'dns', DNS_SERVERS: silent.server, ISP_TIMEOUT_MS: '400' } })
    const latencies: number[] = []
    for (let i = 0; i < 100; i++) {
      const started = performance.now()
      const res = await pageview(`100.${64 + (i >> 8)}.${i & 255}.9`, CHROME_UA) // 100 distinct /24s
      latencies.push(performance.now() - started)
      expect(res.status).toBe(202)
    }
    // A second pageview of the first visit while its lookup is still unanswered.
    await sendEvent(server.url, { n: 'pageview', u: 'https://example.lv/second', d: 'example.lv' }, { ip: '100.64.0.9', ua: CHROME_UA })
    latencies.sort((a, b) => a - b)
    const p99 = latencies[98]!
    expect(p99).toBeLessThan(200) // the lookups time out after 400 ms; ingest must not wait for them
    expect(silent.received()).toBeGreaterThan(0)
    await new Promise((r) => setTimeout(r, 600))
    await server.skaits.buffer.flush()
    expect(await breakdown(server.url, 'visit:isp', ['visits', 'pageviews', 'bounce_rate'])).toEqual({
      '(unknown)': { visits: 100, pageviews: 101, bounce_rate: 99 },
    })
    await server.stop()
    server = undefined
    await silent.close()
  })

  it('answers the ISP of a well-behaved zone while DNS hears only the /24 or /48', async () => {
    const v4 = '203.0.113.77'
    const v6 = '2001:db8:abcd:12:3456::77'
    dns = await startDns({
      '203.0.113.1': 'gw-203-0-113.example-isp.lv',
      '2001:db8:abcd::1': 'gw6.example-isp.lv',
      // The visitors' own addresses are in the zone too: were they asked, it would show.
      [v4]: 'one-subscriber.example-isp.lv',
      [v6]: 'another-subscriber.example-isp.lv',
    })
    server = await startInProcess({ dataDir: tempDir(), env: { ISP_LOOKUP: 'dns', DNS_SERVERS: dns.server, ISP_TIMEOUT_MS: '1000' } })
    expect((await pageview(v4, CHROME_UA)).status).toBe(202)
    expect((await pageview(v6, FIREFOX_LINUX_UA)).status).toBe(202)
    let isps: unknown = {}
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      await server.skaits.buffer.flush()
      isps = await breakdown(server.url, 'visit:isp', ['visitors'])
      if (JSON.stringify(isps).includes('example-isp.lv') && !JSON.stringify(isps).includes('(unknown)')) break
    }
    expect(isps).toEqual({ 'example-isp.lv': { visitors: 2 } })
    expect([...dns.questions].sort()).toEqual([
      'A gw-203-0-113.example-isp.lv',
      'AAAA gw6.example-isp.lv',
      'PTR 1.113.0.203.in-addr.arpa',
      `PTR ${reverseName('2001:db8:abcd::1')}`,
    ].sort())
    const v6Host = reverseName(v6).slice(0, -'.ip6.arpa'.length).split('.').slice(0, 20).join('.') // past the /48
    for (const spelling of [v4, '77.113.0.203', '203-0-113-77', v6, reverseName(v6), v6Host, '3456']) {
      expect(dns.queries.filter((q) => q.toLowerCase().includes(spelling)), spelling).toEqual([])
    }
    await server.stop()
    server = undefined
    await dns.close()
    dns = undefined
  })
})
