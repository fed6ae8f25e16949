import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { createClient, type ClickHouseClient } from '@clickhouse/client'
import { createChdbConnection } from 'chdb/connection'
import type { Config } from '../config.ts'
import { useCluster } from './cluster.ts'

export type Db = ClickHouseClient

type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>

/**
 * The one place a ClickHouse client is made: embedded chDB under DATA_DIR by default,
 * a ClickHouse server when CLICKHOUSE_URL is set. Everything else speaks the same client API.
 */
export function createDb(config: Pick<Config, 'clickhouse'>): Db {
  const ch = config.clickhouse
  if (ch.kind === 'server') {
    const db = createClient({
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
    if (ch.cluster) useCluster(db, { cluster: ch.cluster, database: ch.database })
    return db
  }
  mkdirSync(ch.path, { recursive: true, mode: 0o700 })
  // chdb declares its Connection against @clickhouse/client-common, whose types
  // @clickhouse/client no longer shares; the runtime interface is the same.
  const connection = createChdbConnection({ path: ch.path }) as unknown as ClientConnection
  const db = createClient({ connection })
  countWrites(db, ch.path)
  return db
}

const writeCounts = new WeakMap<Db, { n: number }>()
/** One count for every client of a data directory in this process. */
const writeCountsByPath = new Map<string, { n: number }>()

/**
 * How many times a write (insert, command, exec) through `db` has started or ended, for what is
 * kept a moment in memory (stats/run.ts): a count changed since means it may be stale. Only
 * the embedded engine is counted: one process at a time opens its data, so every write to it
 * passes here. Undefined for a ClickHouse server, which other processes may write to.
 */
export function writeCount(db: Db): number | undefined {
  return writeCounts.get(db)?.n
}

function countWrites(db: Db, path: string): void {
  const key = resolve(path)
  const counter = writeCountsByPath.get(key) ?? { n: 0 }
  writeCountsByPath.set(key, counter)
  writeCounts.set(db, counter)
  for (const name of ['insert', 'command', 'exec'] as const) {
    const write = (db[name] as (...args: unknown[]) => Promise<unknown>).bind(db)
    Object.assign(db, {
      [name]: async (...args: unknown[]) => {
        counter.n++
        try {
          return await write(...args)
        } finally {
          counter.n++
        }
      },
    })
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
