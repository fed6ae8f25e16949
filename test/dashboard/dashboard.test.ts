// The dashboard in real Chromium, served by the real server process, reading numbers that
// real events put into the real embedded ClickHouse. Screenshots go to test-artifacts/.
import { mkdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from '../helpers/chromium.ts'
import { builtDashboard } from '../helpers/dashboard-build.ts'
import { startDns, type TestDns } from '../helpers/dns.ts'
import { API_KEY, CHROME_UA, sendEvent, spawnServer, tempDir, type SpawnedSkaits } from '../helpers/skaits.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')
const ARTIFACTS = path.join(ROOT, 'test-artifacts')
const OWNER = 'owner@example.lv'
const PASSWORD = 'a long owner passphrase'
const IPHONE_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1'
const FIREFOX_UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0'

let server: SpawnedSkaits
let dns: TestDns
let browser: Browser
const contexts: BrowserContext[] = []
const consoleErrors: string[] = []

/**
 * Four visitors: two of them read the blog section, two look at pricing; three ISP networks
 * answer reverse DNS, one does not. Visits: 4, pageviews: 7, /pricing: 2 visitors, 2 pageviews.
 */
async function seed(url: string): Promise<void> {
  const ev = (ip: string, ua: string, path: string, extra: Record<string, unknown> = {}) =>
    sendEvent(url, { n: 'pageview', u: `https://example.lv${path}`, d: 'example.lv', ...extra }, { ip, ua }).then((r) => {
      if (r.status !== 202) throw new Error(`event refused: ${r.status}`)
    })
  const engage = (ip: string, ua: string, path: string, e: number, sd: number) => ev(ip, ua, path, { n: 'engagement', e, sd })
  await Promise.all([
    (async () => {
      await ev('87.110.0.1', CHROME_UA, '/', { r: 'https://www.google.com/search?q=skaits', w: 1500 })
      await ev('87.110.0.1', CHROME_UA, '/blog/first')
      await engage('87.110.0.1', CHROME_UA, '/blog/first', 30_000, 80)
      await ev('87.110.0.1', CHROME_UA, '/blog/second')
    })(),
    (async () => {
      await ev('78.84.12.1', IPHONE_UA, '/blog/first', { r: 'https://m.facebook.com/', w: 390 })
      await engage('78.84.12.1', IPHONE_UA, '/blog/first', 12_000, 50)
    })(),
    ev('78.84.12.2', FIREFOX_UA, '/pricing', { w: 1200 }),
    (async () => {
      await ev('193.0.6.139', CHROME_UA, '/', { w: 1920 })
      await ev('193.0.6.139', CHROME_UA, '/pricing')
      await ev('193.0.6.139', CHROME_UA, '/pricing', { n: 'Signup' })
    })(),
  ])
}

async function api(body: Record<string, unknown>, bearer = API_KEY): Promise<{ status: number; json: any }> {
  const res = await fetch(`${server.url}/api/v2/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: JSON.stringify({ site_id: 'example.lv', date_range: 'day', ...body }),
  })
  return { status: res.status, json: await res.json() }
}

/** Until the flush and the ISP lookups landed: the numbers the test sent, through the API. */
async function waitForCounts(): Promise<void> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const total = await api({ metrics: ['visitors', 'pageviews'] })
    const isp = await api({ metrics: ['visits'], dimensions: ['visit:isp'] })
    const isps = (isp.json.results ?? []).map((r: { dimensions: string[] }) => r.dimensions[0]).sort()
    if (JSON.stringify(total.json.results?.[0]?.metrics) === '[4,7]' && isps.join() === '(unknown),example-isp.lv,tet.lv') return
    if (Date.now() > deadline) throw new Error(`counts did not arrive: ${JSON.stringify(total.json)} ${isps}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

async function newPage(width: number, height = 1000): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height }, acceptDownloads: true, locale: 'en-GB' })
  contexts.push(context)
  const page = await context.newPage()
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`${page.url()}: ${m.text()}`)
  })
  page.on('pageerror', (e) => consoleErrors.push(`${page.url()}: ${e.message}`))
  return page
}

/** Polls for up to 10 s: a loaded two-core machine may take a while to draw the first view. */
const eventually = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 10_000 })

const top = (page: Page, metric: string) => page.locator(`[data-metric="${metric}"] .value`)

/** Panels below the fold load when they come near the screen, as a person scrolls. */
async function scrollThrough(page: Page): Promise<void> {
  for (const panel of await page.locator('.panel').all()) await panel.scrollIntoViewIfNeeded()
  await page.evaluate(() => window.scrollTo(0, 0))
}


beforeAll(async () => {
  await builtDashboard()
  dns = await startDns({
    '87.110.0.1': 'host-87-110-0-1.static.tet.lv',
    '78.84.12.1': '78-84-12-1.static.example-isp.lv',
    '78.84.12.2': '78-84-12-2.static.example-isp.lv',
  })
  ;[server, browser] = await Promise.all([
    spawnServer({
      DATA_DIR: tempDir(),
      SKAITS_SITES: 'example.lv,other.lv',
      SKAITS_ADMIN_EMAIL: OWNER,
      SKAITS_ADMIN_PASSWORD: PASSWORD,
      ISP_LOOKUP: 'dns',
      DNS_SERVERS: dns.server,
      ISP_TIMEOUT_MS: '1000',
      FLUSH_INTERVAL_MS: '50',
    }),
    launchChromium(),
  ])
  await seed(server.url)
  await waitForCounts()
  mkdirSync(ARTIFACTS, { recursive: true })
})

afterAll(async () => {
  for (const c of contexts) await c.close()
  await browser?.close()
  await server?.stop()
  await dns?.close()
})

describe('dashboard', () => {
  let page: Page

  it('logs in and shows the numbers that were sent: visitors, pageviews, a section, ISP domains', async () => {
    page = await newPage(1440)
    await page.goto(`${server.url}/`)
    await page.fill('#email', OWNER)
    await page.fill('#password', PASSWORD)
    await page.click('button[type=submit]')
    await eventually(() => top(page, 'visitors').textContent()).toBe('4')
    expect(await top(page, 'visits').textContent()).toBe('4')
    expect(await top(page, 'pageviews').textContent()).toBe('7')
    await page.locator('#panel-sections .pick[data-value="blog"]').waitFor()
    await scrollThrough(page)
    const sections = await page.locator('#panel-sections .pick').allTextContents()
    expect(sections.sort()).toEqual(['/', 'blog', 'pricing'])
    await page.locator('#panel-isp .pick[data-value="tet.lv"]').waitFor()
    expect((await page.locator('#panel-isp .pick').allTextContents()).sort()).toEqual(['(unknown)', 'example-isp.lv', 'tet.lv'])
    expect(await page.locator('#panel-isp tr:has(.pick[data-value="example-isp.lv"]) td.num').first().textContent()).toBe('2')
    await page.locator('#panel-events .pick[data-value="Signup"]').waitFor()
    await page.locator('.chart .u-over').waitFor()
    expect(await page.locator('.realtime').textContent()).toMatch(/4 current visitors/)
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-1440.png'), fullPage: true })
  })

  it('changes the range: in the URL, and the numbers follow', async () => {
    await page.selectOption('#period', 'yesterday')
    await eventually(() => page.url()).toContain('period=yesterday')
    await eventually(() => top(page, 'visitors').textContent()).toBe('0')
    await page.locator('#panel-pages').getByText('No data for this period').waitFor()
    await page.keyboard.press('w') // the 7-day shortcut
    await eventually(() => page.url()).toContain('period=7d')
    await eventually(() => top(page, 'visitors').textContent()).toBe('4')
    await page.goBack()
    await eventually(() => page.url()).toContain('period=yesterday')
    await page.selectOption('#period', 'custom')
    const today = new Date().toISOString().slice(0, 10)
    await page.fill('#from', today)
    await page.fill('#to', today)
    await page.locator('form.custom button[type=submit]').click()
    await eventually(() => page.url()).toContain(`from=${today}&to=${today}`)
    await eventually(() => top(page, 'pageviews').textContent()).toBe('7')
    await page.selectOption('#period', 'day')
    await eventually(() => top(page, 'pageviews').textContent()).toBe('7')
    // Another site, with nothing counted yet: it waits for its first pageview (in the URL too).
    await page.selectOption('.site-switch', 'other.lv')
    await eventually(() => page.url()).toContain('site=other.lv')
    await page.locator('#waiting').waitFor()
    await page.selectOption('.site-switch', 'example.lv')
    await eventually(() => top(page, 'pageviews').textContent()).toBe('7')
  })

  it('steps the period with ← and →, and lists its keys on ?', async () => {
    // Today's 7 pageviews; ← is the day before (none), → back to today; → again goes nowhere.
    await page.keyboard.press('d')
    await eventually(() => page.url()).toContain('period=day')
    await page.locator('main').click({ position: { x: 1, y: 1 } })
    const today = new Date().toISOString().slice(0, 10)
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10)
    await page.keyboard.press('ArrowLeft')
    await eventually(() => page.url()).toContain(`from=${yesterday}&to=${yesterday}`)
    await eventually(() => top(page, 'pageviews').textContent()).toBe('0')
    await page.keyboard.press('ArrowRight')
    await eventually(() => page.url()).toContain(`from=${today}&to=${today}`)
    await eventually(() => top(page, 'pageviews').textContent()).toBe('7')
    const url = page.url()
    await page.keyboard.press('ArrowRight')
    expect(page.url()).toBe(url)
    await page.keyboard.press('?')
    const help = page.locator('dialog.keys-help')
    await help.waitFor()
    expect(await help.textContent()).toContain('← →')
    await page.keyboard.press('Escape')
    await help.waitFor({ state: 'detached' })
    await page.keyboard.press('d')
    await eventually(() => page.url()).toContain('period=day')
  })

  it('shows exact numbers on the chart when hovered, the previous period beside them', async () => {
    await page.selectOption('#period', '7d')
    const over = page.locator('.chart .u-over')
    await over.waitFor()
    const box = (await over.boundingBox())!
    await page.mouse.move(box.x + box.width - 1, box.y + box.height / 2) // today, the last day
    await eventually(() => page.locator('.tip .tip-now').textContent()).toMatch(/Unique visitors: 4$/)
    expect(await page.locator('.tip .tip-prev').textContent()).toMatch(/0$/)
    await page.locator('[data-metric="pageviews"]').click()
    await eventually(() => page.url()).toContain('metric=pageviews')
    await page.locator('.chart .u-over').hover({ position: { x: box.width - 1, y: box.height / 2 } })
    await eventually(() => page.locator('.tip .tip-now').textContent()).toMatch(/Total pageviews: 7$/)
    await page.selectOption('#period', 'day')
  })

  it("filters by a page: the top row shows that page's numbers and its entries and exits, other panels say in one line why they cannot", async () => {
    await page.locator('#panel-pages .pick[data-value="/pricing"]').click()
    await eventually(() => page.url()).toContain(`f=${encodeURIComponent('event:page=/pricing')}`)
    await eventually(() => top(page, 'pageviews').textContent()).toBe('2')
    expect(await top(page, 'visitors').textContent()).toBe('2')
    // Visit duration belongs to visits, not pages: shown as unavailable, not as a wrong number.
    expect(await top(page, 'visit_duration').textContent()).toBe('—')
    expect(await page.locator('[data-metric="visit_duration"] .change').textContent()).toMatch(/page filter/)
    // Panels that cannot answer are one short line each, not tall empty cards; the reason is a
    // tooltip and a click away.
    for (const panel of ['sections', 'sources', 'countries', 'isp', 'devices', 'events']) {
      const card = page.locator(`#panel-${panel}`)
      expect(await card.locator('.na summary').textContent(), panel).toBe('Not available with a page filter')
      expect((await card.boundingBox())!.height, panel).toBeLessThan(80)
      expect(await card.locator('.rows, footer').count(), panel).toBe(0)
    }
    const why = page.locator('#panel-sources details p')
    expect(await page.locator('#panel-sources summary').getAttribute('title')).toMatch(/^Skaits counts each dimension on its own and keeps no cross-tabulations/)
    expect(await why.isVisible()).toBe(false)
    await page.locator('#panel-sources summary').click()
    await eventually(() => why.isVisible()).toBe(true)
    expect(await why.textContent()).toMatch(/cannot be cut by a page filter/)
    // The page's own figures: one visit began on /pricing, two ended there; nothing scrolled.
    const summary = page.locator('#page-summary')
    await eventually(() => summary.locator('[data-summary="entries"] dd').textContent()).toBe('1')
    await eventually(() => summary.locator('[data-summary="col_exits"] dd').textContent()).toBe('2')
    await eventually(() => summary.locator('[data-summary="scroll_depth"] dd').textContent()).toBe('—')
    expect(await summary.locator('h2').textContent()).toBe('This page /pricing')
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-filtered-1440.png'), fullPage: true })
    await eventually(() => page.locator('#panel-pages .pick').allTextContents()).toEqual(['/pricing'])
    await page.locator('.chip').getByText('Page is /pricing').waitFor()
    await page.locator('.chip .x').click()
    await eventually(() => top(page, 'pageviews').textContent()).toBe('7')
    // The same with the keyboard: Enter on a row filters, focus lands on the filter's remove button.
    await page.locator('#panel-sections .pick[data-value="blog"]').focus()
    await page.keyboard.press('Enter')
    await eventually(() => top(page, 'pageviews').textContent()).toBe('3')
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('clear-filter')
    await page.keyboard.press('Enter')
    await eventually(() => top(page, 'pageviews').textContent()).toBe('7')
    await scrollThrough(page)
    await page.locator('#panel-sources .pick').first().waitFor()
  })

  it("downloads a panel as CSV whose rows are the API's answer", async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#panel-pages footer button', { hasText: 'CSV' }).click()])
    const csv = readFileSync((await download.path())!, 'utf8').trim().split(/\r?\n/)
    const metrics = ['visitors', 'pageviews', 'time_on_page', 'scroll_depth']
    expect(csv[0]).toBe(['page', ...metrics].join(','))
    const { json } = await api({ metrics, dimensions: ['event:page'], pagination: { limit: 10_000, offset: 0 } })
    const expected = json.results.map((r: { dimensions: string[]; metrics: (number | null)[] }) =>
      [r.dimensions[0], ...r.metrics.map((m) => (m === null ? '' : String(m)))].join(','),
    )
    expect(csv.slice(1)).toEqual(expected)
    expect(csv).toContain('/blog/first,2,2,21,65')
  })

  it('opens a full, searchable list and closes it with Escape', async () => {
    await page.locator('#panel-pages footer button', { hasText: 'Details' }).click()
    const dialog = page.locator('dialog.details')
    await dialog.locator('.pick').first().waitFor()
    await dialog.locator('input[type=search]').fill('BLOG')
    await eventually(() => dialog.locator('.pick').allTextContents()).toEqual(['/blog/first', '/blog/second'])
    await page.keyboard.press('Escape')
    await eventually(() => dialog.count()).toBe(0)
  })

  it('speaks Latvian and remembers it in the URL and the owner cookie', async () => {
    await page.locator('.lang button[lang=lv]').click()
    await eventually(() => page.locator('[data-metric="visitors"] .label').textContent()).toBe('Unikālie apmeklētāji')
    expect(page.url()).toContain('lang=lv')
    expect((await page.context().cookies()).find((c) => c.name === 'skaits_lang')?.value).toBe('lv')
    await page.goto(`${server.url}/`)
    await eventually(() => page.locator('#panel-sections h2').textContent()).toBe('Aplūkotās sadaļas')
    await page.locator('.lang button[lang=en]').click()
    await eventually(() => page.locator('#panel-sections h2').textContent()).toBe('Sections viewed')
  })

  it('fits a 390 px phone', async () => {
    await page.setViewportSize({ width: 390, height: 844 })
    await eventually(() => top(page, 'visitors').textContent()).toBe('4')
    await scrollThrough(page)
    await page.locator('#panel-isp .pick').first().waitFor()
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-390.png'), fullPage: true })
  })

  it('has settings for sites, keys, shared links and users', async () => {
    await page.setViewportSize({ width: 1440, height: 1000 })
    await page.goto(`${server.url}/settings`)
    await page.locator('.list th', { hasText: 'other.lv' }).waitFor()
    await page.locator('.settings-tabs a', { hasText: 'Shared links' }).click()
    await page.fill('input[name=name]', 'board')
    await page.locator('form.inline button[type=submit]').click()
    const link = await page.locator('.once code').textContent()
    expect(link).toMatch(new RegExp(`^${server.url}/share/sh_`))
    await page.locator('.settings-tabs a', { hasText: 'Users' }).click()
    await page.locator('.list th', { hasText: OWNER }).waitFor()
  })

  it('shows a shared link read-only: the same site, nothing else', async () => {
    const res = await fetch(`${server.url}/api/shares`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ site: 'example.lv', name: 'partner' }),
    })
    expect(res.status).toBe(201)
    const share = (await res.json()) as { token: string; path: string }
    const viewer = await newPage(1440)
    const asked: { url: string; site?: string }[] = []
    viewer.on('request', (r) => {
      if (new URL(r.url()).pathname.startsWith('/api/')) {
        const body = r.postData()
        asked.push({ url: new URL(r.url()).pathname, site: body ? JSON.parse(body).site_id : new URL(r.url()).searchParams.get('site_id') })
      }
    })
    await viewer.goto(`${server.url}${share.path}`)
    await eventually(() => top(viewer, 'visitors').textContent()).toBe('4')
    expect(await top(viewer, 'pageviews').textContent()).toBe('7')
    // The minimum crowd (5): four visitors, all in the hour under way, give a shared view
    // today's totals and no breakdown yet; the page says why.
    expect(await viewer.locator('.crowd-note').textContent()).toContain('fewer than 5')
    await eventually(() => viewer.locator('#panel-sections p.muted').textContent()).toBe('No data for this period')
    await scrollThrough(viewer)
    await eventually(() => viewer.locator('#panel-events p.muted').textContent()).toBe('No data for this period')
    expect(await viewer.locator('.site-name').textContent()).toContain('example.lv')
    expect(await viewer.locator('.site-switch, .settings-link, form.logout').count()).toBe(0)
    expect(await viewer.content()).not.toContain('other.lv')
    expect(asked.length).toBeGreaterThan(0)
    expect(new Set(asked.map((a) => a.url))).toEqual(new Set(['/api/v2/query', '/api/v1/stats/realtime/visitors']))
    expect(new Set(asked.map((a) => a.site))).toEqual(new Set(['example.lv']))
    await viewer.screenshot({ path: path.join(ARTIFACTS, 'dashboard-share-1440.png'), fullPage: true })

    expect(consoleErrors).toEqual([])
    // With the link's own credential, another site and the management API are refused.
    const tries = await viewer.evaluate(async (token) => {
      const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
      const other = await fetch('/api/v2/query', { method: 'POST', headers: auth, body: JSON.stringify({ site_id: 'other.lv', metrics: ['visitors'], date_range: 'day' }) })
      const sites = await fetch('/api/sites', { headers: auth })
      return [other.status, sites.status]
    }, share.token)
    expect(tries).toEqual([403, 403])
    // Chromium logs those two refusals as console errors: expected here, and only here.
    expect(consoleErrors.splice(0).map((e) => /status of 403/.test(e))).toEqual([true, true])
    await viewer.goto(`${server.url}/settings`)
    expect(await viewer.locator('form[action="/api/login"]').count()).toBe(1)
  })

  it('after a change of section rules, says from when section visitors are known instead of asking', async () => {
    const res = await fetch(`${server.url}/api/sites/example.lv/sections`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ rules: [{ match: '/blog/**', section: 'Raksti' }] }),
    })
    expect(res.status).toBe(200)
    const { since } = (await res.json()) as { since: string }
    await page.goto(`${server.url}/`)
    // The day as the page writes days ("8 Dec 2026"), not as the API sends it.
    const sinceText = new Date(`${since}T00:00:00Z`).toLocaleDateString('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short', year: 'numeric' })
    await eventually(() => page.locator('#panel-sections .note').textContent()).toMatch(`per section are known from ${sinceText} on`)
    await page.locator('#panel-sections .pick').first().waitFor()
    expect(await page.locator('#panel-sections th').allTextContents()).toEqual(['Section', 'Views', 'Time', 'Scroll'])
    await page.locator('#panel-sections .pick').first().click()
    await eventually(() => page.locator('[data-metric="visitors"] .change').textContent()).toMatch(/^Per section from .* \(section rules changed\)$/)
    expect(await top(page, 'visitors').textContent()).toBe('—')
    expect(await top(page, 'pageviews').textContent()).not.toBe('—')
    expect(await page.locator('.refused').count()).toBe(0)
    expect(consoleErrors).toEqual([])
  })

  it('opens a password-protected link after its password, then reads with its cookie', async () => {
    const res = await fetch(`${server.url}/api/shares`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ site: 'example.lv', name: 'board', password: 'board share passphrase' }),
    })
    const share = (await res.json()) as { path: string }
    const viewer = await newPage(390, 844)
    await viewer.emulateMedia({ colorScheme: 'dark' })
    await viewer.goto(`${server.url}${share.path}`)
    await viewer.fill('#password', 'board share passphrase')
    await viewer.click('button[type=submit]')
    await eventually(() => top(viewer, 'visitors').textContent()).toBe('4')
    expect((await viewer.context().cookies()).map((c) => c.name)).toEqual(['skaits_share'])
    await scrollThrough(viewer)
    await eventually(() => viewer.locator('#panel-events p.muted').textContent()).toBe('No data for this period')
    await viewer.screenshot({ path: path.join(ARTIFACTS, 'dashboard-share-390-dark.png'), fullPage: true })
    expect(consoleErrors).toEqual([])
  })
})
