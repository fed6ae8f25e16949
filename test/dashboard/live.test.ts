// The dashboard as an owner lives it: "Today" compared with yesterday until the same time of
// day, a live view that updates itself every minute (and not while hidden), and the bucket
// under way drawn apart. Yesterday's traffic is written by two servers whose clocks stand at
// yesterday 10:10 and 16:10; the dashboard's server stands at today 14:30. Real Chromium,
// real server processes, real embedded ClickHouse; the page's own clock is Playwright's.
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addDays } from '../../dashboard/src/periods.ts'
import { launchChromium } from '../helpers/chromium.ts'
import { builtDashboard } from '../helpers/dashboard-build.ts'
import { clockAt } from '../helpers/clock.ts'
import { API_KEY, browserUA, CHROME_UA, sendEvent, spawnServer, tempDir, type SpawnedSkaits } from '../helpers/skaits.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')
const ARTIFACTS = path.join(ROOT, 'test-artifacts')
const OWNER = 'owner@example.lv'
const PASSWORD = 'a long owner passphrase'
// Today from the clock, in the servers' time zone (UTC).
const TODAY = new Date().toISOString().slice(0, 10)
const YESTERDAY = addDays(TODAY, -1)

let server: SpawnedSkaits | undefined
let browser: Browser
let page: Page
let visitor = 0
const env = { DATA_DIR: tempDir(), TIMEZONE: 'UTC', SKAITS_ADMIN_EMAIL: OWNER, SKAITS_ADMIN_PASSWORD: PASSWORD, FLUSH_INTERVAL_MS: '50' }

/** `n` pageviews, each by a new visitor. */
async function pageviews(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    visitor++
    const res = await sendEvent(server!.url, { n: 'pageview', u: `https://example.lv/p${visitor}`, d: 'example.lv' }, { ip: `198.51.100.${visitor}`, ua: browserUA(visitor) })
    if (res.status !== 202) throw new Error(`event refused: ${res.status}`)
  }
}

async function api(body: Record<string, unknown>): Promise<{ results: { dimensions: string[]; metrics: number[] }[] }> {
  const res = await fetch(`${server!.url}/api/v2/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ site_id: 'example.lv', ...body }),
  })
  if (res.status !== 200) throw new Error(`query failed: ${res.status} ${await res.text()}`)
  return (await res.json()) as { results: { dimensions: string[]; metrics: number[] }[] }
}

/** Until a day's pageviews, through the API, are `n`. */
async function untilPageviews(day: string, n: number): Promise<void> {
  const deadline = Date.now() + 15_000
  for (;;) {
    const got = (await api({ metrics: ['pageviews'], date_range: [day, day] })).results[0]?.metrics[0] ?? 0
    if (got === n) return
    if (Date.now() > deadline) throw new Error(`${day}: ${got} pageviews, not ${n}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** A server whose clock reads `iso` now. */
async function serverAt(iso: string): Promise<void> {
  await server?.stop()
  server = await spawnServer({ ...env, ...clockAt(Date.parse(iso)) })
}


const eventually = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 10_000 })
const top = (metric: string) => page.locator(`[data-metric="${metric}"] .value`)
const change = (metric: string) => page.locator(`[data-metric="${metric}"] .change`)

/** What the page asks the Stats API, from now on. */
function queriesAsked(): { date_range: unknown; dimensions?: string[]; metrics: string[] }[] {
  const asked: { date_range: unknown; dimensions?: string[]; metrics: string[] }[] = []
  page.on('request', (r) => {
    if (new URL(r.url()).pathname === '/api/v2/query') asked.push(JSON.parse(r.postData() ?? '{}'))
  })
  return asked
}

/** Until the page has asked nothing for half a second. */
async function settled(asked: unknown[]): Promise<void> {
  for (let n = -1; n !== asked.length; ) {
    n = asked.length
    await new Promise((r) => setTimeout(r, 500))
  }
}

/** The page believes it is hidden (or seen again), as when its tab is switched away from. */
async function setVisibility(state: 'hidden' | 'visible'): Promise<void> {
  await page.evaluate((s) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => s })
    document.dispatchEvent(new Event('visibilitychange'))
  }, state)
}

beforeAll(async () => {
  await builtDashboard()
  browser = await launchChromium()
  // Yesterday: 3 pageviews before 14:30 (the time of day the dashboard will stand at), 5 after.
  await serverAt(`${YESTERDAY}T10:10:00Z`)
  await pageviews(3)
  await untilPageviews(YESTERDAY, 3)
  await serverAt(`${YESTERDAY}T16:10:00Z`)
  await pageviews(5)
  await untilPageviews(YESTERDAY, 8)
  // Today until 14:30: 6 pageviews.
  await serverAt(`${TODAY}T14:30:00Z`)
  await untilPageviews(YESTERDAY, 8)
  await pageviews(6)
  await untilPageviews(TODAY, 6)
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

describe('the dashboard, live', () => {
  let asked: ReturnType<typeof queriesAsked>

  it('compares today with yesterday until the same time of day, not with all of yesterday', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, locale: 'en-GB', userAgent: CHROME_UA })
    page = await context.newPage()
    // The page's timers and clock are Playwright's from the start: a minute passes when the test says so.
    await page.clock.install()
    asked = queriesAsked()
    await page.goto(`${server!.url}/`)
    await page.fill('#email', OWNER)
    await page.fill('#password', PASSWORD)
    await page.click('button[type=submit]')
    await top('pageviews').waitFor()
    await page.goto(`${server!.url}/?period=day`)
    await eventually(() => top('pageviews').textContent()).toBe('6')
    // 6 today against yesterday's 3 before 14:30 (against all of yesterday's 8 it would be ↓25%).
    await eventually(() => change('pageviews').textContent()).toBe('↑ 100%')
    expect(await change('visits').textContent()).toBe('↑ 100%')
    // Unique visitors: yesterday's 8 in proportion to its hours before 14:30, 3.
    expect(await change('visitors').textContent()).toBe('↑ 100%')
    expect(await change('pageviews').locator('span').getAttribute('title')).toMatch(/^vs .+ until 14:[34]\d$/)
    // The page read yesterday by the hour to cut it.
    expect(asked).toContainEqual(expect.objectContaining({ date_range: [YESTERDAY, YESTERDAY], dimensions: ['time:hour'] }))
    await page.locator('.chart .u-over').waitFor()
    mkdirSync(ARTIFACTS, { recursive: true })
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-live-1440.png') })
  })

  it('shows no change against a period before the site was added', async () => {
    await page.selectOption('#period', 'yesterday')
    await eventually(() => top('pageviews').textContent()).toBe('8')
    const none = change('pageviews')
    await eventually(() => none.textContent()).toMatch(/^—Nothing to compare with: the site was added on /)
    expect(await none.locator('.up, .down').count()).toBe(0)
    expect(await none.locator('[aria-hidden=true]').textContent()).toBe('—')
    // A closed range is not live: no note, nothing under way in the chart.
    expect(await page.locator('#live-note').count()).toBe(0)
    await page.locator('.chart .u-over').waitFor()
    expect(await page.locator('.chart').getAttribute('data-partial')).toBeNull()
  })

  it('draws the bucket under way apart from the complete ones', async () => {
    await page.selectOption('#period', 'day')
    await eventually(() => page.locator('.chart').getAttribute('data-partial')).toBe(`${TODAY} 14:00:00`)
    expect(await page.locator('.legend .key.partial').textContent()).toBe('14:00 so far')
    await page.selectOption('#period', '7d')
    await eventually(() => page.locator('.chart').getAttribute('data-partial')).toBe(TODAY)
    expect(await page.locator('.legend .key.partial').isVisible()).toBe(true)
    await page.selectOption('#period', 'day')
    await eventually(() => page.locator('.chart').getAttribute('data-partial')).toBe(`${TODAY} 14:00:00`)
  })

  it('updates itself every minute, says so, and never while hidden', async () => {
    expect(await page.locator('#live-note').textContent()).toBe('Updates every minute')
    await eventually(() => top('pageviews').textContent()).toBe('6')
    await pageviews(1)
    await untilPageviews(TODAY, 7)
    // Not before the minute is up, then without a reload.
    expect(await top('pageviews').textContent()).toBe('6')
    await page.clock.runFor(60_000)
    await eventually(() => top('pageviews').textContent()).toBe('7')
    expect(await top('visitors').textContent()).toBe('7')

    // Hidden: three minutes pass without a question to the Stats API.
    await setVisibility('hidden')
    await pageviews(1)
    await untilPageviews(TODAY, 8)
    await settled(asked)
    const before = asked.length
    await page.clock.runFor(180_000)
    await settled(asked)
    expect(asked.length).toBe(before)
    expect(await top('pageviews').textContent()).toBe('7')
    // Seen again: at once.
    await setVisibility('visible')
    await eventually(() => top('pageviews').textContent()).toBe('8')
    expect(asked.length).toBeGreaterThan(before)
  })

  it('does not update a range that ended before today', async () => {
    await page.selectOption('#period', 'yesterday')
    await eventually(() => top('pageviews').textContent()).toBe('8')
    await settled(asked)
    const before = asked.length
    await page.clock.runFor(180_000)
    await settled(asked)
    expect(asked.length).toBe(before)
  })

  it('says it in Latvian too', async () => {
    await page.selectOption('#period', 'day')
    await page.locator('.lang button[lang=lv]').click()
    await eventually(() => page.locator('#live-note').textContent()).toBe('Atjaunojas katru minūti')
    await eventually(() => change('pageviews').locator('span').getAttribute('title')).toMatch(/^pret .+ līdz 14:[34]\d$/)
  })
})
