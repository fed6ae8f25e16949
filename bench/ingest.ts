import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startDns } from '../test/helpers/dns.ts'
import { load, SKAITS, startProcess, type LoadResult, type Traffic } from './lib.ts'

/**
 * Ingest throughput and latency of POST /api/event against a bare Hono endpoint that only
 * parses the JSON and answers 202, both measured here, one after the other, on loopback,
 * with the same load generator (autocannon, 10 keep-alive connections); the bare endpoint's
 * saturated runs again after Skaits', and Skaits stands against their mean. The headline is
 * realistic traffic (visits of 1–3 pages, a pageview and an engagement event per page, see
 * lib.ts); the worst case, every event a new visitor's first pageview, is measured too.
 * Saturated throughput, then latency at paced loads, and the server's peak RSS.
 * Then the same with 5 goals and 5 funnels declared (GOALS, FUNNELS below: a fifth of the
 * realistic pageviews complete a goal and most visits enter a funnel, far more than a shop
 * converts), against the mean of Skaits without them just before and just after.
 * Bounded: a few seconds per run, about a minute and a half in all. The last line printed is JSON.
 */
const DURATION_S = Number(process.env.BENCH_SECONDS ?? 5)
const CONNECTIONS = 10
/** the p99 goal is stated at this rate; the others show how latency grows with load */
const RATE = 2000
const RATES = [1000, RATE, 5000]

/** Resident memory of a process in MB, from /proc (Linux): all of it, anonymous, and mapped from files. */
function residentMb(pid: number): { rss: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const mb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024
  return { rss: mb('VmRSS'), anon: mb('RssAnon'), file: mb('RssFile') }
}

/** Each run sends visitors never seen before (a fresh range of addresses). */
let next = 0
const fresh = () => (next += 10_000_000)

/**
 * Five goals: page goals on /page-1* (11 of the 50 pages: /page-1 and /page-10…19), /page-2 and
 * /page-3 (so 13 pages in 50 complete one), and two event goals the traffic never sends (their
 * cost is the lookup). A site's real goals convert a few per cent of visits.
 */
const GOALS = [{ page: '/page-1*' }, { page: '/page-2' }, { page: '/page-3' }, { event: 'Signup' }, { event: 'Purchase', currency: 'EUR' }]
/**
 * Five funnels of three steps over the 50 pages (/page-0…49; a visit sees 1–3 of them), each
 * counted by channel, device and country: the first steps match 11 pages in 50 (/page-1*, …), so
 * most visits of two or three pages enter one or more, and some go on.
 */
const FUNNELS = [1, 2, 3, 4, 5].map((n) => ({
  name: `Funnel ${n}`,
  steps: [{ page: `/page-${n}*` }, { page: `/page-${(n + 1) % 5}*` }, { page: `/page-${(n + 2) % 5}*` }],
  dimensions: ['visit:channel', 'visit:device', 'visit:country'],
}))
const ADMIN_KEY = 'bench-admin-key-0123456789abcdef'

async function declareGoals(url: string) {
  const declare = async (path: string, method: string, body: unknown) => {
    const res = await fetch(`${url}/api/sites/example.lv/${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    if (res.status !== 201) throw new Error(`declaring ${JSON.stringify(body)}: ${res.status} ${await res.text()}`)
  }
  for (const goal of GOALS) await declare('goals', 'PUT', goal)
  for (const funnel of FUNNELS) await declare('funnels', 'POST', funnel)
}

async function measure(name: string, entry: string, env: Record<string, string> = {}, o: { paced?: boolean } = {}) {
  const server = await startProcess(entry, env)
  let peak = { rss: 0, anon: 0, file: 0 }
  const sample = () => {
    const now = residentMb(server.proc.pid!)
    if (now.rss > peak.rss) peak = now
  }
  const sampler = setInterval(sample, 250)
  try {
    await load(server.url, { durationS: 1, connections: CONNECTIONS, start: fresh() }) // warm-up (JIT, first inserts)
    const saturated: Partial<Record<Traffic, LoadResult>> = {}
    for (const traffic of ['visits', 'new-visitors'] as const) {
      saturated[traffic] = await load(server.url, { durationS: DURATION_S, connections: CONNECTIONS, traffic, start: fresh() })
      report(name, `max, ${traffic}`, saturated[traffic])
    }
    const paced: Record<number, LoadResult> = {}
    for (const rate of o.paced === false ? [] : RATES) {
      paced[rate] = await load(server.url, { durationS: DURATION_S, connections: CONNECTIONS, rate, start: fresh() })
      report(name, `${rate}/s, visits`, paced[rate])
    }
    sample()
    // File-backed pages are mostly the engine's library (libchdb.so, 566 MB on disk) mapped from disk.
    console.log(`${name.padEnd(9)} peak RSS ${peak.rss.toFixed(0)} MB (anonymous ${peak.anon.toFixed(0)} MB, mapped from files ${peak.file.toFixed(0)} MB)`)
    return { saturated: saturated as Record<Traffic, LoadResult>, paced, peakRss: peak.rss, peakAnon: peak.anon, peakFile: peak.file }
  } finally {
    clearInterval(sampler)
    await server.stop()
  }
}

function report(name: string, mode: string, r: LoadResult) {
  console.log(
    `${name.padEnd(9)} ${mode.padEnd(19)} ${r.requestsPerSecond.toFixed(0).padStart(7)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  non-2xx ${r.non2xx}  errors ${r.errors}`,
  )
}

/**
 * Skaits with the goals and funnels against Skaits without them, both running, loaded in turns
 * (PAIR_TURNS turns of PAIR_SECONDS each, realistic visits then new visitors): this machine's
 * speed drifts by a quarter within a minute, far more than what is measured, so one run after
 * the other cannot tell; turns of a few seconds see the same machine.
 */
const PAIR_TURNS = 4
const PAIR_SECONDS = 3

async function paired(env: Record<string, string>) {
  const [plain, withGoals] = await Promise.all([
    startProcess(SKAITS, { ...env, DATA_DIR: dataDir2 }),
    startProcess(SKAITS, { ...env, DATA_DIR: goalsDir }),
  ])
  try {
    await declareGoals(withGoals.url)
    const sum = { with: 0, without: 0, newWith: 0, newWithout: 0 }
    for (const s of [plain, withGoals]) await load(s.url, { durationS: 1, connections: CONNECTIONS, start: fresh() })
    for (let turn = 0; turn < PAIR_TURNS; turn++) {
      // Alternate which goes first, so neither always follows the other's flush.
      const order = turn % 2 ? [withGoals, plain] : [plain, withGoals]
      for (const traffic of ['visits', 'new-visitors'] as const) {
        for (const s of order) {
          const r = await load(s.url, { durationS: PAIR_SECONDS, connections: CONNECTIONS, traffic, start: fresh() })
          if (r.non2xx) throw new Error('Skaits answered non-2xx during the benchmark')
          const key = `${traffic === 'visits' ? '' : 'new'}${s === withGoals ? 'With' : 'Without'}`
          const k = (key.charAt(0).toLowerCase() + key.slice(1)) as keyof typeof sum
          sum[k] += r.requestsPerSecond / PAIR_TURNS
        }
      }
    }
    return sum
  } finally {
    await Promise.all([plain.stop(), withGoals.stop()])
  }
}

const dataDir = mkdtempSync(path.join(tmpdir(), 'skaits-bench-'))
const goalsDir = mkdtempSync(path.join(tmpdir(), 'skaits-bench-goals-'))
const dataDir2 = mkdtempSync(path.join(tmpdir(), 'skaits-bench-2-'))
// ISP lookups go to a DNS server on loopback (answering NXDOMAIN), never to the machine's resolvers.
const dns = await startDns({})
try {
  const baseline = await measure('baseline', 'bench/baseline-server.ts')
  // The rate limiter stays on (its cost is measured) but high: the load comes from only 256 networks.
  const env = {
    SKAITS_SITES: 'example.lv',
    SKAITS_API_KEY: ADMIN_KEY,
    TRUST_PROXY: '1',
    DNS_SERVERS: dns.server,
    INGEST_RATE_PER_MINUTE: '1000000000',
  }
  const skaits = await measure('skaits', SKAITS, { ...env, DATA_DIR: dataDir })
  const goals = await paired(env)
  // The bare endpoint again: this machine's speed drifts within a minute, and Skaits' figures
  // stand against the mean of the baselines measured just before and just after them.
  const after = await measure('baseline2', 'bench/baseline-server.ts', {}, { paced: false })
  const all = [...Object.values(skaits.saturated), ...Object.values(skaits.paced)]
  if (all.some((r) => r.non2xx)) throw new Error('Skaits answered non-2xx during the benchmark')
  const bare = (t: Traffic) => (baseline.saturated[t].requestsPerSecond + after.saturated[t].requestsPerSecond) / 2
  const drift = after.saturated.visits.requestsPerSecond / baseline.saturated.visits.requestsPerSecond
  const ratio = skaits.saturated.visits.requestsPerSecond / bare('visits')
  const worst = skaits.saturated['new-visitors'].requestsPerSecond / bare('new-visitors')
  console.log(`baseline  before and after Skaits: ${baseline.saturated.visits.requestsPerSecond.toFixed(0)} and ${after.saturated.visits.requestsPerSecond.toFixed(0)} req/s (×${drift.toFixed(2)}); ratios against their mean`)
  console.log(
    `ratio ${ratio.toFixed(2)} (goal ≥ 0.7; every event a new visitor: ${worst.toFixed(2)})  p99 at ${RATE}/s ${skaits.paced[RATE]!.p99} ms (goal < 20)  peak RSS ${skaits.peakRss.toFixed(0)} MB (goal < 400)`,
  )
  const goalsRatio = goals.with / bare('visits')
  const drop = 1 - goals.with / goals.without
  console.log(
    `with 5 goals and 5 funnels: ${goals.with.toFixed(0)} events/s against ${goals.without.toFixed(0)} without them, in alternating ${PAIR_SECONDS} s turns: ` +
      `${(drop * 100).toFixed(1)} % below (goal < 10 %); every event a new visitor: ${goals.newWith.toFixed(0)} against ${goals.newWithout.toFixed(0)}`,
  )
  console.log(
    JSON.stringify({
      events_per_s: Math.round(skaits.saturated.visits.requestsPerSecond),
      baseline_per_s: Math.round(bare('visits')),
      baseline_before_after_per_s: [Math.round(baseline.saturated.visits.requestsPerSecond), Math.round(after.saturated.visits.requestsPerSecond)],
      ratio: Number(ratio.toFixed(3)),
      new_visitors: {
        events_per_s: Math.round(skaits.saturated['new-visitors'].requestsPerSecond),
        baseline_per_s: Math.round(bare('new-visitors')),
        ratio: Number(worst.toFixed(3)),
      },
      p99_ms: skaits.paced[RATE]!.p99,
      p99_at_rate: RATE,
      p50_ms: skaits.paced[RATE]!.p50,
      paced: Object.fromEntries(RATES.map((r) => [r, { per_s: Math.round(skaits.paced[r]!.requestsPerSecond), p50_ms: skaits.paced[r]!.p50, p99_ms: skaits.paced[r]!.p99 }])),
      p99_saturated_ms: skaits.saturated.visits.p99,
      baseline_p99_ms: baseline.paced[RATE]!.p99,
      rss_mb: Math.round(skaits.peakRss),
      rss_anon_mb: Math.round(skaits.peakAnon),
      rss_file_mb: Math.round(skaits.peakFile),
      baseline_rss_mb: Math.round(baseline.peakRss),
      goals: {
        declared: GOALS.length,
        funnels: FUNNELS.length,
        events_per_s: Math.round(goals.with),
        without_per_s: Math.round(goals.without),
        ratio: Number(goalsRatio.toFixed(3)),
        drop_vs_no_goals: Number(drop.toFixed(3)),
        new_visitors_drop: Number((1 - goals.newWith / goals.newWithout).toFixed(3)),
        turns: PAIR_TURNS,
      },
    }),
  )
} finally {
  await dns.close()
  rmSync(dataDir, { recursive: true, force: true })
  rmSync(goalsDir, { recursive: true, force: true })
  rmSync(dataDir2, { recursive: true, force: true })
}
