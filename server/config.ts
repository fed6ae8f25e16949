import path from 'node:path'

/** Every setting Skaits reads, typed. Nothing else in the code reads `process.env`. */
export interface Config {
  port: number
  host: string
  dataDir: string
  /** SALT_KEY_FILE: the key the stored salt seeds need, kept outside DATA_DIR (made at first start) */
  saltKeyFile: string
  clickhouse:
    | { kind: 'embedded'; path: string }
    | {
        kind: 'server'
        url: string
        username: string
        password: string
        database: string
        /** CLICKHOUSE_CLUSTER: replicated and Distributed tables across this cluster (docs/scaling.md) */
        cluster?: string
      }
  /** Number of reverse proxies in front of Skaits whose `X-Forwarded-For` entries are trusted. */
  trustProxy: number
  sites: string[]
  apiKey: string | undefined
  retentionMonths: number
  timezone: string
  respectGpc: boolean
  flushIntervalMs: number
  batchMaxEvents: number
  bufferMaxEvents: number
  /** an insert not answered by then is abandoned and resent under the same deduplication token */
  insertTimeoutMs: number
  /** at start, how long to wait for ClickHouse to answer before giving up (exit code 3) */
  clickhouseWaitMs: number
  /** accepted ingest requests per network (/24, /48) per minute; 0: no limit */
  ingestRatePerMinute: number
  /** new distinct values per site, day and dimension (properties: all values together) before they count as `(other)` */
  maxValuesPerDay: number
  /** new distinct property names per site and day before they count as `(other)` */
  maxPropNamesPerDay: number
  /** goals a site may declare (each adds rows per visit dimension it is completed by) */
  goalsPerSite: number
  /** funnels a site may declare */
  funnelsPerSite: number
  /** the largest file an import's upload may send (IMPORT_MAX_MB) */
  importMaxBytes: number
  /** what one Stats API query, and one credential's queries, may cost */
  stats: {
    /** passed to ClickHouse as max_execution_time */
    maxExecutionMs: number
    /** passed to ClickHouse as max_memory_usage */
    maxMemoryBytes: number
    /** queries running at once per credential (more wait in a short queue, then 429) */
    concurrency: number
    /** queries per credential per minute, in bursts of up to a minute's worth; 0: no limit */
    ratePerMinute: number
    /** memory for answers kept between queries (stats/answer-cache.ts); 0: none kept */
    cacheBytes: number
  }
  /** limits of the HTTP server against slow, large or too many clients */
  http: {
    maxHeaderBytes: number
    /** the whole request, headers and body, must arrive within this */
    requestTimeoutMs: number
    headersTimeoutMs: number
    keepAliveTimeoutMs: number
    maxConnections: number
  }
  sessionIdleMs: number
  sessionMax: number
  logLevel: string
  /** owner created at start when missing (headless setup) */
  admin: { email: string; password: string } | undefined
  sessionDays: number
  /** SESSION_IDLE_DAYS: a dashboard session unused this long ends, before the SESSION_DAYS cap */
  sessionIdleDays: number
  /** /metrics without credentials (for a Prometheus on a private network) */
  metricsPublic: boolean
  /** origins allowed to embed shared dashboards in a frame; empty: none */
  frameAncestors: string[]
  /** a MaxMind GeoLite2/GeoIP2 country or city database instead of the bundled CC0 one */
  geoipDb: string | undefined
  isp: {
    /** reverse DNS (default) or off */
    enabled: boolean
    /** a MaxMind ISP, Domain or ASN database answering instead of DNS */
    db: string | undefined
    dnsServers: string[]
    timeoutMs: number
    concurrency: number
    cacheSize: number
  }
  /** SMTP_URL, MAIL_FROM: how reports are sent; undefined: reports are off (`mailOff` says why) */
  mail: MailConfig | undefined
  /** PUBLIC_URL: where the dashboard is reached from outside, for links in e-mail (no trailing slash) */
  publicUrl: string | undefined
}

export interface MailConfig {
  /** the whole SMTP_URL, credentials included: give it to the transport, never to a log */
  smtpUrl: string
  /** SMTP_URL without its password, for messages */
  smtpShown: string
  from: string
  /** MAIL_TIMEOUT_MS: connecting, greeting and each reply of the SMTP server */
  timeoutMs: number
}

/** Why reports are off when they are (shown by the CLI and, later, the dashboard). */
export const MAIL_OFF = 'reports are off: SMTP_URL is not set (see README, "Reports")'

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>

export function loadConfig(env: Env = process.env): Config {
  const dataDir = path.resolve(env.DATA_DIR || './data')
  const url = env.CLICKHOUSE_URL?.trim()
  const cluster = clusterName(env.CLICKHOUSE_CLUSTER, url)
  const timezone = env.TIMEZONE || 'UTC'
  assertTimezone(timezone)
  return {
    port: int(env, 'PORT', 8080, 0, 65535),
    host: env.HOST || '0.0.0.0',
    dataDir,
    // Beside DATA_DIR, not in it: a copy of the data directory alone holds no usable salt.
    saltKeyFile: env.SALT_KEY_FILE ? path.resolve(env.SALT_KEY_FILE) : `${dataDir}.salt-key`,
    clickhouse: url
      ? {
          kind: 'server',
          url,
          username: env.CLICKHOUSE_USER || 'default',
          password: env.CLICKHOUSE_PASSWORD || '',
          database: env.CLICKHOUSE_DATABASE || 'default',
          ...(cluster ? { cluster } : {}),
        }
      : { kind: 'embedded', path: path.join(dataDir, 'clickhouse') },
    trustProxy: trustProxy(env.TRUST_PROXY),
    sites: list(env.SKAITS_SITES),
    apiKey: bootstrapKey(env.SKAITS_API_KEY),
    // At most 50 years: ClickHouse's DateTime ends in 2106, and a TTL of hour + N months past it wraps round to 1970 and expires everything.
    retentionMonths: int(env, 'RETENTION_MONTHS', 25, 1, 600),
    timezone,
    respectGpc: bool(env, 'RESPECT_GPC', true),
    flushIntervalMs: int(env, 'FLUSH_INTERVAL_MS', 1000, 10, 60_000),
    batchMaxEvents: int(env, 'BATCH_MAX_EVENTS', 5000, 1, 1_000_000),
    bufferMaxEvents: int(env, 'BUFFER_MAX_EVENTS', 100_000, 1, 10_000_000),
    insertTimeoutMs: int(env, 'INSERT_TIMEOUT_MS', 10_000, 100, 600_000),
    clickhouseWaitMs: int(env, 'CLICKHOUSE_WAIT_MS', 30_000, 0, 3_600_000),
    ingestRatePerMinute: int(env, 'INGEST_RATE_PER_MINUTE', 600, 0, 1_000_000_000),
    maxValuesPerDay: int(env, 'MAX_VALUES_PER_DAY', 10_000, 1, 100_000_000),
    maxPropNamesPerDay: int(env, 'MAX_PROP_NAMES_PER_DAY', 1000, 1, 100_000_000),
    goalsPerSite: int(env, 'GOALS_PER_SITE', 50, 1, 1000),
    funnelsPerSite: int(env, 'FUNNELS_PER_SITE', 20, 1, 20),
    importMaxBytes: int(env, 'IMPORT_MAX_MB', 8192, 1, 1_048_576) * 1024 * 1024,
    stats: {
      maxExecutionMs: int(env, 'STATS_MAX_EXECUTION_MS', 10_000, 1, 3_600_000),
      maxMemoryBytes: int(env, 'STATS_MAX_MEMORY_MB', 2048, 1, 1_048_576) * 1024 * 1024,
      concurrency: int(env, 'STATS_CONCURRENCY', 4, 1, 1000),
      ratePerMinute: int(env, 'STATS_RATE_PER_MINUTE', 600, 0, 1_000_000_000),
      cacheBytes: int(env, 'STATS_CACHE_MB', 64, 0, 1_048_576) * 1024 * 1024,
    },
    http: httpLimits(env),
    sessionIdleMs: int(env, 'SESSION_IDLE_MINUTES', 30, 1, 24 * 60) * 60_000,
    sessionMax: int(env, 'SESSION_MAX', 250_000, 100, 100_000_000),
    logLevel: env.LOG_LEVEL || 'info',
    admin: adminAccount(env),
    sessionDays: int(env, 'SESSION_DAYS', 30, 1, 365),
    sessionIdleDays: int(env, 'SESSION_IDLE_DAYS', 7, 1, 365),
    metricsPublic: bool(env, 'METRICS_PUBLIC', false),
    frameAncestors: list(env.FRAME_ANCESTORS),
    geoipDb: env.GEOIP_DB || undefined,
    isp: {
      enabled: ispLookup(env.ISP_LOOKUP),
      db: env.ISP_DB || undefined,
      dnsServers: list(env.DNS_SERVERS),
      timeoutMs: int(env, 'ISP_TIMEOUT_MS', 500, 10, 10_000),
      concurrency: int(env, 'ISP_CONCURRENCY', 32, 1, 1000),
      cacheSize: int(env, 'ISP_CACHE_SIZE', 100_000, 100, 10_000_000),
    },
    mail: mailConfig(env),
    publicUrl: publicUrl(env),
  }
}

function mailConfig(env: Env): MailConfig | undefined {
  const raw = env.SMTP_URL?.trim()
  if (!raw) return undefined
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    // The value is not repeated: it may hold a password.
    throw new ConfigError('SMTP_URL is not a URL; write it as smtp://user:password@host:587 or smtps://user:password@host:465')
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    throw new ConfigError(`SMTP_URL must start with smtp:// (STARTTLS when offered) or smtps:// (TLS from the start), got "${url.protocol}//"`)
  }
  if (!url.hostname) throw new ConfigError('SMTP_URL names no host: smtp://user:password@host:587')
  if (url.password && !url.username) throw new ConfigError('SMTP_URL has a password but no user name')
  const from = env.MAIL_FROM?.trim()
  if (!from) throw new ConfigError('MAIL_FROM must be set when SMTP_URL is: the address reports come from, e.g. "Skaits <reports@example.lv>"')
  if (!isMailFrom(from)) throw new ConfigError(`MAIL_FROM must be an e-mail address, or a name and one in <>, e.g. "Skaits <reports@example.lv>"; got "${from}"`)
  if (!env.PUBLIC_URL?.trim()) throw new ConfigError('PUBLIC_URL must be set when SMTP_URL is: the reports link to the dashboard, e.g. https://stats.example.lv')
  const shown = new URL(url)
  if (shown.password) shown.password = '***'
  return { smtpUrl: raw, smtpShown: shown.toString(), from, timeoutMs: int(env, 'MAIL_TIMEOUT_MS', 10_000, 100, 600_000) }
}

const ADDRESS = /^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:]+$/

function isMailFrom(from: string): boolean {
  const named = /^[^<>]*<([^<>]+)>$/.exec(from)
  return ADDRESS.test(named ? named[1]!.trim() : from)
}

function publicUrl(env: Env): string | undefined {
  const raw = env.PUBLIC_URL?.trim()
  if (!raw) return undefined
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ConfigError(`PUBLIC_URL must be the dashboard's address, e.g. https://stats.example.lv; got "${raw}"`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(`PUBLIC_URL must start with https:// or http://, got "${raw}"`)
  if (url.username || url.password || url.search || url.hash) throw new ConfigError(`PUBLIC_URL must be a plain address without user, query or fragment, got "${raw}"`)
  return url.toString().replace(/\/+$/, '')
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`)
  }
  return n
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.toLowerCase()
  if (raw === undefined || raw === '') return fallback
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true
  if (['0', 'false', 'no', 'off'].includes(raw)) return false
  throw new ConfigError(`${name} must be true or false, got "${env[name]}"`)
}

function trustProxy(raw: string | undefined): number {
  if (raw === undefined || raw === '' || raw === 'false' || raw === '0') return 0
  if (raw === 'true') return 1
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 0 || n > 10) {
    throw new ConfigError(`TRUST_PROXY must be false, true or the number of proxies (0-10), got "${raw}"`)
  }
  return n
}

function httpLimits(env: Env): Config['http'] {
  const limits = {
    maxHeaderBytes: int(env, 'MAX_HEADER_BYTES', 16 * 1024, 1024, 1024 * 1024),
    requestTimeoutMs: int(env, 'REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000),
    headersTimeoutMs: int(env, 'HEADERS_TIMEOUT_MS', 10_000, 100, 3_600_000),
    keepAliveTimeoutMs: int(env, 'KEEP_ALIVE_TIMEOUT_MS', 5_000, 100, 3_600_000),
    maxConnections: int(env, 'MAX_CONNECTIONS', 4096, 1, 1_000_000),
  }
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new ConfigError(`HEADERS_TIMEOUT_MS (${limits.headersTimeoutMs}) must not exceed REQUEST_TIMEOUT_MS (${limits.requestTimeoutMs})`)
  }
  return limits
}

/** Shortest SKAITS_API_KEY accepted: it opens everything, and only guessing stands in the way. */
export const MIN_API_KEY_LENGTH = 24

function bootstrapKey(raw: string | undefined): string | undefined {
  if (!raw) return undefined
  if (raw.length < MIN_API_KEY_LENGTH) {
    // The message leaves the key out: start-up errors end up in logs.
    throw new ConfigError(
      `SKAITS_API_KEY must be at least ${MIN_API_KEY_LENGTH} characters (it has ${raw.length}); make one with: openssl rand -base64 32`,
    )
  }
  return raw
}

function adminAccount(env: Env): Config['admin'] {
  const email = env.SKAITS_ADMIN_EMAIL
  const password = env.SKAITS_ADMIN_PASSWORD
  if (!email && !password) return undefined
  if (!email || !password) throw new ConfigError('set both SKAITS_ADMIN_EMAIL and SKAITS_ADMIN_PASSWORD, or neither')
  return { email, password }
}

function ispLookup(raw: string | undefined): boolean {
  if (raw === undefined || raw === '' || raw === 'dns' || raw === 'on') return true
  if (raw === 'off') return false
  throw new ConfigError(`ISP_LOOKUP must be dns or off, got "${raw}"`)
}

function clusterName(raw: string | undefined, url: string | undefined): string | undefined {
  const name = raw?.trim()
  if (!name) return undefined
  if (!url) throw new ConfigError('CLICKHOUSE_CLUSTER needs CLICKHOUSE_URL: the embedded engine is a single node, not a cluster')
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name)) {
    throw new ConfigError(`CLICKHOUSE_CLUSTER must be a cluster name from the servers' remote_servers, got "${raw}"`)
  }
  return name
}

function list(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
}

function assertTimezone(tz: string): void {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz })
  } catch {
    throw new ConfigError(`TIMEZONE must be an IANA time zone such as Europe/Riga, got "${tz}"`)
  }
}
