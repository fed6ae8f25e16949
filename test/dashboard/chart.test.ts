// The main chart in real Chromium against the real server: its axis labels fit, it begins on
// a phone's first screen, every top card draws its metric, and its interval can be chosen.
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from '../helpers/chromium.ts'
import { builtDashboard } from '../helpers/dashboard-build.ts'
import { CHROME_UA, query, sendEvent, spawnServer, tempDir, type SpawnedSkaits } from '../helpers/skaits.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')
const ARTIFACTS = path.join(ROOT, 'test-artifacts')
const OWNER = 'owner@example.lv'
const PASSWORD = 'a long owner passphrase'
const TOP = ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration', 'time_on_page']
const NAMES: Record<string, string> = {
  visitors: 'Unique visitors',
  visits: 'Total visits',
  pageviews: 'Total pageviews',
  views_per_visit: 'Views per visit',
  bounce_rate: 'Bounce rate',
  visit_duration: 'Visit duration',
  time_on_page: 'Time on page',
}

let server: SpawnedSkaits
let browser: Browser
const contexts: BrowserContext[] = []
const errors: string[] = []


/** Three visitors: one reads two pages and stays, two bounce. Visitors 3, pageviews 4. */
async function seed(url: string): Promise<void> {
  const ev = (ip: string, p: string, extra: Record<string, unknown> = {}) =>
    sendEvent(url, { n: 'pageview', u: `https://example.lv${p}`, d: 'example.lv', ...extra }, { ip, ua: CHROME_UA }).then((r) => {
      if (r.status !== 202) throw new Error(`event refused: ${r.status}`)
    })
  await ev('87.110.0.1', '/', { w: 1440 })
  await ev('87.110.0.1', '/blog')
  await ev('87.110.0.1', '/blog', { n: 'engagement', e: 40_000, sd: 70 })
  await ev('78.84.12.1', '/pricing', { w: 390 })
  await ev('78.84.12.2', '/', { w: 1200 })
  const deadline = Date.now() + 10_000
  for (;;) {
    const { json } = await query(url, { site_id: 'example.lv', date_range: 'day', metrics: ['visitors', 'pageviews'] })
    if (JSON.stringify(json.results?.[0]?.metrics) === '[3,4]') return
    if (Date.now() > deadline) throw new Error(`counts did not arrive: ${JSON.stringify(json)}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

async function loggedIn(width: number, height = 1000): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height }, userAgent: CHROME_UA, locale: 'en-GB' })
  contexts.push(context)
  const page = await context.newPage()
  page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`))
  const res = await context.request.post(`${server.url}/api/login`, { data: { email: OWNER, password: PASSWORD } })
  expect(res.status()).toBeLessThan(300)
  return page
}

const eventually = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 10_000 })

/** The dimensions of every Stats API query the page asks from now on. */
function asked(page: Page): string[][] {
  const out: string[][] = []
  page.on('request', (req) => {
    if (req.method() === 'POST' && req.url().endsWith('/api/v2/query')) out.push(JSON.parse(req.postData() ?? '{}').dimensions ?? [])
  })
  return out
}

/**
 * How far the x axis's labels reach, in canvas pixels from its right edge: the rightmost column
 * with anything drawn below the plot area (no ticks or grid there: only labels). A clipped label
 * reaches the last column (0).
 */
async function labelRoomOnTheRight(page: Page): Promise<number> {
  return page.evaluate(() => {
    const canvas = document.querySelector<HTMLCanvasElement>('.chart canvas')!
    const over = document.querySelector<HTMLElement>('.chart .u-over')!
    const scale = canvas.width / canvas.getBoundingClientRect().width
    const top = Math.ceil((over.getBoundingClientRect().bottom - canvas.getBoundingClientRect().top) * scale) + 1
    const ctx = canvas.getContext('2d')!
    const { data, width, height } = ctx.getImageData(0, top, canvas.width, canvas.height - top)
    let right = -1
    for (let y = 0; y < height; y++) for (let x = width - 1; x > right; x--) if (data[(y * width + x) * 4 + 3]! > 0) right = x
    if (right < 0) throw new Error('no axis labels drawn')
    return width - 1 - right
  })
}

beforeAll(async () => {
  await builtDashboard()
  ;[server, browser] = await Promise.all([
    spawnServer({ DATA_DIR: tempDir(), SKAITS_SITES: 'example.lv', SKAITS_ADMIN_EMAIL: OWNER, SKAITS_ADMIN_PASSWORD: PASSWORD, FLUSH_INTERVAL_MS: '50' }),
    launchChromium(),
  ])
  await seed(server.url)
  mkdirSync(ARTIFACTS, { recursive: true })
})

afterAll(async () => {
  for (const c of contexts) await c.close()
  await browser?.close()
  await server?.stop()
})

describe('chart', () => {
  for (const [width, lang] of [
    [1440, 'en'],
    [390, 'en'],
    [1440, 'lv'],
    [390, 'lv'],
  ] as const) {
    it(`draws the last 12 months' axis labels whole at ${width} px (${lang})`, async () => {
      const page = await loggedIn(width, 900)
      await page.goto(`${server.url}/?period=12mo&lang=${lang}`)
      await page.locator('.chart canvas').waitFor()
      await eventually(() => labelRoomOnTheRight(page)).toBeGreaterThanOrEqual(2)
      await page.locator('.chart-card').screenshot({ path: path.join(ARTIFACTS, `chart-12mo-${width}-${lang}.png`) })
    })
  }

  for (const lang of ['en', 'lv'] as const) {
    it(`begins on the first screen of a 390 × 844 phone, its plot whole (${lang})`, async () => {
      const page = await loggedIn(390, 844)
      await page.goto(`${server.url}/?lang=${lang}`)
      await page.locator('.chart canvas').waitFor()
      await eventually(() => page.locator('[data-metric="visitors"] .value').textContent()).toBe('3')
      expect(await page.locator('.tops').evaluate((el) => getComputedStyle(el).gridTemplateColumns.split(' ').length)).toBe(2)
      const chart = await page.locator('.chart').evaluate((el) => el.getBoundingClientRect().toJSON())
      const plot = await page.locator('.chart .u-over').evaluate((el) => el.getBoundingClientRect().toJSON())
      expect(chart.top).toBeLessThan(844)
      expect(plot.bottom).toBeLessThanOrEqual(844)
      await page.screenshot({ path: path.join(ARTIFACTS, `chart-phone-first-screen-${lang}.png`) })
    })
  }

  it('draws the metric of whichever of the seven top cards is clicked, that card pressed', async () => {
    const page = await loggedIn(1440)
    await page.goto(`${server.url}/?period=7d`)
    await page.locator('.chart canvas').waitFor()
    for (const m of TOP) {
      await page.locator(`[data-metric="${m}"]`).click()
      await eventually(() => page.locator('.chart').getAttribute('aria-label')).toBe(`Chart: ${NAMES[m]}`)
      expect(page.url()).toContain(m === 'visitors' ? '' : `metric=${m}`)
      expect(await page.locator('.chart-card .legend .now').textContent()).toBe(NAMES[m])
      const pressed = await page.locator('.tops [aria-pressed="true"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-metric')))
      expect(pressed).toEqual([m])
      expect(await page.locator('.tops button[aria-pressed]').count()).toBe(7)
    }
    // A rate is shown as one on hover: today's bounce rate (two of three visits bounced).
    await page.locator('[data-metric="bounce_rate"]').click()
    await page.locator('.chart canvas').waitFor()
    const box = (await page.locator('.chart .u-over').boundingBox())!
    await page.mouse.move(box.x + box.width - 1, box.y + box.height / 2)
    await eventually(() => page.locator('.tip .tip-now').textContent()).toMatch(/Bounce rate: 6[67](\.\d+)?%$/)
  })

  it('offers the intervals that suit the range, asks the Stats API for them and keeps the choice in the URL', async () => {
    const page = await loggedIn(1440)
    const dims = asked(page)
    await page.goto(`${server.url}/?period=day`)
    await page.locator('.chart canvas').waitFor()
    expect(await page.locator('.intervals').count()).toBe(0)
    expect(dims).toContainEqual(['time:hour'])

    await page.goto(`${server.url}/?period=12mo`)
    await page.locator('.intervals').waitFor()
    expect(await page.locator('.intervals button').allTextContents()).toEqual(['Days', 'Weeks', 'Months'])
    expect(await page.locator('#interval-month').getAttribute('aria-pressed')).toBe('true')
    expect(dims).toContainEqual(['time:month'])
    for (const i of ['week', 'day'] as const) {
      dims.length = 0
      await page.locator(`#interval-${i}`).click()
      await eventually(() => page.locator(`#interval-${i}`).getAttribute('aria-pressed')).toBe('true')
      expect(page.url()).toContain(`interval=${i}`)
      expect(dims).toContainEqual([`time:${i}`])
      await page.locator('.chart canvas').waitFor()
    }
    await page.locator('#interval-month').click()
    await eventually(() => page.url()).toContain('interval=month')
    await page.locator('#interval-week').click()
    await eventually(() => page.url()).toContain('interval=week')
    await page.reload()
    await eventually(() => page.locator('#interval-week').getAttribute('aria-pressed')).toBe('true')

    // A week needs two of them in the range; the chosen interval that does not suit falls back.
    await page.selectOption('#period', '7d')
    await page.locator('.chart canvas').waitFor()
    expect(await page.locator('.intervals').count()).toBe(0)
    await page.selectOption('#period', '30d')
    await eventually(() => page.locator('.intervals button').allTextContents()).toEqual(['Days', 'Weeks'])
    expect(await page.locator('#interval-week').getAttribute('aria-pressed')).toBe('true')

    await page.goto(`${server.url}/?period=12mo&lang=lv`)
    await eventually(() => page.locator('.intervals button').allTextContents()).toEqual(['Dienas', 'Nedēļas', 'Mēneši'])
    expect(await page.locator('.intervals').getAttribute('aria-label')).toBe('Grafika intervāls')
  })

  it('counts the seeded visitors in the time buckets the Stats API is asked for', async () => {
    for (const dim of ['time:hour', 'time:day', 'time:week', 'time:month']) {
      const { status, json } = await query(server.url, { site_id: 'example.lv', date_range: '12mo', metrics: ['visitors'], dimensions: [dim] })
      expect(status, dim).toBe(200)
      expect(json.results.reduce((n: number, r: { metrics: number[] }) => n + r.metrics[0]!, 0), dim).toBe(3)
    }
  })

  it('raised no page errors', () => {
    expect(errors).toEqual([])
  })
})
