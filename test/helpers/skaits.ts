import { serve, type ServerType } from '@hono/node-server'
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { createSkaits, type Skaits } from '../../server/app.ts'
import { loadConfig } from '../../server/config.ts'
import { createDb, type Db } from '../../server/db/client.ts'
import { startArgs } from '../../server/build.ts'
import { sameClock } from './clock.ts'

export const API_KEY = 'test-admin-key-0123456789abcdef'

/** A current desktop Chrome; made-up User-Agents are rightly dropped as bots. */
export const CHROME_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'

/** Real-looking browser User-Agents that differ by `n` (to make distinct visitors). */
/** A phone's Chrome, for pages opened at 390 px. */
export const ANDROID_UA = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36'

export function browserUA(n: number): string {
  return `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${120 + (n % 12)}.0.${n}.0 Safari/537.36`
}

export function tempDir(prefix = 'skaits-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix))
}

export interface RunningSkaits {
  url: string
  skaits: Skaits
  db: Db
  logs: string[]
  stop(): Promise<void>
}

/** The real app and the real embedded ClickHouse in this process, over real HTTP on 127.0.0.1. */
export async function startInProcess(options: {
  dataDir: string
  env?: Record<string, string>
  clock?: () => number
  /** start the flush and maintenance timers (default true) */
  timers?: boolean
}): Promise<RunningSkaits> {
  const config = loadConfig({
    DATA_DIR: options.dataDir,
    SKAITS_SITES: 'example.lv',
    SKAITS_API_KEY: API_KEY,
    TRUST_PROXY: '1',
    FLUSH_INTERVAL_MS: '50',
    // Tests never ask the machine's resolvers; the enrichment test runs its own DNS server.
    ISP_LOOKUP: 'off',
    ...options.env,
  })
  const logs: string[] = []
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk))
      cb()
    },
  })
  const log = pino({ level: 'info' }, sink)
  const db = createDb(config)
  const skaits = await createSkaits(config, db, log, { clock: options.clock, start: options.timers ?? true })
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: skaits.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s))
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    skaits,
    db,
    logs,
    async stop() {
      await new Promise<void>((r) => server.close(() => r()))
      await skaits.drain()
      await db.close()
    },
  }
}

export interface SpawnedSkaits {
  url: string
  proc: ChildProcessWithoutNullStreams
  output(): string
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

/**
 * The real server as a separate process, as `npm start` runs it: the bundle built from
 * server/main.ts (test/global-setup.ts builds it before the tests) with start's Node flags.
 */
export async function spawnServer(env: Record<string, string>): Promise<SpawnedSkaits> {
  const proc = spawn(process.execPath, startArgs(), {
    cwd: path.resolve(import.meta.dirname, '../..'),
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      PORT: '0',
      SKAITS_SITES: 'example.lv',
      SKAITS_API_KEY: API_KEY,
      TRUST_PROXY: '1',
      ISP_LOOKUP: 'off',
      // Under the time-travel pass the server shares this process's moved clock.
      ...sameClock(),
      ...env,
    },
  })
  let out = ''
  proc.stdout.on('data', (d) => (out += d))
  proc.stderr.on('data', (d) => (out += d))
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)))
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 60_000)
    const onData = () => {
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(Number(m[1]))
      }
    }
    proc.stdout.on('data', onData)
    void exited.then((code) => reject(new Error(`server exited with ${code}:\n${out}`)))
  })
  return {
    url: `http://127.0.0.1:${port}`,
    proc,
    output: () => out,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null) proc.kill(signal)
      // The server stops itself 25 s into a shutdown that hangs (main.ts); past that, it is killed
      // and the test is told why, with what the server said last.
      let timer: NodeJS.Timeout | undefined
      const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), 40_000)))
      const code = await Promise.race([exited, late])
      clearTimeout(timer)
      if (code !== 'late') return code
      proc.kill('SIGKILL')
      throw new Error(`the server did not stop within 40 s of ${signal}; its last output:\n${out.split('\n').slice(-20).join('\n')}`)
    },
  }
}

export interface EventOptions {
  ip?: string
  ua?: string
  headers?: Record<string, string>
}

export async function sendEvent(url: string, body: unknown, o: EventOptions = {}): Promise<Response> {
  return fetch(`${url}/api/event`, {
    method: 'POST',
    headers: {
      'content-type': 'text/plain',
      'user-agent': o.ua ?? CHROME_UA,
      ...(o.ip ? { 'x-forwarded-for': o.ip } : {}),
      ...o.headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

export async function query(url: string, body: Record<string, unknown>): Promise<{ status: number; json: any }> {
  const res = await fetch(`${url}/api/v2/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ site_id: 'example.lv', ...body }),
  })
  return { status: res.status, json: await res.json() }
}

/** Metrics of a query without dimensions, as an object. */
export async function totals(url: string, metrics: string[], dateRange: unknown = 'day', filters: unknown[] = []) {
  const { status, json } = await query(url, { metrics, date_range: dateRange, filters })
  if (status !== 200) throw new Error(`query failed ${status}: ${JSON.stringify(json)}`)
  const row = json.results[0]?.metrics ?? metrics.map(() => 0)
  return Object.fromEntries(metrics.map((m, i) => [m, row[i]]))
}

/** A breakdown as { value: { metric: n } }. */
export async function breakdown(url: string, dimension: string, metrics: string[], dateRange: unknown = 'day') {
  const { status, json } = await query(url, { metrics, date_range: dateRange, dimensions: [dimension] })
  if (status !== 200) throw new Error(`query failed ${status}: ${JSON.stringify(json)}`)
  return Object.fromEntries(
    json.results.map((r: any) => [r.dimensions[0], Object.fromEntries(metrics.map((m, i) => [m, r.metrics[i]]))]),
  )
}

/** Runs `npm run --silent skaits -- … --json` as a user would (node and tsx directly, same script) on `dataDir`. */
export function runCli(dataDir: string, args: string[], input = '', env: Record<string, string> = {}): { code: number | null; json: any; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', ...args, '--json'], {
    cwd: path.resolve(import.meta.dirname, '../..'),
    env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, ISP_LOOKUP: 'off', ...env },
    input,
    encoding: 'utf8',
    timeout: 60_000,
  })
  let json: unknown
  try {
    json = JSON.parse(r.stdout.trim().split('\n').pop() ?? '')
  } catch {
    json = undefined
  }
  return { code: r.status, json, stderr: r.stderr }
}

/** A management API call with the admin key. */
export async function adminCall(url: string, method: string, apiPath: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(url + apiPath, {
    method,
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: res.status, json: await res.json() }
}
