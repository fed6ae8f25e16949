// Two-factor login as owners live it (issue 25): enrolment in the account settings with the QR
// code and the recovery codes, the login page's second step in English and Latvian, and the
// enrolment the owners' rule sends an owner to. Real Chromium, the real app in this process over
// real HTTP on 127.0.0.1, one fixed clock that the test moves and otpauth reads for its codes.
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { Secret, TOTP } from 'otpauth'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SERVER_MESSAGES } from '../../dashboard/src/i18n.ts'
import { describeAll, violations } from '../helpers/axe.ts'
import { launchChromium } from '../helpers/chromium.ts'
import { builtDashboard } from '../helpers/dashboard-build.ts'
import { expectFitsWidth } from '../helpers/fits.ts'
import { adminCall, CHROME_UA, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts')
const STEP = 30_000
let now = Math.floor(Date.now() / STEP) * STEP + 1_000
const clock = () => now

const OWNER = { email: 'owner@example.lv', password: 'a two-factor owner passphrase' }
const SECOND = { email: 'second@example.lv', password: 'the second owner passphrase' }

let server: RunningSkaits
let browser: Browser
const pageErrors: string[] = []
let secret = ''
let recovery: string[] = []

const codeAt = (key: string, at = now) => new TOTP({ secret: Secret.fromBase32(key), digits: 6, period: 30, algorithm: 'SHA1' }).generate({ timestamp: at })

async function newPage(width = 1280, lang = 'en-GB'): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width, height: 900 }, locale: lang, userAgent: CHROME_UA, bypassCSP: true, acceptDownloads: true })
  const page = await context.newPage()
  page.on('pageerror', (e) => pageErrors.push(e.message))
  return { context, page }
}

async function typePassword(page: Page, who: { email: string; password: string }, query = '') {
  await page.goto(`${server.url}/${query}`)
  await page.fill('#email', who.email)
  await page.fill('#password', who.password)
  await page.click('button[type=submit]')
}

async function expectAccessible(page: Page, name: string) {
  expect(describeAll(await violations(page)), name).toEqual([])
}

beforeAll(async () => {
  await builtDashboard()
  ;[server, browser] = await Promise.all([
    startInProcess({ dataDir: tempDir(), clock, timers: false, env: { SKAITS_ADMIN_EMAIL: OWNER.email, SKAITS_ADMIN_PASSWORD: OWNER.password } }),
    launchChromium(),
  ])
  mkdirSync(ARTIFACTS, { recursive: true })
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
  expect(pageErrors).toEqual([])
})

describe('enrolment in the account settings', () => {
  it('shows a QR code and the key, turns on with a code from the app, and shows the ten recovery codes once, to copy or download', async () => {
    const { context, page } = await newPage()
    await typePassword(page, OWNER)
    await page.locator('.topbar .settings-link').waitFor()
    await page.goto(`${server.url}/settings?tab=account`)
    const section = page.locator('.account-two-factor')
    await section.locator('h2', { hasText: 'Two-factor login' }).waitFor()
    await section.locator('button', { hasText: 'Set up two-factor login' }).click()
    const qr = section.locator('img.qr')
    await qr.waitFor()
    expect(await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true)
    expect(await qr.getAttribute('alt')).toBe('QR code of the two-factor login key')
    secret = ((await section.locator('.scan code.secret').textContent()) ?? '').replace(/\s/g, '')
    expect(secret).toMatch(/^[A-Z2-7]{32}$/)
    await expectAccessible(page, 'enrolment: scan')

    await section.locator('input[name=code]').fill(codeAt(secret))
    await section.locator('button', { hasText: 'Turn on' }).click()
    const once = section.locator('.once.recovery')
    await once.waitFor()
    recovery = ((await once.locator('code.secret').textContent()) ?? '').split('\n')
    expect(recovery).toHaveLength(10)
    for (const c of recovery) expect(c).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/)
    const [download] = await Promise.all([page.waitForEvent('download'), once.locator('a[download]').click()])
    const file = await download.path()
    const { readFileSync } = await import('node:fs')
    expect(readFileSync(file, 'utf8')).toContain(recovery.join('\n'))
    await expectAccessible(page, 'enrolment: recovery codes')
    await page.setViewportSize({ width: 390, height: 844 })
    await expectFitsWidth(page, path.join(ARTIFACTS, 'two-factor-recovery-390.png'), 'recovery codes at 390 px', 390)
    await page.setViewportSize({ width: 1280, height: 900 })

    await once.locator('button', { hasText: 'I have saved them' }).click()
    // The codes give way to the state (its "On." is not the codes' "Two-factor login is on.").
    await once.waitFor({ state: 'detached' })
    await expect.poll(() => section.textContent(), { timeout: 15_000 }).toContain('Recovery codes left: 10.')
    await context.close()
  })
})

describe("the login page's second step", () => {
  it('asks for the code after the password, and logs in with the code the app shows now', async () => {
    now += STEP
    const { context, page } = await newPage(390)
    await typePassword(page, OWNER)
    await page.locator('h1', { hasText: 'Two-factor login' }).waitFor()
    expect(await context.cookies()).not.toContainEqual(expect.objectContaining({ name: 'skaits_session' }))
    await expectAccessible(page, 'second step')
    await expectFitsWidth(page, path.join(ARTIFACTS, 'two-factor-step-390.png'), 'second step at 390 px', 390)
    await page.fill('#code', codeAt(secret))
    await page.click('button[type=submit]')
    await page.locator('.topbar .settings-link').waitFor()
    await context.close()
  })

  it('says in Latvian that a used code is wrong, and takes a recovery code', async () => {
    const { context, page } = await newPage(390, 'lv-LV')
    await typePassword(page, OWNER, '?lang=lv')
    await page.locator('h1', { hasText: 'Divpakāpju pieteikšanās' }).waitFor()
    await page.fill('#code', codeAt(secret))
    await page.click('button[type=submit]')
    const alert = page.locator('main [role=alert]')
    await alert.waitFor()
    expect(await alert.textContent()).toBe(SERVER_MESSAGES.lv.two_factor_code_wrong)
    await page.fill('#code', recovery[0]!)
    await page.click('button[type=submit]')
    await page.locator('.topbar .settings-link').waitFor()
    await page.goto(`${server.url}/settings?tab=account&lang=lv`)
    await page.locator('.account-two-factor', { hasText: 'Atlikušie rezerves kodi: 9.' }).waitFor()
    await context.close()
  })

  it('can start over as someone else', async () => {
    now += STEP
    const { context, page } = await newPage()
    await typePassword(page, OWNER)
    await page.locator('h1', { hasText: 'Two-factor login' }).waitFor()
    await page.click('button:has-text("Log in as someone else")')
    await page.locator('#email').waitFor()
    expect((await context.cookies()).map((c) => c.name)).not.toContain('skaits_2fa')
    await context.close()
  })
})

describe("the owners' rule", () => {
  it('sends an owner without two-factor login to enrol after the password, and to the dashboard once it is on', async () => {
    expect((await adminCall(server.url, 'POST', '/api/owners', SECOND)).status).toBe(201)
    expect((await adminCall(server.url, 'PUT', '/api/settings/2fa', { required: true })).status).toBe(200)
    const { context, page } = await newPage(390)
    await typePassword(page, SECOND)
    await page.locator('h1', { hasText: 'Set up two-factor login' }).waitFor()
    expect(await page.locator('.enrol-page').textContent()).toContain('This server requires two-factor login')
    await page.click('button:has-text("Set up two-factor login")')
    await page.locator('img.qr').waitFor()
    await expectAccessible(page, 'required enrolment')
    await expectFitsWidth(page, path.join(ARTIFACTS, 'two-factor-required-390.png'), 'required enrolment at 390 px', 390)
    const key = ((await page.locator('.scan code.secret').textContent()) ?? '').replace(/\s/g, '')
    await page.fill('input[name=code]', codeAt(key))
    await page.click('button:has-text("Turn on")')
    await page.locator('.once.recovery').waitFor()
    await page.click('button:has-text("I have saved them")')
    await page.locator('.topbar .settings-link').waitFor()
    await context.close()
  })
})
