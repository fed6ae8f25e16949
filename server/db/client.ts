import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Readable } from 'node:stream'
import {
  createClient,
  type ClickHouseClient,
  type CommandParams,
  type CommandResult,
  type DataFormat,
  type ExecResult,
  type InsertParams,
  type InsertResult,
  type PingResult,
  type QueryParams,
  type QueryResult,
} from '@clickhouse/client'
import { createChdbConnection } from 'chdb/connection'
import type { Config } from '../config.ts'
import { translateMigrations, type ClusterSchema, type ClusterTarget } from './cluster-ddl.ts'
import { readMigrations } from './migration-files.ts'

type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>

/**
 * The one place a ClickHouse client is made: embedded chDB under DATA_DIR by default,
 * a ClickHouse server when CLICKHOUSE_URL is set. Everything else speaks to it through a Db.
 */
export function createDb(config: Pick<Config, 'clickhouse'>): Db {
  const ch = config.clickhouse
  if (ch.kind === 'server') {
    const client = createClient({
      url: ch.url,
      username: ch.username,
      password: ch.password,
      database: ch.database,
      request_timeout: 30_000,
      clickhouse_settings: {
        date_time_input_format: 'best_effort',
        // An insert into a Distributed table (rollup, relabel, rename) reaches its shards before
        // it returns, instead of waiting in a queue on this node's disk.
        ...(ch.cluster ? { insert_distributed_sync: 1 } : {}),
      },
    })
    return new Db(client, { cluster: ch.cluster ? { cluster: ch.cluster, database: ch.database } : undefined })
  }
  mkdirSync(ch.path, { recursive: true, mode: 0o700 })
  // chdb declares its Connection against @clickhouse/client-common, whose types
  // @clickhouse/client no longer shares; the runtime interface is the same.
  const connection = createChdbConnection({ path: ch.path }) as unknown as ClientConnection
  return new Db(createClient({ connection }), { embeddedPath: ch.path })
}

export interface DbOptions {
  /** the cluster the client speaks to (CLICKHOUSE_CLUSTER); undefined for one node */
  cluster?: ClusterTarget | undefined
  /** the embedded engine's data directory: writes through this Db are counted (see Db.writes) */
  embeddedPath?: string | undefined
}

/**
 * Which stored statistics a write can change, for the answers kept in memory (Db.historyWrites):
 * 'none' (sites, credentials, salts: no count or visitor), 'all' (the default: any day's), or
 * a function said when the write has ended: 'today' when every row it wrote is of the current
 * day, which no answer about closed days reads (the ingest buffer's usual flush, which tells
 * the answer cache itself what it wrote).
 */
export type StatsScope = 'none' | 'all' | (() => 'today' | 'all')

/** Counts of writes to one embedded data directory (see Db.writes and Db.historyWrites). */
interface WriteCounter {
  /** every write's start and end */
  n: number
  /** the starts and ends of writes that may change a closed day's statistics */
  history: number
}

/** One count for every Db of an embedded data directory in this process. */
const writeCounters = new Map<string, WriteCounter>()

/**
 * A ClickHouse client with what the rest of the server needs to know about it: whether it
 * speaks to a cluster, and (embedded engine only) how many writes went through it. It answers
 * the client's own `query`, `insert`, `command`, `exec`, `ping` and `close`, so callers read
 * as if they held the client; made by createDb, or in tests around a fake client.
 */
export class Db {
  /**
   * The client itself, for what this wrapper does not pass on. A write made through it
   * directly is not counted (see writes): prefer the methods here.
   */
  readonly client: ClickHouseClient
  /** The cluster this client speaks to, or undefined for one node (the embedded engine or one server). */
  readonly cluster: ClusterTarget | undefined
  private readonly counter: WriteCounter | undefined
  private schema: Promise<ClusterSchema> | undefined
  private readonly kept = new Map<string, { at: number; writes: number; value: Promise<unknown> }>()

  constructor(client: ClickHouseClient, options: DbOptions = {}) {
    this.client = client
    this.cluster = options.cluster
    if (options.embeddedPath !== undefined) {
      const key = resolve(options.embeddedPath)
      this.counter = writeCounters.get(key) ?? { n: 0, history: 0 }
      writeCounters.set(key, this.counter)
    }
  }

  // The client's own methods, with its signatures; the writes among them counted (see writes).

  query<Format extends DataFormat = 'JSON'>(
    params: Omit<QueryParams, 'format'> & { format?: Format },
  ): Promise<QueryResult<Format>> {
    return this.client.query(params)
  }

  insert<T>(params: InsertParams<Readable, T>, scope: StatsScope = 'all'): Promise<InsertResult> {
    return this.counted(() => this.client.insert(params), scope)
  }

  command(params: CommandParams, scope: StatsScope = 'all'): Promise<CommandResult> {
    return this.counted(() => this.client.command(params), scope)
  }

  exec(params: Parameters<ClickHouseClient['exec']>[0], scope: StatsScope = 'all'): Promise<ExecResult<Readable>> {
    return this.counted(() => this.client.exec(params), scope)
  }

  ping(params?: Parameters<ClickHouseClient['ping']>[0]): Promise<PingResult> {
    return this.client.ping(params)
  }

  close(): Promise<void> {
    return this.client.close()
  }

  /**
   * How many times a write (insert, command, exec) has started or ended, for what is kept a
   * moment in memory (keptUntilWrite): a count changed since means it may be stale. Only the
   * embedded engine is counted, one count per data directory shared by every Db of it in this
   * process: one process at a time opens its data, so every write to it passes here. Undefined
   * for a ClickHouse server, which other processes may write to.
   */
  get writes(): number | undefined {
    return this.counter?.n
  }

  /**
   * How many times a write that may change a closed day's statistics (StatsScope 'all') has
   * started or ended, for answers kept in memory (stats/answer-cache.ts): it moves when such a
   * write starts and again when it ends, so an answer read while one ran is never taken for a
   * current one. Embedded engine only, like writes; undefined for a ClickHouse server.
   */
  get historyWrites(): number | undefined {
    return this.counter?.history
  }

  private async counted<T>(write: () => Promise<T>, scope: StatsScope): Promise<T> {
    const counter = this.counter
    if (!counter) return write()
    counter.n++
    if (scope === 'all') counter.history++
    try {
      return await write()
    } finally {
      counter.n++
      // A write said to be of today alone is checked when it has ended: one that began just
      // before midnight wrote a day that is closed now.
      if (scope === 'all' || (typeof scope === 'function' && scope() === 'all')) counter.history++
    }
  }

  /**
   * What `load` answers, shared for up to `ms` under `key` while nothing is written (see
   * writes); a write since, and the next call loads again. A load that fails is forgotten at
   * once. Without a count of writes (a ClickHouse server) every call loads.
   */
  keptUntilWrite<T>(key: string, ms: number, load: () => Promise<T>): Promise<T> {
    const writes = this.writes
    if (writes === undefined) return load()
    const now = performance.now()
    const kept = this.kept.get(key)
    if (kept && kept.writes === writes && now - kept.at < ms) return kept.value as Promise<T>
    const value = load()
    const entry = { at: now, writes, value }
    this.kept.set(key, entry)
    value.catch(() => {
      if (this.kept.get(key) === entry) this.kept.delete(key)
    })
    return value
  }

  /** The cluster's tables as the migrations make them (see storedTable), read once. Rejects on one node. */
  clusterSchema(): Promise<ClusterSchema> {
    const target = this.cluster
    if (!target) return Promise.reject(new Error('clusterSchema() on one node: there is no cluster'))
    this.schema ??= readMigrations().then((migrations) => translateMigrations(target, migrations).schema)
    return this.schema
  }
}

/** UInt64 arrives as a number from chDB and as a string from a server; counts fit in a double. */
export function num(v: unknown): number {
  return v === null || v === undefined ? 0 : Number(v)
}

export async function queryRows<T = Record<string, unknown>>(
  db: Db,
  query: string,
  params: Record<string, unknown> = {},
): Promise<T[]> {
  const rs = await db.query({ query, query_params: params, format: 'JSONEachRow' })
  return rs.json<T>()
}
