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
import { ownerSession } from '../test/helpers/session.ts'
import { openFirstView, type FirstView as View } from './first-view.ts'
import { FLUSH_MS, ROOT, SKAITS, seededServerEnv, startProcess, writePageviews } from './lib.ts'
import { countRows, rollUpStaged, seedYear } from './seed.ts'

/**
 * The dashboard's first view of 30 days against a year of synthetic aggregates, for a site with
 * 1,000 and one with 1,000,000 pageviews a day: the real server on the seeded data directory,
 * the real dashboard in Chromium, timed from navigation until every number is on screen. Each
 * view comes after a minute of the site's traffic was written (1 and 694 pageviews), as on a
 * site with visitors, so today's rows are read again. The baseline, measured in the same run,
 * is the same API queries sent straight from Node (no browser, no rendering).
 * Bounded: the seed takes about a minute (BENCH_DATA_DIR keeps it; bench/queries.ts seeds the
 * same sites), each view a second or two; a timer stops it all. The last line printed is JSON.
 */
const SITES = [
  { domain: 'small.bench.lv', label: '1k/day', pageviewsPerDay: 1_000 },
  { domain: 'large.bench.lv', label: '1M/day', pageviewsPerDay: 1_000_000 },
]
const DAYS = 365
const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const KEY = 'bench-admin-key-0123456789abcdef'
const OWNER = { email: 'bench@example.lv', password: 'a long bench passphrase' }

setTimeout(() => {
  console.error('bench/dashboard: timed out after 10 minutes')
  process.exit(1)
}, 10 * 60_000).unref()

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

// BENCH_DATA_DIR keeps the seeded data between runs (seeded once, never deleted).
const kept = process.env.BENCH_DATA_DIR
const dataDir = kept ?? mkdtempSync(path.join(tmpdir(), 'skaits-bench-dashboard-'))
try {
  // 1. A year of aggregates for each site, ending yesterday (today holds its hours so far, unrolled).
  const today = dayOf(Date.now(), 'UTC')
  const from = addDays(today, -DAYS)
  const seedStarted = performance.now()
  const db = createDb(loadConfig({ DATA_DIR: dataDir }))
  await migrate(db)
  const sites = new Sites(db)
  await sites.load()
  let fresh = false
  for (const s of SITES) {
    if (sites.get(s.domain)) continue
    fresh = true
    await sites.add(s.domain, Date.parse(`${from}T00:00:00Z`))
    await seedYear(db, { site: s.domain, from, days: DAYS, pageviewsPerDay: s.pageviewsPerDay, liveHours: new Date().getUTCHours() + 1 })
  }
  if (fresh) await rollUpStaged(db)
  const seeded = Object.fromEntries(await Promise.all(SITES.map(async (s) => [s.label, await countRows(db, s.domain)] as const)))
  await db.close()
  const seedS = (performance.now() - seedStarted) / 1000
  console.log(`seeded ${DAYS} days (${from} … ${addDays(today, -1)}) in ${seedS.toFixed(1)} s:`)
  for (const [label, r] of Object.entries(seeded)) {
    console.log(`  ${label}: ${r.pageviews.toLocaleString('en')} pageviews, counts_hourly ${r.counts_hourly.toLocaleString('en')} rows, visitors_daily ${r.visitors_daily.toLocaleString('en')}`)
  }

  // 2. The current dashboard, and the real server on that data.
  await build({ configFile: path.join(ROOT, 'dashboard/vite.config.ts'), logLevel: 'error' })
  const server = await startProcess(SKAITS, {
    ...seededServerEnv(dataDir, KEY, OWNER),
    // The pageviews written before each view are written within moments (lib.ts, writePageviews).
    FLUSH_INTERVAL_MS: String(FLUSH_MS),
    INGEST_RATE_PER_MINUTE: '0',
    // STATS_CACHE_MB=0 npm run bench:dashboard: the same views with nothing kept, for comparison.
    ...(process.env.STATS_CACHE_MB ? { STATS_CACHE_MB: process.env.STATS_CACHE_MB } : {}),
    LOG_LEVEL: 'info',
  })
  const browser = await launchChromium()
  try {
    const session = await ownerSession(server.url, OWNER)
    const newContext = async () => {
      const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } })
      await context.addCookies([{ name: 'skaits_session', value: session, url: server.url }])
      return context
    }

    const results: Record<string, unknown>[] = []
    for (const site of SITES) {
      const firstView = (page: Page) => openFirstView(page, server.url, `/?site=${site.domain}`)
      const traffic = () => writePageviews(server.url, site.domain, Math.max(1, Math.round(site.pageviewsPerDay / 1440)))

      // 3. First views: the first one of the site meets nothing kept; each opens a fresh browser
      //    context (empty cache, as a first visit), after a minute of traffic. Then the owner's
      //    morning visit: a new tab in a browser that has the (immutable) assets cached already.
      const views: View[] = []
      for (let i = 0; i <= RUNS; i++) {
        if (i > 0) await traffic()
        const context = await newContext()
        views.push(await firstView(await context.newPage()))
        await context.close()
      }
      const [cold, ...warm] = views
      const last = warm.at(-1)!
      const returning = await newContext()
      await (await returning.newPage()).goto(`${server.url}/?site=${site.domain}`)
      const cached: View[] = []
      for (let i = 0; i < RUNS; i++) {
        await traffic()
        const page = await returning.newPage()
        cached.push(await firstView(page))
        await page.close()
      }
      await returning.close()

      // 4. Baseline: the same queries, straight from Node, all at once, after the same traffic.
      const direct: number[] = []
      for (let i = 0; i < RUNS; i++) {
        await traffic()
        const started = performance.now()
        await Promise.all(
          last.api.map(async (a) => {
            const res = a.body
              ? await fetch(`${server.url}/api/v2/query`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: a.body })
              : await fetch(`${server.url}/api/v1/stats/realtime/visitors?site_id=${site.domain}`, { headers: { authorization: `Bearer ${KEY}` } })
            if (!res.ok) throw new Error(`${a.label}: ${res.status} ${await res.text()}`)
            await res.arrayBuffer()
          }),
        )
        direct.push(performance.now() - started)
      }

      console.log(`\n${site.label}: API requests of one first view (30 days), as the dashboard sends them:`)
      console.log(`${'query'.padEnd(62)} ${'ms'.padStart(6)}`)
      for (const a of [...last.api].sort((x, y) => y.ms - x.ms)) console.log(`${a.label.padEnd(62)} ${String(a.ms).padStart(6)}`)
      const firstViewMs = median(warm.map((v) => v.ms))
      const apiOnlyMs = median(direct)
      const cachedMs = median(cached.map((v) => v.ms))
      console.log('\n| | ms | requests (all / API) |')
      console.log('|---|---|---|')
      console.log(`| first view, nothing kept yet | ${cold!.ms.toFixed(0)} | ${cold!.requests} / ${cold!.api.length} |`)
      console.log(`| first view after a minute's traffic, median of ${RUNS} | ${firstViewMs.toFixed(0)} | ${last.requests} / ${last.api.length} |`)
      console.log(`| the same, assets cached (new tab), median of ${RUNS} | ${cachedMs.toFixed(0)} | ${cached.at(-1)!.requests} / ${cached.at(-1)!.api.length} |`)
      console.log(`| baseline: the same API queries from Node, median of ${RUNS} | ${apiOnlyMs.toFixed(0)} | ${last.api.length} |`)
      results.push({
        site: site.label,
        first_view_ms: Math.round(firstViewMs),
        first_view_cold_ms: Math.round(cold!.ms),
        first_view_cached_ms: Math.round(cachedMs),
        requests: last.requests,
        api_requests: last.api.length,
        api_only_ms: Math.round(apiOnlyMs),
        ratio: Number((firstViewMs / apiOnlyMs).toFixed(2)),
        pageviews_per_day: site.pageviewsPerDay,
        counts_hourly_rows: seeded[site.label]!.counts_hourly,
      })
    }
    console.log(JSON.stringify({ goal_ms: 1000, seed_s: Number(seedS.toFixed(1)), stats_cache_mb: process.env.STATS_CACHE_MB ?? 'default', sites: results }))
  } finally {
    await browser.close()
    await server.stop()
  }
} finally {
  if (!kept) rmSync(dataDir, { recursive: true, force: true })
}
