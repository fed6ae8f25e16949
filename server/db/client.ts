import { mkdirSync } from 'node:fs'
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
  return createClient({ connection })
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
