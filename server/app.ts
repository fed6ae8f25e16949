import { Hono } from 'hono'
import { getCookie } from 'hono/cookie'
import path from 'node:path'
import { exportRoute } from './export/route.ts'
import { Partners } from './export/partners.ts'
import { Admin } from './admin/service.ts'
import { adminRoute } from './admin/route.ts'
import { Access } from './auth/access.ts'
import { loadLocalToken } from './auth/local-token.ts'
import { IdleSessions } from './auth/session-idle.ts'
import { SetupToken } from './auth/setup-token.ts'
import { checkPasswordPolicy } from './auth/password.ts'
import { authenticate, bearerToken, type AuthEnv } from './auth/principal.ts'
import { refusal, userMay } from './auth/roles.ts'
import { createMetrics, type Metrics } from './metrics/metrics.ts'
import { authRoute, loginLimits } from './auth/route.ts'
// issue 25, two-factor login (wt-t)
import { TwoFactor } from './auth/totp.ts'
import { TotpSeal } from './auth/totp-seal.ts'
import { twoFactorGate, twoFactorRoute } from './auth/two-factor-route.ts'
import { shareUnlockRoute } from './auth/share-unlock.ts'
import { sessionsRoute } from './auth/sessions-route.ts'
import { resetRoute } from './auth/reset-route.ts'
import { ConfigError, MAIL_OFF } from './config.ts'
import { securityHeaders } from './http/security.ts'
import { redactedErrorText } from './http/error-log.ts'
import { limitRouteBodies } from './http/route-body-limit.ts'
import { pagesRoute } from './pages/route.ts'
import { dashboardRoute } from './dashboard/route.ts'
import type { Config } from './config.ts'
import type { Db } from './db/client.ts'
import { applyRetention, migrate } from './db/migrate.ts'
import { CountryLookup } from './enrich/country.ts'
import { liveSink, type LiveSink } from './imports/live.ts'
import { importsRoute } from './imports/route.ts'
import { ImportService } from './imports/service.ts'
import { parseSource } from './imports/sources.ts'
import { ImportStore } from './imports/store.ts'
import { Enricher } from './enrich/enricher.ts'
import { IspLookup } from './enrich/isp.ts'
import { EventBuffer } from './ingest/buffer.ts'
import { Ingestor } from './ingest/ingestor.ts'
import { ValueCap } from './ingest/value-cap.ts'
import { ingestRoute } from './ingest/route.ts'
import type { Logger } from './log.ts'
import { loadSaltKey } from './privacy/salt-key.ts'
import { SaltStore } from './privacy/salts.ts'
import { Maintenance } from './rollup/maintenance.ts'
import { scriptRoute, TRACKER_PATHS } from './script/route.ts'
import { Sessions } from './sessions/sessions.ts'
import { RelabelJobs } from './sections/relabel-jobs.ts'
import { resumeRelabels } from './sites/section-relabel.ts'
import { sectionsRoute } from './sites/sections-route.ts'
import { hostnamesRoute } from './sites/hostnames-route.ts'
import { goalsRoute, plausibleGoalsRoute } from './sites/goals-route.ts'
import { GoalService } from './sites/goals.ts'
import { funnelsRoute } from './sites/funnels-route.ts'
import { alertsRoute } from './sites/alerts-route.ts'
import { reportsRoute, unsubscribeRoute } from './sites/reports-route.ts'
import { Alerts } from './reports/alerts.ts'
import { ReportScheduler } from './reports/scheduler.ts'
import { alertMailer, reportSender } from './reports/deliver.ts'
import { mailerOff, smtpMailer } from './reports/mail.ts'
import { FunnelService } from './sites/funnels.ts'
import { siteCrowdRoute } from './sites/crowd-route.ts'
// Annotations (issue 25, annotations and comparison modes)
import { annotationsRoute } from './sites/annotations-route.ts'
import { AnnotationService } from './sites/annotations-service.ts'
import { Sites } from './sites/sites.ts'
import { statsRoute } from './stats/route.ts'
import { AnswerCache } from './stats/answer-cache.ts'
import { QueryLimits } from './stats/limits.ts'
import { systemClock, type Clock } from './time.ts'
import { say } from './http/messages.ts'
// issue 25, exclusions part: exclusions per site, referrer spam, counts of what was filtered, the opt-out page
import { exclusionsRoute } from './sites/exclusions-route.ts'
import { FilteredCounts } from './ingest/filtered.ts'
import { ReferrerSpam } from './enrich/referrer-spam.ts'
import { optOutRoute } from './pages/opt-out.ts'

export interface Skaits {
  app: Hono<AuthEnv>
  buffer: EventBuffer
  salts: SaltStore
  sessions: Sessions
  sites: Sites
  access: Access
  /** issue 25: owners' TOTP enrolments and the rule that everyone must use it */
  twoFactor: TwoFactor
  admin: Admin
  ingestor: Ingestor
  enricher: Enricher
  /** events not counted, per site, day and reason (issue 25, exclusions part) */
  filtered: FilteredCounts
  maintenance: Maintenance
  /** reports due go out through it, every minute with timers on */
  reports: ReportScheduler
  alerts: Alerts
  /** the one-time secret for the setup page while no owner exists (DATA_DIR/setup-token) */
  setupToken: SetupToken
  /** Stops taking events, inserts everything buffered, stops timers. Does not close the client. */
  drain(): Promise<void>
}

/** What the generated privacy notice says about this instance. */
export function noticeFacts(config: Config) {
  return {
    retentionMonths: config.retentionMonths,
    respectGpc: config.respectGpc,
    ispLookup: config.isp.enabled,
    visitIdleMinutes: Math.round(config.sessionIdleMs / 60_000),
  }
}

/** SALT_KEY_FILE's key, made at first start; says so, and warns where the file is easy to copy. */
function saltKey(config: Config, log: Logger): Buffer {
  const { key, created, readableByOthers } = loadSaltKey(config.saltKeyFile)
  if (created) log.info({ file: config.saltKeyFile }, 'salt key made; back it up apart from DATA_DIR, or not at all')
  if (readableByOthers) log.warn({ file: config.saltKeyFile }, 'the salt key file is readable by other users; chmod 600 it')
  const inside = path.relative(config.dataDir, config.saltKeyFile)
  if (!inside.startsWith('..') && !path.isAbsolute(inside)) {
    log.warn({ file: config.saltKeyFile }, 'SALT_KEY_FILE is inside DATA_DIR: a copy of DATA_DIR can then recompute visitor hashes')
  }
  return key
}

/** issue 25 (wt-t): the name authenticator apps list a Skaits account under, with the instance's host when known. */
function issuerName(publicUrl: string | undefined): string {
  try {
    return publicUrl ? `Skaits (${new URL(publicUrl).host})` : 'Skaits'
  } catch {
    return 'Skaits'
  }
}

/** The enrichment of live traffic and imports alike: the country database, and the ISP lookup when on. */
export async function openEnricher(config: Config): Promise<Enricher> {
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
  return new Enricher(countries, isps)
}

/**
 * The import service over `db` (server/imports/): for the server, with today's records of a
 * followed log going to `live`; for the CLI on a stopped server's data, with its own enrichment.
 */
export async function openImports(
  config: Config,
  db: Db,
  clock: Clock,
  options: { enricher?: Enricher; live?: LiveSink; log?: Logger; sites?: Sites } = {},
): Promise<{ imports: ImportService; close: () => void }> {
  const enricher = options.enricher ?? (await openEnricher(config))
  const imports = new ImportService({
    db,
    store: new ImportStore(db, clock),
    sites: options.sites,
    parse: parseSource,
    enricher,
    tz: config.timezone,
    retentionMonths: config.retentionMonths,
    sessionIdleMs: config.sessionIdleMs,
    sessionMax: config.sessionMax,
    clock,
    live: options.live,
    log: options.log,
  })
  return { imports, close: () => (options.enricher ? undefined : enricher.close()) }
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

  const key = saltKey(config, log)
  const salts = new SaltStore(db, config.timezone, clock, config.sessionIdleMs, { key, log })
  await salts.load()
  const sessions = new Sessions(config.sessionIdleMs, config.sessionMax)
  // Metrics are created after the parts they read; the buffer reports through this late-bound hook.
  let metrics: Metrics | undefined
  const buffer = new EventBuffer(db, config, log, clock, {
    flush: (s) => metrics?.observeFlush(s),
    error: () => metrics?.clickhouseError(),
  })
  const enricher = await openEnricher(config)
  const isps = enricher.isps
  const values = new ValueCap({ values: config.maxValuesPerDay, propNames: config.maxPropNamesPerDay })
  // A dashboard's first view asks about a dozen questions at once: room for them in the queue.
  // Real time, not `clock`: the limit is on the machine's load, whatever day tests pretend it is.
  const queryLimits = new QueryLimits({ ...config.stats, queue: 4 * config.stats.concurrency })
  // issue 25, exclusions part: the spam list is read once; drops are summed, inserted every few flushes.
  const filtered = new FilteredCounts({ db, tz: config.timezone, clock, log, flushIntervalMs: 5 * config.flushIntervalMs })
  const spam = ReferrerSpam.load()
  const ingestor = new Ingestor({
    sites,
    salts,
    sessions,
    buffer,
    respectGpc: config.respectGpc,
    clock,
    enricher,
    values,
    spam,
    filtered,
  })
  const maintenance = new Maintenance({ db, salts, buffer, sessions, clock, tz: config.timezone, log })
  metrics = createMetrics({ ingestor, buffer, sessions, isps, maintenance, values, queryLimits })
  // Catches up on every day an outage left open before any query reads it; a failure is logged
  // with its reason, retried a few times here and then every minute, and does not stop the start.
  await maintenance.runAtStart()

  const access = new Access(db, clock, config.sessionDays * 86_400_000)
  await access.load()
  if (config.admin && !access.ownerByEmail(config.admin.email)) {
    const problem = checkPasswordPolicy(config.admin.password)
    if (problem) throw new ConfigError(`SKAITS_ADMIN_PASSWORD: ${problem}`)
    const owner = await access.createOwner(config.admin.email, config.admin.password)
    log.info({ owner: owner.id }, 'owner created from SKAITS_ADMIN_EMAIL')
  }
  // issue 25, two-factor login (wt-t): its secrets sealed under the salt key, outside DATA_DIR.
  const twoFactor = new TwoFactor({ db, clock, seal: new TotpSeal(key), passwordHashOf: (id) => access.ownerById(id)?.passwordHash })
  await twoFactor.load()
  const limits = loginLimits(clock)
  const localToken = loadLocalToken(config.dataDir)
  const setupToken = SetupToken.open(config.dataDir, () => access.ownerCount() > 0)
  const partners = new Partners(db, clock)
  await partners.load()
  const goals = new GoalService({ db, sites, timezone: config.timezone, clock, maxGoals: config.goalsPerSite })
  const funnels = new FunnelService({ db, sites, timezone: config.timezone, clock, maxFunnels: config.funnelsPerSite })
  const admin = new Admin({ db, sites, access, partners, clock, notice: noticeFacts(config), goals, funnels })

  let shuttingDown = false
  const app = new Hono<AuthEnv>()
  // The ingest route and the tracker are the hot path and carry no credentials or pages.
  const open = (path: string) => path === '/api/event' || TRACKER_PATHS.has(path)
  app.use('*', securityHeaders({ frameAncestors: config.frameAncestors, skip: open }))
  // Before credentials are looked at or any route reads a body (ingest and queries have their own).
  app.use('*', limitRouteBodies())
  const idleSessions = new IdleSessions(config.sessionIdleDays * 86_400_000, config.sessionDays * 86_400_000, clock)
  const auth = authenticate({
    access,
    bootstrapKey: config.apiKey,
    localToken,
    trustProxy: config.trustProxy > 0,
    proxies: config.trustProxy,
    idleSessions,
    clock,
  })
  app.use('*', (c, next) => (open(c.req.path) ? next() : auth(c, next)))
  // issue 25 (wt-t): an owner whom the rule requires to enrol may do nothing else first.
  app.use('*', twoFactorGate(twoFactor))
  app.onError((err, c) => {
    // The route pattern, not the path: paths like /share/<token> carry secrets. The message may
    // quote the request (its body, a token, an address), so it is redacted, our secrets with it.
    const secrets = [config.apiKey, localToken, bearerToken(c.req.header('authorization')), ...Object.values(getCookie(c))]
    log.error({ err: redactedErrorText(err, secrets), route: c.req.routePath }, 'unhandled error')
    return c.json(say('internal_error'), 500)
  })
  app.notFound((c) => c.json(say('not_found'), 404))
  // Each sub-app is mounted under the prefix of the URLs it owns (docs/design.md, Layout).
  app.route('/api', ingestRoute(ingestor, { trustProxy: config.trustProxy, isShuttingDown: () => shuttingDown }))
  app.route('/', scriptRoute(log))
  // Relabeling a site's history after its section rules changed, in the background.
  const relabels = new RelabelJobs({ db, log, now: clock })
  app.route('/api/sites', sectionsRoute({ db, sites, jobs: relabels, timezone: config.timezone, clock }))
  app.route('/api/sites', hostnamesRoute({ sites, clock }))
  app.route('/api/sites', goalsRoute({ sites, goals, maxGoals: config.goalsPerSite }))
  app.route('/api', plausibleGoalsRoute({ sites, goals }))
  app.route('/api/sites', funnelsRoute({ sites, funnels, maxFunnels: config.funnelsPerSite }))
  app.route('/api/sites', alertsRoute({ sites, clock }))
  app.route('/api/sites', reportsRoute({ sites, clock }))
  app.route('/unsubscribe', unsubscribeRoute({ sites, clock }))
  app.route('/api/sites', siteCrowdRoute({ sites, clock }))
  // issue 25, exclusions part
  app.route('/api/sites', exclusionsRoute({ db, sites, clock, timezone: config.timezone }))
  app.route('/', optOutRoute())
  // Annotations (issue 25, annotations and comparison modes)
  app.route('/api/sites', annotationsRoute({ sites, annotations: new AnnotationService({ sites, clock }) }))
  const { imports } = await openImports(config, db, clock, { enricher, live: liveSink(ingestor, config.timezone, clock), log, sites })
  // An import a stopped process left in the middle is taken back (or its deletion finished).
  const recovered = await imports.recover()
  if (recovered) log.warn({ imports: recovered }, 'imports left unfinished by the last run were taken back')
  app.route('/api/sites', importsRoute({ sites, imports, maxBytes: config.importMaxBytes, live: liveSink(ingestor, config.timezone, clock) }))
  app.route('/api', adminRoute(admin))
  app.route('/api', twoFactorRoute({ access, twoFactor, limits, trustProxy: config.trustProxy, issuer: issuerName(config.publicUrl) }))
  app.route('/api', authRoute({ access, log, trustProxy: config.trustProxy, sessionDays: config.sessionDays, clock, setupToken, idleSessions, twoFactor, limits }))
  app.route('/export', exportRoute({ db, sites, partners, timezone: config.timezone }))
  app.route('/share', shareUnlockRoute({ access, trustProxy: config.trustProxy, clock }))
  app.route('/api/sessions', sessionsRoute({ access }))
  app.route('/api/reset', resetRoute({ access, log }))
  app.route('/', dashboardRoute({ access, sites, timezone: config.timezone, clock, log, mail: { configured: config.mail !== undefined }, twoFactor }))
  app.route('/', pagesRoute({ access }))
  const activeVisits = (site: string, windowMs: number) => sessions.activeSince(site, clock(), windowMs)
  // Answers kept in memory; the buffer tells it which of today's rows each flush wrote.
  const answers = new AnswerCache(db, { maxBytes: config.stats.cacheBytes, now: clock })
  buffer.onWritten((rows) => answers.written(rows))
  app.route('/api', statsRoute({
    db,
    sites,
    timezone: config.timezone,
    clock,
    log,
    activeVisits,
    limits: queryLimits,
    cost: config.stats,
    cache: answers,
    observe: { query: (s) => metrics?.observeQuery(s), error: () => metrics?.clickhouseError() },
  }))
  /** Prometheus scrape: for the admin credentials and owners (roles: not admins or viewers), or anyone with METRICS_PUBLIC. */
  app.get('/metrics', async (c) => {
    const no = config.metricsPublic ? undefined : refusal(c.get('principal'), 'administer')
    if (no?.status === 401) return c.json({ error: 'metrics need the admin key (Authorization: Bearer …) or METRICS_PUBLIC=true' }, 401)
    if (no) return c.json(no.said, no.status)
    return c.text(await metrics!.registry.metrics(), 200, { 'Content-Type': metrics!.registry.contentType })
  })
  app.get('/healthz', async (c) => {
    // A ClickHouse that never answers must not hold a health check for the client's 30 s timeout.
    const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2000).unref())
    const ok = await Promise.race([db.ping().then((r) => r.success, () => false), timeout])
    return c.json({ status: ok ? 'ok' : 'clickhouse unavailable' }, ok ? 200 : 503)
  })

  // Reports and alerts: e-mail through SMTP_URL when set (reports/mail.ts). Checked every minute:
  // what is due goes out once (reports_sent, alerts_sent), never on a request's path.
  const mailer = config.mail ? smtpMailer(config.mail, log) : mailerOff(MAIL_OFF)
  const alerts = new Alerts({
    db,
    sites,
    activeVisits: (site, ms) => sessions.activeSince(site, clock(), ms),
    clock,
    log,
    // roles: a site's alerts go to those who manage it, its owners and admins
    notify: mailer.enabled ? alertMailer(mailer, (site) => access.listOwners().filter((u) => userMay(u, 'manage', site)).map((u) => u.email)) : undefined,
  })
  const reports = new ReportScheduler({
    db,
    sites,
    tz: config.timezone,
    clock,
    log,
    send: reportSender({ db, timezone: config.timezone, clock, cost: config.stats, mailer, publicUrl: config.publicUrl ?? '' }),
  })
  let alertTimer: ReturnType<typeof setInterval> | undefined
  if (options.start) {
    buffer.start()
    filtered.start()
    maintenance.start()
    alertTimer = setInterval(() => {
      void alerts.check()
      if (mailer.enabled) void reports.run()
    }, 60_000)
    alertTimer.unref()
    // Other nodes' revocations, logouts, password changes and partner shares (docs/scaling.md).
    // The embedded engine is opened by this process alone: there is no other node to hear from.
    if (config.clickhouse.kind === 'server') {
      access.startRefresh(log)
      twoFactor.startRefresh(log)
      partners.startRefresh(log)
    }
    // Only one process opens the embedded engine's data: no other one can be relabeling it.
    // Nodes of a server or cluster restart together, and two relabels of the same hours at
    // once would count them twice; there the settings page offers to run it again.
    if (config.clickhouse.kind === 'embedded') resumeRelabels({ sites, jobs: relabels, timezone: config.timezone, clock }, log)
  }

  return {
    app,
    buffer,
    salts,
    sessions,
    sites,
    access,
    twoFactor,
    admin,
    ingestor,
    enricher,
    filtered,
    maintenance,
    reports,
    alerts,
    setupToken,
    async drain() {
      shuttingDown = true
      maintenance.stop()
      clearInterval(alertTimer)
      mailer.close()
      await Promise.all([access.stopRefresh(), twoFactor.stopRefresh(), partners.stopRefresh(), relabels.stop()])
      enricher.close()
      await buffer.close()
      await filtered.close()
    },
  }
}
