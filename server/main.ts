import { serve } from '@hono/node-server'
import type { AddressInfo } from 'node:net'
import { createSkaits } from './app.ts'
import { ConfigError, loadConfig, type Config } from './config.ts'
import { createDb } from './db/client.ts'
import { announceServer, withdrawServer } from './cli/server-file.ts'
import { createLogger } from './log.ts'

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
const skaits = await createSkaits(config, db, log, { start: true })

const server = serve({ fetch: skaits.app.fetch, port: config.port, hostname: config.host }, (info: AddressInfo) => {
  // The CLI finds the server through this file and talks to it on loopback.
  const local = ['0.0.0.0', '::'].includes(info.address) ? '127.0.0.1' : info.address
  announceServer(config.dataDir, `http://${local.includes(':') ? `[${local}]` : local}:${info.port}`)
  log.info(
    { port: info.port, host: info.address, storage: config.clickhouse.kind, sites: skaits.sites.list().length },
    `skaits listening on http://${info.address}:${info.port}`,
  )
})

let stopping = false
async function shutdown(signal: string): Promise<void> {
  if (stopping) return
  stopping = true
  log.info({ signal }, 'shutting down: flushing buffered events')
  // Stop taking connections; requests already in progress finish (and are buffered) first.
  const closed = new Promise<void>((resolve) => server.close(() => resolve()))
  if ('closeIdleConnections' in server) server.closeIdleConnections()
  await Promise.race([closed, new Promise((r) => setTimeout(r, 5000))])
  if ('closeAllConnections' in server) server.closeAllConnections()
  await skaits.drain()
  await skaits.salts.settle().catch(() => {})
  await db.close()
  withdrawServer(config.dataDir)
  log.info({ inserted: skaits.buffer.stats.inserted }, 'stopped')
  process.exit(0)
}
process.on('SIGTERM', () => void shutdown('SIGTERM'))
process.on('SIGINT', () => void shutdown('SIGINT'))
