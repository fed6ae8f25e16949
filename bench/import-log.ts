import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createReadStream, mkdtempSync, openSync, readFileSync, rmSync, statSync, closeSync, writeSync } from 'node:fs'
import os, { tmpdir } from 'node:os'
import path from 'node:path'
import { openImports } from '../server/app.ts'
import { loadConfig } from '../server/config.ts'
import { createDb, queryRows } from '../server/db/client.ts'
import { migrate } from '../server/db/migrate.ts'
import { Sites } from '../server/sites/sites.ts'
import { SUMS } from '../server/vocabulary/metrics.ts'
import { load, ROOT, SKAITS, startProcess } from './lib.ts'

/**
 * The access-log import (issue 24): a realistic combined log of BENCH_LOG_MB MiB (default
 * 1024) is generated into a temporary directory, then imported by the real ImportService on a
 * fresh embedded data directory, as `skaits import log` does without a running server
 * (server/cli/imports.ts, direct mode, through openImports). ISP lookups are off, as in the
 * tests (they go to DNS; the country lookup runs). Each import runs in its own process, whose
 * resident memory is sampled every 100 ms from /proc.
 *
 * Reported: lines/s (every line of the file over the import's wall time, staging and writing
 * included), MB/s, peak RSS (sampled, and the kernel's high-water mark) and the RSS after the
 * import; the same for a log of 1/8 the size (the same traffic per day over 1/8 of the days), so
 * that memory flat in the file's size shows as two similar peaks; and the live path over HTTP
 * measured in the same run (POST /api/event, realistic visits, 10 connections, as
 * bench/ingest.ts), for the ratio import lines/s ÷ live events/s. The goals: ≥ 50,000 lines/s
 * on this 2-core machine, and the big log's peak RSS not growing with its size.
 *
 * The log: ~30,000 visitors a day (addresses from the private ranges 10.0.0.0/8, 172.16.0.0/12
 * and fd00::/8, so no real address appears; the country lookup finds none for them), a few
 * hundred browser User-Agents, a few hundred pages by Zipf's law, referrers and utm links;
 * ~70 % page views, ~25 % assets, ~5 % bots, some 301/404/POST. Its days end the day before
 * yesterday (UTC), so every day is closed. Bounded: about 3 minutes for 1 GiB on this machine
 * (generating the logs ~25 s, the imports ~2 minutes under load, the live path ~20 s). The
 * import's CPU time is reported beside its wall time: lines per CPU second hardly change with
 * the machine's load, lines per second do. The temporary files are removed at the end. The
 * last line printed is JSON.
 */
const LOG_MB = Number(process.env.BENCH_LOG_MB ?? 1024)
const LIVE_SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const SITE = 'example.lv'
const GOAL_LINES_PER_S = 50_000
/** The generated traffic's size per day (calibrated on the generator below): ~23 days make 1 GiB. */
const MB_PER_DAY = 45
const VISITORS_PER_DAY = 30_000
const DAY_MS = 86_400_000

// ---------------------------------------------------------------------------------------------
// The import, in a process of its own (so that its memory is its own): `import-log.ts --child FILE`.

if (process.argv[2] === '--child') {
  const file = process.argv[3]!
  const dir = mkdtempSync(path.join(tmpdir(), 'skaits-bench-import-'))
  try {
    const config = loadConfig({ DATA_DIR: dir, TIMEZONE: 'UTC', ISP_LOOKUP: 'off', PATH: process.env.PATH })
    const db = createDb(config)
    await migrate(db)
    const sites = new Sites(db)
    await sites.load()
    await sites.ensure([SITE])
    // The time the staging inserts take (the engine works on its own threads meanwhile).
    let stagingMs = 0
    const insert = db.insert.bind(db)
    db.insert = (async (...args: Parameters<typeof insert>) => {
      const t = performance.now()
      try {
        return await insert(...args)
      } finally {
        if (args[0].table === 'import_rows') stagingMs += performance.now() - t
      }
    }) as typeof db.insert
    const opened = await openImports(config, db, Date.now)
    const size = statSync(file).size
    let read = 0
    const started = performance.now()
    const cpu = process.cpuUsage()
    // Progress comes every MiB read: the last one is about when the file has been read and staged.
    const info = await opened.imports.run(sites.get(SITE)!, { source: 'log', format: 'combined' }, [{ name: path.basename(file), stream: createReadStream(file), size }], () => {
      read = performance.now()
    })
    const seconds = (performance.now() - started) / 1000
    const cpuUsed = process.cpuUsage(cpu)
    const rssAfter = residentMb(process.pid)
    // BENCH_DIGEST=1: a hash of everything the import wrote, to show a change to the import counts the same.
    const digest = process.env.BENCH_DIGEST ? await written(db) : undefined
    opened.close()
    await db.close()
    const counted = info.read - Object.values(info.skipped).reduce((a, b) => a + (b ?? 0), 0)
    console.log(
      JSON.stringify({
        status: info.status,
        seconds,
        // this process's CPU time (chDB's threads included): the work, whatever the machine's load
        cpu_seconds: (cpuUsed.user + cpuUsed.system) / 1e6,
        read_seconds: read ? (read - started) / 1000 : undefined,
        staging_seconds: stagingMs / 1000,
        read: info.read,
        counted,
        skipped: info.skipped,
        days: info.days.length,
        errors: info.errors.length,
        rss_after_mb: rssAfter.rss,
        hwm_mb: rssAfter.hwm,
        digest,
      }),
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  process.exit(0)
}

/** SHA-256 of the rows an import wrote: counts, and daily and hourly unique visitors, in order. */
async function written(db: ReturnType<typeof createDb>): Promise<string> {
  const hash = createHash('sha256')
  for (const [table, time, values] of [
    ['counts_hourly', 'hour', SUMS.map((s) => `sum(${s})`).join(', ')],
    ['visitors_daily', 'day', 'max(visitors)'],
    ['visitors_hourly', 'hour', 'max(visitors)'],
  ] as const) {
    const rows = await queryRows(db, `SELECT dimension, toString(${time}) AS t, value, ${values} FROM ${table} GROUP BY dimension, t, value ORDER BY dimension, t, value`)
    for (const r of rows) hash.update(JSON.stringify(Object.values(r)) + '\n')
  }
  return hash.digest('hex')
}

/** Resident memory of a process in MB, from /proc (Linux): now, and its high-water mark. */
function residentMb(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const mb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024
  return { rss: mb('VmRSS'), hwm: mb('VmHWM') }
}

// ---------------------------------------------------------------------------------------------
// The log.

/** A deterministic generator (mulberry32), so every run imports the same lines. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A few hundred User-Agents of current browsers, as they send them. */
function browserAgents(): string[] {
  const out: string[] = []
  const desktops = ['Windows NT 10.0; Win64; x64', 'Macintosh; Intel Mac OS X 10_15_7', 'X11; Linux x86_64', 'X11; Ubuntu; Linux x86_64', 'Windows NT 11.0; Win64; x64']
  const phones = ['Linux; Android 14; Pixel 8', 'Linux; Android 13; SM-S911B', 'Linux; Android 14; SM-A546B', 'Linux; Android 12; moto g(60)', 'Linux; Android 10; K']
  for (let v = 112; v <= 131; v++) {
    for (const os of desktops) out.push(`Mozilla/5.0 (${os}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Safari/537.36`)
    for (const os of phones) out.push(`Mozilla/5.0 (${os}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Mobile Safari/537.36`)
    out.push(`Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Safari/537.36 Edg/${v}.0.0.0`)
  }
  for (let v = 115; v <= 133; v++) {
    for (const os of ['Windows NT 10.0; Win64; x64', 'Macintosh; Intel Mac OS X 10.15', 'X11; Linux x86_64', 'X11; Ubuntu; Linux x86_64']) out.push(`Mozilla/5.0 (${os}; rv:${v}.0) Gecko/20100101 Firefox/${v}.0`)
    out.push(`Mozilla/5.0 (Android 14; Mobile; rv:${v}.0) Gecko/${v}.0 Firefox/${v}.0`)
  }
  for (const [ios, safari] of [['16_6', '16.6'], ['17_1', '17.1'], ['17_4', '17.4'], ['17_5', '17.5'], ['17_6', '17.6'], ['18_0', '18.0'], ['18_1', '18.1'], ['18_2', '18.2']] as const) {
    out.push(`Mozilla/5.0 (iPhone; CPU iPhone OS ${ios} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${safari} Mobile/15E148 Safari/604.1`)
    out.push(`Mozilla/5.0 (iPad; CPU OS ${ios} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${safari} Mobile/15E148 Safari/604.1`)
    out.push(`Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${safari} Safari/605.1.15`)
  }
  return out
}

const BOTS = [
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; +http://www.google.com/bot.html) Chrome/131.0.6778.69 Safari/537.36',
  'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
  'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)',
  'Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)',
  'Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)',
  'Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)',
  'curl/8.5.0',
  'python-requests/2.31.0',
  'Go-http-client/1.1',
]

function pageList(): string[] {
  const words = ['privacy', 'analytics', 'cookies', 'self-hosting', 'clickhouse', 'performance', 'dashboards', 'sessions', 'imports', 'goals', 'funnels', 'retention', 'gdpr', 'logs', 'nginx', 'caddy', 'docker', 'backups', 'metrics', 'alerts']
  const pages = ['/', '/pricing', '/about', '/contact', '/blog/', '/docs/', '/changelog', '/features', '/login', '/signup']
  for (let i = 0; i < 180; i++) pages.push(`/blog/20${20 + (i % 6)}/${words[i % words.length]}-${words[(i * 7) % words.length]}-${i}`)
  for (let i = 0; i < 110; i++) pages.push(`/docs/${words[i % words.length]}/${['setup', 'reference', 'faq', 'examples', 'upgrade'][i % 5]}${i >= 100 ? `-${i}` : ''}`)
  return [...new Set(pages)]
}

const ASSETS = ['/assets/app.3f9a1c.js', '/assets/vendor.91bc22.js', '/assets/site.8d1e0f.css', '/img/hero.webp', '/img/logo.svg', '/fonts/inter-var.woff2', '/favicon.ico', '/apple-touch-icon.png']
const SEARCH = ['https://www.google.com/', 'https://www.google.com/', 'https://www.google.lv/', 'https://www.bing.com/', 'https://duckduckgo.com/', 'https://news.ycombinator.com/', 'https://www.reddit.com/r/selfhosted/', 't.co/abc', 'https://github.com/', 'https://lobste.rs/']
const CAMPAIGNS = ['?utm_source=newsletter&utm_medium=email&utm_campaign=december', '?utm_source=mastodon&utm_medium=social', '?ref=producthunt', '?utm_source=twitter&utm_medium=social&utm_campaign=launch&utm_content=thread']
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const pad = (n: number) => (n < 10 ? `0${n}` : String(n))

/** Writes the log: hour by hour, visits starting in the hour, their lines in time order. Returns its lines and bytes. */
function writeLog(file: string, mb: number): { lines: number; bytes: number; days: number; visitorsPerDay: number } {
  const rnd = random(24)
  const agents = browserAgents()
  const pages = pageList()
  const zipf = (n: number) => Math.min(n - 1, Math.floor(n ** rnd()) - 1)
  const pickPage = () => pages[zipf(pages.length)]!
  const pick = <T>(list: readonly T[]) => list[Math.floor(rnd() * list.length)]!
  const days = mb / MB_PER_DAY
  const end = Math.floor(Date.now() / DAY_MS) * DAY_MS - 2 * DAY_MS // the start of the day before yesterday, UTC
  const start = Math.floor(end - days * DAY_MS)
  // A visitor: its address and browser. A tenth of a day's visitors come back the next days.
  const universe = Math.round(VISITORS_PER_DAY * 4)
  const visitorAddress = (v: number) => {
    if (v % 5 === 4) return `fd${((v >> 16) & 0xff).toString(16).padStart(2, '0')}:${(v & 0xffff).toString(16)}:${((v * 2654435761) >>> 16).toString(16)}::${(v % 4093).toString(16)}`
    if (v % 3 === 0) return `172.${16 + ((v >> 16) & 15)}.${(v >> 8) & 255}.${v & 255}`
    return `10.${(v >> 16) & 255}.${(v >> 8) & 255}.${v & 255}`
  }
  const fd = openSync(file, 'w')
  let pending: string[] = []
  let pendingBytes = 0
  let lines = 0
  let bytes = 0
  const flush = () => {
    const text = pending.join('')
    writeSync(fd, text)
    bytes += Buffer.byteLength(text)
    pending = []
    pendingBytes = 0
  }
  // Lines by second since `start`, for two hours ahead: a visit lasts up to ~40 minutes.
  const buckets = new Map<number, string[]>()
  const at = (ms: number, line: string) => {
    const s = Math.floor((ms - start) / 1000)
    let b = buckets.get(s)
    if (!b) buckets.set(s, (b = []))
    b.push(line)
  }
  let stamped = -1
  let stamp = ''
  const line = (ms: number, address: string, method: string, path: string, status: number, size: number, referrer: string, ua: string) => {
    const s = Math.floor(ms / 1000)
    if (s !== stamped) {
      stamped = s
      const d = new Date(ms + 3_600_000) // the server's zone is +0100
      stamp = `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0100`
    }
    return `${address} - - [${stamp}] "${method} ${path} HTTP/${rnd() < 0.6 ? '2.0' : '1.1'}" ${status} ${size} "${referrer || '-'}" "${ua}"\n`
  }
  let emitted = 0
  const emitUntil = (second: number) => {
    for (; emitted < second; emitted++) {
      const b = buckets.get(emitted)
      if (!b) continue
      buckets.delete(emitted)
      for (const l of b) {
        pending.push(l)
        pendingBytes += l.length
        lines++
      }
      if (pendingBytes > 4 << 20) flush()
    }
  }
  const hours = Math.ceil((end - start) / 3_600_000)
  // Distinct visitors a day (for the description of the traffic).
  let seen = new Set<number>()
  const perDay: number[] = []
  for (let h = 0; h < hours; h++) {
    const hourStart = start + h * 3_600_000
    if (h % 24 === 0 && h) {
      perDay.push(seen.size)
      seen = new Set()
    }
    const hourOfDay = new Date(hourStart).getUTCHours()
    // More visitors by day than by night; ~1.25 visits a visitor a day.
    const weight = 0.35 + 0.65 * Math.sin((Math.PI * Math.max(0, hourOfDay - 5)) / 19) ** 2
    const visits = Math.round(((VISITORS_PER_DAY * 1.25) / 24) * weight * 1.55)
    for (let i = 0; i < visits; i++) {
      let t = hourStart + Math.floor(rnd() * 3_600_000)
      if (t >= end) continue
      const visitor = Math.floor(universe * rnd() ** 1.6)
      seen.add(visitor)
      const address = visitorAddress(visitor)
      const ua = agents[(visitor * 31) % agents.length]!
      const campaign = rnd() < 0.06 ? pick(CAMPAIGNS) : ''
      let referrer = rnd() < 0.45 ? '' : pick(SEARCH)
      let n = 1
      while (n < 15 && rnd() < 0.77) n++
      for (let p = 0; p < n; p++) {
        const page = p === 0 && campaign ? `${pickPage()}${campaign}` : pickPage()
        const roll = rnd()
        const [method, status] = roll < 0.02 ? ['GET', 404] : roll < 0.035 ? ['GET', 301] : roll < 0.045 ? ['POST', 200] : ['GET', 200]
        at(t, line(t, address, method, page, status, 2_000 + Math.floor(rnd() * 60_000), referrer, ua))
        // Assets: a few on the visit's first page unless cached from an earlier visit, now and then after.
        const assets = p === 0 ? (rnd() < 0.45 ? 2 : 0) : rnd() < 0.1 ? 1 : 0
        for (let a = 0; a < assets; a++) {
          const asset = pick(ASSETS)
          at(t + 50 + a * 20, line(t + 50 + a * 20, address, 'GET', asset, rnd() < 0.2 ? 304 : 200, 500 + Math.floor(rnd() * 90_000), `https://${SITE}${page}`, ua))
        }
        referrer = `https://${SITE}${page}`
        t += 5_000 + Math.floor(rnd() * 180_000)
        if (t >= end) break
      }
    }
    // Bots: crawlers walking pages, ~5 % of lines.
    const crawls = Math.round(visits * 0.21)
    for (let i = 0; i < crawls; i++) {
      const t = hourStart + Math.floor(rnd() * 3_600_000)
      if (t >= end) continue
      const bot = Math.floor(rnd() * 2000)
      at(t, line(t, `10.250.${bot >> 8}.${bot & 255}`, 'GET', pickPage(), rnd() < 0.05 ? 404 : 200, 3_000 + Math.floor(rnd() * 40_000), '', pick(BOTS)))
    }
    emitUntil(Math.floor((hourStart + 3_600_000 - start) / 1000))
  }
  // What is left: the last hour's visits that went on past it (none past `end`).
  emitUntil(Math.max(0, ...buckets.keys()) + 1)
  flush()
  closeSync(fd)
  if (hours >= 24 && seen.size) perDay.push(Math.round((seen.size * 24) / (hours % 24 || 24)))
  return { lines, bytes, days, visitorsPerDay: Math.round(perDay.reduce((a, b) => a + b, 0) / Math.max(1, perDay.length)) }
}

// ---------------------------------------------------------------------------------------------
// The run. (`import-log.ts --generate FILE MB` only writes a log, e.g. to profile
// `node --cpu-prof --import tsx bench/import-log.ts --child FILE` on it.)

if (process.argv[2] === '--generate') {
  const r = writeLog(process.argv[3]!, Number(process.argv[4] ?? LOG_MB))
  console.log(JSON.stringify(r))
  process.exit(0)
}

interface Imported {
  cpuSeconds: number
  stagingSeconds: number
  lines: number
  bytes: number
  seconds: number
  readSeconds?: number
  linesPerS: number
  mbPerS: number
  peakMb: number
  hwmMb: number
  rssAfterMb: number
  counted: number
  skipped: Record<string, number>
  days: number
}

async function importIn(file: string, lines: number): Promise<Imported> {
  const child = spawn(process.execPath, [...(process.env.BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF}`] : []), '--import', 'tsx', path.join(ROOT, 'bench/import-log.ts'), '--child', file], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let peak = 0
  const sample = () => {
    try {
      peak = Math.max(peak, residentMb(child.pid!).rss)
    } catch {}
  }
  const sampler = setInterval(sample, 100)
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += d))
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  clearInterval(sampler)
  const last = out.trim().split('\n').at(-1) ?? ''
  if (code !== 0) throw new Error(`the import exited with ${code}: ${out.slice(-2000)}`)
  const r = JSON.parse(last)
  if (r.status !== 'done') throw new Error(`the import ended ${r.status}`)
  const bytes = statSync(file).size
  return {
    lines,
    bytes,
    seconds: r.seconds,
    cpuSeconds: r.cpu_seconds,
    stagingSeconds: r.staging_seconds,
    readSeconds: r.read_seconds,
    linesPerS: lines / r.seconds,
    mbPerS: bytes / 2 ** 20 / r.seconds,
    peakMb: Math.max(peak, r.rss_after_mb),
    hwmMb: r.hwm_mb,
    rssAfterMb: r.rss_after_mb,
    counted: r.counted,
    skipped: r.skipped,
    days: r.days,
  }
}

function report(label: string, r: Imported) {
  const skipped = Object.entries(r.skipped)
    .map(([k, n]) => `${k} ${n.toLocaleString('en')}`)
    .join(', ')
  console.log(
    `${label.padEnd(9)} ${(r.bytes / 2 ** 20).toFixed(0).padStart(5)} MiB ${r.lines.toLocaleString('en').padStart(10)} lines in ${r.seconds.toFixed(1)} s ` +
      `(read and staged in ${r.readSeconds?.toFixed(1) ?? '?'} s, then written): ${Math.round(r.linesPerS).toLocaleString('en')} lines/s, ${r.mbPerS.toFixed(1)} MB/s; ` +
      `peak RSS ${r.peakMb.toFixed(0)} MB (high-water ${r.hwmMb.toFixed(0)} MB), after ${r.rssAfterMb.toFixed(0)} MB`,
  )
  console.log(
    `${''.padEnd(9)} CPU ${r.cpuSeconds.toFixed(1)} s (the engine's threads included: ${Math.round(r.lines / r.cpuSeconds).toLocaleString('en')} lines per CPU second); ` +
      `waiting on the staging inserts ${r.stagingSeconds.toFixed(1)} s`,
  )
  console.log(`${''.padEnd(9)} ${r.days} days written; ${r.counted.toLocaleString('en')} page views counted; skipped: ${skipped}`)
}

const work = mkdtempSync(path.join(tmpdir(), 'skaits-bench-log-'))
const started = Date.now()
const load0 = os.loadavg()
try {
  const big = path.join(work, 'access.log')
  const small = path.join(work, 'access-small.log')
  let t = performance.now()
  const smallLog = writeLog(small, LOG_MB / 8)
  const bigLog = writeLog(big, LOG_MB)
  console.log(
    `generated ${(bigLog.bytes / 2 ** 20).toFixed(0)} MiB (${bigLog.lines.toLocaleString('en')} lines, ${bigLog.days.toFixed(1)} days) and ${(smallLog.bytes / 2 ** 20).toFixed(0)} MiB ` +
      `(${smallLog.lines.toLocaleString('en')} lines, ${smallLog.days.toFixed(1)} days) in ${((performance.now() - t) / 1000).toFixed(0)} s, ~${bigLog.visitorsPerDay.toLocaleString('en')} visitors a day; load average ${load0.map((l) => l.toFixed(2)).join(' ')}`,
  )
  const smallResult = await importIn(small, smallLog.lines)
  report('1/8 log', smallResult)
  rmSync(small)
  const bigResult = await importIn(big, bigLog.lines)
  report('log', bigResult)
  rmSync(big)
  const loadImport = os.loadavg()

  // The live path over HTTP, in the same run (as bench/ingest.ts measures it).
  t = performance.now()
  const liveDir = path.join(work, 'live')
  const server = await startProcess(SKAITS, { DATA_DIR: liveDir, SKAITS_SITES: SITE, ISP_LOOKUP: 'off', TRUST_PROXY: '1', INGEST_RATE_PER_MINUTE: '1000000000' })
  let live: number
  try {
    await load(server.url, { durationS: 1, connections: 10, start: 1e7 })
    live = (await load(server.url, { durationS: LIVE_SECONDS, connections: 10, traffic: 'visits', start: 2e7 })).requestsPerSecond
  } finally {
    await server.stop()
  }
  const ratio = bigResult.linesPerS / live
  const flat = bigResult.peakMb / smallResult.peakMb
  const loadEnd = os.loadavg()
  console.log(`live      POST /api/event over HTTP, realistic visits, 10 connections, ${LIVE_SECONDS} s: ${Math.round(live).toLocaleString('en')} events/s`)
  console.log(
    `import ${Math.round(bigResult.linesPerS).toLocaleString('en')} lines/s (goal ≥ ${GOAL_LINES_PER_S.toLocaleString('en')}) = ${ratio.toFixed(1)} × the live path; ` +
      `peak RSS ${bigResult.peakMb.toFixed(0)} MB for ${(bigResult.bytes / 2 ** 20).toFixed(0)} MiB against ${smallResult.peakMb.toFixed(0)} MB for ${(smallResult.bytes / 2 ** 20).toFixed(0)} MiB ` +
      `(×${flat.toFixed(2)} for ×${(bigResult.bytes / smallResult.bytes).toFixed(1)} the size); load average after the imports ${loadImport.map((l) => l.toFixed(2)).join(' ')}, at the end ${loadEnd
        .map((l) => l.toFixed(2))
        .join(' ')}; ${Math.round((Date.now() - started) / 1000)} s in all`,
  )
  const figures = (r: Imported) => ({
    mib: Math.round(r.bytes / 2 ** 20),
    lines: r.lines,
    seconds: Number(r.seconds.toFixed(1)),
    cpu_seconds: Number(r.cpuSeconds.toFixed(1)),
    staging_seconds: Number(r.stagingSeconds.toFixed(1)),
    lines_per_s: Math.round(r.linesPerS),
    mb_per_s: Number(r.mbPerS.toFixed(1)),
    peak_rss_mb: Math.round(r.peakMb),
    hwm_mb: Math.round(r.hwmMb),
    rss_after_mb: Math.round(r.rssAfterMb),
    counted: r.counted,
    days: r.days,
  })
  console.log(
    JSON.stringify({
      lines_per_s: Math.round(bigResult.linesPerS),
      mb_per_s: Number(bigResult.mbPerS.toFixed(1)),
      peak_rss_mb: Math.round(bigResult.peakMb),
      small_peak_rss_mb: Math.round(smallResult.peakMb),
      peak_ratio: Number(flat.toFixed(2)),
      size_ratio: Number((bigResult.bytes / smallResult.bytes).toFixed(2)),
      live_events_per_s: Math.round(live),
      ratio_to_live: Number(ratio.toFixed(1)),
      big: figures(bigResult),
      small: figures(smallResult),
      load_average: { start: load0, after_imports: loadImport, end: loadEnd },
      seconds: Math.round((Date.now() - started) / 1000),
    }),
  )
} finally {
  rmSync(work, { recursive: true, force: true })
}
