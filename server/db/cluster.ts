import type { ClickHouseSettings } from '@clickhouse/client'
import type { Db } from './client.ts'
import { ClusterDdlError, ClusterSchema, type ClusterTarget } from './cluster-ddl.ts'
import { readMigrations, type Migration } from './migration-files.ts'

const targets = new WeakMap<Db, ClusterTarget>()
const schemas = new WeakMap<Db, Promise<ClusterSchema>>()

/** Marks a client as speaking to a cluster (CLICKHOUSE_CLUSTER); called where clients are made. */
export function useCluster(db: Db, target: ClusterTarget): void {
  targets.set(db, target)
}

/** The cluster a client speaks to, or undefined for one node (the embedded engine or one server). */
export function clusterOf(db: Db): ClusterTarget | undefined {
  return targets.get(db)
}

/** Every migration's statements as cluster DDL. Throws, naming the file, before anything runs. */
export function translateMigrations(target: ClusterTarget, migrations: Migration[]): { schema: ClusterSchema; migrations: Migration[] } {
  const schema = new ClusterSchema(target)
  const translated = migrations.map((m) => ({
    ...m,
    statements: m.statements.flatMap((statement) => {
      try {
        return schema.translate(statement)
      } catch (err) {
        throw err instanceof ClusterDdlError ? new ClusterDdlError(`${m.name}: ${err.message}`) : err
      }
    }),
  }))
  return { schema, migrations: translated }
}

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
  const target = targets.get(db)
  if (!target) return { table, target: table, settings: undefined }
  let schema = schemas.get(db)
  if (!schema) {
    schema = readMigrations().then((migrations) => translateMigrations(target, migrations).schema)
    schemas.set(db, schema)
  }
  const stored = (await schema).storage(table)
  return { table: stored.table, target: stored.clause, settings: { alter_sync: '2', mutations_sync: '2' } }
}
