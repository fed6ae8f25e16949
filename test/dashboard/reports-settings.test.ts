// A site's reports and alerts in the settings, in real Chromium against the real server (in this
// process, without SMTP_URL): recipients added and removed, alerts saved and refused, each checked
// through the API; the note that reports are off until mail is set up, in English and Latvian;
// axe-core, and a 390 px phone.
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from '../helpers/chromium.ts'
import { builtDashboard } from '../helpers/dashboard-build.ts'
import { expectFitsWidth } from '../helpers/fits.ts'
import { ownerSession } from '../helpers/session.ts'
import { expectNoViolations, ownerPages } from '../helpers/owner-pages.ts'
import { adminCall, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')
const ARTIFACTS = path.join(ROOT, 'test-artifacts')
const OWNER = { email: 'owner@example.lv', password: 'a long owner passphrase' }

let server: RunningSkaits
let browser: Browser
let session: string
const pages = ownerPages(() => ({ browser, url: server.url, session }))
const { open, errors } = pages


const eventually = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 15_000 })


type Subscription = { id: string; email: string; kind: string; lang: string; min_crowd: number }
const reportsApi = async () =>
  ((await adminCall(server.url, 'GET', '/api/sites/example.lv/reports')).json.reports as Subscription[]).map(({ email, kind, lang, min_crowd }) => ({ email, kind, lang, min_crowd }))
const alertsApi = async () => (await adminCall(server.url, 'GET', '/api/sites/example.lv/alerts')).json

beforeAll(async () => {
  await builtDashboard()
  server = await startInProcess({
    dataDir: tempDir(),
    timers: false,
    env: { TIMEZONE: 'UTC', SKAITS_SITES: 'example.lv', SKAITS_ADMIN_EMAIL: OWNER.email, SKAITS_ADMIN_PASSWORD: OWNER.password },
  })
  session = await ownerSession(server.url, OWNER)
  browser = await launchChromium()
  mkdirSync(ARTIFACTS, { recursive: true })
}, 180_000)

afterAll(async () => {
  await pages.close()
  await browser?.close()
  await server?.stop()
})

describe('the reports section', () => {
  it('adds an owner with exact numbers and someone outside the owners under a minimum crowd, refuses a second of the same, removes one', async () => {
    const page = await open('/settings?reports=example.lv', { axe: true })
    const editor = page.locator('#reports-example\\.lv')
    await editor.waitFor()
    expect(await editor.locator('p.muted', { hasText: 'No one' }).textContent()).toBe('No one receives reports yet.')
    const add = editor.locator('form.report-add')
    // The minimum crowd is asked only of someone outside the owners.
    expect(await add.locator('input[name=min_crowd]').isHidden()).toBe(true)

    await add.locator('input[name=email]').fill(OWNER.email)
    await add.locator('select[name=lang]').selectOption('lv')
    await add.locator('button[type=submit]').click()
    await editor.locator(`li[data-report="${OWNER.email} weekly"]`).waitFor()
    expect(await reportsApi()).toEqual([{ email: OWNER.email, kind: 'weekly', lang: 'lv', min_crowd: 0 }])

    await add.locator('input[name=email]').fill('partner@example.com')
    await add.locator('select[name=kind]').selectOption('monthly')
    await add.locator('input[name=outside]').check()
    expect(await add.locator('input[name=min_crowd]').inputValue()).toBe('5')
    await add.locator('input[name=min_crowd]').fill('7')
    await add.locator('button[type=submit]').click()
    const partner = editor.locator('li[data-report="partner@example.com monthly"]')
    await partner.waitFor()
    expect(await partner.locator('.badge').allTextContents()).toEqual(['monthly', 'English', 'k = 7'])
    expect(await editor.locator(`li[data-report="${OWNER.email} weekly"] .badge`).allTextContents()).toEqual(['weekly', 'Latviešu', 'exact numbers'])
    expect(await reportsApi()).toEqual([
      { email: OWNER.email, kind: 'weekly', lang: 'lv', min_crowd: 0 },
      { email: 'partner@example.com', kind: 'monthly', lang: 'en', min_crowd: 7 },
    ])

    // The same address and kind again: the server's refusal, in the page's words.
    const form = editor.locator('form.report-add')
    await form.locator('input[name=email]').fill('partner@example.com')
    await form.locator('select[name=kind]').selectOption('monthly')
    await form.locator('button[type=submit]').click()
    await eventually(() => form.locator('[role=alert]:not([hidden])').textContent()).toBe(
      'The request was not accepted: partner@example.com receives the monthly report already',
    )
    expect(await reportsApi()).toHaveLength(2)
    await expectNoViolations(page, 'settings reports')

    page.once('dialog', (d) => {
      expect(d.message()).toBe('Stop sending the monthly report to partner@example.com?')
      void d.dismiss()
    })
    await partner.locator('button', { hasText: 'Delete' }).click()
    expect(await reportsApi()).toHaveLength(2)
    page.once('dialog', (d) => void d.accept())
    await partner.locator('button', { hasText: 'Delete' }).click()
    await partner.waitFor({ state: 'detached' })
    expect(await reportsApi()).toEqual([{ email: OWNER.email, kind: 'weekly', lang: 'lv', min_crowd: 0 }])
  })

  it('says reports are off until SMTP_URL is set, and how, in English and Latvian', async () => {
    const en = await open('/settings?reports=example.lv')
    await en.locator('.mail-off').waitFor()
    expect((await en.locator('.mail-off').innerText()).split('\n').filter(Boolean)).toEqual([
      'Reports are off: this server has no mail set up. Subscriptions are kept and sent once it has.',
      'To turn them on, set SMTP_URL (e.g. smtp://user:password@mail.example.lv:587) and restart Skaits.',
    ])
    expect(await en.locator('.mail-off code').allTextContents()).toEqual(['SMTP_URL', 'smtp://user:password@mail.example.lv:587'])
    const lv = await open('/settings?reports=example.lv', { lang: 'lv' })
    await lv.locator('.mail-off').waitFor()
    expect((await lv.locator('.mail-off').innerText()).split('\n').filter(Boolean)).toEqual([
      'Pārskati netiek sūtīti: šim serverim nav iestatīta e-pasta sūtīšana. Pieteikumi tiek saglabāti un tiks sūtīti, kad tā būs.',
      'Lai tos ieslēgtu, iestatiet SMTP_URL (piem., smtp://user:password@mail.example.lv:587) un pārstartējiet Skaits.',
    ])
    // Subscriptions are listed and can be added all the same.
    await lv.locator(`li[data-report="${OWNER.email} weekly"]`).waitFor()
    expect(await lv.locator(`li[data-report="${OWNER.email} weekly"] .badge`).allTextContents()).toEqual(['nedēļas', 'Latviešu', 'precīzi skaitļi'])
    expect(await lv.locator('form.report-add button[type=submit]').textContent()).toBe('Pievienot saņēmēju')
  })
})

describe('the alerts section', () => {
  it('saves the alerts, turns one off when emptied, and says what the server refused', async () => {
    expect(await alertsApi()).toEqual({ quiet_hours: null, spike_visitors: null, spike_hours: null, webhook: null })
    const page = await open('/settings?alerts=example.lv', { axe: true })
    const editor = page.locator('#alerts-example\\.lv')
    await editor.locator('form.alerts-form').waitFor()
    const f = editor.locator('form.alerts-form')
    await f.locator('input[name=quiet_hours]').fill('12')
    await f.locator('input[name=spike_visitors]').fill('40')
    await f.locator('input[name=spike_hours]').fill('6')
    await f.locator('input[name=webhook]').fill('https://hooks.example.com/services/T0/B0/x')
    await f.locator('button[type=submit]').click()
    await eventually(() => editor.locator('[role=status]').textContent()).toBe('Saved.')
    expect(await alertsApi()).toEqual({ quiet_hours: 12, spike_visitors: 40, spike_hours: 6, webhook: 'https://hooks.example.com/services/T0/B0/x' })
    await expectNoViolations(page, 'settings alerts')

    // Shown again as saved.
    const again = await open('/settings?alerts=example.lv', { lang: 'lv' })
    const g = again.locator('#alerts-example\\.lv form.alerts-form')
    await g.waitFor()
    expect(await g.locator('input[name=quiet_hours]').inputValue()).toBe('12')
    expect(await g.locator('input[name=webhook]').inputValue()).toBe('https://hooks.example.com/services/T0/B0/x')
    await g.locator('input[name=spike_visitors]').fill('')
    await g.locator('input[name=spike_hours]').fill('')
    await g.locator('button[type=submit]').click()
    await eventually(() => again.locator('#alerts-example\\.lv [role=status]').textContent()).toBe('Saglabāts.')
    expect(await alertsApi()).toEqual({ quiet_hours: 12, spike_visitors: null, spike_hours: null, webhook: 'https://hooks.example.com/services/T0/B0/x' })

    // A password in the webhook's URL is refused: the page says so in Latvian, nothing changes.
    await g.locator('input[name=webhook]').fill('https://user:secret@hooks.example.com/x')
    await g.locator('button[type=submit]').click()
    await eventually(() => g.locator('[role=alert]:not([hidden])').textContent()).toBe(
      'Pieprasījums netika pieņemts: webhook: an http(s) URL without user:password (put a token in its path or query instead)',
    )
    expect((await alertsApi()).webhook).toBe('https://hooks.example.com/services/T0/B0/x')
  })
})

describe('on a 390 px phone', () => {
  it('the reports and alerts sections fit, in Latvian and English', async () => {
    for (const lang of ['lv', 'en'] as const) {
      const fits = (page: Page, name: string) => expectFitsWidth(page, path.join(ARTIFACTS, `phone-${name}-${lang}.png`), `${name} (${lang})`, 390)
      const reports = await open('/settings?reports=example.lv', { width: 390, lang })
      await reports.locator(`li[data-report="${OWNER.email} weekly"]`).waitFor()
      await reports.locator('form.report-add input[name=outside]').check()
      await fits(reports, 'settings-reports')
      const alerts = await open('/settings?alerts=example.lv', { width: 390, lang })
      await alerts.locator('form.alerts-form').waitFor()
      await fits(alerts, 'settings-alerts')
    }
    // The refusals asked for above (a second subscription, a webhook with a password) are the only errors.
    expect(errors.filter((e) => !/status of (400|409)\b/.test(e))).toEqual([])
  }, 120_000)
})
