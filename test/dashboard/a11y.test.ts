// Accessibility of every page an owner, a partner or a newcomer sees: axe-core (the engine
// behind Lighthouse's and the browsers' accessibility audits) run in real Chromium against
// the real server, light and dark, English and Latvian, desktop and phone.
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeAll, violations } from '../helpers/axe.ts'
import { launchChromium } from '../helpers/chromium.ts'
import { ownerSession } from '../helpers/session.ts'
import { builtDashboard } from '../helpers/dashboard-build.ts'
import { API_KEY, CHROME_UA, sendEvent, spawnServer, tempDir, type SpawnedSkaits } from '../helpers/skaits.ts'

const OWNER = { email: 'owner@example.lv', password: 'a long owner passphrase' }

let server: SpawnedSkaits
let browser: Browser
let session: string
let shareUrl: string


beforeAll(async () => {
  await builtDashboard()
  ;[server, browser] = await Promise.all([
    spawnServer({
      DATA_DIR: tempDir(),
      SKAITS_SITES: 'example.lv,new.lv',
      SKAITS_ADMIN_EMAIL: OWNER.email,
      SKAITS_ADMIN_PASSWORD: OWNER.password,
      FLUSH_INTERVAL_MS: '50',
    }),
    launchChromium(),
  ])
  for (const [ip, page] of [['87.110.0.1', '/'], ['87.110.0.2', '/blog/first'], ['87.110.0.3', '/pricing']] as const) {
    const res = await sendEvent(server.url, { n: 'pageview', u: `https://example.lv${page}`, d: 'example.lv', r: 'https://www.google.com/' }, { ip, ua: CHROME_UA })
    expect(res.status).toBe(202)
  }
  session = await ownerSession(server.url, OWNER)
  expect(session).not.toBe('')
  const share = await fetch(`${server.url}/api/shares`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ site: 'example.lv', name: 'partner' }),
  })
  expect(share.status).toBe(201)
  shareUrl = ((await share.json()) as { path: string }).path
  expect(shareUrl).toMatch(/^\/share\/sh_/)
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

/** What is on screen once a page has settled: the dashboard's numbers, a form, a table. */
const PAGES: { name: string; path: () => string; owner: boolean; ready: string }[] = [
  { name: 'login', path: () => '/', owner: false, ready: 'form' },
  { name: 'dashboard', path: () => '/?site=example.lv', owner: true, ready: '.chart .u-over' },
  { name: 'dashboard filtered by a page', path: () => `/?site=example.lv&f=${encodeURIComponent('event:page=/pricing')}`, owner: true, ready: '.panels-na' },
  { name: 'a new site waiting for its first pageview', path: () => '/?site=new.lv', owner: true, ready: '#waiting' },
  { name: 'settings: sites', path: () => '/settings', owner: true, ready: '.settings-body form, .settings-body table' },
  { name: 'settings: keys', path: () => '/settings?tab=keys', owner: true, ready: '.settings-body form' },
  { name: 'settings: shared links', path: () => '/settings?tab=shares', owner: true, ready: '.settings-body form' },
  { name: 'settings: owners', path: () => '/settings?tab=owners', owner: true, ready: '.settings-body form, .settings-body table' },
  { name: 'settings: account', path: () => '/settings?tab=account', owner: true, ready: '.settings-body form' },
  { name: 'shared link', path: () => shareUrl, owner: false, ready: '.chart .u-over' },
]

describe('accessibility (axe-core): no serious or critical violation', () => {
  for (const scheme of ['light', 'dark'] as const) {
    for (const [lang, width] of [['en', 1440], ['lv', 390]] as const) {
      it(`on every page, ${scheme}, ${lang}, ${width} px`, async () => {
        // bypassCSP: the pages allow no inline script, and axe-core is injected as one.
        const context = await browser.newContext({ viewport: { width, height: 900 }, colorScheme: scheme, userAgent: CHROME_UA, locale: lang === 'lv' ? 'lv-LV' : 'en-GB', bypassCSP: true })
        try {
          const found: string[] = []
          for (const p of PAGES) {
            if (p.owner) await context.addCookies([{ name: 'skaits_session', value: session, url: server.url }])
            else await context.clearCookies()
            const page = await context.newPage()
            const url = new URL(p.path(), server.url)
            url.searchParams.set('lang', lang)
            await page.goto(url.toString())
            await page.locator(p.ready).first().waitFor({ timeout: 15_000 })
            // Panels in view have their rows, their "no data" or their refusal.
            await page.waitForFunction(
              () =>
                [...document.querySelectorAll('.panel-body')]
                  .filter((b) => b.getBoundingClientRect().top < window.innerHeight)
                  .every((b) => b.querySelector('table, .na, .refused') !== null || /\S/.test(b.textContent ?? '')),
              null,
              { timeout: 15_000 },
            )
            for (const v of describeAll(await violations(page))) found.push(`${p.name}: ${v}`)
            await page.close()
          }
          expect(found, found.join('\n')).toEqual([])
        } finally {
          await context.close()
        }
      }, 120_000)
    }
  }
})
