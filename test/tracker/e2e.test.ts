// The real tracker, served by the real Skaits server, in real Chromium, counted by the real
// embedded ClickHouse and read back through the Stats API. The page comes from another origin.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { launchChromium, statsHost } from '../helpers/chromium.ts'
import { startSite, trackerPage, queueStub, type Site } from '../helpers/pages.ts'
import { API_KEY, CHROME_UA, spawnServer, tempDir, type SpawnedSkaits } from '../helpers/skaits.ts'
import { TRACKER_DIR } from '../../server/script/route.ts'

let server: SpawnedSkaits
let browser: Browser
let site: Site
let stats: string

beforeAll(async () => {
  server = await spawnServer({ DATA_DIR: tempDir(), SKAITS_SITES: 'site.test', FLUSH_INTERVAL_MS: '50', TRUST_PROXY: '0' })
  stats = `http://${statsHost}:${new URL(server.url).port}`
  ;[browser, site] = await Promise.all([launchChromium(), startSite()])
})

afterAll(async () => {
  await browser?.close()
  await site?.close()
  await server?.stop()
})


async function waitForPageviews(n: number): Promise<void> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const res = await fetch(`${server.url}/api/v2/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ site_id: 'site.test', metrics: ['pageviews'], date_range: 'day' }),
    })
    const json = (await res.json()) as { results: { metrics: number[] }[] }
    const seen = json.results[0]?.metrics[0] ?? 0
    if (seen >= n) return
    if (Date.now() > deadline) throw new Error(`expected ${n} pageviews, the server counted ${seen}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

async function siteQuery(body: Record<string, unknown>) {
  const res = await fetch(`${server.url}/api/v2/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ site_id: 'site.test', date_range: 'day', ...body }),
  })
  expect(res.status).toBe(200)
  return (await res.json()) as { results: { metrics: (number | null)[]; dimensions: string[] }[] }
}

describe('tracker → server → Stats API', () => {
  it('counts a pageview, SPA navigations, a custom event and engaged time', async () => {
    site.page(
      '/shop',
      trackerPage({
        statsOrigin: stats,
        attrs: { automation: true },
        head: `${queueStub}<script>skaits('Signup', {props: {plan: 'pro'}})</script>`,
        body: '<h1>shop</h1>',
      }),
    )
    const context = await browser.newContext({ userAgent: CHROME_UA })
    const page = await context.newPage()
    const problems: string[] = []
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text())
    })
    await page.goto(`${site.origin}/shop?utm_source=test#top`)
    await page.waitForFunction(() => typeof (window as { skaits?: { allow?: unknown } }).skaits?.allow === 'function')
    await page.evaluate(() => history.pushState({}, '', '/shop/cart'))
    await page.evaluate(() => history.pushState({}, '', '/shop/checkout'))
    await page.evaluate(() => history.back())
    await waitForPageviews(4)
    await page.waitForTimeout(600)
    await page.close({ runBeforeUnload: true }) // pagehide: the last engagement is sent
    expect(problems).toEqual([])
    expect(await context.cookies()).toEqual([])
    await context.close()

    await new Promise((r) => setTimeout(r, 500))
    const pages = await siteQuery({ metrics: ['pageviews', 'visitors'], dimensions: ['event:page'] })
    expect(Object.fromEntries(pages.results.map((r) => [r.dimensions[0], r.metrics]))).toEqual({
      '/shop': [1, 1],
      '/shop/cart': [2, 1],
      '/shop/checkout': [1, 1],
    })
    const total = await siteQuery({ metrics: ['visitors', 'visits', 'pageviews', 'bounce_rate', 'events'] })
    expect(total.results[0]!.metrics).toEqual([1, 1, 4, 0, 5])
    const names = await siteQuery({ metrics: ['events'], dimensions: ['event:name'] })
    expect(names.results).toContainEqual({ metrics: [1], dimensions: ['Signup'] })
    const plan = await siteQuery({ metrics: ['events'], dimensions: ['event:props:plan'] })
    expect(plan.results).toEqual([{ metrics: [1], dimensions: ['pro'] }])
    const engaged = await siteQuery({ metrics: ['time_on_page', 'scroll_depth'] })
    expect(engaged.results[0]!.metrics[0]).not.toBeNull()
  })

  it('counts hash-routed pages when data-hash is on', async () => {
    site.page('/app', trackerPage({ statsOrigin: stats, attrs: { automation: true, hash: true } }))
    const context = await browser.newContext({ userAgent: CHROME_UA })
    const page = await context.newPage()
    await page.goto(`${site.origin}/app#/inbox`)
    await page.waitForFunction(() => typeof (window as { skaits?: { allow?: unknown } }).skaits?.allow === 'function')
    await page.evaluate(() => (location.hash = '#/settings'))
    await waitForPageviews(6) // 4 from the test before
    await context.close()
    const pages = await siteQuery({ metrics: ['pageviews'], dimensions: ['event:page'], filters: [['contains', 'event:page', ['/app']]] })
    expect(pages.results).toEqual([
      { metrics: [1], dimensions: ['/app#/inbox'] },
      { metrics: [1], dimensions: ['/app#/settings'] },
    ])
  })

  it('serves /t.js and /t.goals.js compressed, cacheable and revalidated by ETag, each its own build', async () => {
    const headers: Record<string, string | null>[] = []
    for (const name of ['t.js', 't.goals.js']) {
      const res = await fetch(`${server.url}/${name}`, { headers: { 'accept-encoding': 'br' } })
      expect(res.status, name).toBe(200)
      expect(res.headers.get('content-encoding')).toBe('br')
      expect(res.headers.get('cache-control')).toMatch(/max-age=86400/)
      const etag = res.headers.get('etag')!
      expect(etag).toMatch(/^"[\w-]+"$/)
      // The files the server read at start, as tracker/build.ts wrote them.
      const code = await res.text()
      expect(code).toBe(readFileSync(join(TRACKER_DIR, name), 'utf8'))
      expect(code.includes('Form: Submission'), name).toBe(name === 't.goals.js')
      const again = await fetch(`${server.url}/${name}`, { headers: { 'if-none-match': etag } })
      expect(again.status).toBe(304)
      const { etag: _, 'content-length': __, ...rest } = Object.fromEntries(res.headers)
      headers.push(rest)
    }
    // The same answer for both, and neither gets the pages' security headers (CSP, framing).
    expect(headers[1]).toEqual(headers[0])
    expect(headers[0]).toMatchObject({ 'cross-origin-resource-policy': 'cross-origin', vary: 'Accept-Encoding' })
    expect(headers[0]).not.toHaveProperty('content-security-policy')
  })
})
