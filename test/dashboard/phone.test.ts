// Every page an owner or a shared link's viewer opens, on a 390 px phone in English and
// Latvian, in real Chromium against the real server: nothing sticks out sideways and no word
// breaks letter by letter. Copying a secret shown once, with and without a clipboard API; the
// contrast of the primary button. Screenshots go to test-artifacts/.
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium, statsHost } from '../helpers/chromium.ts'
import { builtDashboard } from '../helpers/dashboard-build.ts'
import { expectFitsWidth } from '../helpers/fits.ts'
import { adminCall, CHROME_UA, sendEvent, spawnServer, tempDir, type SpawnedSkaits } from '../helpers/skaits.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')
const ARTIFACTS = path.join(ROOT, 'test-artifacts')
const OWNER = 'owner@example.lv'
const PASSWORD = 'a long owner passphrase'
const LONG_SITE = 'veikals.piemers-ar-garu-nosaukumu.lv'
const ANDROID_UA =
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36'
const PHONE = { width: 390, height: 844 }
const LANGS = ['en', 'lv'] as const
const TABS = ['sites', 'keys', 'shares', 'owners', 'account'] as const
const COPIED = { en: 'Copied', lv: 'Nokopēts' }
const BY_HAND = { en: 'Copy it by hand now: it will not be shown again.', lv: 'Nokopējiet to manuāli tagad: tā vairs netiks parādīta.' }

let server: SpawnedSkaits
let browser: Browser
let share: { open: string; locked: string; invite: string }
const contexts: BrowserContext[] = []


/** A few visits with long paths and referrers, so the panels have rows to lay out. */
async function seed(url: string): Promise<void> {
  const ev = (ip: string, path: string, extra: Record<string, unknown> = {}) =>
    sendEvent(url, { n: 'pageview', u: `https://example.lv${path}`, d: 'example.lv', ...extra }, { ip, ua: CHROME_UA }).then((r) => {
      if (r.status !== 202) throw new Error(`event refused: ${r.status}`)
    })
  await ev('87.110.0.1', '/raksti/privatuma-aizsardziba-un-analitika-bez-sikdatnem', { r: 'https://www.google.com/search?q=skaits', w: 390 })
  await ev('78.84.12.1', '/cenas', { r: 'https://news.ycombinator.com/item?id=1', w: 1440 })
  const deadline = Date.now() + 10_000
  for (;;) {
    const { json } = await adminCall(url, 'POST', '/api/v2/query', { site_id: 'example.lv', date_range: 'day', metrics: ['pageviews'] })
    if (json.results?.[0]?.metrics[0] === 2) return
    if (Date.now() > deadline) throw new Error(`counts did not arrive: ${JSON.stringify(json)}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

async function phone(options: { baseURL?: string; scheme?: 'light' | 'dark'; permissions?: string[] } = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: PHONE, userAgent: ANDROID_UA, locale: 'en-GB', colorScheme: options.scheme ?? 'light' })
  contexts.push(context)
  if (options.permissions) await context.grantPermissions(options.permissions, { origin: options.baseURL ?? server.url })
  return context.newPage()
}

async function logIn(page: Page, base = server.url): Promise<void> {
  await page.goto(`${base}/`)
  await page.fill('#email', OWNER)
  await page.fill('#password', PASSWORD)
  await page.click('button[type=submit]')
  await page.locator('.topbar .settings-link').waitFor()
}

const eventually = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 10_000 })

/** Asserts the page fits the phone, naming what does not; a screenshot either way. */
const expectFits = (page: Page, name: string) => expectFitsWidth(page, path.join(ARTIFACTS, `phone-${name}.png`), name, PHONE.width)

/** Panels below the fold load when they come near the screen, as a person scrolls. */
async function scrollThrough(page: Page): Promise<void> {
  for (const panel of await page.locator('.panel').all()) await panel.scrollIntoViewIfNeeded()
  await page.evaluate(() => window.scrollTo(0, 0))
}

/** The text selected in the page now: a secret shown once must be. */
const selection = (page: Page) => page.evaluate(() => window.getSelection()?.toString() ?? '')

beforeAll(async () => {
  await builtDashboard()
  ;[server, browser] = await Promise.all([
    spawnServer({
      DATA_DIR: tempDir(),
      SKAITS_SITES: `example.lv,${LONG_SITE}`,
      SKAITS_ADMIN_EMAIL: OWNER,
      SKAITS_ADMIN_PASSWORD: PASSWORD,
      FLUSH_INTERVAL_MS: '50',
    }),
    launchChromium(),
  ])
  await seed(server.url)
  // Something in every list, with the longest names a person gives.
  const key = await adminCall(server.url, 'POST', '/api/keys', { name: 'Mārketinga nodaļas mēneša atskaite', sites: [LONG_SITE], public: true, min_crowd: 10 })
  const open = await adminCall(server.url, 'POST', '/api/shares', { site: 'example.lv', name: 'Valde' })
  const locked = await adminCall(server.url, 'POST', '/api/shares', { site: LONG_SITE, name: 'Valdes sēdes pārskats', password: 'board share passphrase' })
  const owner = await adminCall(server.url, 'POST', '/api/owners', { email: 'gramatvedibas.nodala@piemers-ar-garu-nosaukumu.lv' })
  for (const r of [key, open, locked, owner]) expect(r.status, JSON.stringify(r.json)).toBeLessThan(300)
  share = { open: open.json.path, locked: locked.json.path, invite: owner.json.invitation?.path }
  mkdirSync(ARTIFACTS, { recursive: true })
})

afterAll(async () => {
  for (const c of contexts) await c.close()
  await browser?.close()
  await server?.stop()
})

describe.each(LANGS)('a 390 px phone in %s', (lang) => {
  it('fits the login page, an unlock page and an invitation', async () => {
    const page = await phone()
    await page.goto(`${server.url}/?lang=${lang}`)
    await page.locator('.auth .lang').waitFor()
    await expectFits(page, `login-${lang}`)
    // The language switch has a line of its own: the form below it keeps the page's width.
    const [form, main] = await Promise.all([page.locator('.auth form').boundingBox(), page.locator('.auth').boundingBox()])
    expect(Math.round(form!.width)).toBeGreaterThanOrEqual(Math.round(main!.width) - 32)
    const [h1, langBox] = await Promise.all([page.locator('.auth h1').boundingBox(), page.locator('.auth .lang').boundingBox()])
    expect(langBox!.y + langBox!.height).toBeLessThanOrEqual(h1!.y)
    await page.goto(`${server.url}${share.locked}?lang=${lang}`)
    await page.locator('.auth .lang').waitFor()
    await expectFits(page, `unlock-${lang}`)
    if (share.invite) {
      await page.goto(`${server.url}${share.invite}`)
      await expectFits(page, `invite-${lang}`)
    }
  })

  it('fits the dashboard and every settings tab', async () => {
    const page = await phone()
    await logIn(page)
    await page.goto(`${server.url}/?lang=${lang}`)
    await eventually(() => page.locator('[data-metric="pageviews"] .value').textContent()).toBe('2')
    await scrollThrough(page)
    await page.locator('#panel-pages .pick').first().waitFor()
    await expectFits(page, `dashboard-${lang}`)
    // The top row: the values of a row of cards side by side sit at one height.
    const tops = await page.locator('.top').evaluateAll((cards) =>
      cards.map((c) => ({ top: Math.round(c.getBoundingClientRect().top), value: Math.round(c.querySelector('.value')!.getBoundingClientRect().top) })),
    )
    for (const row of new Set(tops.map((x) => x.top))) {
      expect(new Set(tops.filter((x) => x.top === row).map((x) => x.value)).size, `top row at ${row}`).toBe(1)
    }
    // No label of the top row or of a panel's columns is cut short.
    const cut = await page.locator('.top .label, .rows th').evaluateAll((els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent))
    expect(cut).toEqual([])

    for (const tab of TABS) {
      await page.goto(`${server.url}/settings?tab=${tab}&lang=${lang}`)
      await page.locator('.settings-body h2').first().waitFor()
      if (tab !== 'account') await page.locator('.settings-body .list tr').first().waitFor()
      // issue 25: the account's two-factor section loads its state after the page.
      else await page.locator('.account-two-factor .two-factor-policy').waitFor()
      if (tab === 'sites') {
        await page.locator('.list tr', { hasText: LONG_SITE }).locator('button').first().click()
        await page.locator('.list tr.more code').waitFor()
      }
      await expectFits(page, `settings-${tab}-${lang}`)
    }
    // A key just made, shown once.
    await page.goto(`${server.url}/settings?tab=keys&lang=${lang}`)
    await page.fill('input[name=name]', 'Ļoti garš atslēgas nosaukums pārskatam')
    await page.locator('form.inline button[type=submit]').click()
    await page.locator('.once code').waitFor()
    await expectFits(page, `settings-key-made-${lang}`)
  })

  it("fits a shared link's page", async () => {
    const page = await phone()
    await page.goto(`${server.url}${share.open}?lang=${lang}`)
    await eventually(() => page.locator('[data-metric="pageviews"] .value').textContent()).not.toBe('…')
    await scrollThrough(page)
    await expectFits(page, `share-${lang}`)
  })
})

describe('copying a secret shown once', () => {
  async function makeKey(page: Page, base: string, lang: 'en' | 'lv', name: string): Promise<string> {
    await page.goto(`${base}/settings?tab=keys&lang=${lang}`)
    await page.fill('input[name=name]', name)
    await page.locator('form.inline button[type=submit]').click()
    const key = (await page.locator('.once code').textContent())!
    expect(key).toMatch(/^\S{20,}$/)
    // Shown selected, ready for the phone's own Copy.
    await eventually(() => selection(page)).toBe(key)
    return key
  }

  it('on a secure origin: Copy puts it on the clipboard and says so', async () => {
    const page = await phone({ permissions: ['clipboard-read', 'clipboard-write'] })
    await logIn(page)
    const key = await makeKey(page, server.url, 'en', 'clipboard')
    await page.locator('.once button', { hasText: 'Copy' }).click()
    await eventually(() => page.locator('.once [role=status]').textContent()).toBe(COPIED.en)
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key)
  })

  it('on plain HTTP, not localhost (no clipboard API): copies another way and says so, or says to copy it by hand', async () => {
    const base = `http://${statsHost}:${new URL(server.url).port}`
    const page = await phone({ baseURL: base })
    await logIn(page, base)
    expect(await page.evaluate(() => [window.isSecureContext, typeof navigator.clipboard])).toEqual([false, 'undefined'])
    const key = await makeKey(page, base, 'en', 'plain http')
    await page.locator('.once button', { hasText: 'Copy' }).click()
    const said = page.locator('.once [role=status]')
    await eventually(() => said.textContent()).toMatch(new RegExp(`^(${COPIED.en}|${BY_HAND.en})$`))
    expect(await selection(page)).toBe(key)
    await page.screenshot({ path: path.join(ARTIFACTS, 'phone-copy-plain-http.png') })
    if ((await said.textContent()) === COPIED.en) {
      // "Copied" must be true: the clipboard, read where a page may read it, holds the key.
      await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url })
      const reader = await page.context().newPage()
      await reader.goto(`${server.url}/`)
      expect(await reader.evaluate(() => navigator.clipboard.readText())).toBe(key)
    }
  })

  it('when no way of copying works, says in Latvian to copy it by hand, the key selected', async () => {
    const base = `http://${statsHost}:${new URL(server.url).port}`
    const page = await phone({ baseURL: base })
    await page.addInitScript(() => {
      document.execCommand = () => false
    })
    await logIn(page, base)
    const key = await makeKey(page, base, 'lv', 'bez starpliktuves')
    await page.locator('.once button', { hasText: 'Kopēt' }).click()
    await eventually(() => page.locator('.once [role=status]').textContent()).toBe(BY_HAND.lv)
    expect(await selection(page)).toBe(key)
    await expectFits(page, 'copy-by-hand-lv')
  })
})

describe('contrast', () => {
  /** WCAG 2 contrast ratio of an element's text colour on its background colour. */
  const ratio = (page: Page, selector: string) =>
    page.locator(selector).first().evaluate((el) => {
      const s = getComputedStyle(el)
      const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number)
      const lum = (c: string) => {
        const [r, g, b] = rgb(c).map((v) => {
          const x = v / 255
          return x <= 0.04045 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4
        })
        return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!
      }
      const [a, b] = [lum(s.color), lum(s.backgroundColor)].sort((x, y) => y - x)
      return { color: s.color, background: s.backgroundColor, ratio: (a! + 0.05) / (b! + 0.05) }
    })

  for (const scheme of ['dark', 'light'] as const) {
    it(`primary buttons and the chosen language meet WCAG AA (4.5:1) in ${scheme} mode`, async () => {
      const page = await phone({ scheme })
      await page.goto(`${server.url}/`)
      for (const selector of ['.auth button[type=submit]', '.lang button[aria-pressed=true]']) {
        const r = await ratio(page, selector)
        expect(r.ratio, `${selector}: ${r.color} on ${r.background}`).toBeGreaterThanOrEqual(4.5)
      }
    })
  }
})
