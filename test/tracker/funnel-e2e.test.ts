// A 3-step funnel walked in real Chromium with the Skaits tracker (t.js) on pages of another
// origin, counted by the real server (its own process) and embedded ClickHouse, then shown by the
// owner's dashboard: its Funnels panel draws the steps the two people made.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext } from 'playwright-core'
import { launchChromium, statsHost } from '../helpers/chromium.ts'
import { builtDashboard } from '../helpers/dashboard-build.ts'
import { startSite, trackerPage, type Site } from '../helpers/pages.ts'
import { ownerSession } from '../helpers/session.ts'
import { adminCall, API_KEY, CHROME_UA, spawnServer, tempDir, type SpawnedSkaits } from '../helpers/skaits.ts'

let server: SpawnedSkaits
let browser: Browser
let site: Site
let stats: string

const OWNER = { email: 'owner@site.test', password: 'a long enough password' }
/** /shop → the custom event Checkout → /thanks */
const SHOP = { name: 'Shop', steps: [{ page: '/shop' }, { event: 'Checkout' }, { page: '/thanks' }], dimensions: ['visit:browser'] }

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
  // Declared before anyone walks it: a funnel counts from its declaration on.
  expect((await adminCall(server.url, 'POST', '/api/sites/site.test/funnels', SHOP)).status).toBe(201)
  // The shop's button sends Checkout, and once it is sent goes on to /thanks.
  site.page(
    '/shop',
    trackerPage({
      statsOrigin: stats,
      body: `<h1>Shop</h1><button id="buy" onclick="skaits('Checkout', { callback: function () { location.href = '/thanks' } })">Buy</button>`,
    }),
  )
  site.page('/thanks', trackerPage({ statsOrigin: stats, body: '<h1>Thank you</h1>' }))
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await site?.close()
  await server?.stop()
})

/** A browser context as a person's browser: its own User-Agent (its own visitor), no automation flag (t.js skips webdriver). */
async function person(ua: string): Promise<BrowserContext> {
  const context = await browser.newContext({ userAgent: ua })
  await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'webdriver', { get: () => false }))
  return context
}

async function steps(): Promise<number[]> {
  const res = await fetch(`${server.url}/api/v2/funnel`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ site_id: 'site.test', funnel: 'Shop', date_range: 'day' }),
  })
  const json = await res.json()
  expect(res.status, JSON.stringify(json)).toBe(200)
  return (json as { steps: { visitors: number }[] }).steps.map((s) => s.visitors)
}

describe('a funnel walked with the Skaits tracker', () => {
  it('is counted step by step and drawn by the owner’s dashboard', async () => {
    // One person walks the whole funnel: the shop, Buy (Checkout), the thank-you page.
    const buyer = await person(CHROME_UA)
    const shop = await buyer.newPage()
    await shop.goto(`${site.origin}/shop`)
    await shop.waitForLoadState('load')
    await shop.waitForTimeout(300)
    await Promise.all([shop.waitForURL('**/thanks'), shop.click('#buy')])
    await shop.waitForLoadState('load')
    await shop.waitForTimeout(300)
    await buyer.close()
    // Another only looks at the shop.
    const looker = await person(CHROME_UA.replace('Chrome/131', 'Chrome/130'))
    const look = await looker.newPage()
    await look.goto(`${site.origin}/shop`)
    await look.waitForLoadState('load')
    await look.waitForTimeout(300)
    await looker.close()

    await expect.poll(steps, { timeout: 15_000 }).toEqual([2, 1, 1])

    const context = await browser.newContext({ userAgent: CHROME_UA })
    await context.addCookies([{ name: 'skaits_session', value: await ownerSession(server.url, OWNER), url: server.url }])
    const page = await context.newPage()
    await page.goto(`${server.url}/?site=site.test&period=day&lang=en`)
    await page.locator('#panel-funnels').scrollIntoViewIfNeeded()
    await page.locator('#panel-funnels .funnel-chart').waitFor({ timeout: 15_000 })
    const drawn = await page.locator('#panel-funnels .funnel-step').evaluateAll((items) =>
      items.map((li) => ['.step-value', '.step-drop', '.step-name'].map((s) => (li.querySelector(s)?.textContent ?? '').trim())),
    )
    expect(drawn).toEqual([
      ['2 100%', '', '/shop'],
      ['1 50%', '−1 (50%)', 'Checkout'],
      ['1 50%', '', '/thanks'],
    ])
    expect(await page.locator('#panel-funnels .funnel-name').textContent()).toBe('Shop')
    expect(await page.locator('#panel-funnels .funnel-summary').textContent()).toBe('50% converted (1 of 2)')
    // The two came with two versions of Chrome: the breakdown by browser holds both in one value.
    await page.locator('#funnel-by').selectOption('visit:browser')
    await expect
      .poll(() => page.locator('#panel-funnels .funnel-value').evaluateAll((vs) => vs.map((v) => [v.querySelector('h3')?.textContent, [...v.querySelectorAll('tbody td.num:nth-child(2)')].map((td) => td.textContent)])))
      .toEqual([['Chrome', ['2', '1', '1']]])
    await context.close()
  })
})
