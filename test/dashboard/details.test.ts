// A panel's Details list in real Chromium, over more rows than it loads at once: its search and
// its column order hold over all rows (the Stats API's answer for the same question), its CSV
// is what it shows, its search box stays in view; and the filter chip names its dimension.
import { mkdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from '../helpers/chromium.ts'
import { builtDashboard } from '../helpers/dashboard-build.ts'
import { API_KEY, CHROME_UA, browserUA, sendEvent, spawnServer, tempDir, type SpawnedSkaits } from '../helpers/skaits.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')
const ARTIFACTS = path.join(ROOT, 'test-artifacts')
const OWNER = 'owner@example.lv'
const PASSWORD = 'a long owner passphrase'
const VISITORS = 4
/** 130 blog posts and 130 docs pages: a search for "/blog/" narrows 260 rows to 130, more than a page of 100. */
const PAGES = [...Array.from({ length: 130 }, (_, i) => `/blog/post-${i}`), ...Array.from({ length: 130 }, (_, i) => `/docs/page-${i}`)]
/** Page k has k % 4 + 1 visitors, so that sorting by visitors is not the order of the paths. */
const PAGEVIEWS = PAGES.reduce((sum, _, k) => sum + (k % VISITORS) + 1, 0)
const METRICS = ['visitors', 'pageviews', 'time_on_page', 'scroll_depth']
const BLOG = ['matches', 'event:page', ['(?i)/blog/']]

let server: SpawnedSkaits
let browser: Browser
const contexts: BrowserContext[] = []
const consoleErrors: string[] = []

async function seed(url: string): Promise<void> {
  await Promise.all(
    Array.from({ length: VISITORS }, async (_, v) => {
      for (const [k, p] of PAGES.entries()) {
        if (k % VISITORS < v) continue
        const r = await sendEvent(url, { n: 'pageview', u: `https://example.lv${p}`, d: 'example.lv' }, { ip: `87.110.${v}.1`, ua: browserUA(v) })
        if (r.status !== 202) throw new Error(`event refused: ${r.status}`)
      }
    }),
  )
}

type Row = { dimensions: string[]; metrics: (number | null)[] }

async function api(body: Record<string, unknown>): Promise<Row[]> {
  const res = await fetch(`${server.url}/api/v2/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ site_id: 'example.lv', date_range: '30d', ...body }),
  })
  const json = await res.json()
  if (res.status !== 200) throw new Error(`query failed ${res.status}: ${JSON.stringify(json)}`)
  return json.results
}

/** The pages panel's rows as the API gives them: a filter, an order, all of them. */
const pages = (o: { filters?: unknown[]; order_by?: unknown[] } = {}) =>
  api({ metrics: METRICS, dimensions: ['event:page'], pagination: { limit: 10_000, offset: 0 }, ...o })

const csvLine = (r: Row) => [r.dimensions[0], ...r.metrics.map((m) => (m === null ? '' : String(m)))].join(',')

async function waitForCounts(): Promise<void> {
  const deadline = Date.now() + 15_000
  for (;;) {
    const [row] = await api({ metrics: ['visitors', 'pageviews'] })
    if (JSON.stringify(row?.metrics) === JSON.stringify([VISITORS, PAGEVIEWS])) return
    if (Date.now() > deadline) throw new Error(`counts did not arrive: ${JSON.stringify(row)}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

async function newPage(width: number, height: number): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height }, acceptDownloads: true, locale: 'en-GB', userAgent: CHROME_UA })
  contexts.push(context)
  const page = await context.newPage()
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`${page.url()}: ${m.text()}`)
  })
  page.on('pageerror', (e) => consoleErrors.push(`${page.url()}: ${e.message}`))
  return page
}

const eventually = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 10_000 })


async function downloadCsv(page: Page, button: Locator): Promise<{ name: string; lines: string[] }> {
  const [download] = await Promise.all([page.waitForEvent('download'), button.click()])
  return { name: download.suggestedFilename(), lines: readFileSync((await download.path())!, 'utf8').trim().split(/\r?\n/) }
}

beforeAll(async () => {
  await builtDashboard()
  ;[server, browser] = await Promise.all([
    spawnServer({
      DATA_DIR: tempDir(),
      SKAITS_ADMIN_EMAIL: OWNER,
      SKAITS_ADMIN_PASSWORD: PASSWORD,
      FLUSH_INTERVAL_MS: '50',
      // 650 events from four addresses in a few seconds, and the tests' own questions.
      INGEST_RATE_PER_MINUTE: '0',
      STATS_RATE_PER_MINUTE: '0',
    }),
    launchChromium(),
  ])
  await seed(server.url)
  await waitForCounts()
})

afterAll(async () => {
  for (const c of contexts) await c.close()
  await browser?.close()
  await server?.stop()
})

describe('a Details list', () => {
  let page: Page
  let dialog: Locator
  const shown = () => dialog.locator('.pick').evaluateAll((els) => els.map((e) => e.getAttribute('data-value')))
  const heading = (key: string) => dialog.locator(`th:has(button.sort[data-sort="${key}"])`)

  it('opens, over all the pages of the day', async () => {
    page = await newPage(1280, 800)
    await page.goto(`${server.url}/?period=day`)
    await page.fill('#email', OWNER)
    await page.fill('#password', PASSWORD)
    await page.click('button[type=submit]')
    await page.locator('#panel-pages .pick').first().waitFor()
    await page.locator('#panel-pages footer button', { hasText: 'Details' }).click()
    dialog = page.locator('dialog.details')
    await eventually(() => dialog.locator('.details-search .muted').textContent()).toBe('260 rows')
    expect(await dialog.locator('.pick').count()).toBe(100)
  })

  it('downloads as CSV exactly the rows its search shows, all of them, under a name that says so', async () => {
    await dialog.locator('input[type=search]').fill('/blog/')
    await eventually(() => dialog.locator('.details-search .muted').textContent()).toBe('130 rows')
    expect(await dialog.locator('.pick').count()).toBe(100) // a page of them loaded, the CSV holds all
    const csv = await downloadCsv(page, dialog.locator('header button', { hasText: 'CSV' }))
    const expected = await pages({ filters: [BLOG], order_by: [['visitors', 'desc'], ['event:page', 'asc']] })
    expect(expected).toHaveLength(130)
    expect(expected.every((r) => r.dimensions[0]!.startsWith('/blog/'))).toBe(true)
    expect(csv.lines[0]).toBe(['page', ...METRICS].join(','))
    expect(csv.lines.slice(1)).toEqual(expected.map(csvLine))
    expect(csv.name).toMatch(/^example\.lv-pages-search-blog-\d{4}-\d\d-\d\d-\d{4}-\d\d-\d\d\.csv$/)
    // The panel's own CSV still holds every page, under the panel's name.
    await page.keyboard.press('Escape')
    const all = await downloadCsv(page, page.locator('#panel-pages footer button', { hasText: 'CSV' }))
    expect(all.lines.slice(1)).toEqual((await pages()).map(csvLine))
    expect(all.lines).toHaveLength(261)
    expect(all.name).toMatch(/^example\.lv-pages-\d{4}-\d\d-\d\d-\d{4}-\d\d-\d\d\.csv$/)
  })

  it('sorts by a column over all rows, not only those loaded: a button in each heading, aria-sort on it', async () => {
    await page.locator('#panel-pages footer button', { hasText: 'Details' }).click()
    await eventually(() => dialog.locator('.details-search .muted').textContent()).toBe('260 rows')
    expect(await heading('visitors').getAttribute('aria-sort')).toBe('descending')
    const unsorted = await shown()
    expect(unsorted).toEqual((await pages()).slice(0, 100).map((r) => r.dimensions[0]))

    await dialog.locator('button.sort[data-sort="visitors"]').click()
    await eventually(() => heading('visitors').getAttribute('aria-sort')).toBe('ascending')
    const fewest = (await pages({ order_by: [['visitors', 'asc'], ['event:page', 'asc']] })).map((r) => r.dimensions[0])
    await eventually(shown).toEqual(fewest.slice(0, 100))
    expect(fewest.slice(0, 100)).not.toEqual(unsorted)
    await dialog.locator('button', { hasText: 'Load more' }).click()
    await eventually(shown).toEqual(fewest.slice(0, 200))

    // With the keyboard: the heading is a button, its focus stays after the list is redrawn.
    await dialog.locator('button.sort[data-sort="event:page"]').focus()
    await page.keyboard.press('Enter')
    await eventually(() => heading('event:page').getAttribute('aria-sort')).toBe('ascending')
    expect(await heading('visitors').getAttribute('aria-sort')).toBeNull()
    await page.keyboard.press('Enter')
    await eventually(() => heading('event:page').getAttribute('aria-sort')).toBe('descending')
    const zToA = await pages({ order_by: [['event:page', 'desc']] })
    await eventually(shown).toEqual(zToA.slice(0, 100).map((r) => r.dimensions[0]))
    expect(await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.sort)).toBe('event:page')

    // Searched and sorted: the CSV keeps both.
    await dialog.locator('input[type=search]').fill('/blog/')
    await eventually(() => dialog.locator('.details-search .muted').textContent()).toBe('130 rows')
    const csv = await downloadCsv(page, dialog.locator('header button', { hasText: 'CSV' }))
    expect(csv.lines.slice(1)).toEqual((await pages({ filters: [BLOG], order_by: [['event:page', 'desc']] })).map(csvLine))
  })

  it('keeps the search box and the headings in view while the rows scroll', async () => {
    await dialog.locator('input[type=search]').fill('')
    await eventually(() => dialog.locator('.details-search .muted').textContent()).toBe('260 rows')
    const firstRow = dialog.locator('.pick').first()
    await dialog.locator('.pick').nth(10).hover()
    await page.mouse.wheel(0, 2500)
    const search = dialog.locator('input[type=search]')
    // The rows did scroll: the first one went above the search box.
    await eventually(async () => (await firstRow.boundingBox())!.y < (await search.boundingBox())!.y).toBe(true)
    const onTop = (el: Locator) =>
      el.evaluate((e) => {
        const r = e.getBoundingClientRect()
        const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2)
        return hit !== null && (hit === e || e.contains(hit))
      })
    expect(await onTop(search)).toBe(true)
    expect(await onTop(dialog.locator('button.sort[data-sort="visitors"]'))).toBe(true)
    mkdirSync(ARTIFACTS, { recursive: true })
    await page.screenshot({ path: path.join(ARTIFACTS, 'details-scrolled.png') })
    await page.keyboard.press('Escape')
    await eventually(() => dialog.count()).toBe(0)
    expect(consoleErrors).toEqual([])
  })
})

describe('the filter chip', () => {
  it("names the filter's dimension by its label, in English and in Latvian", async () => {
    const page = await newPage(1280, 800)
    await page.goto(`${server.url}/`)
    await page.fill('#email', OWNER)
    await page.fill('#password', PASSWORD)
    await page.click('button[type=submit]')
    await page.locator('[data-metric="visitors"] .value').waitFor()
    const f = encodeURIComponent('visit:browser_version=131')
    await page.goto(`${server.url}/?period=day&f=${f}&lang=en`)
    await eventually(() => page.locator('.chip').textContent()).toBe('Browser version is 131×')
    await page.goto(`${server.url}/?period=day&f=${f}&lang=lv`)
    await eventually(() => page.locator('.chip').textContent()).toBe('Pārlūka versija: 131×')
    await page.goto(`${server.url}/?period=day&f=${encodeURIComponent('event:page=/blog/post-1')}&lang=en`)
    await eventually(() => page.locator('.chip').textContent()).toBe('Page is /blog/post-1×')
    expect(consoleErrors).toEqual([])
  })
})
