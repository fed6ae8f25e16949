import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDb, queryRows, type Db } from '../../server/db/client.ts'
import { ClusterSchema } from '../../server/db/cluster-ddl.ts'
import { translateMigrations } from '../../server/db/cluster-ddl.ts'
import { applyRetention } from '../../server/db/migrate.ts'
import { readMigrations } from '../../server/db/migration-files.ts'
import { SaltStore } from '../../server/privacy/salts.ts'
import { dropDaySketches } from '../../server/rollup/rollup.ts'
import { relabelSections } from '../../server/sections/relabel.ts'
import { deleteSiteData } from '../../server/sites/data.ts'
import { tempDir } from '../helpers/skaits.ts'
import { recordingDb } from '../unit/db/recording-db.ts'

// No cluster can run here (no Keeper, no second server), so the cluster DDL is checked by the
// real ClickHouse parser of the embedded engine: formatQuery() parses a statement without running it.
const target = { cluster: 'skaits', database: 'analytics' }
let db: Db

async function format(sql: string): Promise<string> {
  const [row] = await queryRows<{ f: string }>(db, 'SELECT formatQuery({q:String}) AS f', { q: sql })
  return row!.f
}

const leadingWords = (sql: string) => sql.trim().split(/\s+/).slice(0, 2).join(' ').toUpperCase()

/** Every statement Skaits would send to a cluster: migrations, their record, and the runtime DDL. */
async function clusterStatements(): Promise<string[]> {
  const { schema, migrations } = translateMigrations(target, await readMigrations())
  const later = [
    'ALTER TABLE counts_hourly ADD PROJECTION IF NOT EXISTS by_value (SELECT site, dimension, value, sum(pageviews) GROUP BY site, dimension, value)',
    'ALTER TABLE counts_hourly MATERIALIZE PROJECTION by_value',
    'ALTER TABLE counts_hourly ADD COLUMN IF NOT EXISTS outbound Int64 DEFAULT 0 AFTER exits, ADD INDEX IF NOT EXISTS v value TYPE bloom_filter GRANULARITY 4',
    'OPTIMIZE TABLE visitors_daily FINAL',
    'TRUNCATE TABLE IF EXISTS visitors_daily',
    'ALTER TABLE salts MODIFY SETTING old_parts_lifetime = 2',
    'CREATE TABLE IF NOT EXISTS salts_next (day Date, salt String) ENGINE = ReplacingMergeTree ORDER BY day',
    'EXCHANGE TABLES salts AND salts_next',
    'DROP TABLE IF EXISTS visitors_hourly',
  ].flatMap((s) => schema.translate(s))
  const bookkeeping = new ClusterSchema(target).translate(
    "CREATE TABLE IF NOT EXISTS schema_migrations (version UInt32, name String, applied_at DateTime('UTC')) ENGINE = ReplacingMergeTree ORDER BY version",
  )
  const rec = recordingDb((sql, params) => {
    if (sql.includes('system.tables')) return (params.names as string[]).map((name) => ({ name, create_table_query: '' }))
    if (sql.includes('count() AS n FROM salts')) return [{ n: 1 }]
    // A relabel of one hour of one page, and of one month of visitors.
    if (sql.includes('count() AS rows FROM counts_hourly')) return [{ h: 1_699_995_600, rows: 2 }]
    if (sql.includes('SELECT DISTINCT value FROM counts_hourly')) return [{ value: '/a' }]
    if (sql.includes('AS partition FROM visitors_daily')) return [{ partition: '202311' }]
    return []
  }, { cluster: target })
  await dropDaySketches(rec.db, '2026-03-01')
  await deleteSiteData(rec.db, 'example.lv')
  await relabelSections(rec.db, 'example.lv', () => 'x', 1_700_000_000, '2026-03-01', 'UTC')
  await applyRetention(rec.db, 25)
  await new SaltStore(rec.db, 'UTC', () => Date.parse('2026-03-02T12:00:00Z'), 30 * 60_000).destroyExpired()
  const runtime = rec.commands.map((c) => c.query)
  expect(runtime).toContain('TRUNCATE TABLE `analytics`.`salts`')
  expect(runtime.filter((q) => /^(INSERT INTO counts_hourly |ALTER TABLE `analytics`\.`visitors_daily_local` ON CLUSTER `skaits` DELETE IN PARTITION 202311\s)/.test(q))).toHaveLength(2)
  return [...migrations.flatMap((m) => m.statements), ...later, ...bookkeeping, ...runtime]
}

describe('cluster DDL in the real ClickHouse parser', () => {
  beforeAll(() => {
    db = createDb({ clickhouse: { kind: 'embedded', path: path.join(tempDir(), 'clickhouse') } })
  })
  afterAll(async () => {
    await db?.close()
  })

  it('has formatQuery, which refuses a broken statement', async () => {
    const [f] = await queryRows<{ n: number }>(db, "SELECT count() AS n FROM system.functions WHERE name = 'formatQuery'")
    expect(Number(f!.n)).toBe(1)
    await expect(format('CREATE TABLE a ON CLUSTER c (x Int8) ENGINE = Null SETTINGS')).rejects.toThrow(/Syntax error/)
  })

  it('parses every statement as the statement it is, ON CLUSTER, engines intact', async () => {
    const statements = await clusterStatements()
    expect(statements.length).toBeGreaterThan(40)
    for (const sql of statements) {
      const formatted = await format(sql)
      expect(leadingWords(formatted), sql).toBe(leadingWords(sql))
      if (sql.includes(' ON CLUSTER ')) expect(formatted, sql).toMatch(/ ON CLUSTER skaits\b/)
      else {
        expect(sql, 'only ALTER and TRUNCATE of tables kept on every node, and rows a migration writes through the Distributed tables, go without ON CLUSTER').toMatch(
          /^((ALTER|TRUNCATE) TABLE `analytics`\.`(sites|salts|rolled_days|shares|api_keys|owners|invitations|imports)`|INSERT INTO (?!\S*_local))/,
        )
      }
      const engine = /ENGINE = (\w+)\(([^)]*)\)/.exec(sql)
      if (engine) expect(formatted).toContain(`ENGINE = ${engine[1]}(${engine[2]})`)
      // Formatting is stable: what ClickHouse prints, it parses back to itself.
      expect(await format(formatted)).toBe(formatted)
    }
  })
})
