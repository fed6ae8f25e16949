// A site's imports in the settings and on the dashboard, in real Chromium against the real
// server (in this process): Plausible's export (test/fixtures/imports, its two days moved to
// three weeks before today) uploaded through the form, listed with its period, marked on the
// dashboard's chart with a line naming it, refused in Latvian when the same days come again in
// another file, checked without writing, deleted through the page by keyboard; a large access log's
// import followed while it runs (bytes of the total, rows a second, a progress bar); axe-core,
// and a 390 px phone.
import { mkdirSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addDays, dayOf } from '../../server/time.ts'
import { launchChromium } from '../helpers/chromium.ts'
import { builtDashboard } from '../helpers/dashboard-build.ts'
import { expectFitsWidth } from '../helpers/fits.ts'
import { plausibleZip } from '../helpers/imports.ts'
import { ownerSession } from '../helpers/session.ts'
import { expectNoViolations, ownerPages } from '../helpers/owner-pages.ts'
import { adminCall, sendEvent, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')
const ARTIFACTS = path.join(ROOT, 'test-artifacts')
const OWNER = { email: 'owner@example.lv', password: 'a long owner passphrase' }

// The fixture's two days, as two closed days three weeks ago: inside the dashboard's default
// "Last 30 days", whatever day the test runs.
const TODAY = dayOf(Date.now(), 'UTC')
const D1 = addDays(TODAY, -21)
const D2 = addDays(TODAY, -20)
const DAYS = { '2025-03-01': D1, '2025-03-02': D2 }
const ZIP = { name: 'plausible-export.zip', mimeType: 'application/zip', buffer: Buffer.from(plausibleZip(DAYS)) }
// Another export of the same days (fewer of its files): other rows, so not "the same file again".
const OTHER = { name: 'other.zip', mimeType: 'application/zip', buffer: Buffer.from(plausibleZip(DAYS, (f) => f.includes('visitors') || f.includes('pages'))) }

let server: RunningSkaits
let browser: Browser
let session: string
const pages = ownerPages(() => ({ browser, url: server.url, session }))
const { open, errors } = pages

/** "21 Nov 2026", "2026. gada 21. nov.": a day as the page writes it (format.ts dayLabel). */
const dayText = (day: string, lang: 'en' | 'lv', withYear = true) =>
  new Date(`${day}T00:00:00Z`).toLocaleDateString(lang === 'lv' ? 'lv-LV' : 'en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short', ...(withYear ? { year: 'numeric' } : {}) })
/** The two days as one period (format.ts periodsText). */
const periodText = (lang: 'en' | 'lv', a = D1, b = D2) => `${dayText(a, lang, a.slice(0, 4) !== b.slice(0, 4))} – ${dayText(b, lang)}`


const eventually = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 15_000 })


type Listed = { id: string; name: string; status: string; from: string | null; to: string | null; days: number }
const importsApi = async () =>
  ((await adminCall(server.url, 'GET', '/api/sites/example.lv/imports')).json.imports as Listed[]).map(({ name, status, from, to, days }) => ({ name, status, from, to, days }))
const editorOf = (page: Page, site = 'example.lv') => page.locator(`#imports-${site.replace('.', '\\.')}`)

/**
 * An access log (combined format) of `lines` pageviews over two closed days, from as many
 * addresses as browsers: large enough that its import runs for seconds and reports progress.
 */
function accessLog(lines: number): string {
  const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
  const stamp = (day: string, second: number) =>
    `${day.slice(8, 10)}/${MONTHS[Number(day.slice(5, 7)) - 1]}/${day.slice(0, 4)}:${String(Math.floor(second / 3600)).padStart(2, '0')}:${String(Math.floor(second / 60) % 60).padStart(2, '0')}:${String(second % 60).padStart(2, '0')} +0000`
  const out: string[] = []
  for (let n = 0; n < lines; n++) {
    const day = n < lines / 2 ? addDays(TODAY, -10) : addDays(TODAY, -9)
    const second = Math.floor(((n % (lines / 2)) / (lines / 2)) * 86_000)
    out.push(
      `198.51.100.${n % 250} - - [${stamp(day, second)}] "GET /docs/page-${n % 97}?ref=${n} HTTP/1.1" 200 ${5000 + (n % 300)} "https://www.google.com/" "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${120 + (n % 12)}.0.${n % 40}.0 Safari/537.36"`,
    )
  }
  return `${out.join('\n')}\n`
}

beforeAll(async () => {
  await builtDashboard()
  server = await startInProcess({
    dataDir: tempDir(),
    timers: false,
    env: { TIMEZONE: 'UTC', SKAITS_SITES: 'example.lv,logs.lv', SKAITS_ADMIN_EMAIL: OWNER.email, SKAITS_ADMIN_PASSWORD: OWNER.password },
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

describe('importing a Plausible export through the settings', () => {
  it('uploads it through the form and lists it done, with its period, rows and file', async () => {
    const page = await open('/settings?imports=example.lv', { axe: true })
    const editor = editorOf(page)
    await editor.locator('form.import-form').waitFor()
    expect(await editor.locator('p.muted', { hasText: 'No imports' }).textContent()).toBe('No imports yet.')

    // The overlap's default is the source's, named as such: refused for an export, added to for a log.
    const form = editor.locator('form.import-form')
    const overlap = form.locator('select[name=overlap]')
    expect(await overlap.inputValue()).toBe('refuse')
    expect(await overlap.locator('option:checked').textContent()).toBe('refuse the import (default)')
    await form.locator('select[name=source]').selectOption('log')
    expect(await overlap.inputValue()).toBe('merge')
    expect(await overlap.locator('option:checked').textContent()).toBe('add to their counts (default)')
    await form.locator('select[name=source]').selectOption('plausible')
    expect(await overlap.inputValue()).toBe('refuse')

    await form.locator('input[type=file]').setInputFiles(ZIP)
    await form.locator('input[name=name]').fill('From Plausible')
    await form.locator('button[type=submit]').click()
    await eventually(() => editor.locator('.import-result').textContent()).toContain('Imported: From Plausible.')
    const item = editor.locator('li[data-status=done]')
    await item.waitFor()
    expect(await item.locator('.goal-head .badge').allTextContents()).toEqual(['Plausible', 'done'])
    expect(await item.locator('.import-days').textContent()).toBe(`Days (2): ${periodText('en')}`)
    // The fixture's rows; two of a dimension Skaits does not keep.
    expect(await item.locator('.import-read').textContent()).toBe('Rows read: 25; not counted: 2 not supported')
    expect(await item.locator('.import-files').textContent()).toMatch(/^Files: plausible-export\.zip \(\d+ (B|KB)\)$/)
    expect(await item.locator('.import-created').textContent()).toMatch(new RegExp(`^Added ${dayText(TODAY, 'en')} \\d\\d:\\d\\d$`))
    expect(await form.locator('[role=alert]').isHidden()).toBe(true)
    expect(await importsApi()).toEqual([{ name: 'From Plausible', status: 'done', from: D1, to: D2, days: 2 }])
    await expectNoViolations(page, 'settings imports')
  })

  it('marks the imported days on the dashboard, names the import under the chart, and counts them', async () => {
    const page = await open('/?site=example.lv', { axe: true })
    // A site with imported history has its dashboard at once, not the wait for its first pageview.
    await eventually(() => page.locator('[data-metric=visitors] .value').textContent()).toBe('15')
    expect(await page.locator('[data-metric=pageviews] .value').textContent()).toBe('38')
    await eventually(() => page.locator('.chart').getAttribute('data-imported')).toBe(`${D1} ${D2}`)
    expect(await page.locator('.imported-note').textContent()).toBe(`Includes imported data: From Plausible, ${periodText('en')}`)
    expect(await page.locator('.legend .key.imported').textContent()).toBe('Imported')
    expect(await page.locator('#waiting').count()).toBe(0)
    await page.locator('.chart-card').screenshot({ path: path.join(ARTIFACTS, 'dashboard-imported-chart.png') })
    await expectNoViolations(page, 'dashboard with imported days')

    // In Latvian; and a range without imported days says nothing of them.
    const lv = await open('/?site=example.lv', { lang: 'lv' })
    await eventually(() => lv.locator('.imported-note').textContent()).toBe(`Ietver importētus datus: From Plausible, ${periodText('lv')}`)
    expect(await lv.locator('.legend .key.imported').textContent()).toBe('Importēts')
    const week = await open('/?site=example.lv&period=7d')
    await eventually(() => week.locator('[data-metric=visitors] .value').textContent()).toBe('0')
    await week.locator('.chart canvas').first().waitFor()
    expect(await week.locator('.chart').getAttribute('data-imported')).toBeNull()
    expect(await week.locator('.imported-note').isHidden()).toBe(true)
    expect(await week.locator('.legend .key.imported').isHidden()).toBe(true)
  })

  it('says in Latvian why another file of the same days is refused; a check only writes nothing', async () => {
    const page = await open('/settings?imports=example.lv', { lang: 'lv' })
    const editor = editorOf(page)
    const form = editor.locator('form.import-form')
    await editor.locator('li[data-status=done]').waitFor()
    await form.locator('input[type=file]').setInputFiles(OTHER)
    await form.locator('button[type=submit]').click()
    await eventually(() => form.locator('[role=alert]:not([hidden])').textContent()).toBe(
      `Vietnei example.lv jau ir skaitījumi 2 no šīm dienām (${periodText('lv')}). Importējiet vēlreiz, tās izlaižot vai pieskaitot.`,
    )
    // The refused import is listed as failed, with nothing written.
    const failed = editor.locator('li[data-status=failed]')
    await failed.waitFor()
    expect(await failed.locator('.goal-head .badge').allTextContents()).toEqual(['Plausible', 'neizdevās'])
    expect(await failed.locator('.import-days').textContent()).toBe('Neviena diena netika ierakstīta.')

    // Checked only, leaving the days with counts out: nothing would be written, and nothing is.
    await form.locator('select[name=overlap]').selectOption('skip')
    await form.locator('input[name=dry_run]').check()
    await form.locator('button[type=submit]').click()
    const result = editor.locator('.import-result')
    await eventually(() => result.locator('strong').textContent()).toBe('Tikai pārbaude: nekas netika ierakstīts. Imports ierakstītu:')
    expect(await result.locator('.import-days').textContent()).toBe('Neviena diena netika ierakstīta.')
    expect(await result.textContent()).toContain(`Izlaistas, jo tajās jau bija skaitījumi: ${periodText('lv')}`)
    expect(await form.locator('[role=alert]').isHidden()).toBe(true)
    expect((await importsApi()).map((i) => i.status)).toEqual(['failed', 'done'])
  })

  it('shows the progress of an import under way: the bytes of the total, rows a second and a progress bar', async () => {
    const file = path.join(tempDir('skaits-access-log-'), 'access.log')
    writeFileSync(file, accessLog(100_000))
    const bytes = statSync(file).size
    const page = await open('/settings?imports=logs.lv')
    const editor = editorOf(page, 'logs.lv')
    const form = editor.locator('form.import-form')
    await form.waitFor()
    await form.locator('select[name=source]').selectOption('log')
    await form.locator('input[type=file]').setInputFiles(file)
    await form.locator('button[type=submit]').click()
    // While the upload runs, the list is asked every second: the import under way, and its progress.
    const bar = editor.locator('.import-progress progress[max]')
    await bar.waitFor({ timeout: 30_000 })
    expect(Number(await bar.getAttribute('max'))).toBe(bytes)
    expect(await editor.locator('.import-progress p').textContent()).toMatch(/^Importing access\.log… · [\d.]+ MB of [\d.]+ MB · [\d,]+ rows\/s( · about \S+( \S+)? left)?$/)
    expect(await editor.locator('li[data-status=staging] .goal-head .badge').allTextContents()).toEqual(['access log', 'reading'])
    expect(await form.locator('button[type=submit]').isDisabled()).toBe(true)
    await editor.screenshot({ path: path.join(ARTIFACTS, 'settings-import-progress.png') })
    const done = editor.locator('li[data-status=done]')
    await done.waitFor({ timeout: 120_000 })
    expect(await editor.locator('.import-progress').isHidden()).toBe(true)
    expect(await form.locator('button[type=submit]').isDisabled()).toBe(false)
    expect(await done.locator('.import-days').textContent()).toBe(`Days (2): ${periodText('en', addDays(TODAY, -10), addDays(TODAY, -9))}`)
    expect(await done.locator('.import-read').textContent()).toMatch(/^Rows read: 100,000/)
  }, 180_000)

  it('fits a 390 px phone, in Latvian and English', async () => {
    for (const lang of ['lv', 'en'] as const) {
      const page = await open('/settings?imports=example.lv', { width: 390, lang })
      await editorOf(page).locator('li[data-status=failed]').waitFor()
      await expectFitsWidth(page, path.join(ARTIFACTS, `phone-settings-imports-${lang}.png`), `settings imports (${lang})`, 390)
    }
  })

  it('deletes the imports through the page, after asking; the dashboard then says nothing of them', async () => {
    // By keyboard: the site's Imports button opens the section.
    const page = await open('/settings?tab=sites')
    await page.locator('tr', { has: page.locator('th a', { hasText: /^example\.lv$/ }) }).locator('.imports-button').focus()
    await page.keyboard.press('Enter')
    const editor = editorOf(page)
    const done = editor.locator('li[data-status=done]')
    await done.waitFor()
    page.once('dialog', (d) => {
      expect(d.message()).toBe('Delete the import From Plausible and everything it wrote: all it counted, on each of its days? This cannot be undone.')
      void d.dismiss()
    })
    await done.locator('button', { hasText: 'Delete' }).click()
    expect(await importsApi()).toHaveLength(2)
    for (const status of ['done', 'failed']) {
      page.once('dialog', (d) => void d.accept())
      await editor.locator(`li[data-status=${status}] button`, { hasText: 'Delete' }).focus()
      await page.keyboard.press('Enter')
      await editor.locator(`li[data-status=${status}]`).waitFor({ state: 'detached' })
    }
    await eventually(() => editor.locator('p.muted', { hasText: 'No imports' }).count()).toBe(1)
    expect(await importsApi()).toEqual([])

    // Nothing counted any more: the site waits for its first pageview again.
    await (await open('/?site=example.lv')).locator('#waiting').waitFor()
    // Once today has a pageview, the last 30 days hold it alone, and no imported days.
    expect((await sendEvent(server.url, { n: 'pageview', u: 'https://example.lv/', d: 'example.lv' }, { ip: '203.0.113.9' })).status).toBe(202)
    await server.skaits.buffer.flush()
    const dashboard = await open('/?site=example.lv')
    await eventually(() => dashboard.locator('[data-metric=visitors] .value').textContent()).toBe('1')
    await dashboard.locator('.chart canvas').first().waitFor()
    expect(await dashboard.locator('.chart').getAttribute('data-imported')).toBeNull()
    expect(await dashboard.locator('.imported-note').isHidden()).toBe(true)
    // The refusals asked for above (409) are the only errors.
    expect(errors.filter((e) => !/status of 409\b/.test(e))).toEqual([])
  })
})
