// Cardinality caps and hostname rules, through the real app, embedded ClickHouse and HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { API_KEY, sendEvent, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

let s: RunningSkaits

beforeAll(async () => {
  s = await startInProcess({
    dataDir: tempDir(),
    env: { SKAITS_SITES: 'example.lv,hosts.lv', MAX_VALUES_PER_DAY: '5', MAX_PROP_NAMES_PER_DAY: '2', METRICS_PUBLIC: 'true' },
  })
})
afterAll(async () => {
  await s?.stop()
})

async function breakdown(site: string, dimension: string, metric: string): Promise<Record<string, number>> {
  await s.skaits.buffer.flush()
  const res = await fetch(`${s.url}/api/v2/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ site_id: site, metrics: [metric], date_range: 'day', dimensions: [dimension] }),
  })
  const json = (await res.json()) as { results: { metrics: number[]; dimensions: string[] }[] }
  expect(res.status).toBe(200)
  return Object.fromEntries(json.results.map((r) => [r.dimensions[0]!, r.metrics[0]!]))
}

async function metric(line: string): Promise<number> {
  const text = await (await fetch(`${s.url}/metrics`)).text()
  const found = text.split('\n').find((l) => l.startsWith(`${line} `))
  return found ? Number(found.slice(line.length + 1)) : 0
}

const event = (site: string, u: string, i: number, extra: Record<string, unknown> = {}) =>
  sendEvent(s.url, { n: 'pageview', u, d: site, ...extra }, { ip: `198.51.100.${i}` })

describe('at most MAX_VALUES_PER_DAY new values per site, day and dimension', () => {
  it('counts junk pages beyond the cap as (other), and pages seen before as themselves', async () => {
    for (let i = 0; i < 12; i++) expect((await event('example.lv', `https://example.lv/junk/${i}`, i)).status).toBe(202)
    expect((await event('example.lv', 'https://example.lv/junk/0', 50)).status).toBe(202)
    const pages = await breakdown('example.lv', 'event:page', 'pageviews')
    expect(pages).toEqual({ '/junk/0': 2, '/junk/1': 1, '/junk/2': 1, '/junk/3': 1, '/junk/4': 1, '(other)': 7 })
    const entries = await breakdown('example.lv', 'visit:entry_page', 'visits')
    expect(entries['(other)']).toBe(7)
    expect(await metric('skaits_values_capped_total{dimension="event:page"}')).toBe(7)
  })

  it('caps property names and values too', async () => {
    const signup = (props: Record<string, string>, i: number) =>
      sendEvent(s.url, { n: 'Signup', u: 'https://example.lv/junk/1', d: 'example.lv', p: props }, { ip: `203.0.113.${i}` })
    for (let i = 0; i < 8; i++) expect((await signup({ plan: `p${i}` }, i)).status).toBe(202)
    expect((await signup({ seats: '1', color: 'red' }, 20)).status).toBe(202)
    const plans = await breakdown('example.lv', 'event:props:plan', 'events')
    expect(plans).toEqual({ p0: 1, p1: 1, p2: 1, p3: 1, p4: 1, '(other)': 3 })
    // 'seats' is the second name; 'color' the third, beyond MAX_PROP_NAMES_PER_DAY.
    expect(await breakdown('example.lv', 'event:props:(other)', 'events')).toEqual({ '(other)': 1 })
    expect(await metric('skaits_values_capped_total{dimension="event:props:(names)"}')).toBe(1)
  })
})

describe('hostnames', () => {
  const put = (hostnames: unknown) =>
    fetch(`${s.url}/api/sites/hosts.lv/hostnames`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ hostnames }),
    })

  it('drops events from a foreign host, counts them in /metrics, and counts the domain and its subdomains', async () => {
    const before = await metric('skaits_events_dropped_total{reason="hostname"}')
    const foreign = await event('hosts.lv', 'https://copycat.example.com/', 1)
    expect(foreign.status).toBe(202)
    expect(await foreign.json()).toEqual({ status: 'dropped', reason: 'hostname' })
    expect((await event('hosts.lv', 'https://notreallyhosts.lv/', 2)).status).toBe(202)
    expect(await metric('skaits_events_dropped_total{reason="hostname"}')).toBe(before + 2)
    expect(await (await event('hosts.lv', 'https://hosts.lv/a', 3)).json()).toEqual({ status: 'accepted' })
    expect(await (await event('www.hosts.lv', 'https://www.hosts.lv/b', 4)).json()).toEqual({ status: 'accepted' })
    expect(await breakdown('hosts.lv', 'event:page', 'pageviews')).toEqual({ '/a': 1, '/b': 1 })
  })

  it('counts an allowed staging host once it is in the site\'s list, and can go back to the default', async () => {
    const staging = 'https://staging.hosts-preview.net:8443/c'
    expect(await (await event('hosts.lv', staging, 5)).json()).toEqual({ status: 'dropped', reason: 'hostname' })
    const get = await fetch(`${s.url}/api/sites/hosts.lv/hostnames`, { headers: { authorization: `Bearer ${API_KEY}` } })
    expect(await get.json()).toEqual({ hostnames: ['hosts.lv', '*.hosts.lv'], default: true })

    const bad = await put(['https://staging.hosts-preview.net/'])
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { error: string }).error).toMatch(/^hostnames\.0: .* is not a host name/)
    expect((await fetch(`${s.url}/api/sites/hosts.lv/hostnames`, { method: 'PUT', body: '{"hostnames":["x.lv"]}' })).status).toBe(401)

    const set = await put(['hosts.lv', '*.hosts.lv', 'Staging.Hosts-Preview.net'])
    expect(set.status).toBe(200)
    expect(await set.json()).toEqual({ hostnames: ['hosts.lv', '*.hosts.lv', 'staging.hosts-preview.net'], default: false })
    expect(await (await event('hosts.lv', staging, 6)).json()).toEqual({ status: 'accepted' })
    expect(await (await event('hosts.lv', 'https://other.hosts-preview.net/', 7)).json()).toEqual({ status: 'dropped', reason: 'hostname' })
    expect((await breakdown('hosts.lv', 'event:page', 'pageviews'))['/c']).toBe(1)

    // Kept across a restart of the site list (stored with the site's settings).
    await s.skaits.sites.load()
    expect(s.skaits.sites.get('hosts.lv')!.allowsHost('staging.hosts-preview.net')).toBe(true)

    expect(await (await put(null)).json()).toEqual({ hostnames: ['hosts.lv', '*.hosts.lv'], default: true })
    expect(await (await event('hosts.lv', staging, 8)).json()).toEqual({ status: 'dropped', reason: 'hostname' })
  })
})
