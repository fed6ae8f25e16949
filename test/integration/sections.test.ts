import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { API_KEY, breakdown, query, sendEvent, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

const today = new Date().toISOString().slice(0, 10)
let now = Date.parse(`${today}T10:00:00Z`)
let server: RunningSkaits
const dataDir = tempDir()

const pv = (ip: string, path: string) =>
  sendEvent(server.url, { n: 'pageview', u: `https://example.lv${path}`, d: 'example.lv' }, { ip })

async function putRules(rules: unknown) {
  const res = await fetch(`${server.url}/api/sites/example.lv/sections`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ rules }),
  })
  return { status: res.status, json: (await res.json()) as Record<string, unknown> }
}

/** The status of the relabel a save started, once it has ended. */
async function relabeled(): Promise<Record<string, unknown>> {
  for (;;) {
    const res = await fetch(`${server.url}/api/sites/example.lv/sections/relabel`, { headers: { authorization: `Bearer ${API_KEY}` } })
    const { relabel } = (await res.json()) as { relabel: Record<string, unknown> }
    if (relabel.state !== 'running') return relabel
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('sections', () => {
  beforeAll(async () => {
    server = await startInProcess({ dataDir, clock: () => now, env: { TIMEZONE: 'UTC' } })
    await pv('198.51.100.1', '/blog/a')
    now += 10_000
    await sendEvent(server.url, { n: 'engagement', u: 'https://example.lv/blog/a', d: 'example.lv', e: 10_000, sd: 80 }, { ip: '198.51.100.1' })
    await pv('198.51.100.1', '/blog/b')
    await pv('198.51.100.1', '/veikals/x')
    await pv('198.51.100.2', '/veikals/y')
    await pv('198.51.100.3', '/')
    await server.skaits.buffer.flush()
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('defaults to the first path segment, with page metrics and visits once per section', async () => {
    expect(await breakdown(server.url, 'event:section', ['pageviews', 'visitors', 'visits', 'time_on_page', 'scroll_depth'])).toEqual({
      blog: { pageviews: 2, visitors: 1, visits: 1, time_on_page: 10, scroll_depth: 80 },
      veikals: { pageviews: 2, visitors: 2, visits: 2, time_on_page: null, scroll_depth: null },
      '/': { pageviews: 1, visitors: 1, visits: 1, time_on_page: null, scroll_depth: null },
    })
  })

  it('refuses malformed rules with an example', async () => {
    const bad = await putRules([{ match: 'blog', section: 'Blog' }])
    expect(bad.status).toBe(400)
    expect(bad.json.error).toMatch(/rules\.0\.match/)
    const unauthorised = await fetch(`${server.url}/api/sites/example.lv/sections`, { method: 'PUT', body: '{}' })
    expect(unauthorised.status).toBe(401)
  })

  it('relabels history when the rules change, and refuses per-section visitors it cannot rebuild', async () => {
    now = Date.parse(`${today}T12:30:00Z`)
    const res = await putRules([
      { match: '/veikals/**', section: 'Veikals' },
      { match: '/blog/**', section: 'Raksti' },
    ])
    expect(res.status).toBe(200)
    expect(res.json.relabel).toMatchObject({ state: 'running', before: `${today}T12:00:00.000Z`, since: res.json.since })
    // The history is relabeled in the background (test/integration/sections-relabel.test.ts).
    expect(await relabeled()).toMatchObject({ state: 'done', pages: 5, before: `${today}T12:00:00.000Z`, error: null })
    expect(await breakdown(server.url, 'event:section', ['pageviews', 'time_on_page', 'bounce_rate'])).toEqual({
      Raksti: { pageviews: 2, time_on_page: 10, bounce_rate: 0 },
      Veikals: { pageviews: 2, time_on_page: null, bounce_rate: 100 },
      '/': { pageviews: 1, time_on_page: null, bounce_rate: 100 },
    })
    const visitors = await query(server.url, { metrics: ['visitors'], date_range: 'day', dimensions: ['event:section'] })
    expect(visitors.status).toBe(400)
    expect(visitors.json.error).toMatch(/known from/)
    // New events follow the new rules at once.
    await pv('198.51.100.4', '/blog/new')
    await server.skaits.buffer.flush()
    expect((await breakdown(server.url, 'event:section', ['pageviews'])).Raksti).toEqual({ pageviews: 3 })
    const get = await fetch(`${server.url}/api/sites/example.lv/sections`, { headers: { authorization: `Bearer ${API_KEY}` } })
    expect(((await get.json()) as { rules: unknown[] }).rules).toHaveLength(2)
  })


  it('keeps the rules across a restart', async () => {
    await server.stop()
    server = await startInProcess({ dataDir, clock: () => now, env: { TIMEZONE: 'UTC' } })
    await pv('198.51.100.5', '/veikals/z')
    await server.skaits.buffer.flush()
    expect((await breakdown(server.url, 'event:section', ['pageviews'])).Veikals).toEqual({ pageviews: 3 })
  })
})
