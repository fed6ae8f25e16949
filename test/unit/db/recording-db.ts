import type { ClickHouseClient } from '@clickhouse/client'
import { Db, type DbOptions } from '../../../server/db/client.ts'

export interface Recorded {
  query: string
  query_params?: Record<string, unknown>
  clickhouse_settings?: Record<string, unknown>
}

/**
 * A client that records every command and answers queries from `answer` (by a substring of
 * the SQL), for checking what SQL a code path sends without a ClickHouse behind it; `options`
 * as createDb would give them (a cluster).
 */
export function recordingDb(
  answer: (sql: string, params: Record<string, unknown>) => unknown[] = () => [],
  options: DbOptions = {},
) {
  const commands: Recorded[] = []
  const inserts: { table: string; values: unknown }[] = []
  const client = {
    command: async (p: Recorded) => {
      commands.push(p)
      return {}
    },
    query: async (p: { query: string; query_params?: Record<string, unknown> }) => ({
      json: async () => answer(p.query, p.query_params ?? {}),
    }),
    insert: async (p: { table: string; values: unknown }) => {
      inserts.push(p)
      return {}
    },
  } as unknown as ClickHouseClient
  return { db: new Db(client, options), commands, inserts }
}
