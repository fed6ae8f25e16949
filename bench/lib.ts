import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import autocannon from 'autocannon'
import { BROWSERS } from '../test/unit/enrich/user-agents.ts'

const USER_AGENTS = [...new Set(BROWSERS.filter((b) => !b.hints).map((b) => b.ua))]

export const ROOT = path.resolve(import.meta.dirname, '..')

export interface Started {
  url: string
  proc: ChildProcess
  stop(): Promise<void>
}

/** Starts a TypeScript entry point as its own process and waits for its "listening on" line. */
export async function startProcess(entry: string, env: Record<string, string> = {}): Promise<Started> {
  const proc = spawn(process.execPath, ['--import', 'tsx', entry], {
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
 * Bounded load on loopback: `durationS` seconds, `connections` keep-alive connections,
 * optionally capped at `rate` requests per second. Each request is a distinct visitor
 * (address and User-Agent vary), so Skaits does its full work per event.
 */
export async function load(url: string, o: { durationS: number; connections: number; rate?: number }): Promise<LoadResult> {
  let n = 0
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
          n++
          const page = `/page-${n % 50}`
          return {
            ...req,
            headers: {
              'content-type': 'text/plain',
              // Real browsers' User-Agents (made-up ones are dropped as bots); the address makes each visitor distinct.
              'user-agent': USER_AGENTS[n % USER_AGENTS.length]!,
              'x-forwarded-for': `198.51.${(n >> 8) & 255}.${n & 255}`,
            },
            body: JSON.stringify({ n: 'pageview', u: `https://example.lv${page}?q=${n}`, d: 'example.lv', r: 'https://www.google.com/', w: 1280 }),
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
