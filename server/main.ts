import { spawn } from 'node:child_process'
import type { AddressInfo } from 'node:net'
import { createSkaits, type Skaits } from './app.ts'
import { ConfigError, loadConfig, type Config } from './config.ts'
import { createDb, type Db } from './db/client.ts'
import { announceServer, withdrawServer } from './cli/server-file.ts'
import { listen } from './http/serve.ts'
import { errorText, createLogger } from './log.ts'
import { IngestRateLimiter } from './ingest/rate-limit.ts'

let config: Config
try {
  config = loadConfig()
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`skaits: ${err.message}`)
    process.exit(2)
  }
  throw err
}
const log = createLogger(config.logLevel)
const db = createDb(config)
const storage = config.clickhouse.kind === 'server' ? withoutCredentials(config.clickhouse.url) : config.clickhouse.path

// Migrations need ClickHouse: without it Skaits does not start (exit code 3, as the CLI's).
const unreachable = await waitForClickHouse(db, config.clickhouseWaitMs)
if (unreachable) {
  log.fatal({ clickhouse: storage, err: unreachable, waitedMs: config.clickhouseWaitMs }, 'ClickHouse did not answer; not starting')
  process.exit(3)
}
let skaits: Skaits
try {
  skaits = await createSkaits(config, db, log, { start: true })
} catch (err) {
  if (err instanceof ConfigError) {
    log.fatal({ err: err.message }, 'bad configuration; not starting')
    process.exit(2)
  }
  log.fatal({ clickhouse: storage, err: errorText(err) }, 'could not start')
  process.exit(1)
}
if (config.ingestRatePerMinute > 0) skaits.ingestor.limitRate(new IngestRateLimiter({ perMinute: config.ingestRatePerMinute }))

const server = listen(skaits.app.fetch, { port: config.port, hostname: config.host, limits: config.http }, (info: AddressInfo) => {
  // The CLI finds the server through this file and talks to it on loopback.
  const local = ['0.0.0.0', '::'].includes(info.address) ? '127.0.0.1' : info.address
  announceServer(config.dataDir, `http://${local.includes(':') ? `[${local}]` : local}:${info.port}`)
  log.info(
    { port: info.port, host: info.address, storage: config.clickhouse.kind, sites: skaits.sites.list().length },
    `skaits listening on http://${info.address}:${info.port}`,
  )
  if (skaits.setupToken.pending) {
    // The token itself stays out of the log (logs travel further than DATA_DIR); the file's path does not.
    const host = ['0.0.0.0', '::'].includes(info.address) ? 'localhost' : info.address.includes(':') ? `[${info.address}]` : info.address
    log.warn(
      { setupTokenFile: skaits.setupToken.file },
      `no owner yet: open http://${host}:${info.port}/ and enter the setup token from ${skaits.setupToken.file}` +
        ` (or set SKAITS_ADMIN_EMAIL and SKAITS_ADMIN_PASSWORD)`,
    )
  }
})

/** Pings until ClickHouse answers or `waitMs` has passed; the last error, or undefined once it answers. */
async function waitForClickHouse(db: Db, waitMs: number): Promise<string | undefined> {
  const giveUpAt = Date.now() + waitMs
  for (;;) {
    // An unanswered ping waits for the client's 30 s request timeout: bound each attempt.
    const attemptMs = Math.max(1000, Math.min(5000, giveUpAt - Date.now()))
    let timer: NodeJS.Timeout | undefined
    const error = await Promise.race([
      db.ping().then(
        (r) => (r.success ? undefined : errorText(r.error)),
        (err: unknown) => errorText(err),
      ),
      new Promise<string>((resolve) => (timer = setTimeout(() => resolve(`no answer within ${attemptMs} ms`), attemptMs))),
    ])
    clearTimeout(timer)
    if (!error || Date.now() >= giveUpAt) return error
    await new Promise((r) => setTimeout(r, Math.min(1000, Math.max(0, giveUpAt - Date.now()))))
  }
}

function withoutCredentials(url: string): string {
  try {
    const u = new URL(url)
    u.username = ''
    u.password = ''
    return u.toString()
  } catch {
    return '(unparsable CLICKHOUSE_URL)'
  }
}

/** How long a shutdown may take before the process stops anyway (an orchestrator kills it at about 30 s). */
const SHUTDOWN_DEADLINE_MS = 25_000

let stopping = false
let step = 'closing connections'
async function shutdown(signal: string): Promise<void> {
  if (stopping) return
  stopping = true
  log.info({ signal }, 'shutting down: flushing buffered events')
  // A step that never ends (the engine not answering) must not keep the process for ever: what
  // is still buffered is lost then, and the log says at which step.
  setTimeout(() => {
    log.error({ step, ms: SHUTDOWN_DEADLINE_MS }, 'shutdown did not finish in time: stopping anyway')
    process.exit(1)
  }, SHUTDOWN_DEADLINE_MS).unref()
  // Stop taking connections; requests already in progress finish (and are buffered) first.
  const closed = new Promise<void>((resolve) => server.close(() => resolve()))
  if ('closeIdleConnections' in server) server.closeIdleConnections()
  await Promise.race([closed, new Promise((r) => setTimeout(r, 5000))])
  if ('closeAllConnections' in server) server.closeAllConnections()
  step = 'draining (buffered events, refreshers, filtered counts)'
  await skaits.drain()
  step = 'storing salts'
  await skaits.salts.settle().catch(() => {})
  step = 'closing the engine'
  await db.close()
  withdrawServer(config.dataDir)
  log.info({ inserted: skaits.buffer.stats.inserted }, 'stopped')
  exitNow(0)
}

/**
 * Exits. Everything is written and closed by then, but the embedded engine's native threads have
 * been seen (rarely, in CI) to hold `process.exit` for good after it began, when no timer of this
 * process runs any more: a small detached process ends this one 5 s later if it is still there.
 */
function exitNow(code: number): never {
  try {
    // Only this process: the same PID with the same start time (a PID can be reused meanwhile).
    const me = `/proc/${process.pid}/stat`
    const script = `st=$(cut -d' ' -f22 ${me} 2>/dev/null); sleep 5; [ -n "$st" ] && [ "$(cut -d' ' -f22 ${me} 2>/dev/null)" = "$st" ] && kill -9 ${process.pid}`
    spawn('/bin/sh', ['-c', script], { detached: true, stdio: 'ignore' }).unref()
  } catch {
    // No shell (not the Linux the server is built for): exit as usual.
  }
  process.exit(code)
}
process.on('SIGTERM', () => void shutdown('SIGTERM'))
process.on('SIGINT', () => void shutdown('SIGINT'))
