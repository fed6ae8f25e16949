// `npm run screenshots [dir]`: pictures of the main views, to look at what a change did. A year
// of synthetic aggregates for a 1,000-pageviews-a-day site (bench/seed.ts), the real server on
// it, the built dashboard in the machine's Chromium; every view at 1440 px and 390 px, in
// English and Latvian, light and dark. Writes PNGs to test-artifacts/screenshots/ (or [dir]).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { build } from 'vite'
import { seedYear, rollUpStaged } from '../bench/seed.ts'
import { seededServerEnv, SKAITS, startProcess } from '../bench/lib.ts'
import { loadConfig } from '../server/config.ts'
import { createDb } from '../server/db/client.ts'
import { migrate } from '../server/db/migrate.ts'
import { Sites } from '../server/sites/sites.ts'
import { addDays, dayOf } from '../server/time.ts'
import { launchChromium } from './helpers/chromium.ts'
import { ownerSession } from './helpers/session.ts'
import { CHROME_UA } from './helpers/skaits.ts'

const ROOT = path.resolve(import.meta.dirname, '..')
const OUT = path.resolve(process.argv[2] ?? path.join(ROOT, 'test-artifacts/screenshots'))
const SITE = 'example.lv'
const KEY = 'screenshots-admin-key-0123456789ab'
const OWNER = { email: 'owner@example.lv', password: 'a long owner passphrase' }
const PHONE_UA =
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36'

setTimeout(() => {
  console.error('screenshots: timed out after 5 minutes')
  process.exit(1)
}, 5 * 60_000).unref()

const dataDir = mkdtempSync(path.join(tmpdir(), 'skaits-screenshots-'))
try {
  const today = dayOf(Date.now(), 'UTC')
  const from = addDays(today, -365)
  const db = createDb(loadConfig({ DATA_DIR: dataDir }))
  await migrate(db)
  const sites = new Sites(db)
  await sites.load()
  await sites.add(SITE, Date.parse(`${from}T00:00:00Z`))
  await seedYear(db, { site: SITE, from, days: 365, pageviewsPerDay: 1_000, liveHours: new Date().getUTCHours() + 1 })
  await rollUpStaged(db)
  await db.close()

  await build({ configFile: path.join(ROOT, 'dashboard/vite.config.ts'), logLevel: 'error' })
  const server = await startProcess(SKAITS, seededServerEnv(dataDir, KEY, OWNER))
  const browser = await launchChromium()
  try {
    const session = await ownerSession(server.url, OWNER)
    const share = await fetch(`${server.url}/api/shares`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ site: SITE, name: 'partner' }),
    })
    const sharePath = ((await share.json()) as { path: string }).path

    const views = [
      { name: 'dashboard-30d', path: `/?site=${SITE}&period=30d`, owner: true, ready: '.chart .u-over' },
      { name: 'dashboard-today', path: `/?site=${SITE}&period=day`, owner: true, ready: '.chart .u-over' },
      { name: 'dashboard-12mo', path: `/?site=${SITE}&period=12mo`, owner: true, ready: '.chart .u-over' },
      { name: 'settings-sites', path: '/settings', owner: true, ready: '.settings-body' },
      { name: 'settings-keys', path: '/settings?tab=keys', owner: true, ready: '.settings-body' },
      { name: 'share', path: sharePath, owner: false, ready: '.chart .u-over' },
      { name: 'login', path: '/', owner: false, ready: 'form' },
    ]
    mkdirSync(OUT, { recursive: true })
    let n = 0
    for (const scheme of ['light', 'dark'] as const) {
      for (const [device, width, height, ua] of [['desktop', 1440, 900, CHROME_UA], ['phone', 390, 844, PHONE_UA]] as const) {
        for (const lang of ['en', 'lv'] as const) {
          const context = await browser.newContext({ viewport: { width, height }, colorScheme: scheme, userAgent: ua, locale: lang === 'lv' ? 'lv-LV' : 'en-GB' })
          for (const v of views) {
            if (v.owner) await context.addCookies([{ name: 'skaits_session', value: session, url: server.url }])
            else await context.clearCookies()
            const page = await context.newPage()
            const url = new URL(v.path, server.url)
            url.searchParams.set('lang', lang)
            await page.goto(url.toString())
            await page.locator(v.ready).first().waitFor({ timeout: 20_000 })
            // Panels load as they are scrolled to: every one is, and has its rows, its "no data"
            // or its refusal, before the whole page is taken.
            for (const panel of await page.locator('.panel').all()) await panel.scrollIntoViewIfNeeded()
            await page.evaluate(() => window.scrollTo(0, 0))
            await page.waitForFunction(
              () => [...document.querySelectorAll('.panel-body')].every((b) => b.querySelector('table, .na, .refused') !== null || /No data|Nav datu/.test(b.textContent ?? '')),
              null,
              { timeout: 20_000 },
            )
            const file = path.join(OUT, `${v.name}-${device}-${lang}-${scheme}.png`)
            await page.screenshot({ path: file, fullPage: true })
            await page.close()
            n++
          }
          await context.close()
        }
      }
    }
    console.log(`${n} screenshots in ${OUT}`)
  } finally {
    await browser.close()
    await server.stop()
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true })
}
