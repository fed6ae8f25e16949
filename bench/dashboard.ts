import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Page } from 'playwright-core'
import { build } from 'vite'
import { loadConfig } from '../server/config.ts'
import { createDb } from '../server/db/client.ts'
import { migrate } from '../server/db/migrate.ts'
import { Sites } from '../server/sites/sites.ts'
import { addDays, dayOf } from '../server/time.ts'
import { launchChromium } from '../test/helpers/chromium.ts'
import { openFirstView, type FirstView as View } from './first-view.ts'
import { ROOT, SKAITS, startProcess } from './lib.ts'
import { countRows, rollUpStaged, seedYear } from './seed.ts'

/**
 * The dashboard's first view of 30 days against a year of synthetic aggregates for a site with
 * 100,000 pageviews a day: the real server on the seeded data directory, the real dashboard in
 * Chromium, timed from navigation until every number is on screen. The baseline, measured in
 * the same run, is the same API queries sent straight from Node (no browser, no rendering).
 * Bounded: the seed takes under a minute, each view a second or two; a timer stops it all.
 * The last line printed is JSON.
 */
const SITE = 'bench.lv'
const DAYS = 365
const PAGEVIEWS_PER_DAY = 100_000
const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const KEY = 'bench-admin-key-0123456789abcdef'
const OWNER = { email: 'bench@example.lv', password: 'a long bench passphrase' }

setTimeout(() => {
  console.error('bench/dashboard: timed out after 10 minutes')
  process.exit(1)
}, 10 * 60_000).unref()

/** Opens the dashboard in a fresh page and waits until all numbers are shown (first-view.ts). */
const firstView = (page: Page, url: string) => openFirstView(page, url, `/?site=${SITE}`)

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

// BENCH_DATA_DIR keeps the seeded data between runs (seeded once, never deleted).
const kept = process.env.BENCH_DATA_DIR
const dataDir = kept ?? mkdtempSync(path.join(tmpdir(), 'skaits-bench-dashboard-'))
try {
  // 1. A year of aggregates, ending yesterday (today is the live, unrolled day).
  const today = dayOf(Date.now(), 'UTC')
  const from = addDays(today, -DAYS)
  const seedStarted = performance.now()
  const db = createDb(loadConfig({ DATA_DIR: dataDir }))
  await migrate(db)
  const sites = new Sites(db)
  await sites.load()
  const fresh = !sites.get(SITE)
  if (fresh) await sites.add(SITE, Date.parse(`${from}T00:00:00Z`))
  if (fresh) {
    await seedYear(db, { site: SITE, from, days: DAYS, pageviewsPerDay: PAGEVIEWS_PER_DAY, liveHours: new Date().getUTCHours() + 1 })
    await rollUpStaged(db)
  }
  const seeded = await countRows(db, SITE)
  await db.close()
  const seedS = (performance.now() - seedStarted) / 1000
  console.log(
    `seeded ${DAYS} days (${from} … ${addDays(today, -1)}) in ${seedS.toFixed(1)} s: ${seeded.pageviews.toLocaleString('en')} pageviews, ` +
      `counts_hourly ${seeded.counts_hourly.toLocaleString('en')} rows, visitors_daily ${seeded.visitors_daily.toLocaleString('en')}, ` +
      `visitors_hourly ${seeded.visitors_hourly.toLocaleString('en')}`,
  )

  // 2. The current dashboard, and the real server on that data.
  await build({ configFile: path.join(ROOT, 'dashboard/vite.config.ts'), logLevel: 'error' })
  const server = await startProcess(SKAITS, {
    DATA_DIR: dataDir,
    SKAITS_API_KEY: KEY,
    SKAITS_ADMIN_EMAIL: OWNER.email,
    SKAITS_ADMIN_PASSWORD: OWNER.password,
    ISP_LOOKUP: 'off',
    // A view's queries, repeated for percentiles, are far more than a person's 120 a minute.
    STATS_RATE_PER_MINUTE: '0',
    LOG_LEVEL: 'info',
  })
  const browser = await launchChromium()
  try {
    const login = await fetch(`${server.url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(OWNER),
    })
    const session = /skaits_session=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')?.[1]
    if (!session) throw new Error(`login failed: ${login.status}`)

    // 3. First views: the first one meets a cold server; each opens a fresh browser context
    //    (empty cache, as a first visit). Then the owner's morning visit: a new tab in a browser
    //    that has the (immutable) assets cached already.
    const newContext = async () => {
      const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } })
      await context.addCookies([{ name: 'skaits_session', value: session, url: server.url }])
      return context
    }
    const views: View[] = []
    for (let i = 0; i <= RUNS; i++) {
      const context = await newContext()
      views.push(await firstView(await context.newPage(), server.url))
      await context.close()
    }
    const [cold, ...warm] = views
    const last = warm.at(-1)!
    const returning = await newContext()
    await (await returning.newPage()).goto(`${server.url}/?site=${SITE}`)
    const cached: View[] = []
    for (let i = 0; i < RUNS; i++) {
      const page = await returning.newPage()
      cached.push(await firstView(page, server.url))
      await page.close()
    }
    await returning.close()

    // 4. Baseline: the same queries, straight from Node, all at once.
    const direct: number[] = []
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now()
      await Promise.all(
        last.api.map(async (a) => {
          const res = a.body
            ? await fetch(`${server.url}/api/v2/query`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: a.body })
            : await fetch(`${server.url}/api/v1/stats/realtime/visitors?site_id=${SITE}`, { headers: { authorization: `Bearer ${KEY}` } })
          if (!res.ok) throw new Error(`${a.label}: ${res.status} ${await res.text()}`)
          await res.arrayBuffer()
        }),
      )
      direct.push(performance.now() - started)
    }

    console.log('\nAPI requests of one first view (30 days), as the dashboard sends them:')
    console.log(`${'query'.padEnd(62)} ${'ms'.padStart(6)}`)
    for (const a of [...last.api].sort((x, y) => y.ms - x.ms)) console.log(`${a.label.padEnd(62)} ${String(a.ms).padStart(6)}`)
    const firstViewMs = median(warm.map((v) => v.ms))
    const apiOnlyMs = median(direct)
    console.log('\n| | ms | requests (all / API) |')
    console.log('|---|---|---|')
    console.log(`| first view, cold server | ${cold!.ms.toFixed(0)} | ${cold!.requests} / ${cold!.api.length} |`)
    console.log(`| first view, median of ${RUNS} | ${firstViewMs.toFixed(0)} | ${last.requests} / ${last.api.length} |`)
    const cachedMs = median(cached.map((v) => v.ms))
    console.log(`| first view, assets cached (new tab), median of ${RUNS} | ${cachedMs.toFixed(0)} | ${cached.at(-1)!.requests} / ${cached.at(-1)!.api.length} |`)
    console.log(`| baseline: the same API queries from Node, median of ${RUNS} | ${apiOnlyMs.toFixed(0)} | ${last.api.length} |`)
    console.log(
      JSON.stringify({
        first_view_ms: Math.round(firstViewMs),
        first_view_cold_ms: Math.round(cold!.ms),
        first_view_cached_ms: Math.round(cachedMs),
        requests: last.requests,
        api_requests: last.api.length,
        api_only_ms: Math.round(apiOnlyMs),
        ratio: Number((firstViewMs / apiOnlyMs).toFixed(2)),
        goal_ms: 1000,
        seed_s: Number(seedS.toFixed(1)),
        pageviews_per_day: PAGEVIEWS_PER_DAY,
        counts_hourly_rows: seeded.counts_hourly,
      }),
    )
  } finally {
    await browser.close()
    await server.stop()
  }
} finally {
  if (!kept) rmSync(dataDir, { recursive: true, force: true })
}
