// Goals completed in real Chromium by the Skaits tracker (t.goals.js) and by Plausible's own npm
// tracker (@plausible-analytics/tracker, unchanged), on pages of another origin, counted by the
// real server and embedded ClickHouse, read back through the Stats API.
import { buildSync } from 'esbuild'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext } from 'playwright-core'
import { launchChromium, statsHost } from '../helpers/chromium.ts'
import { startSite, trackerPage, queueStub, type Site } from '../helpers/pages.ts'
import { adminCall, API_KEY, CHROME_UA, spawnServer, tempDir, type SpawnedSkaits } from '../helpers/skaits.ts'
import { builtDashboard } from '../helpers/dashboard-build.ts'
import { ownerSession } from '../helpers/session.ts'

let server: SpawnedSkaits
let browser: Browser
let site: Site
let stats: string

/** Plausible's npm tracker bundled for a classic script: `plausible.init` and `plausible.track`. */
const plausibleBundle = buildSync({
  stdin: { contents: "import { init, track } from '@plausible-analytics/tracker'; window.plausibleNpm = { init, track }", resolveDir: process.cwd() },
  bundle: true,
  format: 'iife',
  write: false,
}).outputFiles[0]!.text

const FORM = (action: string) => `<form action="${action}" method="get"><input name="q" value="x"><button id="send">Send</button></form>`

const OWNER = { email: 'owner@site.test', password: 'a long enough password' }

beforeAll(async () => {
  await builtDashboard()
  server = await spawnServer({
    DATA_DIR: tempDir(),
    SKAITS_SITES: 'site.test',
    FLUSH_INTERVAL_MS: '50',
    TRUST_PROXY: '0',
    SKAITS_ADMIN_EMAIL: OWNER.email,
    SKAITS_ADMIN_PASSWORD: OWNER.password,
  })
  stats = `http://${statsHost}:${new URL(server.url).port}`
  ;[browser, site] = await Promise.all([launchChromium(), startSite()])
  for (const goal of [{ event: 'Purchase', currency: 'EUR' }, { event: 'Form: Submission' }, { page: '/**/thank-you', name: 'Thank you' }]) {
    expect((await adminCall(server.url, 'PUT', '/api/sites/site.test/goals', goal)).status).toBe(201)
  }
})

afterAll(async () => {
  await browser?.close()
  await site?.close()
  await server?.stop()
})

async function ask(body: Record<string, unknown>) {
  const res = await fetch(`${server.url}/api/v2/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ site_id: 'site.test', date_range: 'day', ...body }),
  })
  const json = await res.json()
  expect(res.status, JSON.stringify(json)).toBe(200)
  return json as { results: { metrics: any[]; dimensions: string[] }[] }
}

/** Waits until the server counted `n` completions of every goal. */
async function waitForGoals(n: number) {
  const deadline = Date.now() + 15_000
  for (;;) {
    const { results } = await ask({ metrics: ['events'], dimensions: ['event:goal'] })
    const counts = Object.fromEntries(results.map((r) => [r.dimensions[0], r.metrics[0]]))
    if (['Purchase', 'Form: Submission', 'Thank you'].every((g) => (counts[g] ?? 0) >= n)) return
    if (Date.now() > deadline) throw new Error(`expected ${n} of each goal, counted ${JSON.stringify(counts)}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** A browser context as a person's browser: a real User-Agent, and no automation flag (Plausible's tracker skips webdriver). */
async function person(ua: string): Promise<BrowserContext> {
  const context = await browser.newContext({ userAgent: ua })
  await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'webdriver', { get: () => false }))
  return context
}

async function completeGoals(context: BrowserContext, prefix: string) {
  const page = await context.newPage()
  await page.goto(`${site.origin}${prefix}/shop`)
  await page.waitForLoadState('load')
  await page.waitForTimeout(300)
  await Promise.all([page.waitForURL(`**${prefix}/thank-you?q=x`), page.click('#send')])
  await page.waitForLoadState('load')
  await page.waitForTimeout(300)
  await page.close()
}

describe('goals from real trackers', () => {
  it('counts a custom event with revenue, a form submission and a page goal from the Skaits tracker and from Plausible’s', async () => {
    site.page(
      '/skaits/shop',
      trackerPage({
        statsOrigin: stats,
        script: 't.goals.js',
        attrs: { forms: true },
        head: `${queueStub}<script>skaits('Purchase', {revenue: {amount: 15.99, currency: 'EUR'}})</script>`,
        body: FORM('/skaits/thank-you'),
      }),
    )
    site.page('/skaits/thank-you', trackerPage({ statsOrigin: stats, body: '<h1>Thank you</h1>' }))
    const plausible = (body: string, extra = '') =>
      `<!doctype html><html><head><meta charset="utf-8"><title>p</title><script>${plausibleBundle}
        plausibleNpm.init({ domain: 'site.test', endpoint: '${stats}/api/event', formSubmissions: true, captureOnLocalhost: true })
        ${extra}</script></head><body>${body}</body></html>`
    site.page('/plausible/shop', plausible(FORM('/plausible/thank-you'), "plausibleNpm.track('Purchase', { revenue: { amount: '20.00', currency: 'EUR' } })"))
    site.page('/plausible/thank-you', plausible('<h1>Thank you</h1>'))

    await completeGoals(await person(CHROME_UA), '/skaits')
    await completeGoals(await person(CHROME_UA.replace('Chrome/131', 'Chrome/130')), '/plausible')
    await waitForGoals(2)

    const goals = await ask({ metrics: ['visitors', 'events', 'conversion_rate', 'total_revenue'], dimensions: ['event:goal'] })
    const byName = Object.fromEntries(goals.results.map((r) => [r.dimensions[0], r.metrics]))
    expect(byName).toEqual({
      Purchase: [2, 2, 100, { value: 35.99, long: '€35.99', short: '€36.0', currency: 'EUR' }],
      'Form: Submission': [2, 2, 100, null],
      'Thank you': [2, 2, 100, null],
    })
    // Where each was completed: the page goal on both thank-you pages, the form on both shops.
    const where = async (goal: string) =>
      Object.fromEntries((await ask({ metrics: ['visitors'], dimensions: ['event:page'], filters: [['is', 'event:goal', [goal]]] })).results.map((r) => [r.dimensions[0], r.metrics[0]]))
    expect(await where('Thank you')).toEqual({ '/skaits/thank-you': 1, '/plausible/thank-you': 1 })
    expect(await where('Form: Submission')).toEqual({ '/skaits/shop': 1, '/plausible/shop': 1 })
    // The server gave both form submissions the page's path, as Plausible's does.
    const paths = await ask({ metrics: ['events'], dimensions: ['event:props:path'] })
    expect(paths.results.map((r) => r.dimensions[0]).sort()).toEqual(['/plausible/shop', '/skaits/shop'])

    // The owner's dashboard shows them: uniques, total, conversion rate, revenue per goal.
    const context = await browser.newContext({ userAgent: CHROME_UA })
    await context.addCookies([{ name: 'skaits_session', value: await ownerSession(server.url, OWNER), url: server.url }])
    const page = await context.newPage()
    await page.goto(`${server.url}/?site=site.test&period=day&lang=en`)
    await page.locator('#panel-goals').scrollIntoViewIfNeeded()
    await page.locator('#panel-goals table.goals tbody tr').first().waitFor({ timeout: 15_000 })
    const shown = await page.locator('#panel-goals tbody tr').evaluateAll((trs) =>
      Object.fromEntries(trs.map((tr) => {
        const cells = [...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())
        return [cells[0], cells.slice(1)]
      })),
    )
    expect(shown).toEqual({ Purchase: ['2', '2', '100%', '€35.99'], 'Form: Submission': ['2', '2', '100%', ''], 'Thank you': ['2', '2', '100%', ''] })
    await context.close()
  })
})
