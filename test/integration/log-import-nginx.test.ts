// An access log as a real web server writes it, imported, answers the Stats API with the same
// pageviews, pages, visitors and visits the tracker counted for the same visits (issue 24).
// Real nginx (Debian nginx-light, bound to 127.0.0.1) serves a small static site whose pages
// carry the real tracker (/t.js from the Skaits server); real Chromium walks it as three
// visitors (different real browser User-Agents: they all come from 127.0.0.1); nginx writes
// `combined` lines. The tracker counted those visits live into one site; the log nginx wrote
// is imported into another; the two sites' days must agree.
import { spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { connect, createServer, type AddressInfo } from 'node:net'
import path from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TRACKER_DIR } from '../../server/script/route.ts'
import { addDays, dayOf, startOfDay } from '../../server/time.ts'
import { launchChromium, siteHost } from '../helpers/chromium.ts'
import { uploadImport } from '../helpers/imports.ts'
import { browserUA, query, spawnServer, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

const NGINX = '/usr/sbin/nginx'
const TZ = 'UTC'
const DAY_MS = 86_400_000
/** The site the tracker counts into: the host Chromium reaches nginx by (helpers/chromium.ts maps it to 127.0.0.1). */
const TRACKED = siteHost
/** The site the access log is imported into. */
const IMPORTED = 'site-log.test'
/** The site of the server on the real clock that counts the log as live traffic. */
const LIVE = 'site-live.test'

/**
 * Why the server's clock runs one day ahead of the real one: an import writes closed days
 * only (a record of today is skipped as `open_day`: today's counts are still being made by
 * live traffic and are written by the rollup once the day ends), while the tracker counts into
 * today. To compare like with like in one run, Skaits is given a clock a day ahead: the
 * tracker's events land on its "today" (live counts), the nginx log's lines, stamped with the
 * real time by nginx, land on its "yesterday", a closed day the import writes. Both days are
 * read through the Stats API and must agree.
 */
const clock = () => Date.now() + DAY_MS

/**
 * The site: five pages linking to each other, each pulling in a style sheet, an image and a
 * favicon (assets, which the import must leave out), each with the real tracker.
 */
const PAGES: Record<string, { title: string; links: string[] }> = {
  '/': { title: 'Home', links: ['/about.html', '/products.html'] },
  '/about.html': { title: 'About', links: ['/contact.html', '/'] },
  '/products.html': { title: 'Products', links: ['/widget.html', '/'] },
  '/widget.html': { title: 'Widget', links: ['/contact.html', '/products.html'] },
  '/contact.html': { title: 'Contact', links: ['/'] },
}

/** Each visitor's walk: the first page opened, the rest reached by clicking links. */
const WALKS: { ua: string; pages: string[] }[] = [
  { ua: browserUA(1), pages: ['/', '/about.html', '/contact.html'] },
  { ua: browserUA(2), pages: ['/', '/products.html', '/widget.html', '/contact.html'] },
  { ua: browserUA(3), pages: ['/products.html', '/widget.html'] },
]
const PAGEVIEWS = WALKS.reduce((n, w) => n + w.pages.length, 0)
/** What a crawler sends; the import leaves its lines out as bots (the tracker never sees it: no JavaScript). */
const CRAWLER_UA = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'

let server: RunningSkaits
let browser: Browser
let nginx: ChildProcess | undefined
let nginxExited: Promise<unknown> | undefined
let dir = ''
let origin = ''
let log = ''
let logDay = ''
let trackerDay = ''
const dataDir = tempDir()

async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const { port } = s.address() as AddressInfo
  await new Promise((r) => s.close(r))
  return port
}

/** Whether something accepts connections on the port (a TCP connect: no request, so no log line). */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => (socket.destroy(), resolve(true)))
    socket.once('error', () => resolve(false))
  })
}

function html(p: string): string {
  const { title, links } = PAGES[p]!
  const stats = server.url
  const nav = links.map((to) => `<a id="to-${to === '/' ? 'home' : to.slice(1, -5)}" href="${to}">${to}</a>`).join(' ')
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title>
<link rel="stylesheet" href="/style.css"><link rel="icon" href="/favicon.ico">
<script defer data-domain="${TRACKED}" data-api="${stats}/api/event" data-automation src="${stats}/t.js"></script>
</head><body><h1>${title}</h1><img src="/logo.png" alt="logo" width="16" height="16"><nav>${nav}</nav></body></html>`
}

/** A 1x1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64')

async function stats(site: string, body: Record<string, unknown>, url = server.url) {
  const { status, json } = await query(url, { site_id: site, ...body })
  expect(status, JSON.stringify(json)).toBe(200)
  return json.results as { metrics: number[]; dimensions: string[] }[]
}

const TOTALS = ['visitors', 'visits', 'pageviews', 'bounce_rate']

async function totalsOf(site: string, day: string, url = server.url): Promise<Record<string, number>> {
  const [row] = await stats(site, { metrics: TOTALS, date_range: [day, day] }, url)
  return Object.fromEntries(TOTALS.map((m, i) => [m, row?.metrics[i] ?? 0]))
}

async function breakdownOf(site: string, day: string, dimension: string, metrics: string[], url = server.url) {
  const rows = await stats(site, { metrics, date_range: [day, day], dimensions: [dimension] }, url)
  return Object.fromEntries(rows.map((r) => [r.dimensions[0], r.metrics])) as Record<string, number[]>
}

/** The lines of the log by what the import must make of them, worked out here on their own. */
function expectedSkips(lines: string[]) {
  const re = /^(\S+) \S+ \S+ \[[^\]]+\] "(\S+) (\S+) [^"]*" (\d{3}) \S+ "[^"]*" "([^"]*)"$/
  const out = { count: 0, static: 0, status: 0, method: 0, bot: 0 }
  for (const line of lines) {
    const m = re.exec(line)
    if (!m) throw new Error(`not a combined line: ${line}`)
    const [, , method, target, status, ua] = m
    if (method !== 'GET') out.method++
    else if (!['200', '304'].includes(status!)) out.status++
    else if (/\.(css|png|ico)$/.test(target!)) out.static++
    else if (ua === CRAWLER_UA) out.bot++
    else out.count++
  }
  return out
}

describe('an nginx access log imported answers as the tracker counted the same visits', () => {
  beforeAll(async () => {
    if (!existsSync(NGINX)) throw new Error(`nginx not found at ${NGINX}: apt-get install -y nginx-light`)
    if (!existsSync(path.join(TRACKER_DIR, 't.js'))) throw new Error('the tracker is not built: run `npm run build` (dist/tracker/t.js)')
    // The log's day and the tracker's day are taken once the visits are done: a run that would
    // cross midnight (UTC) waits for it first, so every line of the log lands on one day.
    const untilMidnight = startOfDay(addDays(dayOf(Date.now(), TZ), 1), TZ) - Date.now()
    if (untilMidnight < 90_000) await new Promise((r) => setTimeout(r, untilMidnight + 1000))

    server = await startInProcess({ dataDir, clock, env: { TIMEZONE: TZ, SKAITS_SITES: `${TRACKED},${IMPORTED}` } })
    dir = tempDir('skaits-nginx-site-')
    // nginx's workers may run as another user (nobody, when the test runs as root): they read the site.
    chmodSync(dir, 0o755)
    const www = path.join(dir, 'www')
    mkdirSync(www)
    for (const p of Object.keys(PAGES)) writeFileSync(path.join(www, p === '/' ? 'index.html' : p), html(p))
    writeFileSync(path.join(www, 'style.css'), 'body { font-family: sans-serif }\n')
    writeFileSync(path.join(www, 'logo.png'), PNG)
    writeFileSync(path.join(www, 'favicon.ico'), PNG)
    for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(path.join(dir, d))
    log = path.join(dir, 'access.log')
    const port = await freePort()
    writeFileSync(
      path.join(dir, 'nginx.conf'),
      `worker_processes 1; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/error.log warn;
events { worker_connections 64; }
http {
  types { text/html html; text/css css; image/png png; image/x-icon ico; }
  default_type application/octet-stream;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  access_log ${log} combined;
  server {
    listen 127.0.0.1:${port};
    server_name ${siteHost};
    root ${www};
    index index.html;
    # Every page view reaches nginx (a revalidation is a 304, which counts), never the browser's cache alone.
    add_header Cache-Control no-cache;
  }
}`,
    )
    nginx = spawn(NGINX, ['-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: 'ignore' })
    nginxExited = new Promise((r) => nginx!.once('exit', r))
    const started = Date.now()
    while (!(await accepts(port))) {
      if (nginx.exitCode !== null || Date.now() - started > 10_000) {
        const errors = existsSync(path.join(dir, 'error.log')) ? readFileSync(path.join(dir, 'error.log'), 'utf8') : ''
        throw new Error(`nginx did not start (exit ${nginx.exitCode}):\n${errors}`)
      }
      await new Promise((r) => setTimeout(r, 50))
    }
    origin = `http://${siteHost}:${port}`
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
    if (nginx && nginx.exitCode === null) {
      nginx.kill('SIGQUIT')
      await nginxExited
    }
    await server?.stop()
  })

  it('counts the visits live with the tracker through nginx', async () => {
    for (const walk of WALKS) {
      const context = await browser.newContext({ userAgent: walk.ua })
      const page = await context.newPage()
      const [first, ...rest] = walk.pages
      const opened = await page.goto(origin + first)
      expect(opened?.status()).toBe(200)
      for (const next of rest) {
        await page.waitForLoadState('load')
        const id = next === '/' ? 'home' : next.slice(1, -5)
        await Promise.all([page.waitForURL(origin + next), page.click(`#to-${id}`)])
      }
      await page.waitForLoadState('load')
      await context.close()
    }
    // Requests no tracker sees: a page that is not there, an asset opened directly, a
    // crawler's pages, a HEAD. The import must leave them out too.
    const stray = await browser.newContext({ userAgent: WALKS[2]!.ua })
    const page = await stray.newPage()
    expect((await page.goto(`${origin}/missing.html`))?.status()).toBe(404)
    expect((await page.goto(`${origin}/style.css`))?.status()).toBe(200)
    await stray.close()
    for (const p of ['/', '/about.html']) {
      const res = await fetch(`http://127.0.0.1:${new URL(origin).port}${p}`, { headers: { 'user-agent': CRAWLER_UA } })
      expect(res.status).toBe(200)
      await res.arrayBuffer()
    }
    const head = await fetch(`http://127.0.0.1:${new URL(origin).port}/`, { method: 'HEAD', headers: { 'user-agent': WALKS[0]!.ua } })
    expect(head.status).toBe(200)

    // The tracker's events reach the server as beacons: wait for all of them (bounded).
    const deadline = Date.now() + 15_000
    let seen = 0
    while ((seen = (await stats(TRACKED, { metrics: ['pageviews'], date_range: 'day' }))[0]?.metrics[0] ?? 0) < PAGEVIEWS) {
      if (Date.now() > deadline) throw new Error(`the tracker counted ${seen} pageviews of ${PAGEVIEWS}`)
      await new Promise((r) => setTimeout(r, 100))
    }
    // nginx stopped gracefully has written every line.
    nginx!.kill('SIGQUIT')
    await nginxExited
    trackerDay = dayOf(clock(), TZ)
    logDay = dayOf(Date.now(), TZ)
    expect(addDays(logDay, 1)).toBe(trackerDay)
    expect(await totalsOf(TRACKED, trackerDay)).toMatchObject({ pageviews: PAGEVIEWS, visitors: WALKS.length, visits: WALKS.length })
  })

  it('imports the log nginx wrote and finds the same pageviews, pages, visitors and visits', async () => {
    expect(trackerDay, 'the visits ran').not.toBe('')
    const text = readFileSync(log, 'utf8')
    const lines = text.split('\n').filter(Boolean)
    const expected = expectedSkips(lines)
    expect(expected.count).toBe(PAGEVIEWS)
    expect(expected.static).toBeGreaterThanOrEqual(PAGEVIEWS * 2 + 1)

    const up = await uploadImport(server.url, IMPORTED, text, { source: 'log', file: 'access.log', format: 'combined' })
    expect(up.status, JSON.stringify(up.json)).toBe(201)
    const info = up.json.import
    expect(info).toMatchObject({ status: 'done', source: 'log', from: logDay, to: logDay, days: 1, read: lines.length, errors: [] })
    // Every line not a page view is accounted for, by reason: the assets, the 404, the
    // crawler, the HEAD; none is left for being today's (its day is closed).
    const { count, ...skips } = expected
    expect(info.skipped).toEqual(Object.fromEntries(Object.entries(skips).filter(([, n]) => n > 0)))

    const fromLog = await totalsOf(IMPORTED, logDay)
    const fromTracker = await totalsOf(TRACKED, trackerDay)
    expect(fromLog).toEqual(fromTracker)
    expect(fromLog).toMatchObject({ pageviews: PAGEVIEWS, visitors: WALKS.length, visits: WALKS.length })

    const pages = await breakdownOf(IMPORTED, logDay, 'event:page', ['visitors', 'visits', 'pageviews'])
    expect(pages).toEqual(await breakdownOf(TRACKED, trackerDay, 'event:page', ['visitors', 'visits', 'pageviews']))
    const walked: Record<string, number> = {}
    for (const w of WALKS) for (const p of w.pages) walked[p] = (walked[p] ?? 0) + 1
    expect(Object.fromEntries(Object.entries(pages).map(([p, m]) => [p, m[2]]))).toEqual(walked)
    // (Not the browser or OS: Chromium sends client hints, which name Debian's Chromium on Linux
    // whatever User-Agent a context claims, and the live count believes them; a log has the
    // User-Agent alone.)
    for (const dimension of ['visit:entry_page', 'visit:exit_page']) {
      const imported = await breakdownOf(IMPORTED, logDay, dimension, ['visits'])
      expect(imported, dimension).toEqual(await breakdownOf(TRACKED, trackerDay, dimension, ['visits']))
    }

    // Each site has its own day only: the log's lines were counted on their day, never twice.
    expect((await totalsOf(IMPORTED, trackerDay)).pageviews).toBe(0)
    expect((await totalsOf(TRACKED, logDay)).pageviews).toBe(0)
  })

  it('counts the same log as live traffic, today, with live=1 (a server on the real clock)', async () => {
    expect(trackerDay, 'the visits ran').not.toBe('')
    // Another server, as a process of its own (one embedded engine per process), whose today is
    // the log's day: the import counts today's lines where live traffic goes.
    const live = await spawnServer({ DATA_DIR: tempDir(), TIMEZONE: TZ, SKAITS_SITES: LIVE, FLUSH_INTERVAL_MS: '50' })
    try {
      const text = readFileSync(log, 'utf8')
      const { count, ...skips } = expectedSkips(text.split('\n').filter(Boolean))
      const up = await uploadImport(live.url, LIVE, text, { source: 'log', file: 'access.log', format: 'combined', live: '1' })
      expect(up.status, JSON.stringify(up.json)).toBe(201)
      // Nothing written as a closed day; every page view counted live, the rest skipped as before.
      expect(up.json.import).toMatchObject({ status: 'done', days: 0, errors: [] })
      expect(up.json.import.skipped).toEqual(Object.fromEntries(Object.entries(skips).filter(([, n]) => n > 0)))
      const deadline = Date.now() + 10_000
      let seen: Record<string, number> = {}
      do {
        seen = await totalsOf(LIVE, logDay, live.url)
        if (seen.pageviews === count) break
        await new Promise((r) => setTimeout(r, 100))
      } while (Date.now() < deadline)
      expect(seen).toEqual(await totalsOf(TRACKED, trackerDay))
      for (const dimension of ['event:page', 'visit:entry_page', 'visit:exit_page']) {
        const counted = await breakdownOf(LIVE, logDay, dimension, ['visits', 'pageviews'], live.url)
        expect(counted, dimension).toEqual(await breakdownOf(TRACKED, trackerDay, dimension, ['visits', 'pageviews']))
      }
    } finally {
      expect(await live.stop()).toBe(0)
    }
  })
})
