// The section rules editor in real Chromium against the real server process: before saving it
// says what saving does to history and asks to confirm; then it shows the background relabel's
// progress with Save disabled, and a second save from another tab meanwhile is refused.
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addDays, dayOf } from '../../server/time.ts'
import { launchChromium } from '../helpers/chromium.ts'
import { ownerSession } from '../helpers/session.ts'
import { builtDashboard } from '../helpers/dashboard-build.ts'
import { seedSectionHistory } from '../helpers/section-history.ts'
import { API_KEY, spawnServer, startInProcess, tempDir, type SpawnedSkaits } from '../helpers/skaits.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')
const ARTIFACTS = path.join(ROOT, 'test-artifacts')
const OWNER = 'owner@example.lv'
const PASSWORD = 'a long owner passphrase'
const env = { DATA_DIR: tempDir(), TIMEZONE: 'UTC', SKAITS_ADMIN_EMAIL: OWNER, SKAITS_ADMIN_PASSWORD: PASSWORD }

let server: SpawnedSkaits
let browser: Browser
const contexts: BrowserContext[] = []
const consoleErrors: string[] = []

/** Polls for up to 10 s: a loaded two-core machine may take a while. */
const eventually = <T>(fn: () => T | Promise<T>, timeout = 10_000) => expect.poll(fn, { timeout })


async function rules(): Promise<unknown[]> {
  const res = await fetch(`${server.url}/api/sites/example.lv/sections`, { headers: { authorization: `Bearer ${API_KEY}` } })
  return ((await res.json()) as { rules: unknown[] }).rules
}

/** A logged-in settings page in `locale`, with example.lv's section rules open. */
async function editor(locale: string, lang: 'en' | 'lv'): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale })
  contexts.push(context)
  const page = await context.newPage()
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`${page.url()}: ${m.text()}`)
  })
  page.on('pageerror', (e) => consoleErrors.push(`${page.url()}: ${e.message}`))
  const session = await ownerSession(server.url, { email: OWNER, password: PASSWORD })
  await context.addCookies([{ name: 'skaits_session', value: session, url: server.url }])
  await page.goto(`${server.url}/settings?lang=${lang}`)
  const row = page.locator('tr', { has: page.locator('th', { hasText: 'example.lv' }) })
  await row.locator('button', { hasText: lang === 'en' ? 'Section rules' : 'Sadaļu noteikumi' }).click()
  await page.locator('textarea[name=rules]').waitFor()
  return page
}

beforeAll(async () => {
  await builtDashboard()
  // Four months of a 200-page site, written while no server holds the data directory.
  const seeding = await startInProcess({ dataDir: env.DATA_DIR, env: { TIMEZONE: 'UTC' }, timers: false })
  await seedSectionHistory(seeding.db, 'example.lv', 120, 200)
  await seeding.stop()
  ;[server, browser] = await Promise.all([spawnServer(env), launchChromium()])
  mkdirSync(ARTIFACTS, { recursive: true })
}, 300_000)

afterAll(async () => {
  for (const c of contexts) await c.close()
  await browser?.close()
  await server?.stop()
})

describe('section rules editor', () => {
  it('says what saving does before it saves, then shows the relabel until it is done', async () => {
    const page = await editor('en-GB', 'en')
    // Another tab, in Latvian, already asked to save, and confirms once the first save runs.
    const other = await editor('lv-LV', 'lv')
    await other.locator('textarea[name=rules]').fill('/s5/** = Pieci')
    await other.locator('form.stack button[type=submit]').click()
    await other.locator('.relabel-warning').waitFor()

    await page.locator('textarea[name=rules]').fill('/s1/** = One\n/s2/p2 = Two')
    await page.locator('form.stack button[type=submit]').click()
    const warning = await page.locator('.relabel-warning').textContent()
    const tomorrow = new Date(`${addDays(dayOf(Date.now(), 'UTC'), 1)}T00:00:00Z`).toLocaleDateString('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short', year: 'numeric' })
    expect(warning).toContain('Pageviews, bounce rate, time on page and scroll depth per section are relabeled for all history')
    expect(warning).toContain(`visitors and visits per section will be known only from ${tomorrow}`)
    expect(warning).toMatch(/This takes about \d+ (s|min), in the background\.$/)
    expect(await rules(), 'nothing is saved before the confirmation').toEqual([])
    await page.screenshot({ path: path.join(ARTIFACTS, 'sections-relabel-warning.png') })

    await page.locator('.relabel-actions button', { hasText: 'Save and relabel' }).click()
    await page.locator('.relabel progress').waitFor()
    expect(await page.locator('form.stack button[type=submit]').isDisabled()).toBe(true)
    expect(await page.locator('.relabel p[role=status]').textContent()).toMatch(/^Relabeling the history: \d+ of [1-9]\d* steps\./)
    expect(await rules()).toEqual([{ match: '/s1/**', section: 'One' }, { match: '/s2/p2', section: 'Two' }])
    await page.screenshot({ path: path.join(ARTIFACTS, 'sections-relabel-progress.png') })

    await other.locator('.relabel-actions button', { hasText: 'Saglabāt un pārmarķēt' }).click()
    await eventually(() => other.locator('.relabel .refused').textContent()).toBe(
      'Vēsture vēl tiek pārmarķēta atbilstoši iepriekš saglabātajiem noteikumiem. Saglabājiet vēlreiz, kad tas būs beidzies.',
    )
    expect(await rules(), 'the second save was refused').toEqual([{ match: '/s1/**', section: 'One' }, { match: '/s2/p2', section: 'Two' }])

    const values: number[] = []
    await eventually(async () => {
      const bar = page.locator('.relabel progress')
      if (await bar.count()) values.push(await bar.evaluate((e) => (e as HTMLProgressElement).value).catch(() => Infinity))
      return page.locator('.relabel').textContent()
    }, 180_000).toBe(`History relabeled. Visitors and visits per section are known from ${tomorrow}.`)
    expect(await page.locator('form.stack button[type=submit]').isDisabled()).toBe(false)
    expect(values.length).toBeGreaterThan(0)
    expect(values.filter(Number.isFinite)).toEqual(values.filter(Number.isFinite).sort((a, b) => a - b))
    // The other tab, which saw the refusal, follows the relabel to its end too.
    await eventually(() => other.locator('.relabel').textContent(), 30_000).toMatch(/^Vēsture pārmarķēta\./)
    expect(consoleErrors.filter((e) => !e.includes('409'))).toEqual([])
  }, 300_000)
})
