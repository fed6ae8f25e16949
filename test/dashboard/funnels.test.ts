// Funnels on the dashboard in real Chromium against the real server (in this process, on a fake
// clock): the Funnels panel's stepped bars, drop-off and per-step details, a breakdown by one of
// the funnel's dimensions, what a range that begins before the funnel was declared shows, the
// settings' funnels editor, in English and Latvian, on a 390 px phone, and axe-core on each. The
// visits are test/helpers/funnel-visits.ts's table.
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest'
import type { FunnelAnswer, FunnelBody } from '../../dashboard/src/api.ts'
import type { FunnelRow } from '../../dashboard/src/funnel-settings.ts'
import type { funnelView } from '../../server/sites/funnels-route.ts'
import type { FunnelAnswer as ServerAnswer, FunnelRequest } from '../../server/stats/funnel.ts'
import { addDays, dayOf } from '../../server/time.ts'
import { launchChromium } from '../helpers/chromium.ts'
import { builtDashboard } from '../helpers/dashboard-build.ts'
import { expectFitsWidth } from '../helpers/fits.ts'
import { CHECKOUT, sendFunnelVisits } from '../helpers/funnel-visits.ts'
import { ownerSession } from '../helpers/session.ts'
import { expectNoViolations, ownerPages } from '../helpers/owner-pages.ts'
import { adminCall, sendEvent, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')
const ARTIFACTS = path.join(ROOT, 'test-artifacts')
const OWNER = { email: 'owner@example.lv', password: 'a long owner passphrase' }
/** A second funnel, without breakdowns: yesterday 5 → 2 (a and c; d's /welcome came in a new visit, e's today). */
const PRICING = { name: 'Pricing to welcome', steps: [{ page: '/pricing' }, { page: '/welcome' }], dimensions: [] }

// The funnels are declared yesterday at 00:30, the visits come from 10:00 (funnel-visits.ts);
// the dashboard is looked at today at 09:00 (UTC, the server's TIMEZONE).
const today = dayOf(Date.now(), 'UTC')
const yesterday = addDays(today, -1)
const at = (day: string, hhmm: string) => Date.parse(`${day}T${hhmm}:00Z`)
let now = at(yesterday, '00:30')

let server: RunningSkaits
let browser: Browser
let session: string
const pages = ownerPages(() => ({ browser, url: server.url, session }))
const { open, errors } = pages

/** "21 Nov 2026", "2026. gada 21. nov.": a day as the page writes it (format.ts dayLabel). */
const dayText = (day: string, lang: 'en' | 'lv' = 'en') =>
  new Date(`${day}T00:00:00Z`).toLocaleDateString(lang === 'lv' ? 'lv-LV' : 'en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short', year: 'numeric' })


const eventually = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 15_000 })

/** The chart once drawn (the panel loads when scrolled near): per step its number line, drop-off, kind and name. */
async function chart(page: Page): Promise<string[][]> {
  await page.locator('#panel-funnels').scrollIntoViewIfNeeded()
  await page.locator('#panel-funnels .funnel-chart').waitFor({ timeout: 15_000 })
  return page.locator('#panel-funnels .funnel-step').evaluateAll((steps) =>
    steps.map((li) => ['.step-value', '.step-drop', '.step-kind', '.step-name'].map((s) => (li.querySelector(s)?.textContent ?? '').trim())),
  )
}

/** What a step's details say, as [term, value] pairs after their title. */
async function details(page: Page, step: number): Promise<string[][]> {
  const tip = page.locator(`#panel-funnels [data-step="${step}"] .funnel-tip`)
  await tip.waitFor({ state: 'visible' })
  return [
    [(await tip.locator('.tip-title').textContent()) ?? ''],
    ...(await tip.locator('dl > div').evaluateAll((rows) => rows.map((r) => [r.querySelector('dt')!.textContent ?? '', r.querySelector('dd')!.textContent ?? '']))),
  ]
}

/** The breakdown's tables: { value: [[step, visitors, conversion], …] }. */
function valueTables(page: Page): Promise<Record<string, string[][]>> {
  return page.locator('#panel-funnels .funnel-value').evaluateAll((values) =>
    Object.fromEntries(
      values.map((v) => [
        v.querySelector('h3')!.textContent ?? '',
        [...v.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())),
      ]),
    ),
  )
}


const funnelsApi = async () =>
  (await adminCall(server.url, 'GET', '/api/sites/example.lv/funnels')).json.funnels as { id: number; name: string; steps: unknown[]; dimensions: string[]; until: string | null }[]

beforeAll(async () => {
  await builtDashboard()
  server = await startInProcess({
    dataDir: tempDir(),
    clock: () => now,
    timers: false,
    env: { TIMEZONE: 'UTC', SKAITS_SITES: 'example.lv,plain.lv', SKAITS_ADMIN_EMAIL: OWNER.email, SKAITS_ADMIN_PASSWORD: OWNER.password },
  })
  // A goal, so that a step in the editor can be one.
  expect((await adminCall(server.url, 'PUT', '/api/sites/example.lv/goals', { event: 'Signup' })).status).toBe(201)
  for (const funnel of [CHECKOUT, PRICING]) expect((await adminCall(server.url, 'POST', '/api/sites/example.lv/funnels', funnel)).status).toBe(201)
  await sendFunnelVisits(server.url, { yesterday, today }, (when) => (now = when))
  // A site without funnels, with a pageview (else its dashboard waits for the first one).
  expect((await sendEvent(server.url, { n: 'pageview', u: 'https://plain.lv/', d: 'plain.lv' }, { ip: '87.110.0.99' })).status).toBe(202)
  await server.skaits.buffer.flush()
  now = at(today, '09:00')
  session = await ownerSession(server.url, OWNER)
  browser = await launchChromium()
  mkdirSync(ARTIFACTS, { recursive: true })
}, 180_000)

afterAll(async () => {
  await pages.close()
  await browser?.close()
  await server?.stop()
})

describe('the dashboard’s copies of the API’s shapes (it may read only the vocabulary of server/)', () => {
  it('are the server’s (checked by tsc)', () => {
    expectTypeOf<FunnelBody>().toEqualTypeOf<FunnelRequest>()
    expectTypeOf<FunnelAnswer>().toEqualTypeOf<ServerAnswer>()
    expectTypeOf<FunnelRow>().toEqualTypeOf<ReturnType<typeof funnelView>>()
  })
})

describe('the funnels panel', () => {
  it('draws a bar per step, the drop-off between them, and each step’s details on hover and on focus', async () => {
    const page = await open('/?site=example.lv&period=yesterday', { axe: true })
    // Yesterday by hand: 5 reached /pricing, 2 of them Signup (3 lost: 60%), both went on to /welcome.
    expect(await chart(page)).toEqual([
      ['5 100%', '', '1. Page', '/pricing'],
      ['2 40%', '−3 (60%)', '2. Event', 'Signup'],
      ['2 40%', '', '3. Page', '/welcome'],
    ])
    expect(await page.locator('#panel-funnels .funnel-summary').textContent()).toBe('40% converted (2 of 5)')
    expect(await page.locator('#funnel-pick option').allTextContents()).toEqual(['Checkout', 'Pricing to welcome'])
    // The bars: step 2's is 40% as tall as step 1's, its hatched part (those lost) 60%.
    const height = async (step: number, part: string) => (await page.locator(`[data-step="${step}"] ${part}`).boundingBox())!.height
    const full = await height(1, '.step-bar')
    expect(full).toBeGreaterThan(100)
    expect((await height(2, '.step-bar')) / full).toBeCloseTo(0.4, 1)
    expect((await height(2, '.step-lost')) / full).toBeCloseTo(0.6, 1)
    expect(await height(3, '.step-lost')).toBe(0)
    // A step's name says what it is, then its numbers; its details are its description.
    expect(await page.locator('[data-step="2"] .step').textContent()).toBe('2. Event Signup2 40%−3 (60%)')
    expect(await page.locator('[data-step="2"] .step').getAttribute('aria-describedby')).toBe('funnel-tip-2')

    await page.locator('[data-step="2"] .step').hover()
    expect(await details(page, 2)).toEqual([
      ['Step 2: Signup (event)'],
      ['Visitors', '2'],
      ['Visits', '2'],
      ['Conversion from step 1', '40%'],
      ['Conversion from the previous step', '40%'],
      ['Drop-off', '3 (60%)'],
      ['Average time from step 1', '20s'],
    ])
    await expectNoViolations(page, 'dashboard with funnels')
    await page.screenshot({ path: path.join(ARTIFACTS, 'funnels-panel.png'), fullPage: true })
    await page.locator('#panel-funnels').screenshot({ path: path.join(ARTIFACTS, 'funnels-panel-alone.png') })

    // The keyboard: each step is a stop of its own; its details show while it has the focus, Escape hides them.
    await page.mouse.move(0, 0)
    await page.locator('[data-step="1"] .step').focus()
    expect(await details(page, 1)).toEqual([['Step 1: /pricing (page)'], ['Visitors', '5'], ['Visits', '5']])
    await page.keyboard.press('Tab')
    await page.keyboard.press('Tab')
    expect(await page.evaluate(() => document.activeElement?.closest('li')?.dataset.step)).toBe('3')
    expect(await details(page, 3)).toContainEqual(['Average time from step 1', '45s'])
    expect(await page.locator('[data-step="1"] .funnel-tip').isHidden()).toBe(true)
    await page.keyboard.press('Escape')
    expect(await page.locator('[data-step="3"] .funnel-tip').isHidden()).toBe(true)
    expect(new URL(page.url()).searchParams.get('period')).toBe('yesterday')

    // Dark, a step hovered: the hatching, the drop-off and the details keep their contrast.
    const dark = await open('/?site=example.lv&period=yesterday', { axe: true, dark: true })
    await chart(dark)
    await dark.locator('[data-step="2"] .step').hover()
    await dark.locator('[data-step="2"] .funnel-tip').waitFor()
    await expectNoViolations(dark, 'dark dashboard with funnels')
    await dark.locator('#panel-funnels').screenshot({ path: path.join(ARTIFACTS, 'funnels-panel-dark.png') })
  })

  it('breaks the steps down by one of the funnel’s dimensions, a table per value; another funnel has its own', async () => {
    const page = await open(`/?site=example.lv&period=custom&from=${yesterday}&to=${today}`, { axe: true })
    // e's steps 2 and 3 came today, after midnight, in the visit that began yesterday.
    expect((await chart(page)).map((s) => s.slice(0, 2))).toEqual([
      ['5 100%', ''],
      ['3 60%', '−2 (40%)'],
      ['3 60%', ''],
    ])
    expect(await page.locator('#funnel-by option').allTextContents()).toEqual(['No breakdown', 'by source', 'by device'])
    await page.locator('#funnel-by').focus()
    await page.locator('#funnel-by').selectOption('visit:device')
    await eventually(() => valueTables(page)).toEqual({
      Desktop: [
        ['1. /pricing', '4', '100%'],
        ['2. Signup', '3', '75%'],
        ['3. /welcome', '3', '75%'],
      ],
      Mobile: [
        ['1. /pricing', '1', '100%'],
        ['2. Signup', '0', '0%'],
        ['3. /welcome', '0', '0%'],
      ],
    })
    // The chart stays the whole site's.
    expect((await chart(page))[1]![0]).toBe('3 60%')
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('funnel-by')
    await expectNoViolations(page, 'funnel by device')
    await page.screenshot({ path: path.join(ARTIFACTS, 'funnels-by-device.png'), fullPage: true })

    await page.locator('#funnel-pick').selectOption('Pricing to welcome')
    await eventually(() => chart(page)).toEqual([
      ['5 100%', '', '1. Page', '/pricing'],
      ['3 60%', '−2 (40%)', '2. Page', '/welcome'],
    ])
    expect(await page.locator('#funnel-by').isHidden()).toBe(true)
    expect(await page.locator('#panel-funnels .funnel-value').count()).toBe(0)
    // Back to Checkout: its breakdown was kept.
    await page.locator('#funnel-pick').selectOption('Checkout')
    await eventually(() => page.locator('#funnel-by').inputValue()).toBe('visit:device')
    await eventually(async () => Object.keys(await valueTables(page))).toEqual(['Desktop', 'Mobile'])
  })

  it('breaks yesterday down by source', async () => {
    const page = await open('/?site=example.lv&period=yesterday')
    await chart(page)
    await page.locator('#funnel-by').selectOption('visit:source')
    await eventually(() => valueTables(page)).toEqual({
      Google: [
        ['1. /pricing', '3', '100%'],
        ['2. Signup', '1', '33.3%'],
        ['3. /welcome', '1', '33.3%'],
      ],
      'Direct / None': [
        ['1. /pricing', '2', '100%'],
        ['2. Signup', '1', '50%'],
        ['3. /welcome', '1', '50%'],
      ],
    })
  })

  it('says from when a funnel is counted instead of zeros, and shows the range from then', async () => {
    const page = await open('/?site=example.lv&period=7d')
    await page.locator('#panel-funnels').scrollIntoViewIfNeeded()
    const since = page.locator('#panel-funnels .funnel-since')
    await eventually(() => since.textContent()).toBe(
      `Checkout is counted from ${dayText(yesterday)} on, the day it was declared. Choose a period from then. Show from ${dayText(yesterday)}`,
    )
    expect(await page.locator('#panel-funnels .funnel-chart').count()).toBe(0)
    expect(await page.locator('#panel-funnels .funnel-summary').textContent()).toBe('')
    await page.locator('#funnel-show-from').click()
    await eventually(() => Object.fromEntries(new URL(page.url()).searchParams)).toMatchObject({ period: 'custom', from: yesterday, to: today })
    expect((await chart(page)).map((s) => s[0])).toEqual(['5 100%', '3 60%', '3 60%'])
    await page.locator('[data-step="3"] .step').hover()
    expect(await details(page, 3)).toContainEqual(['Average time from step 1', '1m 50s'])
  })

  it('is one line under a filter or a goal, and absent on a site without funnels', async () => {
    const filtered = await open(`/?site=example.lv&period=yesterday&f=${encodeURIComponent('visit:source=Google')}`)
    await eventually(() => filtered.locator('#panel-funnels.collapsed summary').textContent()).toBe('Funnels are counted for the whole site: remove the filter to see them.')
    const goal = await open('/?site=example.lv&period=yesterday&goal=Signup')
    await eventually(() => goal.locator('#panel-funnels.collapsed summary').count()).toBe(1)
    const plain = await open('/?site=plain.lv&period=day')
    await plain.locator('#panel-goals').waitFor()
    expect(await plain.locator('#panel-funnels').count()).toBe(0)
  })

  it('speaks Latvian', async () => {
    const page = await open('/?site=example.lv&period=yesterday', { lang: 'lv' })
    expect(await chart(page)).toEqual([
      ['5 100%', '', '1. Lapa', '/pricing'],
      ['2 40%', '−3 (60%)', '2. Notikums', 'Signup'],
      ['2 40%', '', '3. Lapa', '/welcome'],
    ])
    expect(await page.locator('#panel-funnels h2').textContent()).toBe('Piltuves')
    expect(await page.locator('#panel-funnels .funnel-summary').textContent()).toBe('Konvertēja 40% (2 no 5)')
    expect(await page.locator('#funnel-by option').allTextContents()).toEqual(['Bez dalījuma', 'pēc avota', 'pēc ierīces'])
    await page.locator('[data-step="2"] .step').hover()
    expect(await details(page, 2)).toEqual([
      ['2. solis: Signup (notikums)'],
      ['Apmeklētāji', '2'],
      ['Apmeklējumi', '2'],
      ['Konversija no 1. soļa', '40%'],
      ['Konversija no iepriekšējā soļa', '40%'],
      ['Atbiruši', '3 (60%)'],
      ['Vidējais laiks no 1. soļa', '20s'],
    ])
    await page.locator('#funnel-by').selectOption('visit:source')
    await eventually(async () => (await valueTables(page)).Google?.[1]).toEqual(['2. Signup', '1', '33,3%'])
    const early = await open('/?site=example.lv&period=7d', { lang: 'lv' })
    await early.locator('#panel-funnels').scrollIntoViewIfNeeded()
    await eventually(() => early.locator('#panel-funnels .funnel-since').textContent()).toBe(
      `„Checkout” tiek skaitīta no ${dayText(yesterday, 'lv')}, dienas, kad tā tika izveidota. Izvēlieties periodu no tās. Rādīt no ${dayText(yesterday, 'lv')}`,
    )
  })
})

describe('the funnels editor in the settings', () => {
  it('adds, renames, changes keeping the old series, and deletes a funnel', async () => {
    const page = await open('/settings?funnels=example.lv', { axe: true })
    const editor = page.locator('#funnels-example\\.lv')
    await editor.locator('.funnel-list').waitFor()
    expect(await editor.locator('.funnel-count').textContent()).toBe('2 of 20 funnels')
    expect(await editor.locator('.funnel-list > li strong').allTextContents()).toEqual(['Checkout', 'Pricing to welcome'])
    const checkout = editor.locator('li[data-funnel="Checkout"]')
    expect(await checkout.locator('.funnel-def li').allTextContents()).toEqual(['Page: /pricing', 'Event: Signup', 'Page: /welcome'])
    expect(await checkout.locator('.goal-def').textContent()).toBe(`by Source, Device · counted since ${dayText(yesterday)}`)

    const add = editor.locator('form.funnel-add')
    await add.locator('input[name=name]').fill('Signup path')
    const rows = add.locator('.funnel-step-row')
    expect(await rows.count()).toBe(2)
    expect(await rows.nth(0).locator('button.remove-step').isDisabled()).toBe(true)
    await rows.nth(0).locator('input.step-text').fill('/')
    await rows.nth(1).locator('select.step-type').selectOption('goal')
    expect(await rows.nth(1).locator('input.step-text').isHidden()).toBe(true)
    expect(await rows.nth(1).locator('select.step-goal option').allTextContents()).toEqual(['Signup'])
    await add.locator('button.add-step').click()
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Step 3: page path (* within a segment, ** across)')
    await rows.nth(2).locator('select.step-type').selectOption('event')
    expect(await rows.nth(2).locator('input.step-text').getAttribute('aria-label')).toBe('Step 3: event name')
    await rows.nth(2).locator('input.step-text').fill('Newsletter')
    // At most three breakdowns: the fourth box cannot be ticked.
    const box = (dim: string) => add.locator(`.funnel-dims input[value="${dim}"]`)
    for (const dim of ['visit:source', 'visit:device', 'visit:country']) await box(dim).check()
    expect(await box('visit:browser').isDisabled()).toBe(true)
    expect(await add.locator('.funnel-dims label').first().textContent()).toBe(' Entry page')
    await box('visit:source').uncheck()
    await box('visit:device').uncheck()
    expect(await box('visit:browser').isDisabled()).toBe(false)
    await add.locator('button[type=submit]').click()
    await editor.locator('li[data-funnel="Signup path"]').waitFor()
    expect(await editor.locator('.funnel-count').textContent()).toBe('3 of 20 funnels')
    const added = (await funnelsApi()).find((f) => f.name === 'Signup path')!
    expect(added).toMatchObject({ steps: [{ page: '/' }, { event: 'Signup' }, { event: 'Newsletter' }], dimensions: ['visit:country'], until: null })
    expect(await editor.locator('li[data-funnel="Signup path"] .goal-def').textContent()).toBe(`by Country · counted since ${dayText(today)}`)

    const signup = editor.locator('li[data-funnel="Signup path"]')
    await signup.locator('button', { hasText: 'Edit' }).click()
    await signup.locator('input[name=name]').fill('Sign-up path')
    expect(await signup.locator('fieldset.goal-history').isHidden()).toBe(true)
    await signup.locator('button[type=submit]').click()
    await editor.locator('li[data-funnel="Sign-up path"]').waitFor()
    expect((await funnelsApi()).find((f) => f.name === 'Sign-up path')?.id).toBe(added.id)

    const renamed = editor.locator('li[data-funnel="Sign-up path"]')
    await renamed.locator('button', { hasText: 'Edit' }).click()
    await renamed.locator('.funnel-step-row').nth(2).locator('button.remove-step').click()
    await renamed.locator('fieldset.goal-history').waitFor()
    expect(await renamed.locator('fieldset.goal-history input[value=keep]').isChecked()).toBe(true)
    await expectNoViolations(page, 'settings funnels')
    await page.screenshot({ path: path.join(ARTIFACTS, 'funnels-settings.png'), fullPage: true })
    await renamed.locator('button[type=submit]').click()
    const keptName = `Sign-up path (${today} – ${today})`
    await editor.locator(`li[data-funnel="${keptName}"]`).waitFor()
    expect(await editor.locator(`li[data-funnel="${keptName}"] .badge.kept`).textContent()).toBe(`old series, counted until ${dayText(today)}`)
    expect(await editor.locator(`li[data-funnel="${keptName}"] .actions button`).allTextContents()).toEqual(['Delete'])
    const after = await funnelsApi()
    expect(after.find((f) => f.name === 'Sign-up path')).toMatchObject({ steps: [{ page: '/' }, { event: 'Signup' }], dimensions: ['visit:country'], until: null })
    expect(after.find((f) => f.name === keptName)).toMatchObject({ id: added.id })
    expect(after.find((f) => f.name === keptName)?.until).not.toBeNull()

    page.once('dialog', (d) => {
      expect(d.message()).toBe(`Delete the funnel ${keptName} and all its counts? This cannot be undone.`)
      void d.accept()
    })
    await editor.locator(`li[data-funnel="${keptName}"] button`, { hasText: 'Delete' }).click()
    await editor.locator(`li[data-funnel="${keptName}"]`).waitFor({ state: 'detached' })
    page.once('dialog', (d) => void d.accept())
    await editor.locator('li[data-funnel="Sign-up path"] button', { hasText: 'Delete' }).click()
    await editor.locator('li[data-funnel="Sign-up path"]').waitFor({ state: 'detached' })
    expect((await funnelsApi()).map((f) => f.name)).toEqual(['Checkout', 'Pricing to welcome'])
  })

  it("is opened from the site's row, and says the server's refusal in Latvian", async () => {
    const page = await open('/settings', { lang: 'lv' })
    await page.locator('tr', { hasText: 'example.lv' }).locator('button.funnels-button').click()
    const editor = page.locator('#funnels-example\\.lv')
    await editor.locator('.funnel-list').waitFor()
    expect(await editor.locator('.funnel-count').textContent()).toBe('2 no 20 piltuvēm')
    const add = editor.locator('form.funnel-add')
    await add.locator('input[name=name]').fill('Checkout')
    await add.locator('.funnel-step-row').nth(0).locator('input.step-text').fill('/a')
    await add.locator('.funnel-step-row').nth(1).locator('input.step-text').fill('/b')
    await add.locator('button[type=submit]').click()
    await eventually(() => add.locator('[role=alert]:not([hidden])').textContent()).toBe('Piltuve ar nosaukumu „Checkout” jau ir.')
    expect((await funnelsApi()).map((f) => f.name)).toEqual(['Checkout', 'Pricing to welcome'])
  })
})

describe('on a 390 px phone', () => {
  it('the funnels panel, its breakdown, its since note and the funnels editor fit, in Latvian and English', async () => {
    for (const lang of ['lv', 'en'] as const) {
      const fits = (page: Page, name: string) => expectFitsWidth(page, path.join(ARTIFACTS, `phone-funnels-${name}-${lang}.png`), `${name} (${lang})`, 390)
      const panel = await open(`/?site=example.lv&period=custom&from=${yesterday}&to=${today}`, { width: 390, lang })
      await chart(panel)
      await panel.locator('#funnel-by').selectOption('visit:source')
      await panel.locator('#panel-funnels .funnel-value').first().waitFor()
      await panel.locator('[data-step="3"] .step').focus()
      await panel.locator('[data-step="3"] .funnel-tip').waitFor()
      await fits(panel, 'panel')
      await panel.locator('#panel-funnels').screenshot({ path: path.join(ARTIFACTS, `phone-funnels-panel-alone-${lang}.png`) })
      const early = await open('/?site=example.lv&period=7d', { width: 390, lang })
      await early.locator('#panel-funnels').scrollIntoViewIfNeeded()
      await early.locator('#panel-funnels .funnel-since').waitFor()
      await fits(early, 'since')
      const settings = await open('/settings?funnels=example.lv', { width: 390, lang })
      const checkout = settings.locator('li[data-funnel="Checkout"]')
      await checkout.locator('button', { hasText: lang === 'en' ? 'Edit' : 'Labot' }).click()
      await checkout.locator('button.add-step').click()
      await settings.locator('fieldset.goal-history').waitFor()
      await fits(settings, 'settings')
    }
    // The refusals asked for above (a range before a funnel's declaration, a name taken) are the only errors.
    expect(errors.filter((e) => !/status of (400|409)\b/.test(e))).toEqual([])
  }, 120_000)
})

describe('shared links', () => {
  it('show funnels only when made with goals', async () => {
    const withGoals = (await adminCall(server.url, 'POST', '/api/shares', { site: 'example.lv', name: 'With goals', min_crowd: 2, goals: true })).json
    const shown = await open(`${withGoals.path}?period=yesterday`, { cookie: false })
    expect((await chart(shown)).map((s) => s[0])).toEqual(['5 100%', '2 40%', '2 40%'])
    const plain = (await adminCall(server.url, 'POST', '/api/shares', { site: 'example.lv', name: 'Plain', min_crowd: 2 })).json
    const page = await open(`${plain.path}?period=yesterday`, { cookie: false })
    await page.locator('#panel-goals').scrollIntoViewIfNeeded()
    await eventually(() => page.locator('#panel-goals').textContent()).toContain('This shared link does not show goals.')
    expect(await page.locator('#panel-funnels').count()).toBe(0)
  })
})
