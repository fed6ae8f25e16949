// A site's first run as an owner lives it: the snippet at once on adding the site, its dashboard
// waiting for the first pageview (not zeros against a period before the site), then the numbers
// by themselves when it arrives. Real Chromium, a real server process, real embedded ClickHouse.
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from '../helpers/chromium.ts'
import { builtDashboard } from '../helpers/dashboard-build.ts'
import { CHROME_UA, sendEvent, spawnServer, tempDir, type SpawnedSkaits } from '../helpers/skaits.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')
const ARTIFACTS = path.join(ROOT, 'test-artifacts')
const OWNER = 'owner@example.lv'
const PASSWORD = 'a long owner passphrase'
const NEW_SITE = 'jauna-vietne.lv'

let server: SpawnedSkaits
let browser: Browser
let page: Page
const pageErrors: string[] = []


const eventually = <T>(fn: () => T | Promise<T>, timeout = 10_000) => expect.poll(fn, { timeout })
const top = (metric: string) => page.locator(`[data-metric="${metric}"] .value`)

beforeAll(async () => {
  await builtDashboard()
  ;[server, browser] = await Promise.all([
    spawnServer({ DATA_DIR: tempDir(), TIMEZONE: 'UTC', SKAITS_ADMIN_EMAIL: OWNER, SKAITS_ADMIN_PASSWORD: PASSWORD, FLUSH_INTERVAL_MS: '50' }),
    launchChromium(),
  ])
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB', userAgent: CHROME_UA })
  page = await context.newPage()
  page.on('pageerror', (e) => pageErrors.push(e.message))
  await page.goto(`${server.url}/`)
  await page.fill('#email', OWNER)
  await page.fill('#password', PASSWORD)
  await page.click('button[type=submit]')
  await page.locator('.topbar .settings-link').waitFor()
  mkdirSync(ARTIFACTS, { recursive: true })
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

describe("a new site's first run", () => {
  it('shows the snippet with a Copy button as soon as the site is added; site names link to their dashboards', async () => {
    await page.goto(`${server.url}/settings`)
    await page.fill('input[name=domain]', NEW_SITE)
    await page.locator('form.inline button[type=submit]').click()
    const added = page.locator('#added-site')
    await added.waitFor()
    expect(await added.locator('code').textContent()).toBe(`<script defer data-domain="${NEW_SITE}" src="${server.url}/t.js"></script>`)
    expect(await added.locator('button', { hasText: 'Copy' }).isVisible()).toBe(true)
    // Focused and selected, ready to copy by hand too.
    expect(await page.evaluate(() => getSelection()?.toString())).toContain(`data-domain="${NEW_SITE}"`)
    expect(await page.locator('.list th a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))).toEqual(
      expect.arrayContaining(['/?site=example.lv', `/?site=${NEW_SITE}`]),
    )
    await page.screenshot({ path: path.join(ARTIFACTS, 'first-run-settings.png') })
  })

  it("waits for the first pageview on the new site's dashboard, then shows its numbers without a reload", async () => {
    await page.locator('.list th a', { hasText: NEW_SITE }).click()
    await eventually(() => page.url()).toContain(`site=${NEW_SITE}`)
    const waiting = page.locator('#waiting')
    await waiting.waitFor()
    expect(await waiting.locator('h2').textContent()).toBe('Waiting for the first pageview')
    expect(await waiting.locator('code').textContent()).toContain(`data-domain="${NEW_SITE}"`)
    expect(await waiting.locator('button', { hasText: 'Copy' }).count()).toBe(1)
    // No zeros, no "no data", no comparison with a period before the site.
    expect(await page.locator('.tops, .panels, .chart').count()).toBe(0)
    await page.screenshot({ path: path.join(ARTIFACTS, 'first-run-waiting.png') })
    // On a 390 px phone the snippet wraps: nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 })
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
    await page.setViewportSize({ width: 1280, height: 900 })

    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true))
    const res = await sendEvent(server.url, { n: 'pageview', u: `https://${NEW_SITE}/`, d: NEW_SITE }, { ip: '198.51.100.7' })
    expect(res.status).toBe(202)
    await eventually(() => top('pageviews').textContent(), 20_000).toBe('1')
    expect(await top('visitors').textContent()).toBe('1')
    expect(await waiting.count()).toBe(0)
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true)
  })

  it('does not make a site with counts wait', async () => {
    await page.goto(`${server.url}/?site=${NEW_SITE}&period=day`)
    await eventually(() => top('pageviews').textContent()).toBe('1')
    await new Promise((r) => setTimeout(r, 500))
    expect(await page.locator('#waiting').count()).toBe(0)
    expect(pageErrors).toEqual([])
  })

  it("filtered by its page, on a 390 px phone in Latvian: the page's entries and exits, the rest one line each", async () => {
    await page.setViewportSize({ width: 390, height: 844 })
    await page.goto(`${server.url}/?site=${NEW_SITE}&period=day&lang=lv&f=${encodeURIComponent('event:page=/')}`)
    const summary = page.locator('#page-summary')
    await eventually(() => summary.locator('[data-summary="entries"] dd').textContent()).toBe('1')
    await eventually(() => summary.locator('[data-summary="col_exits"] dd').textContent()).toBe('1')
    expect(await summary.locator('[data-summary="entries"] dt').textContent()).toBe('Ieejas')
    const refusing = page.locator('.panel.collapsed')
    expect(await refusing.count()).toBe(6)
    for (const card of await refusing.all()) {
      expect(await card.locator('summary').textContent()).toBe('Nav pieejams ar lapas filtru')
      expect((await card.boundingBox())!.height).toBeLessThan(80)
    }
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
    await page.screenshot({ path: path.join(ARTIFACTS, 'filtered-390-lv.png'), fullPage: true })
  })
})
