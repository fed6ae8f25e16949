// Annotations and comparison modes in real Chromium against the real server (in this process):
// a note added by clicking a day of the chart, and one by keyboard, appear on it as flags; a
// shared link shows the note marked shared and not the other; choosing "year over year"
// compares the top row with the imported days a year before and says so in the URL; axe-core,
// and a 390 px phone.
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { yearBefore } from '../../dashboard/src/periods.ts'
import { addDays, dayOf } from '../../server/time.ts'
import { describeAll, violations } from '../helpers/axe.ts'
import { launchChromium } from '../helpers/chromium.ts'
import { builtDashboard } from '../helpers/dashboard-build.ts'
import { expectFitsWidth } from '../helpers/fits.ts'
import { plausibleZip, uploadImport } from '../helpers/imports.ts'
import { ownerSession } from '../helpers/session.ts'
import { ownerPages } from '../helpers/owner-pages.ts'
import { adminCall, browserUA, sendEvent, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')
const ARTIFACTS = path.join(ROOT, 'test-artifacts')
const OWNER = { email: 'owner@example.lv', password: 'a long owner passphrase' }
const TODAY = dayOf(Date.now(), 'UTC')
// The fixture's two days a year before the first two of "Last 7 days": its history begins with
// the days it is compared with (a day later, and there would be nothing to compare with).
const YEAR_AGO = { '2025-03-01': yearBefore(addDays(TODAY, -6)), '2025-03-02': yearBefore(addDays(TODAY, -5)) }

let server: RunningSkaits
let browser: Browser
let session: string
const pages = ownerPages(() => ({ browser, url: server.url, session }))
const { errors } = pages

/** A dashboard page, the owner's unless `owner: false`, once its chart is drawn. */
async function open(pathAndQuery: string, o: { width?: number; owner?: boolean; axe?: boolean } = {}): Promise<Page> {
  const page = await pages.open(pathAndQuery, { width: o.width, axe: o.axe, cookie: o.owner ?? true })
  await page.locator('.chart .u-over').waitFor()
  return page
}


const eventually = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 15_000 })
const notesOnChart = (page: Page) => page.locator('.chart .mark .note').evaluateAll((ps) => ps.map((p) => p.textContent))

beforeAll(async () => {
  await builtDashboard()
  server = await startInProcess({
    dataDir: tempDir(),
    timers: false,
    env: { TIMEZONE: 'UTC', SKAITS_ADMIN_EMAIL: OWNER.email, SKAITS_ADMIN_PASSWORD: OWNER.password },
  })
  session = await ownerSession(server.url, OWNER)
  const up = await uploadImport(server.url, 'example.lv', plausibleZip(YEAR_AGO), { source: 'plausible', file: 'year-ago.zip' })
  expect(up.status, JSON.stringify(up.json)).toBe(201)
  for (let n = 0; n < 3; n++) await sendEvent(server.url, { n: 'pageview', u: 'https://example.lv/', d: 'example.lv' }, { ua: browserUA(n), ip: `203.0.113.${n + 1}` })
  await server.skaits.buffer.flush()
  browser = await launchChromium()
  mkdirSync(ARTIFACTS, { recursive: true })
}, 180_000)

afterAll(async () => {
  await pages.close()
  await browser?.close()
  await server?.stop()
})

describe('annotations on the chart', () => {
  it('adds a note by clicking a day of the chart, and one by keyboard; both are drawn as flags', async () => {
    const page = await open('/?site=example.lv&period=7d')
    const over = page.locator('.chart .u-over')
    const box = (await over.boundingBox())!
    // The middle of seven days is the fourth.
    await over.click({ position: { x: box.width / 2, y: box.height / 2 } })
    const dialog = page.locator('dialog.note-form')
    await dialog.waitFor()
    expect(await page.locator('#note-date').inputValue()).toBe(addDays(TODAY, -3))
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('note-text')
    await page.keyboard.type('Deploy 4.2')
    await page.locator('#note-shared').check()
    await dialog.locator('button[type=submit]', { hasText: 'Save' }).click()
    await eventually(() => notesOnChart(page)).toEqual([expect.stringContaining('Deploy 4.2')])
    expect(await page.locator('.chart .mark').getAttribute('data-bucket')).toBe(addDays(TODAY, -3))

    // By keyboard: the "Add note" button, the form, Enter.
    await page.locator('#add-note').focus()
    await page.keyboard.press('Enter')
    await dialog.waitFor()
    await page.keyboard.type('Team only: pricing test')
    await page.locator('#note-date').fill(addDays(TODAY, -1))
    await page.locator('#note-text').focus()
    await page.keyboard.press('Tab') // to the checkbox, left off
    await page.keyboard.press('Tab') // to Save
    await page.keyboard.press('Enter')
    await eventually(() => notesOnChart(page)).toHaveLength(2)
    expect(await page.locator('.chart .mark').evaluateAll((ms) => ms.map((m) => (m as HTMLElement).dataset.bucket))).toEqual([addDays(TODAY, -3), addDays(TODAY, -1)])

    // A flag is a button that names its note, and focusing it shows the text.
    const flag = page.locator('.chart .mark').nth(1).locator('.flag')
    expect(await flag.getAttribute('aria-label')).toContain('Team only: pricing test')
    await flag.focus()
    await eventually(() => page.locator('.chart .mark').nth(1).locator('.note-pop').isVisible()).toBe(true)

    const stored = (await adminCall(server.url, 'GET', '/api/sites/example.lv/annotations')).json.annotations
    expect(stored).toEqual([
      { id: 1, date: addDays(TODAY, -3), text: 'Deploy 4.2', shared: true },
      { id: 2, date: addDays(TODAY, -1), text: 'Team only: pricing test', shared: false },
    ])
  })

  it('a shared link shows the note marked shared, not the other, and cannot add any', async () => {
    const token = (await adminCall(server.url, 'POST', '/api/shares', { site: 'example.lv', min_crowd: 2 })).json.token as string
    const page = await open(`/share/${token}?period=7d`, { owner: false })
    await eventually(() => notesOnChart(page)).toEqual([expect.stringContaining('Deploy 4.2')])
    expect(await page.content()).not.toContain('pricing test')
    expect(await page.locator('#add-note').count()).toBe(0)
    expect(await page.locator('.chart .note-delete').count()).toBe(0)
  })

  it('deletes a note from its flag', async () => {
    const page = await open('/?site=example.lv&period=7d')
    await eventually(() => notesOnChart(page)).toHaveLength(2)
    page.once('dialog', (d) => void d.accept())
    await page.locator('.chart .mark').nth(1).locator('.flag').focus()
    await page.keyboard.press('Tab')
    expect(await page.evaluate(() => document.activeElement?.className)).toContain('note-delete')
    await page.keyboard.press('Enter')
    await eventually(() => notesOnChart(page)).toEqual([expect.stringContaining('Deploy 4.2')])
    expect((await adminCall(server.url, 'GET', '/api/sites/example.lv/annotations')).json.annotations.map((a: { id: number }) => a.id)).toEqual([1])
  })
})

describe('comparison modes', () => {
  it('"year over year" compares the top row with the same days a year before, and says so in the URL', async () => {
    const page = await open('/?site=example.lv&period=7d', { axe: true })
    const change = page.locator('#top-visitors .change')
    // The previous period (the seven days before) had nothing.
    await eventually(() => change.locator('.no-change .sr-only').textContent()).toContain('No data in the previous period')
    await page.locator('#compare').focus()
    await page.locator('#compare').selectOption('year_over_year')
    await eventually(() => new URL(page.url()).searchParams.get('compare')).toBe('year_over_year')
    await eventually(() => change.textContent()).toMatch(/^[↑↓] \d+%$|^0%$/)
    const title = await change.locator('span').first().getAttribute('title')
    expect(title).toContain(String(Number(TODAY.slice(0, 4)) - 1))
    expect(await page.locator('#compare option:checked').textContent()).toBe('Year over year')
    expect(await page.locator('.legend .key.prev').evaluate((k) => k.lastChild?.textContent)).toContain(`${Number(TODAY.slice(0, 4)) - 1}`)
    // The page is drawn again: the choice keeps the focus.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('compare')

    // Weekdays matched: 52 weeks back, in the URL too; Back goes back to the choice before.
    await page.locator('#compare').selectOption('year_over_year:weekdays')
    await eventually(() => new URL(page.url()).searchParams.get('match_day_of_week')).toBe('true')
    expect(new URL(page.url()).searchParams.get('compare')).toBe('year_over_year')
    await page.goBack()
    await eventually(() => page.locator('#compare').inputValue()).toBe('year_over_year')
    expect(new URL(page.url()).searchParams.get('match_day_of_week')).toBeNull()

    // Chosen days: two date fields.
    await page.locator('#compare').selectOption('custom')
    await page.locator('#compare-from').fill(addDays(TODAY, -30))
    await page.locator('#compare-to').fill(addDays(TODAY, -24))
    await page.locator('#compare-apply').click()
    await eventually(() => new URL(page.url()).searchParams.get('compare_from')).toBe(addDays(TODAY, -30))
    expect(new URL(page.url()).searchParams.get('compare_to')).toBe(addDays(TODAY, -24))

    await page.goto(`${server.url}/?site=example.lv&period=7d&compare=year_over_year`)
    await page.locator('.chart .u-over').waitFor()
    await eventually(() => notesOnChart(page)).toHaveLength(1)
    const found = describeAll(await violations(page))
    expect(found, found.join('\n')).toEqual([])
  })

  it('fits a 390 px phone with the comparison choice and a note', async () => {
    const page = await open('/?site=example.lv&period=30d&compare=custom&compare_from=2025-01-01&compare_to=2025-01-30', { width: 390 })
    await eventually(() => notesOnChart(page)).toHaveLength(1)
    await expectFitsWidth(page, path.join(ARTIFACTS, 'annotations-compare-390.png'), 'dashboard with comparison and notes', 390)
    const again = await open('/?site=example.lv&period=7d&compare=previous_period&match_day_of_week=true', { width: 390 })
    await expectFitsWidth(again, path.join(ARTIFACTS, 'compare-match-390.png'), 'dashboard with weekdays matched', 390)
    expect(errors).toEqual([])
  })
})

describe('notes in the settings', () => {
  it('lists a site’s notes, shares or unshares one at once, adds one; fits 390 px in Latvian', async () => {
    const page = await pages.open('/settings?annotations=example.lv', { width: 390, lang: 'lv', axe: true })
    const editor = page.locator('#annotations-example\\.lv')
    await editor.locator('li[data-note="1"]').waitFor()
    expect(await editor.locator('h3').textContent()).toBe('example.lv grafika piezīmes')
    const shared = editor.locator('li[data-note="1"] input[type=checkbox]')
    expect(await shared.isChecked()).toBe(true)
    await shared.uncheck()
    const stored = async () => (await adminCall(server.url, 'GET', '/api/sites/example.lv/annotations')).json.annotations
    await eventually(async () => (await stored())[0].shared).toBe(false)

    await editor.locator('input[name=text]').fill('Kampaņa sākās')
    await editor.locator('input[name=date]').fill(addDays(TODAY, -2))
    await editor.locator('button[type=submit]').click()
    await eventually(() => editor.locator('li').count()).toBe(2)
    expect((await stored()).map((a: { date: string; text: string; shared: boolean }) => [a.date, a.text, a.shared])).toEqual([
      [addDays(TODAY, -3), 'Deploy 4.2', false],
      [addDays(TODAY, -2), 'Kampaņa sākās', false],
    ])
    await expectFitsWidth(page, path.join(ARTIFACTS, 'annotations-settings-390-lv.png'), 'notes in the settings (lv)', 390)
    const found = describeAll(await violations(page))
    expect(found, found.join('\n')).toEqual([])
    expect(errors).toEqual([])
  })
})
