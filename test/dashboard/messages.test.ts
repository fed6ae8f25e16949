// Server messages on Latvian pages, in real Chromium against the real server: the login page,
// the settings page and an invitation say what went wrong in Latvian.
import { readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from '../helpers/chromium.ts'
import { builtDashboard } from '../helpers/dashboard-build.ts'
import { adminCall, CHROME_UA, spawnServer, tempDir, type SpawnedSkaits } from '../helpers/skaits.ts'

const OWNER = 'owner@example.lv'
const PASSWORD = 'a long owner passphrase'

let server: SpawnedSkaits
let browser: Browser
const contexts: BrowserContext[] = []

const newest = (dir: string) =>
  Math.max(0, ...readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => statSync(path.join(dir, f)).mtimeMs))

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, userAgent: CHROME_UA, locale: 'en-GB' })
  contexts.push(context)
  return context.newPage()
}

beforeAll(async () => {
  await builtDashboard()
  ;[server, browser] = await Promise.all([
    spawnServer({ DATA_DIR: tempDir(), SKAITS_SITES: 'example.lv', SKAITS_ADMIN_EMAIL: OWNER, SKAITS_ADMIN_PASSWORD: PASSWORD }),
    launchChromium(),
  ])
})

afterAll(async () => {
  for (const c of contexts) await c.close()
  await browser?.close()
  await server?.stop()
})

describe('server messages on Latvian pages', () => {
  it('a wrong password on the Latvian login page says so in Latvian', async () => {
    const page = await newPage()
    await page.goto(`${server.url}/?lang=lv`)
    await page.fill('#email', OWNER)
    await page.fill('#password', 'not the right passphrase')
    await page.click('button[type=submit]')
    const alert = page.locator('[role=alert]:not([hidden])')
    await expect.poll(() => alert.textContent(), { timeout: 10_000 }).toBe('Nepareizs e-pasts vai parole.')
  })

  it('adding a site that is not a domain says so in Latvian on the Latvian settings page', async () => {
    const page = await newPage()
    await page.goto(`${server.url}/?lang=lv`)
    await page.fill('#email', OWNER)
    await page.fill('#password', PASSWORD)
    await page.click('button[type=submit]')
    await page.locator('#email').waitFor({ state: 'detached' })
    await page.goto(`${server.url}/settings?lang=lv`)
    await page.fill('input[name=domain]', 'not a domain')
    await page.locator('form:has(input[name=domain]) button[type=submit]').click()
    const alert = page.locator('form:has(input[name=domain]) [role=alert]:not([hidden])')
    await expect.poll(() => alert.textContent(), { timeout: 10_000 }).toBe('„not a domain” nav domēna vārds.')
    await page.fill('input[name=domain]', 'example.lv')
    await page.locator('form:has(input[name=domain]) button[type=submit]').click()
    await expect.poll(() => alert.textContent(), { timeout: 10_000 }).toBe('example.lv jau ir vietne.')
  })

  it('the invitation page with ?lang=lv is in Latvian, and says an invalid link is not valid in Latvian', async () => {
    const made = await adminCall(server.url, 'POST', '/api/owners', { email: 'jauns@example.lv' })
    const invite = made.json.invitation.path as string
    const page = await newPage()
    await page.goto(`${server.url}${invite}?lang=lv`)
    expect(await page.locator('html').getAttribute('lang')).toBe('lv')
    expect(await page.locator('h1').textContent()).toBe('Pievienoties Skaits')
    expect(await page.locator('body').textContent()).toContain('Izvēlieties paroli kontam jauns@example.lv.')
    expect(await page.locator('label[for=password]').textContent()).toBe('Parole')
    const gone = await page.goto(`${server.url}/invite/not-a-token?lang=lv`)
    expect(gone?.status()).toBe(404)
    expect(await page.locator('body').textContent()).toContain('Šis uzaicinājums nav derīgs')
    await page.goto(`${server.url}${invite}`)
    expect(await page.locator('h1').textContent()).toBe('Join Skaits')
  })
})
