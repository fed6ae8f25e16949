import { ConfigError } from '../config.ts'
import { queryRows, type Db } from './client.ts'
import { storedTable, type StoredTable } from './cluster.ts'
import { ClusterSchema, translateMigrations, type ClusterTarget } from './cluster-ddl.ts'
import { MIGRATIONS_DIR, readMigrations } from './migration-files.ts'

export { MIGRATIONS_DIR, readMigrations, splitStatements, type Migration } from './migration-files.ts'

const SCHEMA_MIGRATIONS = `CREATE TABLE IF NOT EXISTS schema_migrations
            (version UInt32, name String, applied_at DateTime('UTC'))
            ENGINE = ReplacingMergeTree ORDER BY version`

/**
 * Applies migrations not yet recorded, in order. Every statement is written to be safe to
 * re-run (IF NOT EXISTS), so a migration interrupted half-way is simply applied again.
 */
export async function migrate(db: Db, dir = MIGRATIONS_DIR): Promise<string[]> {
  const cluster = db.cluster
  let migrations = await readMigrations(dir)
  let bookkeeping = [SCHEMA_MIGRATIONS]
  if (cluster) {
    const translated = translateMigrations(cluster, migrations)
    const existing = await clusterTables(db, cluster, translated.schema)
    migrations = translated.migrations
    // ON CLUSTER waits for every host: with one down, an ingest node could not even restart.
    bookkeeping = existing.has('schema_migrations') ? [] : new ClusterSchema(cluster).translate(SCHEMA_MIGRATIONS)
  }
  for (const query of bookkeeping) await db.command({ query })
  const done = new Set(
    (await queryRows<{ version: number }>(db, 'SELECT version FROM schema_migrations FINAL')).map((r) =>
      Number(r.version),
    ),
  )
  const applied: string[] = []
  for (const m of migrations) {
    if (done.has(m.version)) continue
    for (const statement of m.statements) await db.command({ query: statement })
    await db.insert({
      table: 'schema_migrations',
      values: [{ version: m.version, name: m.name, applied_at: Math.floor(Date.now() / 1000) }],
      format: 'JSONEachRow',
    })
    applied.push(m.name)
  }
  return applied
}

/** Tables whose TTL follows RETENTION_MONTHS, with the column the TTL counts from. */
const RETAINED: Record<string, string> = {
  counts_hourly: 'hour',
  visitors_daily: 'day',
  visitors_hourly: 'hour',
  rolled_days: 'day',
  // Sketches are dropped by their day's rollup; the retention is only their backstop (migration 013).
  visitor_sketches: 'day',
  // what each import wrote, and its record, kept while its rows may be (imports/)
  import_rows: 'day',
  imports: 'toDateTime(updated_at)',
  // issue 25, exclusions part: events not counted, per site, day and reason (ingest/filtered.ts)
  filtered_counts: 'day',
}

/** Brings every retained table's TTL to `months`, touching only tables that differ. */
export async function applyRetention(db: Db, months: number): Promise<string[]> {
  // On a cluster the TTL lives on the tables holding the rows (`counts_hourly_local`, …).
  const stored = new Map<string, StoredTable & { name: string }>()
  for (const name of Object.keys(RETAINED)) {
    const s = await storedTable(db, name)
    stored.set(s.table, { ...s, name })
  }
  const rows = await queryRows<{ name: string; create_table_query: string }>(
    db,
    `SELECT name, create_table_query FROM system.tables
     WHERE database = currentDatabase() AND name IN {names:Array(String)}`,
    { names: [...stored.keys()] },
  )
  const changed: string[] = []
  for (const { name: table, create_table_query } of rows) {
    if (create_table_query.includes(`toIntervalMonth(${months})`)) continue
    const { name, target, settings } = stored.get(table)!
    const column = RETAINED[name]
    // DDL takes no query parameters; `months` is a validated integer from the config.
    await db.command({ query: `ALTER TABLE ${target} MODIFY TTL ${column} + toIntervalMonth(${months})`, clickhouse_settings: settings })
    changed.push(name)
  }
  return changed
}

/**
 * The migrations' tables that exist on this node. A database made for one node cannot be
 * turned into a cluster's by migrations: its tables are not Replicated, and a Distributed
 * table cannot take a MergeTree table's name. Stops before any DDL with the table that shows it.
 */
async function clusterTables(db: Db, cluster: ClusterTarget, schema: ClusterSchema): Promise<Set<string>> {
  const expected = new Map<string, (engine: string) => boolean>([['schema_migrations', (e) => e.startsWith('Replicated')]])
  for (const [name, placement] of schema.tables()) {
    if (placement === 'sharded') expected.set(name, (e) => e === 'Distributed')
    if (placement === 'replicated') expected.set(name, (e) => e.startsWith('Replicated'))
  }
  const rows = await queryRows<{ name: string; engine: string }>(
    db,
    `SELECT name, engine FROM system.tables WHERE database = currentDatabase() AND name IN {names:Array(String)}`,
    { names: [...expected.keys()] },
  )
  const wrong = rows.find((r) => !expected.get(r.name)!(r.engine))
  if (wrong) {
    throw new ConfigError(
      `CLICKHOUSE_CLUSTER is set, but table ${wrong.name} in database ${cluster.database} was made for one node ` +
        `(engine ${wrong.engine}); migrations cannot convert it (see docs/scaling.md)`,
    )
  }
  return new Set(rows.map((r) => r.name))
}
