import { Hono } from 'hono'
import type { Config } from './config.ts'
import type { Db } from './db/client.ts'
import { applyRetention, migrate } from './db/migrate.ts'
import { CountryLookup } from './enrich/country.ts'
import { Enricher } from './enrich/enricher.ts'
import { IspLookup } from './enrich/isp.ts'
import { EventBuffer } from './ingest/buffer.ts'
import { Ingestor } from './ingest/ingestor.ts'
import { ingestRoute } from './ingest/route.ts'
import type { Logger } from './log.ts'
import { SaltStore } from './privacy/salts.ts'
import { Maintenance } from './rollup/rollup.ts'
import { scriptRoute } from './script/route.ts'
import { Sessions } from './sessions/sessions.ts'
import { sitesRoute } from './sites/route.ts'
import { Sites } from './sites/sites.ts'
import { statsRoute } from './stats/route.ts'
import { systemClock, type Clock } from './time.ts'

export interface Skaits {
  app: Hono
  buffer: EventBuffer
  salts: SaltStore
  sessions: Sessions
  sites: Sites
  ingestor: Ingestor
  enricher: Enricher
  maintenance: Maintenance
  /** Stops taking events, inserts everything buffered, stops timers. Does not close the client. */
  drain(): Promise<void>
}

/** Migrates, loads state and assembles the HTTP app. Timers start only with `start: true`. */
export async function createSkaits(
  config: Config,
  db: Db,
  log: Logger,
  options: { clock?: Clock; start?: boolean } = {},
): Promise<Skaits> {
  const clock = options.clock ?? systemClock
  const applied = await migrate(db)
  if (applied.length) log.info({ applied }, 'migrations applied')
  const retuned = await applyRetention(db, config.retentionMonths)
  if (retuned.length) log.info({ tables: retuned, months: config.retentionMonths }, 'retention updated')

  const sites = new Sites(db)
  await sites.load()
  const added = await sites.ensure(config.sites, clock())
  if (added.length) log.info({ sites: added }, 'sites added from SKAITS_SITES')

  const salts = new SaltStore(db, config.timezone, clock, config.sessionIdleMs)
  await salts.load()
  const sessions = new Sessions(config.sessionIdleMs, config.sessionMax)
  const buffer = new EventBuffer(db, config, log, clock)
  const countries = await CountryLookup.open(config.geoipDb)
  const isps = config.isp.enabled
    ? await IspLookup.create({
        servers: config.isp.dnsServers.length ? config.isp.dnsServers : undefined,
        timeoutMs: config.isp.timeoutMs,
        concurrency: config.isp.concurrency,
        cacheSize: config.isp.cacheSize,
        cacheTtlMs: 24 * 3_600_000,
        ispDbFile: config.isp.db,
      })
    : undefined
  const enricher = new Enricher(countries, isps)
  const ingestor = new Ingestor({
    sites,
    salts,
    sessions,
    buffer,
    respectGpc: config.respectGpc,
    clock,
    enricher,
  })
  const maintenance = new Maintenance({ db, salts, buffer, sessions, clock, tz: config.timezone, log })
  // A failure is logged and retried by the timer; it must not keep the server from starting.
  await maintenance.run().catch(() => {})

  let shuttingDown = false
  const app = new Hono()
  app.onError((err, c) => {
    log.error({ err: err.message.slice(0, 300), path: c.req.path }, 'unhandled error')
    return c.json({ error: 'internal error' }, 500)
  })
  app.notFound((c) => c.json({ error: 'not found' }, 404))
  app.route('/', ingestRoute(ingestor, { trustProxy: config.trustProxy, isShuttingDown: () => shuttingDown }))
  app.route('/', scriptRoute(log))
  app.route('/', sitesRoute({ db, sites, apiKey: config.apiKey, timezone: config.timezone, clock }))
  app.route('/', statsRoute({ db, sites, apiKey: config.apiKey, timezone: config.timezone, clock, log }))
  app.get('/healthz', async (c) => {
    const ok = await db.ping().then((r) => r.success, () => false)
    return c.json({ status: ok ? 'ok' : 'clickhouse unavailable' }, ok ? 200 : 503)
  })

  if (options.start) {
    buffer.start()
    maintenance.start()
  }

  return {
    app,
    buffer,
    salts,
    sessions,
    sites,
    ingestor,
    enricher,
    maintenance,
    async drain() {
      shuttingDown = true
      maintenance.stop()
      enricher.close()
      await buffer.close()
    },
  }
}
