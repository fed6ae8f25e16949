import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import autocannon from 'autocannon'
import { buildServer, startArgs } from '../server/build.ts'
import { BROWSERS } from '../test/unit/enrich/user-agents.ts'

const USER_AGENTS = [...new Set(BROWSERS.filter((b) => !b.hints).map((b) => b.ua))]

export const ROOT = path.resolve(import.meta.dirname, '..')

export interface Started {
  url: string
  proc: ChildProcess
  stop(): Promise<void>
}

/** startProcess's name for the Skaits server, run as `npm start` runs it (see server/build.ts). */
export const SKAITS = 'npm start'

/**
 * Starts a TypeScript entry point, or SKAITS (freshly bundled), as its own process and waits
 * for its "listening on" line.
 */
export async function startProcess(entry: string, env: Record<string, string> = {}): Promise<Started> {
  if (entry === SKAITS) await buildServer()
  const proc = spawn(process.execPath, entry === SKAITS ? startArgs() : ['--import', 'tsx', entry], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  proc.stderr!.on('data', (d) => (out += d))
  const url = await new Promise<string>((resolve, reject) => {
    proc.stdout!.on('data', (d) => {
      out += d
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)
      if (m) resolve(m[1]!)
    })
    proc.on('exit', (code) => reject(new Error(`${entry} exited with ${code}: ${out}`)))
  })
  return {
    url,
    proc,
    stop: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve()
        proc.on('exit', () => resolve())
        proc.kill('SIGTERM')
      }),
  }
}

export interface LoadResult {
  requestsPerSecond: number
  p50: number
  p99: number
  non2xx: number
  errors: number
}

/**
 * How the benchmark's events are made.
 * - `visits`: realistic traffic. Visits of 1, 2 or 3 pages in turn (2 on average, a third
 *   bounce), each page a pageview and, as the tracker sends on leaving it, an engagement
 *   event: 4 events a visit, a quarter of them starting one.
 * - `new-visitors`: the worst case, every event a pageview of a visitor never seen before.
 */
export type Traffic = 'visits' | 'new-visitors'

/** The n-th event of a traffic pattern: its visitor number and body. */
export function nthEvent(n: number, traffic: Traffic): { visitor: number; body: string } {
  if (traffic === 'new-visitors') {
    return {
      visitor: n,
      body: JSON.stringify({ n: 'pageview', u: `https://example.lv/page-${n % 50}?q=${n}`, d: 'example.lv', r: 'https://www.google.com/', w: 1280 }),
    }
  }
  // Every 12 events hold three visits: 1 page (2 events), 2 pages (4), 3 pages (6).
  const block = Math.floor(n / 12)
  const i = n % 12
  const [visit, step] = i < 2 ? [0, i] : i < 6 ? [1, i - 2] : [2, i - 6]
  const visitor = block * 3 + visit
  const page = `/page-${(visitor * 7 + (step >> 1)) % 50}`
  const body =
    step % 2 === 0
      ? { n: 'pageview', u: `https://example.lv${page}`, d: 'example.lv', ...(step === 0 ? { r: 'https://www.google.com/' } : {}), w: 1280 }
      : { n: 'engagement', u: `https://example.lv${page}`, d: 'example.lv', e: 5000 + (n % 20) * 1000, sd: 20 + (n % 80) }
  return { visitor, body: JSON.stringify(body) }
}

/**
 * Bounded load on loopback: `durationS` seconds, `connections` keep-alive connections,
 * optionally capped at `rate` requests per second. Visitors differ by address and
 * User-Agent, so Skaits does its full work for each.
 */
export async function load(
  url: string,
  o: { durationS: number; connections: number; rate?: number; traffic?: Traffic; start?: number },
): Promise<LoadResult> {
  let n = o.start ?? 0
  const traffic = o.traffic ?? 'visits'
  const result = await autocannon({
    url: `${url}/api/event`,
    method: 'POST',
    connections: o.connections,
    duration: o.durationS,
    ...(o.rate ? { overallRate: o.rate } : {}),
    requests: [
      {
        // autocannon types setupRequest over its own Request type; only headers and body are set here.
        setupRequest: ((req: Record<string, unknown>) => {
          const { visitor, body } = nthEvent(n++, traffic)
          return {
            ...req,
            headers: {
              'content-type': 'text/plain',
              // Real browsers' User-Agents (made-up ones are dropped as bots); the address makes each visitor distinct.
              'user-agent': USER_AGENTS[visitor % USER_AGENTS.length]!,
              'x-forwarded-for': `198.${(visitor >> 16) & 255}.${(visitor >> 8) & 255}.${visitor & 255}`,
            },
            body,
          }
        }) as unknown as autocannon.Request['setupRequest'],
      },
    ],
  })
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  }
}

/**
 * The environment of a bench's server on a seeded data directory: the admin key and owner
 * given, no ISP lookups, and no query rate limit (a view's queries, repeated for percentiles,
 * are far more than a person's 120 a minute).
 */
export function seededServerEnv(dataDir: string, key: string, owner: { email: string; password: string }): Record<string, string> {
  return {
    DATA_DIR: dataDir,
    SKAITS_API_KEY: key,
    SKAITS_ADMIN_EMAIL: owner.email,
    SKAITS_ADMIN_PASSWORD: owner.password,
    ISP_LOOKUP: 'off',
    STATS_RATE_PER_MINUTE: '0',
  }
}

/** How long a pageview is given to be written, with the server's FLUSH_INTERVAL_MS at FLUSH_MS. */
export const FLUSH_MS = 20
const WRITE_SETTLE_MS = 120
/** A desktop Chrome's User-Agent: the bench's own pageviews are not bots. */
const BENCH_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'

/**
 * `n` pageviews of a site (pages drawn from 20,000 by Zipf's law, as a busy site's), sent and
 * given time to be written (the server started with FLUSH_INTERVAL_MS=FLUSH_MS): the next view
 * reads again the rows they wrote, as on a site with visitors, where every flush writes today.
 */
export async function writePageviews(url: string, domain: string, n: number, random: () => number = Math.random): Promise<void> {
  const one = async () => {
    const page = Math.floor(20_000 ** random())
    const res = await fetch(`${url}/api/event`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'user-agent': BENCH_UA },
      body: JSON.stringify({ n: 'pageview', u: `https://${domain}/bench/p-${page}`, d: domain, w: 1280 }),
    })
    if (res.status !== 202) throw new Error(`the bench's pageview was refused: ${res.status} ${await res.text()}`)
  }
  for (let sent = 0; sent < n; sent += 8) await Promise.all(Array.from({ length: Math.min(8, n - sent) }, one))
  await new Promise((r) => setTimeout(r, WRITE_SETTLE_MS))
}
