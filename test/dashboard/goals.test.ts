// Goals on the dashboard in real Chromium against the real server (in this process, on a fake
// clock): the goals panel's numbers, the goal view a click on a goal opens, what a range that
// begins before a goal was declared shows, the settings' goals editor, in English and Latvian,
// on a 390 px phone, and axe-core on each. The visits are test/helpers/goal-visits.ts's table.
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addDays, dayOf } from '../../server/time.ts'
import { launchChromium } from '../helpers/chromium.ts'
import { builtDashboard } from '../helpers/dashboard-build.ts'
import { expectFitsWidth } from '../helpers/fits.ts'
import { GOALS_OF_VISITS, sendGoalVisits } from '../helpers/goal-visits.ts'
import { ownerSession } from '../helpers/session.ts'
import { expectNoViolations, ownerPages } from '../helpers/owner-pages.ts'
import { adminCall, sendEvent, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')
const ARTIFACTS = path.join(ROOT, 'test-artifacts')
const OWNER = { email: 'owner@example.lv', password: 'a long owner passphrase' }

// The goals are declared yesterday at 02:00 and the visits come from 03:00; the dashboard is
// looked at today at 09:00 (UTC, the server's TIMEZONE).
const today = dayOf(Date.now(), 'UTC')
const yesterday = addDays(today, -1)
const at = (day: string, hhmm: string) => Date.parse(`${day}T${hhmm}:00Z`)
let now = at(yesterday, '02:00')

let server: RunningSkaits
let browser: Browser
let session: string
const pages = ownerPages(() => ({ browser, url: server.url, session }))
const { open, errors } = pages

/** "21 Nov 2026", "2026. gada 21. nov.": a day as the page writes it (format.ts dayLabel). */
const dayText = (day: string, lang: 'en' | 'lv') =>
  new Date(`${day}T00:00:00Z`).toLocaleDateString(lang === 'lv' ? 'lv-LV' : 'en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short', year: 'numeric' })


const eventually = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 15_000 })

/** A table's rows as { first cell: [the other cells] }. */
function tableRows(page: Page, selector: string): Promise<Record<string, string[]>> {
  return page.locator(`${selector} tbody tr`).evaluateAll((trs) =>
    Object.fromEntries(trs.map((tr) => {
      const cells = [...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())
      return [cells[0], cells.slice(1)]
    })),
  )
}

/** A table's column headings, without the soft hyphens that let them break at a syllable. */
const headings = async (page: Page, selector: string) => (await page.locator(`${selector} th`).allTextContents()).map((text) => text.replace(/\u00ad/g, ''))

/** The goals panel's table once it has its rows (it loads when scrolled near). */
async function goalsTable(page: Page): Promise<Record<string, string[]>> {
  await page.locator('#panel-goals').scrollIntoViewIfNeeded()
  await page.locator('#panel-goals table.goals').waitFor({ timeout: 15_000 })
  return tableRows(page, '#panel-goals')
}

/** The goals panel yesterday: uniques, total, CR, revenue (by hand from goal-visits.ts's table: 12 visitors). */
const GOALS_YESTERDAY = {
  Signup: ['4', '5', '33.3%', ''],
  Purchase: ['2', '3', '16.7%', '€30.50'],
  'Order done': ['2', '3', '16.7%', ''],
}

const top = (page: Page, metric: string) => page.locator(`.tops [data-metric="${metric}"] .value`)


const goalsApi = async () => (await adminCall(server.url, 'GET', '/api/sites/example.lv/goals')).json.goals as { id: number; name: string; event_name: string | null; until: string | null }[]

beforeAll(async () => {
  await builtDashboard()
  server = await startInProcess({
    dataDir: tempDir(),
    clock: () => now,
    timers: false,
    env: { TIMEZONE: 'UTC', SKAITS_SITES: 'example.lv,plain.lv', SKAITS_ADMIN_EMAIL: OWNER.email, SKAITS_ADMIN_PASSWORD: OWNER.password },
  })
  for (const goal of GOALS_OF_VISITS) expect((await adminCall(server.url, 'PUT', '/api/sites/example.lv/goals', goal)).status).toBe(201)
  now = at(yesterday, '03:00')
  await sendGoalVisits(server.url, () => (now += 1000))
  await server.skaits.buffer.flush()
  now = at(today, '09:00')
  // A site without goals, with a pageview (else its dashboard waits for the first one).
  expect((await sendEvent(server.url, { n: 'pageview', u: 'https://plain.lv/', d: 'plain.lv' }, { ip: '87.110.0.99' })).status).toBe(202)
  await server.skaits.buffer.flush()
  session = await ownerSession(server.url, OWNER)
  browser = await launchChromium()
  mkdirSync(ARTIFACTS, { recursive: true })
}, 180_000)

afterAll(async () => {
  await pages.close()
  await browser?.close()
  await server?.stop()
})

describe('the goals panel', () => {
  it("shows each goal's unique and total conversions, conversion rate and revenue; no extra top card", async () => {
    const page = await open('/?site=example.lv&period=yesterday', { axe: true })
    expect(await goalsTable(page)).toEqual(GOALS_YESTERDAY)
    expect(await headings(page, '#panel-goals')).toEqual(['Goal', 'Uniques', 'Total', 'CR', 'Revenue'])
    expect(await page.locator('#panel-goals .goal-note').allTextContents()).toEqual(['Purchase also received US$5.00: other currencies are shown apart, not converted.'])
    // Conversions of several goals do not add up: the site's top row stays as it was.
    expect(await page.locator('.tops .top').count()).toBe(7)
    await eventually(() => top(page, 'visitors').textContent()).toBe('12')
    await expectNoViolations(page, 'dashboard with goals')
    await page.screenshot({ path: path.join(ARTIFACTS, 'goals-panel.png'), fullPage: true })
  })

  it('under a filter on a dimension goals are kept by, shows the goals of that value', async () => {
    const page = await open(`/?site=example.lv&period=yesterday&f=${encodeURIComponent('visit:country=LV')}`)
    expect(await goalsTable(page)).toEqual({
      Signup: ['4', '5', '66.7%', ''],
      Purchase: ['2', '3', '33.3%', '€30.50'],
      'Order done': ['0', '0', '0%', ''],
    })
  })

  it('on a site without goals, is one line pointing to its goals in the settings', async () => {
    const page = await open('/?site=plain.lv&period=day')
    await eventually(() => top(page, 'visitors').textContent()).toBe('1')
    await page.locator('#panel-goals').scrollIntoViewIfNeeded()
    const hint = page.locator('#panel-goals.hint .na')
    await eventually(() => hint.textContent()).toBe('No goals yet. Declare the events or pages that count as conversions')
    expect((await page.locator('#panel-goals').boundingBox())!.height).toBeLessThan(80)
    await hint.locator('a').click()
    await page.locator('#goals-plain\\.lv').waitFor()
    expect(await page.locator('#goals-plain\\.lv').textContent()).toContain('0 of 50 goals')
    expect(await page.locator('#goals-plain\\.lv .goal-list').count()).toBe(0)
  })

  it('under a filter goals are not kept by, says so in one line', async () => {
    const page = await open(`/?site=example.lv&period=yesterday&f=${encodeURIComponent('visit:exit_page=/')}`)
    await expect.poll(() => page.locator('#panel-goals.collapsed summary').textContent()).toBe('Goals are not counted by exit page.')
  })
})

describe('the goal view', () => {
  it('opens with a click on a goal: conversions and CR per value, the chart of conversions, one line where a panel cannot', async () => {
    const page = await open('/?site=example.lv&period=yesterday', { axe: true })
    await goalsTable(page)
    await page.locator('#panel-goals button.pick', { hasText: 'Signup' }).click()
    await eventually(() => new URL(page.url()).searchParams.get('goal')).toBe('Signup')
    expect(await page.locator('.chip.goal-chip').textContent()).toContain('Goal: Signup')
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('clear-goal')

    await eventually(() => top(page, 'visitors').textContent()).toBe('4')
    expect(await page.locator('.tops .top:not([hidden]) .label').allTextContents()).toEqual(['Unique conversions', 'Total conversions', 'Conversion rate'])
    expect(await top(page, 'events').textContent()).toBe('5')
    expect(await top(page, 'conversion_rate').textContent()).toBe('33.3%')

    await page.locator('#panel-sources table').waitFor()
    expect(await headings(page, '#panel-sources')).toEqual(['Source', 'Conversions', 'CR'])
    expect(await tableRows(page, '#panel-sources')).toEqual({ Google: ['4', '100%'] })
    await page.locator('#panel-countries').scrollIntoViewIfNeeded()
    await eventually(() => tableRows(page, '#panel-countries')).toEqual({ Latvia: ['4', '66.7%'] })

    // The chart: unique conversions by day, read from its tooltip.
    expect(await page.locator('.chart-card .legend').innerText()).toBe('Unique conversions')
    await page.locator('.chart .u-over').waitFor()
    const over = await page.locator('.chart .u-over').boundingBox()
    await page.mouse.move(over!.x + over!.width / 2, over!.y + over!.height / 2)
    await eventually(() => page.locator('.chart .tip').textContent()).toBe(`${dayText(yesterday, 'en')}Unique conversions: 4`)

    // Exit pages, custom events and the goals panel say why they show nothing.
    await page.locator('#panel-pages [data-view="exit"]').click()
    expect(await page.locator('#panel-pages .na').textContent()).toBe('Goals are not counted by exit page.')
    expect(await page.locator('#panel-events.collapsed summary').textContent()).toBe('Goals are not counted by event.')
    expect(await page.locator('#panel-goals.collapsed summary').textContent()).toBe('One goal is shown (Signup): remove the goal filter to compare the goals.')
    await expectNoViolations(page, 'goal view')
    await page.screenshot({ path: path.join(ARTIFACTS, 'goal-view.png'), fullPage: true })

    await page.locator('#clear-goal').click()
    await eventually(() => new URL(page.url()).searchParams.get('goal')).toBe(null)
    expect(await page.locator('.tops .top').count()).toBe(7)
    expect(await goalsTable(page)).toEqual(GOALS_YESTERDAY)
  })

  it("shows a goal's revenue, other currencies apart", async () => {
    const page = await open('/?site=example.lv&period=yesterday&goal=Purchase')
    await eventually(() => top(page, 'total_revenue').textContent()).toBe('€30.50')
    expect(await page.locator('#top-total_revenue .change').textContent()).toBe('+ US$5.00')
    expect([await top(page, 'visitors').textContent(), await top(page, 'events').textContent(), await top(page, 'conversion_rate').textContent()]).toEqual(['2', '3', '16.7%'])
    await page.locator('#panel-devices [data-view="device"]').click()
    await eventually(() => tableRows(page, '#panel-devices')).toEqual({ Mobile: ['2', '100%'] })
  })

  it("says from when a goal's breakdowns exist instead of zeros, and shows the range from then", async () => {
    const page = await open('/?site=example.lv&period=7d&goal=Signup')
    const since = `Breakdowns of Signup exist from ${dayText(yesterday, 'en')} on, the day it was declared. Choose a period from then.`
    await eventually(() => page.locator('#panel-sources .panel-body').textContent()).toBe(since)
    expect(await page.locator('#panel-sources table').count()).toBe(0)
    expect(await page.locator('#panel-pages .panel-body').textContent()).toBe(since)
    // Its totals before then come from the history of the Signup event.
    await eventually(() => top(page, 'visitors').textContent()).toBe('4')
    expect(await page.locator('.tops .goal-since').textContent()).toBe(
      `Conversions and revenue of Signup are counted from ${dayText(yesterday, 'en')} on. Show from ${dayText(yesterday, 'en')}`,
    )
    await page.locator('#show-from').click()
    await eventually(() => Object.fromEntries(new URL(page.url()).searchParams)).toMatchObject({ period: 'custom', from: yesterday, to: today, goal: 'Signup' })
    await eventually(() => tableRows(page, '#panel-sources')).toEqual({ Google: ['4', '100%'] })
    expect(await page.locator('.tops .goal-since').isHidden()).toBe(true)
  })

  it('speaks Latvian', async () => {
    const page = await open('/?site=example.lv&period=7d&goal=Signup', { lang: 'lv' })
    await eventually(() => page.locator('#panel-sources .panel-body').textContent()).toBe(
      `„Signup” dalījumi ir no ${dayText(yesterday, 'lv')}, dienas, kad mērķis tika izveidots. Izvēlieties periodu no tās.`,
    )
    expect(await page.locator('.tops .top:not([hidden]) .label').allTextContents()).toEqual(['Unikālās konversijas', 'Konversijas kopā', 'Konversijas līmenis'])
    expect(await page.locator('.chip.goal-chip').textContent()).toContain('Mērķis: Signup')
    const plain = await open('/?site=example.lv&period=yesterday', { lang: 'lv' })
    expect(await goalsTable(plain)).toEqual({
      Signup: ['4', '5', '33,3%', ''],
      Purchase: ['2', '3', '16,7%', '30,50\u00a0€'],
      'Order done': ['2', '3', '16,7%', ''],
    })
    expect(await headings(plain, '#panel-goals')).toEqual(['Mērķis', 'Unikālās', 'Kopā', 'Konv. %', 'Ieņēmumi'])
  })
})

describe('the goals editor in the settings', () => {
  it('adds, renames, changes keeping the old series, and deletes a goal', async () => {
    const page = await open('/settings?goals=example.lv', { axe: true })
    const editor = page.locator('#goals-example\\.lv')
    await editor.locator('.goal-list').waitFor()
    expect(await editor.locator('.goal-count').textContent()).toBe('3 of 50 goals')
    expect(await editor.locator('.goal-list li strong').allTextContents()).toEqual(['Signup', 'Purchase', 'Order done'])
    expect(await editor.locator('li[data-goal="Order done"] .goal-def').textContent()).toBe(`Page: /order/*/done · counted since ${dayText(yesterday, 'en')}`)
    expect(await editor.locator('li[data-goal="Purchase"] .badge').textContent()).toBe('EUR')

    const add = editor.locator('form.goal-add')
    await add.locator('input[name=definition]').fill('Download')
    await add.locator('input[name=name]').fill('Brochure')
    await add.locator('button[type=submit]').click()
    await editor.locator('li[data-goal="Brochure"]').waitFor()
    expect(await editor.locator('li[data-goal="Brochure"] .goal-def').textContent()).toBe(`Event: Download · counted since ${dayText(today, 'en')}`)
    expect(await editor.locator('.goal-count').textContent()).toBe('4 of 50 goals')
    // A page goal has no currency to ask for.
    await add.locator('select[name=type]').selectOption('page')
    expect(await add.locator('input[name=currency]').isHidden()).toBe(true)
    expect(await add.locator('.definition span').textContent()).toBe('Page path (* within a segment, ** across)')

    const brochure = editor.locator('li[data-goal="Brochure"]')
    await brochure.locator('button', { hasText: 'Edit' }).click()
    await brochure.locator('input[name=name]').fill('Brochure PDF')
    expect(await brochure.locator('fieldset.goal-history').isHidden()).toBe(true)
    await brochure.locator('button[type=submit]').click()
    await editor.locator('li[data-goal="Brochure PDF"]').waitFor()
    const renamed = (await goalsApi()).find((g) => g.name === 'Brochure PDF')!
    expect(renamed.event_name).toBe('Download')

    const pdf = editor.locator('li[data-goal="Brochure PDF"]')
    await pdf.locator('button', { hasText: 'Edit' }).click()
    await pdf.locator('input[name=definition]').fill('Download PDF')
    await pdf.locator('fieldset.goal-history').waitFor()
    expect(await pdf.locator('fieldset.goal-history input[value=keep]').isChecked()).toBe(true)
    await pdf.locator('button[type=submit]').click()
    const keptName = `Brochure PDF (${today} – ${today})`
    await editor.locator(`li[data-goal="${keptName}"]`).waitFor()
    expect(await editor.locator(`li[data-goal="${keptName}"] .badge.kept`).textContent()).toBe(`old series, counted until ${dayText(today, 'en')}`)
    expect(await editor.locator(`li[data-goal="${keptName}"] button`).allTextContents()).toEqual(['Delete'])
    const after = await goalsApi()
    expect(after.find((g) => g.name === 'Brochure PDF')).toMatchObject({ event_name: 'Download PDF', until: null })
    expect(after.find((g) => g.name === keptName)?.id).toBe(renamed.id)
    expect(after.find((g) => g.name === keptName)?.until).not.toBeNull()
    await expectNoViolations(page, 'settings goals')

    page.once('dialog', (d) => {
      expect(d.message()).toBe(`Delete the goal ${keptName} and all its counts? This cannot be undone.`)
      void d.accept()
    })
    await editor.locator(`li[data-goal="${keptName}"] button`, { hasText: 'Delete' }).click()
    await editor.locator(`li[data-goal="${keptName}"]`).waitFor({ state: 'detached' })
    expect((await goalsApi()).map((g) => g.name)).toEqual(['Signup', 'Purchase', 'Order done', 'Brochure PDF'])
    page.once('dialog', (d) => void d.accept())
    await editor.locator('li[data-goal="Brochure PDF"] button', { hasText: 'Delete' }).click()
    await editor.locator('li[data-goal="Brochure PDF"]').waitFor({ state: 'detached' })
    expect((await goalsApi()).map((g) => g.name)).toEqual(['Signup', 'Purchase', 'Order done'])
  })

  it("says the server's refusal in Latvian", async () => {
    const page = await open('/settings?goals=example.lv', { lang: 'lv' })
    const add = page.locator('#goals-example\\.lv form.goal-add')
    await add.waitFor()
    expect(await page.locator('#goals-example\\.lv .goal-count').textContent()).toBe('3 no 50 mērķiem')
    await add.locator('input[name=definition]').fill('Signup again')
    await add.locator('input[name=name]').fill('Signup')
    await add.locator('button[type=submit]').click()
    await eventually(() => add.locator('[role=alert]:not([hidden])').textContent()).toBe('Mērķis ar nosaukumu „Signup” jau ir.')
    expect((await goalsApi()).map((g) => g.name)).toEqual(['Signup', 'Purchase', 'Order done'])
  })
})

describe('on a 390 px phone', () => {
  it('the goals panel, the goal view and the goals editor fit, in Latvian and English', async () => {
    for (const lang of ['lv', 'en'] as const) {
      const fits = (page: Page, name: string) => expectFitsWidth(page, path.join(ARTIFACTS, `phone-goals-${name}-${lang}.png`), `${name} (${lang})`, 390)
      const plain = await open('/?site=example.lv&period=yesterday', { width: 390, lang })
      await goalsTable(plain)
      await fits(plain, 'panel')
      const view = await open('/?site=example.lv&period=7d&goal=Purchase', { width: 390, lang })
      await eventually(() => view.locator('.tops .goal-since').isVisible()).toBe(true)
      await view.locator('#panel-sources .note.since').waitFor()
      await fits(view, 'view')
      const settings = await open('/settings?goals=example.lv', { width: 390, lang })
      await settings.locator('li[data-goal="Purchase"] button', { hasText: lang === 'en' ? 'Edit' : 'Labot' }).click()
      await settings.locator('li[data-goal="Purchase"] input[name=definition]').fill('Purchase made')
      await settings.locator('fieldset.goal-history').waitFor()
      await fits(settings, 'settings')
    }
    // The refusals asked for above (a range before a goal's declaration, a name taken) are the only errors.
    expect(errors.filter((e) => !/status of (400|409)\b/.test(e))).toEqual([])
  }, 120_000)
})

describe('shared links', () => {
  it('show goals only when made so: the settings offer it, a link without says so in one line', async () => {
    const settings = await open('/settings?tab=shares')
    const form = settings.locator('form', { has: settings.locator('input[name=goals]') })
    await form.locator('select[name=site]').selectOption('example.lv')
    await form.locator('input[name=name]').fill('Board')
    await form.locator('input[name=min_crowd]').fill('2')
    await form.locator('input[name=goals]').check()
    await form.locator('button[type=submit]').click()
    await eventually(async () => (await adminCall(server.url, 'GET', '/api/shares?site=example.lv')).json.map((s: any) => [s.name, s.goals])).toContainEqual(['Board', true])
    await eventually(() => settings.locator('tr', { hasText: 'Board' }).locator('.badge', { hasText: 'goals' }).count()).toBe(1)
    // A link made without goals: the panel says so, and asks nothing it may not.
    const plain = (await adminCall(server.url, 'POST', '/api/shares', { site: 'example.lv', name: 'Plain', min_crowd: 2 })).json
    const page = await open(`${plain.path}?period=yesterday`)
    await page.locator('#panel-goals').scrollIntoViewIfNeeded()
    await eventually(() => page.locator('#panel-goals').textContent()).toContain('This shared link does not show goals.')
    const withGoals = (await adminCall(server.url, 'POST', '/api/shares', { site: 'example.lv', name: 'With goals', min_crowd: 2, goals: true })).json
    const shown = await open(`${withGoals.path}?period=yesterday`)
    expect(await goalsTable(shown)).toEqual(GOALS_YESTERDAY)
  })
})
