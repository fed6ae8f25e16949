import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { queryRows, type Db } from './client.ts'

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url))

export interface Migration {
  version: number
  name: string
  statements: string[]
}

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d+_.*\.sql$/.test(f)).sort()
  const migrations: Migration[] = []
  for (const file of files) {
    const sql = await readFile(path.join(dir, file), 'utf8')
    migrations.push({ version: Number(file.split('_')[0]), name: file, statements: splitStatements(sql) })
  }
  const versions = migrations.map((m) => m.version)
  if (new Set(versions).size !== versions.length) throw new Error('two migrations share a number')
  return migrations
}

/** Splits a file on `;` at the end of a line; comments are dropped. */
export function splitStatements(sql: string): string[] {
  return sql
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join('\n')
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter(Boolean)
}

/**
 * Applies migrations not yet recorded, in order. Every statement is written to be safe to
 * re-run (IF NOT EXISTS), so a migration interrupted half-way is simply applied again.
 */
export async function migrate(db: Db, dir = MIGRATIONS_DIR): Promise<string[]> {
  await db.command({
    query: `CREATE TABLE IF NOT EXISTS schema_migrations
            (version UInt32, name String, applied_at DateTime('UTC'))
            ENGINE = ReplacingMergeTree ORDER BY version`,
  })
  const done = new Set(
    (await queryRows<{ version: number }>(db, 'SELECT version FROM schema_migrations FINAL')).map((r) =>
      Number(r.version),
    ),
  )
  const applied: string[] = []
  for (const m of await readMigrations(dir)) {
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
}

/** Brings every retained table's TTL to `months`, touching only tables that differ. */
export async function applyRetention(db: Db, months: number): Promise<string[]> {
  const rows = await queryRows<{ name: string; create_table_query: string }>(
    db,
    `SELECT name, create_table_query FROM system.tables
     WHERE database = currentDatabase() AND name IN {names:Array(String)}`,
    { names: Object.keys(RETAINED) },
  )
  const changed: string[] = []
  for (const { name, create_table_query } of rows) {
    if (create_table_query.includes(`toIntervalMonth(${months})`)) continue
    const column = RETAINED[name]
    // DDL takes no query parameters; `months` is a validated integer from the config.
    await db.command({ query: `ALTER TABLE ${name} MODIFY TTL ${column} + toIntervalMonth(${months})` })
    changed.push(name)
  }
  return changed
}
