import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { startDns } from '../test/helpers/dns.ts'
import { BROWSERS } from '../test/unit/enrich/user-agents.ts'
import { SKAITS, startProcess } from './lib.ts'
import { mulberry32 } from '../test/helpers/random.ts'

/**
 * Soak: the real server (embedded ClickHouse in a temp DATA_DIR) under a steady, paced load of
 * SOAK_RATE events/s for SOAK_SECONDS, on loopback. Every SOAK_SAMPLE_SECONDS it records the
 * server's resident memory (from /proc), V8 heap, event-loop lag, live visits and counts; then
 * it says whether memory stayed flat over the second half, and checks that every pageview
 * answered 202 was counted. Exit code 1 when memory grew at steady state, a request failed or a
 * pageview was lost (requests skipped because the server fell behind are reported, not failed).
 * The last line printed is JSON.
 *
 * What "flat" is judged on. Not RSS itself: a third or more of it is libchdb.so's code
 * (file-backed), and the rest holds V8's spare heap, which V8 keeps growing for the first ~15
 * minutes to fit its GC sawtooth (60 → 230 MB in one 20-minute soak, where 5-minute RSS slopes
 * of a steady server ranged from −14 to +18 MB/min).
 * The verdict takes the two places a leak can be instead: the V8 heap just after major GCs
 * (Skaits' own objects: visits, caches) and anonymous memory outside the V8 heap (chDB's working
 * memory, buffers). RSS and every part are printed.
 *
 * The load is visits, not single hits: visitors arrive (a fifth of them visitors coming back),
 * view a few pages, report engagement and now and then a custom event, then leave. The server
 * forgets a visit SESSION_IDLE_MINUTES after its last event, so with the production 30 minutes
 * the visit map would grow for the whole soak and growth could not be told from a leak. The
 * soak therefore runs with SOAK_SESSION_IDLE_MINUTES (default 2): after about idle + 1 minute
 * (the sweep runs every minute) visits are forgotten as fast as they start. Set it to 30 to
 * see the production case; the verdict then reports V8 heap per added visit instead of judging.
 */
const SECONDS = setting('SOAK_SECONDS', 600)
const RATE = setting('SOAK_RATE', 500)
const SAMPLE_S = setting('SOAK_SAMPLE_SECONDS', 10)
const IDLE_MINUTES = setting('SOAK_SESSION_IDLE_MINUTES', 2)
const SEED = setting('SOAK_SEED', 1)

/**
 * Growth allowed across the judged second half (the fitted slope times its length), MB, for
 * the two places a leak can be. They are the noise of a steady server, measured in a 20-minute
 * soak: the V8 heap after GC wandered within 60–86 MB (its 5-minute slopes from −5 to +5
 * MB/min), chDB's working memory within about 50 MB (−4 to +9.5 MB/min); the limits leave a
 * fifth more. So a 10-minute soak catches leaks of about 6 (V8) and 12 (native) MB/min; a
 * longer SOAK_SECONDS lowers both in proportion (SOAK_SECONDS=3600: 1 and 2 MB/min).
 */
const HEAP_GROWTH_LIMIT_MB = 30
const NATIVE_GROWTH_LIMIT_MB = 60
/** Live visits counted as steady when they change by less than this over the judged window. */
const VISITS_STEADY = 0.1
/** Requests in flight at most; a due request beyond it is skipped and counted (the server fell behind). */
const MAX_IN_FLIGHT = 512
const REQUEST_TIMEOUT_MS = 10_000

const SITES = ['example.lv', 'shop.example.lv']
const USER_AGENTS = [...new Set(BROWSERS.filter((b) => !b.hints).map((b) => b.ua))]
const WIDTHS = [390, 414, 768, 1280, 1440, 1920]
const REFERRERS = ['', '', '', 'https://www.google.com/', 'https://www.google.lv/', 'https://duckduckgo.com/', 'https://www.facebook.com/', 'https://news.ycombinator.com/', 'https://www.delfi.lv/']
const PAGES = ['/', '/pricing', '/about', '/contact', '/blog', ...range(100).map((i) => `/blog/post-${i}`), ...range(40).map((i) => `/docs/page-${i}`)]
const CUSTOM: { n: string; p: Record<string, string> }[] = [
  { n: 'Signup', p: { plan: 'free' } },
  { n: 'Signup', p: { plan: 'pro' } },
  { n: 'Outbound Link: Click', p: { url: 'https://github.com/example/project' } },
  { n: 'File Download', p: { url: 'https://example.lv/files/price-list.pdf' } },
]
/** Public first octets; 2,048 /24 networks (visitors share networks, as they do behind ISPs). */
const OCTETS = [31, 37, 46, 62, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 109, 176, 178, 185, 188, 193, 194, 195, 212]
const NETWORKS = 2048
/** A visitor sends an event every ~10 s on average; this many are browsing at once. */
const ACTIVE_VISITORS = Math.max(10, Math.round(RATE * 10))
const RETURNING_SHARE = 0.2

interface Visitor {
  ip: string
  ua: string
  site: string
  width: number
  page: string
  /** pageviews still to come in this visit */
  left: number
  engaged: boolean
}

interface Hit {
  kind: 'pageview' | 'engagement' | 'custom'
  visitor: Visitor
  body: string
}

interface Sample {
  t: number
  rss_mb: number
  /** anonymous memory: the V8 heap, chDB's and every other allocation */
  anon_mb: number
  /** file-backed pages: mostly the code of libchdb.so (566 MB) paged in as it runs; reclaimable */
  file_mb: number
  /** anonymous memory outside the V8 heap (anon − V8 heap total): chDB, buffers, native code */
  native_mb: number
  heap_used_mb: number
  heap_total_mb: number
  old_space_mb: number
  external_mb: number
  visits: number
  lag_p50_ms: number
  lag_p99_ms: number
  lag_max_ms: number
  cpu_pct: number
  accepted: number
  inserted: number
  dropped: number
  buffer: number
  sent_per_s: number
  non2xx: number
  errors: number
  skipped: number
  p50_ms: number
  p99_ms: number
  client_lag_p99_ms: number
  load1: number
}

// --- the visitors -------------------------------------------------------------------------

const random = mulberry32(SEED)
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!
const active: Visitor[] = []
const recent: Visitor[] = []
let recentNext = 0

function newVisitor(): Visitor {
  const n = Math.floor(random() * NETWORKS)
  const ip = `${OCTETS[n % OCTETS.length]}.${(n / OCTETS.length) | 0}.${(n * 73) & 255}.${1 + Math.floor(random() * 254)}`
  return { ip, ua: pick(USER_AGENTS), site: pick(SITES), width: pick(WIDTHS), page: '', left: 0, engaged: false }
}

/** Pages roughly by popularity: the first pages of the list are seen most. */
const pickPage = () => PAGES[Math.floor(PAGES.length * random() ** 2)]!

function arrive(): Hit {
  const back = recent.length && random() < RETURNING_SHARE ? recent[Math.floor(random() * recent.length)] : undefined
  const v: Visitor = back ? { ...back } : newVisitor()
  v.page = pickPage()
  // 1 + geometric(mean 2) pageviews: many bounces, some long visits.
  v.left = 0
  while (random() < 2 / 3 && v.left < 30) v.left++
  v.engaged = false
  active.push(v)
  const campaign = random() < 0.05 ? '?utm_source=newsletter&utm_medium=email&utm_campaign=november' : ''
  return pageview(v, `https://${v.site}${v.page}${campaign}`, pick(REFERRERS))
}

function pageview(v: Visitor, url: string, referrer: string): Hit {
  return { kind: 'pageview', visitor: v, body: JSON.stringify({ n: 'pageview', u: url, d: v.site, r: referrer || null, w: v.width }) }
}

/** The next event of a visitor already browsing, or undefined when the visit ends here. */
function proceed(v: Visitor): Hit | undefined {
  const url = `https://${v.site}${v.page}`
  if (!v.engaged && random() < 0.8) {
    v.engaged = true
    const body = { n: 'engagement', u: url, d: v.site, e: 1000 + Math.floor(random() * 120_000), sd: Math.floor(random() * 101) }
    return { kind: 'engagement', visitor: v, body: JSON.stringify(body) }
  }
  if (random() < 0.08) {
    const c = pick(CUSTOM)
    return { kind: 'custom', visitor: v, body: JSON.stringify({ n: c.n, u: url, d: v.site, p: c.p }) }
  }
  if (v.left <= 0) return undefined
  v.left--
  v.page = pickPage()
  v.engaged = false
  return pageview(v, `https://${v.site}${v.page}`, url)
}

function nextHit(): Hit {
  for (;;) {
    if (active.length < ACTIVE_VISITORS) return arrive()
    const i = Math.floor(random() * active.length)
    const v = active[i]!
    const hit = proceed(v)
    if (hit) return hit
    active[i] = active[active.length - 1]!
    active.pop()
    if (recent.length < 20_000) recent.push(v)
    else recent[recentNext++ % recent.length] = v
  }
}

// --- the load -----------------------------------------------------------------------------

const tally = { sent: 0, non2xx: 0, errors: 0, skipped: 0, latencies: [] as number[] }
const totals = { sent: 0, errors: 0, skipped: 0, statuses: {} as Record<string, number>, pageviews202: 0, latencies: [] as number[] }
let inFlight = 0

function send(port: number, agent: Agent, hit: Hit): void {
  inFlight++
  tally.sent++
  totals.sent++
  const started = performance.now()
  let done = false
  const finish = (status: number) => {
    if (done) return
    done = true
    inFlight--
    const ms = performance.now() - started
    if (status < 0) {
      tally.errors++
      totals.errors++
      return
    }
    tally.latencies.push(ms)
    totals.latencies.push(ms)
    totals.statuses[status] = (totals.statuses[status] ?? 0) + 1
    if (status < 200 || status > 299) tally.non2xx++
    else if (status === 202 && hit.kind === 'pageview') totals.pageviews202++
  }
  const req = request(
    {
      agent,
      hostname: '127.0.0.1',
      port,
      path: '/api/event',
      method: 'POST',
      headers: {
        'content-type': 'text/plain',
        'content-length': Buffer.byteLength(hit.body),
        'user-agent': hit.visitor.ua,
        'x-forwarded-for': hit.visitor.ip,
      },
    },
    (res) => {
      res.resume()
      res.on('end', () => finish(res.statusCode ?? -1))
      res.on('error', () => finish(-1))
    },
  )
  req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error('timeout')))
  req.on('error', () => finish(-1))
  req.end(hit.body)
}

/** Sends `RATE` events a second, evenly (every 5 ms), for `SECONDS`; resolves when all are due. */
function pace(port: number, agent: Agent, stop: { requested: boolean }): Promise<void> {
  const total = Math.round(RATE * SECONDS)
  const started = performance.now()
  let scheduled = 0
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      const due = stop.requested ? scheduled : Math.min(total, Math.floor(((performance.now() - started) / 1000) * RATE))
      for (; scheduled < due; scheduled++) {
        if (inFlight >= MAX_IN_FLIGHT) {
          tally.skipped++
          totals.skipped++
          continue
        }
        send(port, agent, nextHit())
      }
      if (scheduled >= total || stop.requested) {
        clearInterval(timer)
        resolve()
      }
    }, 5)
  })
}

// --- the server's figures -----------------------------------------------------------------

async function scrape(url: string): Promise<Map<string, number>> {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) })
  if (!res.ok) throw new Error(`/metrics answered ${res.status}`)
  const values = new Map<string, number>()
  for (const line of (await res.text()).split('\n')) {
    if (!line || line.startsWith('#')) continue
    const space = line.lastIndexOf(' ')
    values.set(line.slice(0, space), Number(line.slice(space + 1)))
  }
  return values
}

function metric(m: Map<string, number>, name: string): number {
  const v = m.get(name)
  if (v === undefined) throw new Error(`/metrics has no ${name}`)
  return v
}

function sumOf(m: Map<string, number>, name: string): number {
  let sum = 0
  for (const [k, v] of m) if (k === name || k.startsWith(`${name}{`)) sum += v
  return sum
}

/** Resident memory of a process in MB, from /proc/<pid>/status (Linux). */
function procMemory(pid: number | undefined): { rss: number; peak: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const mb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) / 1024
  return { rss: mb('VmRSS'), peak: mb('VmHWM'), anon: mb('RssAnon'), file: mb('RssFile') + mb('RssShmem') }
}

const P = 'skaits_process_' // the prefix server/metrics gives prom-client's default metrics
const MB = 1024 * 1024

// --- statistics ---------------------------------------------------------------------------

function percentile(values: number[], p: number): number {
  if (!values.length) return 0
  const sorted = Float64Array.from(values).sort()
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

interface Fit {
  slope: number
  se: number
}

/** Least-squares slope of y over x, and its standard error. */
function fit(xs: number[], ys: number[]): Fit {
  const n = xs.length
  const mx = xs.reduce((a, b) => a + b, 0) / n
  const my = ys.reduce((a, b) => a + b, 0) / n
  let sxx = 0
  let sxy = 0
  for (let i = 0; i < n; i++) {
    sxx += (xs[i]! - mx) ** 2
    sxy += (xs[i]! - mx) * (ys[i]! - my)
  }
  const slope = sxy / sxx
  let sse = 0
  for (let i = 0; i < n; i++) sse += (ys[i]! - my - slope * (xs[i]! - mx)) ** 2
  return { slope, se: n > 2 ? Math.sqrt(sse / (n - 2) / sxx) : NaN }
}

interface Trends {
  rss: Fit
  anon: Fit
  file: Fit
  native: Fit
  heap: Fit
  /** over the samples taken just after a major GC, when there are at least 3 */
  heapFloor: Fit | undefined
  floors: number
  visits: Fit
}

/** Slopes per minute of every memory figure over `list`; `afterGc` marks samples taken after a major GC. */
function trends(list: Sample[], afterGc: Set<Sample>): Trends | undefined {
  if (list.length < 3) return undefined
  const over = (l: Sample[], f: (s: Sample) => number) => fit(l.map((s) => s.t / 60), l.map(f))
  const floors = list.filter((s) => afterGc.has(s))
  return {
    rss: over(list, (s) => s.rss_mb),
    anon: over(list, (s) => s.anon_mb),
    file: over(list, (s) => s.file_mb),
    native: over(list, (s) => s.native_mb),
    heap: over(list, (s) => s.heap_used_mb),
    heapFloor: floors.length >= 3 ? over(floors, (s) => s.heap_used_mb) : undefined,
    floors: floors.length,
    visits: over(list, (s) => s.visits),
  }
}

// --- the run ------------------------------------------------------------------------------

const dataDir = mkdtempSync(path.join(tmpdir(), 'skaits-soak-'))
// ISP lookups go to a DNS server on loopback (answering NXDOMAIN), never to the machine's resolvers.
const dns = await startDns({})
const API_KEY = 'soak-bench-admin-key-0123456789'
const server = await startProcess(SKAITS, {
  DATA_DIR: dataDir,
  SKAITS_SITES: SITES.join(','),
  SKAITS_API_KEY: API_KEY,
  TRUST_PROXY: '1',
  DNS_SERVERS: dns.server,
  METRICS_PUBLIC: '1',
  SESSION_IDLE_MINUTES: String(IDLE_MINUTES),
  // The limiter stays on (its memory is part of the soak) but never refuses: 2,048 networks share the load.
  INGEST_RATE_PER_MINUTE: '1000000000',
}).catch(async (err: unknown) => {
  await dns.close()
  rmSync(dataDir, { recursive: true, force: true })
  throw err
})
const pid = server.proc.pid
const serverLog = { warnings: 0, errors: 0, last: [] as string[] }
server.proc.stdout!.on('data', (chunk: Buffer) => {
  for (const line of chunk.toString().split('\n')) {
    const level = Number(/"level":(\d+)/.exec(line)?.[1] ?? 0)
    if (level < 40) continue
    if (level >= 50) serverLog.errors++
    else serverLog.warnings++
    serverLog.last = [...serverLog.last.slice(-4), line.slice(0, 300)]
  }
})

const clientLag = monitorEventLoopDelay({ resolution: 10 })
clientLag.enable()
const agent = new Agent({ keepAlive: true, maxSockets: 32, scheduling: 'fifo' })
const port = Number(new URL(server.url).port)
const stop = { requested: false }
process.once('SIGINT', () => (stop.requested = true))
const samples: Sample[] = []
let lastCpu = 0
let lastAt = 0
const dayAt = (ms: number) => new Date(ms).toISOString().slice(0, 10)
const firstDay = dayAt(Date.now())

async function sample(t: number): Promise<Sample> {
  const m = await scrape(server.url)
  const mem = procMemory(pid)
  const now = performance.now()
  const cpu = metric(m, `${P}process_cpu_seconds_total`)
  const heapTotal = metric(m, `${P}nodejs_heap_size_total_bytes`) / MB
  const s: Sample = {
    t,
    rss_mb: mem.rss,
    anon_mb: mem.anon,
    file_mb: mem.file,
    native_mb: mem.anon - heapTotal,
    heap_used_mb: metric(m, `${P}nodejs_heap_size_used_bytes`) / MB,
    heap_total_mb: heapTotal,
    old_space_mb: metric(m, `${P}nodejs_heap_space_size_used_bytes{space="old"}`) / MB,
    external_mb: metric(m, `${P}nodejs_external_memory_bytes`) / MB,
    visits: metric(m, 'skaits_visits_in_memory'),
    // prom-client's histogram of the last scrape interval (reset at each scrape).
    lag_p50_ms: metric(m, `${P}nodejs_eventloop_lag_p50_seconds`) * 1000,
    lag_p99_ms: metric(m, `${P}nodejs_eventloop_lag_p99_seconds`) * 1000,
    lag_max_ms: metric(m, `${P}nodejs_eventloop_lag_max_seconds`) * 1000,
    cpu_pct: lastAt ? ((cpu - lastCpu) / ((now - lastAt) / 1000)) * 100 : 0,
    accepted: metric(m, 'skaits_events_accepted_total'),
    inserted: metric(m, 'skaits_events_inserted_total'),
    dropped: sumOf(m, 'skaits_events_dropped_total'),
    buffer: metric(m, 'skaits_buffer_depth'),
    sent_per_s: tally.sent / SAMPLE_S,
    non2xx: tally.non2xx,
    errors: tally.errors,
    skipped: tally.skipped,
    p50_ms: percentile(tally.latencies, 50),
    p99_ms: percentile(tally.latencies, 99),
    client_lag_p99_ms: clientLag.percentile(99) / 1e6,
    load1: loadavg()[0]!,
  }
  lastCpu = cpu
  lastAt = now
  tally.sent = tally.non2xx = tally.errors = tally.skipped = 0
  tally.latencies = []
  clientLag.reset()
  return s
}

const COLUMNS: [string, (s: Sample) => string][] = [
  ['t s', (s) => String(s.t)],
  ['RSS MB', (s) => s.rss_mb.toFixed(1)],
  ['file MB', (s) => s.file_mb.toFixed(1)],
  ['native', (s) => s.native_mb.toFixed(1)],
  ['heap MB', (s) => s.heap_used_mb.toFixed(1)],
  ['visits', (s) => String(s.visits)],
  ['lag p50', (s) => s.lag_p50_ms.toFixed(1)],
  ['lag p99', (s) => s.lag_p99_ms.toFixed(1)],
  ['lag max', (s) => s.lag_max_ms.toFixed(1)],
  ['CPU %', (s) => s.cpu_pct.toFixed(0)],
  ['sent/s', (s) => s.sent_per_s.toFixed(0)],
  ['p99 ms', (s) => s.p99_ms.toFixed(1)],
  ['non-2xx', (s) => String(s.non2xx + s.errors)],
  ['skipped', (s) => String(s.skipped)],
  ['accepted', (s) => String(s.accepted)],
  ['inserted', (s) => String(s.inserted)],
  ['buffer', (s) => String(s.buffer)],
  ['load1', (s) => s.load1.toFixed(2)],
]
const printRow = (cells: string[]) => console.log(cells.map((c, i) => c.padStart(Math.max(7, COLUMNS[i]![0].length))).join(' '))

let failed = false
try {
  console.log(
    `soak: ${SECONDS} s at ${RATE} events/s, a sample every ${SAMPLE_S} s; visits forgotten after ${IDLE_MINUTES} min idle; ` +
      `${ACTIVE_VISITORS} visitors browsing at once; server pid ${pid}, ${server.url}`,
  )
  console.log(
    'lag: server event-loop delay over the interval (prom-client, 10 ms sampling: an idle loop reads ~10 ms); native: anonymous memory outside the V8 heap; ' +
      'file: file-backed (libchdb.so code); non-2xx includes connection errors; skipped: not sent, 512 already in flight',
  )
  printRow(COLUMNS.map(([name]) => name))
  // The lag histogram has run since start (migrations): a first scrape resets it, then an idle interval.
  await sample(0)
  await new Promise((r) => setTimeout(r, 2000))
  tally.sent = 0
  const idle = await sample(0)
  printRow(COLUMNS.map(([, f]) => f(idle)))
  const loadStart = Date.now()
  const loading = pace(port, agent, stop)
  for (let k = 1; k * SAMPLE_S <= SECONDS && !stop.requested; k++) {
    await new Promise((r) => setTimeout(r, Math.max(0, loadStart + k * SAMPLE_S * 1000 - Date.now())))
    const s = await sample(k * SAMPLE_S)
    samples.push(s)
    printRow(COLUMNS.map(([, f]) => f(s)))
  }
  await loading
  for (const giveUpAt = Date.now() + REQUEST_TIMEOUT_MS + 1000; inFlight > 0 && Date.now() < giveUpAt; ) await new Promise((r) => setTimeout(r, 50))
  // Everything accepted is inserted before counts are compared.
  let drained = await scrape(server.url)
  for (const giveUpAt = Date.now() + 15_000; metric(drained, 'skaits_buffer_depth') > 0 && Date.now() < giveUpAt; ) {
    await new Promise((r) => setTimeout(r, 250))
    drained = await scrape(server.url)
  }
  const lastDay = dayAt(Date.now())
  let counted = 0
  for (const site of SITES) {
    const res = await fetch(`${server.url}/api/v2/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ site_id: site, metrics: ['pageviews'], date_range: [firstDay, lastDay] }),
    })
    const json = (await res.json()) as { results?: { metrics: (number | null)[] }[] }
    counted += json.results?.[0]?.metrics[0] ?? 0
  }
  const peak = procMemory(pid).peak

  // --- the verdict ---
  const loaded = samples.filter((s) => s.t > 0)
  // Just after a major GC (old space shrank) the heap is close to its live size, without V8's sawtooth.
  const afterGc = new Set(loaded.filter((s, i) => i > 0 && s.old_space_mb < loaded[i - 1]!.old_space_mb))
  // Halves of the time actually run (an interrupted soak is judged on what it has).
  const half = (loaded.at(-1)?.t ?? 0) / 2
  const second = trends(loaded.filter((s) => s.t >= half), afterGc)
  const first = trends(loaded.filter((s) => s.t < half), afterGc)
  const judged = loaded.filter((s) => s.t >= half)
  const span = judged.length ? (judged.at(-1)!.t - judged[0]!.t) / 60 : 0
  const meanVisits = judged.reduce((a, s) => a + s.visits, 0) / Math.max(1, judged.length)
  const visitsSteady = second !== undefined && Math.abs(second.visits.slope * span) <= VISITS_STEADY * Math.max(meanVisits, 1)
  const heapTrend = second && (second.heapFloor ?? second.heap)
  const heapLimit = HEAP_GROWTH_LIMIT_MB / Math.max(span, 1e-9)
  const nativeLimit = NATIVE_GROWTH_LIMIT_MB / Math.max(span, 1e-9)
  const growing =
    second && visitsSteady
      ? [heapTrend!.slope >= heapLimit && 'V8 heap', second.native.slope >= nativeLimit && 'native (outside the V8 heap)'].filter((x) => x !== false)
      : []
  const verdict = !second ? 'too short' : !visitsSteady ? 'not judged' : growing.length ? 'growing' : 'flat'
  // Only meaningful while visits grow (the production idle time) and after GC: otherwise it divides noise by noise.
  const bytesPerVisit =
    second?.heapFloor && !visitsSteady && second.visits.slope > 0 ? (second.heapFloor.slope * MB) / second.visits.slope : undefined
  const failures = totals.errors + Object.entries(totals.statuses).filter(([s]) => !s.startsWith('2')).reduce((a, [, n]) => a + n, 0)
  const accepted = metric(drained, 'skaits_events_accepted_total')
  const mean = (f: (s: Sample) => number) => loaded.reduce((a, s) => a + f(s), 0) / Math.max(1, loaded.length)
  const max = (f: (s: Sample) => number) => Math.max(0, ...loaded.map(f))
  const last = loaded.at(-1)

  console.log('')
  console.log(
    `sent ${totals.sent} events in ${((Date.now() - loadStart) / 1000).toFixed(0)} s; statuses ${JSON.stringify(totals.statuses)}; ` +
      `errors ${totals.errors}; skipped ${totals.skipped}; latency p50 ${percentile(totals.latencies, 50).toFixed(1)} ms, p99 ${percentile(totals.latencies, 99).toFixed(1)} ms`,
  )
  console.log(
    `server: accepted ${accepted}, inserted ${metric(drained, 'skaits_events_inserted_total')} rows (visits' ISP rows included), ` +
      `dropped ${sumOf(drained, 'skaits_events_dropped_total')}, buffer ${metric(drained, 'skaits_buffer_depth')}; ` +
      `pageviews answered 202: ${totals.pageviews202}, counted by the Stats API: ${counted}${counted === totals.pageviews202 ? ' (equal)' : ' (DIFFERENT)'}`,
  )
  console.log(
    `server lag: mean p50 ${mean((s) => s.lag_p50_ms).toFixed(1)} ms, mean p99 ${mean((s) => s.lag_p99_ms).toFixed(1)} ms, worst max ${max((s) => s.lag_max_ms).toFixed(1)} ms; ` +
      `CPU mean ${mean((s) => s.cpu_pct).toFixed(0)} %; machine load average mean ${mean((s) => s.load1).toFixed(2)}, max ${max((s) => s.load1).toFixed(2)}; ` +
      `client lag p99 worst ${max((s) => s.client_lag_p99_ms).toFixed(1)} ms; server log: ${serverLog.warnings} warnings, ${serverLog.errors} errors`,
  )
  for (const line of serverLog.last) console.log(`  server log: ${line}`)
  if (last) {
    console.log(
      `memory: RSS ${idle.rss_mb.toFixed(1)} MB idle → ${last.rss_mb.toFixed(1)} MB at the end (peak ${peak?.toFixed(1) ?? '?'} MB); ` +
        `anonymous ${idle.anon_mb.toFixed(1)} → ${last.anon_mb.toFixed(1)}, file-backed (mostly libchdb.so code) ${idle.file_mb.toFixed(1)} → ${last.file_mb.toFixed(1)}, ` +
        `native ${idle.native_mb.toFixed(1)} → ${last.native_mb.toFixed(1)}, V8 heap used ${idle.heap_used_mb.toFixed(1)} → ${last.heap_used_mb.toFixed(1)} MB; visits ${last.visits}`,
    )
  }
  const fmt = (f: Fit | undefined) => (f ? `${f.slope >= 0 ? '+' : ''}${f.slope.toFixed(2)} ± ${f.se.toFixed(2)}` : 'n/a')
  const describe = (name: string, t: Trends | undefined) =>
    t &&
    console.log(
      `${name}: RSS ${fmt(t.rss)}, anonymous ${fmt(t.anon)}, file-backed ${fmt(t.file)}, native ${fmt(t.native)}, ` +
        `V8 heap after GC ${fmt(t.heapFloor)} (${t.floors} samples), V8 heap all samples ${fmt(t.heap)} MB/min; visits ${fmt(t.visits)} /min`,
    )
  console.log('slopes in MB/min (least squares ± standard error; the error assumes independent samples and understates slow wander):')
  describe(`  first half  (t < ${half} s)`, first)
  describe(`  second half (t ≥ ${half} s)`, second)
  const limits =
    `limits: fitted growth over the second half (${span.toFixed(1)} min) below ${HEAP_GROWTH_LIMIT_MB} MB for the V8 heap after GC ` +
    `(${heapLimit.toFixed(1)} MB/min) and ${NATIVE_GROWTH_LIMIT_MB} MB native (${nativeLimit.toFixed(1)} MB/min); ` +
    `RSS is not judged: it also holds V8's spare heap, which grows with the GC sawtooth for the first ~15 minutes` +
    `${second && !second.heapFloor ? '; fewer than 3 samples after a major GC, so the V8 heap is judged on all samples' : ''}`
  const grew = second
    ? `fitted growth over the second half: V8 heap after GC ${(heapTrend!.slope * span).toFixed(1)} MB, native ${(second.native.slope * span).toFixed(1)} MB, RSS ${(second.rss.slope * span).toFixed(1)} MB`
    : ''
  if (verdict === 'flat') console.log(`verdict: memory FLAT; ${grew} (${limits})`)
  else if (verdict === 'growing') console.log(`verdict: memory GROWING at steady state (${growing.join(', ')}), live visits steady; ${grew} (${limits})`)
  else if (verdict === 'not judged')
    console.log(
      `verdict: NOT JUDGED: live visits were not steady (${judged[0]!.visits} → ${judged.at(-1)!.visits}), so growth cannot be told from a leak` +
        `${bytesPerVisit !== undefined && bytesPerVisit > 0 ? ` (≈ ${bytesPerVisit.toFixed(0)} bytes of V8 heap per added visit, leak or not)` : ''}; ` +
        `a longer soak or a shorter SOAK_SESSION_IDLE_MINUTES reaches a steady state (${limits})`,
    )
  else console.log(`verdict: too short to judge (fewer than 3 samples in the second half)`)
  failed = verdict === 'growing' || failures > 0 || counted !== totals.pageviews202

  const round = (n: number, d = 2) => Number(n.toFixed(d))
  const fitJson = (f: Fit | undefined) => (f ? [round(f.slope, 3), round(f.se, 3)] : null)
  const trendsJson = (t: Trends | undefined) =>
    t && {
      rss: fitJson(t.rss),
      anon: fitJson(t.anon),
      file: fitJson(t.file),
      native: fitJson(t.native),
      heap_after_gc: fitJson(t.heapFloor),
      heap_after_gc_samples: t.floors,
      heap: fitJson(t.heap),
      visits: fitJson(t.visits),
    }
  console.log(
    JSON.stringify({
      seconds: SECONDS,
      rate: RATE,
      sample_s: SAMPLE_S,
      session_idle_minutes: IDLE_MINUTES,
      seed: SEED,
      verdict,
      growing,
      heap_growth_limit_mb: HEAP_GROWTH_LIMIT_MB,
      native_growth_limit_mb: NATIVE_GROWTH_LIMIT_MB,
      judged_minutes: round(span),
      // [slope MB/min (visits: per min), standard error]
      second_half: trendsJson(second),
      first_half: trendsJson(first),
      heap_bytes_per_added_visit: bytesPerVisit === undefined ? null : Math.round(bytesPerVisit),
      rss_idle_mb: round(idle.rss_mb, 1),
      rss_end_mb: last ? round(last.rss_mb, 1) : null,
      rss_peak_mb: peak === undefined ? null : round(peak, 1),
      native_idle_mb: round(idle.native_mb, 1),
      native_end_mb: last ? round(last.native_mb, 1) : null,
      heap_idle_mb: round(idle.heap_used_mb, 1),
      heap_end_mb: last ? round(last.heap_used_mb, 1) : null,
      visits_end: last?.visits ?? null,
      sent: totals.sent,
      statuses: totals.statuses,
      errors: totals.errors,
      skipped: totals.skipped,
      p50_ms: round(percentile(totals.latencies, 50)),
      p99_ms: round(percentile(totals.latencies, 99)),
      accepted,
      inserted: metric(drained, 'skaits_events_inserted_total'),
      dropped: sumOf(drained, 'skaits_events_dropped_total'),
      pageviews_202: totals.pageviews202,
      pageviews_counted: counted,
      lag_p50_ms_mean: round(mean((s) => s.lag_p50_ms)),
      lag_p99_ms_mean: round(mean((s) => s.lag_p99_ms)),
      lag_max_ms: round(max((s) => s.lag_max_ms)),
      cpu_pct_mean: round(mean((s) => s.cpu_pct), 0),
      load1_mean: round(mean((s) => s.load1)),
      load1_max: round(max((s) => s.load1)),
      server_warnings: serverLog.warnings,
      server_errors: serverLog.errors,
      interrupted: stop.requested,
      crossed_midnight_utc: firstDay !== lastDay,
      sample_fields: Object.keys(idle),
      samples: [idle, ...samples].map((s) => Object.values(s).map((v) => round(v))),
    }),
  )
} finally {
  clientLag.disable()
  agent.destroy()
  await server.stop()
  await dns.close()
  rmSync(dataDir, { recursive: true, force: true })
}
if (failed) process.exitCode = 1

function setting(name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}: expected a positive number, got "${raw}"`)
  return n
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i)
}

