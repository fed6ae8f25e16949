import type { ClickHouseSettings } from '@clickhouse/client'
import type { Db } from './client.ts'
import type { ClusterTarget } from './cluster-ddl.ts'

export interface StoredTable {
  /** the name of the table holding the rows, as in this node's system.tables */
  table: string
  /** what follows `ALTER TABLE` or `TRUNCATE TABLE` */
  target: string
  /** settings that make the statement wait for every replica; undefined on one node */
  settings: ClickHouseSettings | undefined
}

/**
 * Where DDL and mutations on a table's stored rows go. On one node: the table itself, so
 * statements read exactly as they always did. On a cluster: every shard's local table
 * (`counts_hourly_local` behind the Distributed `counts_hourly`) `ON CLUSTER`, or a table kept
 * on every node, which Keeper replicates; either way waiting until every replica has done it.
 */
export async function storedTable(db: Db, table: string): Promise<StoredTable> {
  if (!db.cluster) return { table, target: table, settings: undefined }
  const stored = (await db.clusterSchema()).storage(table)
  return { table: stored.table, target: stored.clause, settings: { alter_sync: '2', mutations_sync: '2' } }
}
