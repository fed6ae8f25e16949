// The owner's opt-out in real Chromium against the real server: the /opt-out page writes the one
// key the tracker reads (localStorage.skaits_ignore) in the owner's browser, after which the
// tracker on the site sends nothing; a fresh browser is counted. Two set-ups: Skaits proxied
// under the site's own address (the page's button), and Skaits on its own address (the bookmark).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { launchChromium, statsHost } from '../helpers/chromium.ts'
import { startSite, trackerPage, type Site } from '../helpers/pages.ts'
import { adminCall, CHROME_UA, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

let running: RunningSkaits
let browser: Browser
let site: Site
let stats: string

beforeAll(async () => {
  running = await startInProcess({ dataDir: tempDir(), env: { SKAITS_SITES: 'site.test', TRUST_PROXY: '0' } })
  stats = `http://${statsHost}:${new URL(running.url).port}`
  ;[browser, site] = await Promise.all([launchChromium(), startSite()])
  site.page('/shop', trackerPage({ statsOrigin: stats, attrs: { automation: true }, body: '<h1>shop</h1>' }))
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await site?.close()
  await running?.stop()
})

/** A browser context whose /opt-out on the site's address is Skaits's page (a reverse proxy's path). */
async function context(proxied: boolean): Promise<BrowserContext> {
  const ctx = await browser.newContext({ userAgent: CHROME_UA })
  if (proxied) {
    await ctx.route(`${site.origin}/opt-out*`, async (route) => {
      const url = new URL(route.request().url())
      await route.fulfill({ response: await route.fetch({ url: `${running.url}${url.pathname}${url.search}` }) })
    })
  }
  return ctx
}

/** Opens the site's page and answers how many events it sent within a moment. */
async function eventsSent(page: Page): Promise<number> {
  let sent = 0
  const count = (r: { url(): string }) => void (r.url().endsWith('/api/event') && sent++)
  page.on('request', count)
  await page.goto(`${site.origin}/shop`)
  await page.waitForFunction(() => typeof (window as { skaits?: unknown }).skaits === 'function')
  await page.evaluate(() => (window as unknown as { skaits: (n: string) => void }).skaits('Signup'))
  await page.waitForTimeout(500)
  page.off('request', count)
  return sent
}

async function pageviews(): Promise<number> {
  await running.skaits.buffer.flush()
  const res = await adminCall(running.url, 'POST', '/api/v2/query', { site_id: 'site.test', metrics: ['pageviews'], date_range: 'day' })
  return res.json.results[0]?.metrics[0] ?? 0
}

describe('the opt-out page', () => {
  it('with Skaits under the site’s address: the button keeps this browser out, a fresh one is counted', async () => {
    const owner = await context(true)
    const page = await owner.newPage()
    await page.goto(`${site.origin}/opt-out?lang=en`)
    await expect.poll(() => page.textContent('#opt-out-state')).toBe('This browser is counted like any visitor.')
    expect(await page.evaluate(() => Object.keys(localStorage))).toEqual([])
    await page.click('#opt-out-ignore')
    expect(await page.textContent('#opt-out-state')).toBe('This browser is not counted.')
    expect(await page.evaluate(() => ({ ...localStorage }))).toEqual({ skaits_ignore: 'true' })

    const before = await pageviews()
    expect(await eventsSent(page)).toBe(0)
    // A visitor's browser: nothing written, counted as before.
    const visitor = await context(false)
    expect(await eventsSent(await visitor.newPage())).toBeGreaterThanOrEqual(2)
    await expect.poll(pageviews).toBe(before + 1)
    expect(await visitor.cookies()).toEqual([])
    expect(await (await visitor.pages())[0]!.evaluate(() => localStorage.length + sessionStorage.length)).toBe(0)
    await visitor.close()

    // And back: the key is removed, the owner counts again.
    await page.goto(`${site.origin}/opt-out?lang=lv`)
    await expect.poll(() => page.textContent('#opt-out-state')).toBe('Šis pārlūks netiek skaitīts.')
    await page.click('#opt-out-count')
    expect(await page.evaluate(() => localStorage.length)).toBe(0)
    expect(await eventsSent(page)).toBeGreaterThanOrEqual(2)
    await owner.close()
  })

  it('with Skaits on its own address: the page’s bookmark, clicked on the site, does the same', async () => {
    const owner = await context(false)
    const page = await owner.newPage()
    await page.goto(`${stats}/opt-out?lang=en`)
    const href = (await page.getAttribute('#opt-out-bookmark', 'href'))!
    expect(href).toMatch(/^javascript:/)
    // What the browser does with a bookmarked javascript: URL, run on the site's page.
    await page.goto(`${site.origin}/shop`)
    page.once('dialog', (d) => void d.accept())
    await page.evaluate((code) => (0, eval)(decodeURIComponent(code)), href.slice('javascript:'.length))
    expect(await page.evaluate(() => ({ ...localStorage }))).toEqual({ skaits_ignore: 'true' })
    expect(await eventsSent(page)).toBe(0)
    // The Skaits address's own storage was not touched: the key lives with the site.
    await page.goto(`${stats}/opt-out?lang=en`)
    expect(await page.evaluate(() => localStorage.length)).toBe(0)
    await owner.close()
  })
})
