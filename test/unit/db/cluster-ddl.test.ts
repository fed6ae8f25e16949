import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../../server/config.ts'
import { ClusterDdlError, ClusterSchema, translateMigrations } from '../../../server/db/cluster-ddl.ts'
import { storedTable } from '../../../server/db/cluster.ts'
import { applyRetention, migrate } from '../../../server/db/migrate.ts'
import { readMigrations, type Migration } from '../../../server/db/migration-files.ts'
import { isName, isPunct, isWord, tokenize } from '../../../server/db/sql-tokens.ts'
import { dropDaySketches } from '../../../server/rollup/rollup.ts'
import { relabelSections } from '../../../server/sections/relabel.ts'
import { deleteSiteData, SITE_DATA_TABLES } from '../../../server/sites/data.ts'
import { recordingDb } from './recording-db.ts'

const target = { cluster: 'skaits', database: 'analytics' }
const ON = 'ON CLUSTER `skaits`'
const q = (name: string) => '`analytics`.`' + name + '`'

const migrations = await readMigrations()
const { schema, migrations: translated } = translateMigrations(target, migrations)
const all = translated.flatMap((m) => m.statements)

/** Tables the runtime code names, and how it expects them to live on a cluster. */
const SHARDED = ['counts_hourly', 'visitor_sketches', 'visitors_daily', 'visitors_hourly', 'import_rows', 'filtered_counts']
const REPLICATED = ['sites', 'salts', 'rolled_days', 'owners', 'owner_sessions', 'api_keys', 'shares', 'invitations', 'password_resets', 'partner_shares', 'partner_releases', 'alerts_sent', 'reports_sent', 'imports', 'two_factor', 'two_factor_policy']

/** Every table or view named after TABLE(S), VIEW, TO, FROM, JOIN, AS or EXCHANGE's AND in a statement. */
function namedTables(sql: string): { database: string | undefined; name: string }[] {
  const t = tokenize(sql)
  const names: { database: string | undefined; name: string }[] = []
  const exchange = isWord(t[0], 'EXCHANGE')
  for (let k = 0; k < t.length; k++) {
    const introduces =
      isWord(t[k], 'TABLE') || isWord(t[k], 'TABLES') || isWord(t[k], 'VIEW') || isWord(t[k], 'TO') || isWord(t[k], 'FROM') ||
      (isWord(t[k], 'JOIN') && !isWord(t[k - 1], 'ARRAY')) || (isWord(t[k], 'AS') && isWord(t[k - 2], 'CLUSTER')) ||
      (exchange && isWord(t[k], 'AND'))
    if (!introduces) continue
    let j = k + 1
    while (isWord(t[j], 'IF') || isWord(t[j], 'NOT') || isWord(t[j], 'EXISTS')) j++
    if (!isName(t[j]) || isPunct(t[j + 1], '(')) continue
    if (isPunct(t[j + 1], '.') && isName(t[j + 2])) names.push({ database: t[j]!.value, name: t[j + 2]!.value })
    else names.push({ database: undefined, name: t[j]!.value })
  }
  return names
}

function engineOf(sql: string): string | undefined {
  return /\bENGINE\s*=\s*(\w+)/.exec(sql)?.[1]
}

/** Tables a migration creates only to drop them again (a table being re-sorted, migration 012). */
const transient = (name: string) => schema.placementOf(name) === undefined && all.some((s) => s.startsWith(`DROP TABLE ${q(name)} `))

describe('cluster DDL for every migration in migrations/', () => {
  it('places count tables on shards and small tables on every node', () => {
    for (const name of SHARDED) expect(schema.placementOf(name), name).toBe('sharded')
    for (const name of REPLICATED) expect(schema.placementOf(name), name).toBe('replicated')
    // The rule behind it, over whatever migrations exist: sharded exactly when the sorting key starts with `site`.
    for (const m of migrations) {
      for (const statement of m.statements) {
        const create = /^CREATE TABLE (?:IF NOT EXISTS )?(\w+)[\s\S]*ENGINE\s*=\s*\w*MergeTree[\s\S]*?ORDER BY \(?\s*(\w+)/.exec(statement)
        if (create && schema.placementOf(create[1]!)) {
          expect(schema.placementOf(create[1]!), create[1]).toBe(create[2] === 'site' ? 'sharded' : 'replicated')
        }
      }
    }
  })

  it('runs DDL ON CLUSTER, except what Keeper replicates itself, and names every table with its database', () => {
    for (const sql of all) {
      if (sql.startsWith('INSERT')) continue
      const altered = /^ALTER TABLE `analytics`\.`(\w+)`/.exec(sql)?.[1]
      // An ALTER of a table kept on every node reaches every replica through Keeper; ON CLUSTER
      // would run it once per shard on the same table.
      if (altered && schema.placementOf(altered) === 'replicated') expect(sql).not.toContain('ON CLUSTER')
      else expect(sql).toContain(` ${ON}`)
      const names = namedTables(sql)
      expect(names.length, sql).toBeGreaterThan(0)
      for (const n of names) expect(n.database, `${n.name} in ${sql}`).toBe('analytics')
    }
  })

  it('makes every MergeTree-family table Replicated, with {shard} in sharded paths and {replica} in every replica name', () => {
    const engines = all.map(engineOf).filter((e): e is string => !!e)
    expect(engines.filter((e) => e.endsWith('MergeTree')).length).toBeGreaterThanOrEqual(SHARDED.length + REPLICATED.length)
    for (const sql of all) {
      const engine = engineOf(sql)
      if (!engine?.endsWith('MergeTree')) continue
      expect(engine).toMatch(/^Replicated/)
      const [, ifNotExists, table] = /^CREATE TABLE (IF NOT EXISTS )?`analytics`\.`(\w+)`/.exec(sql)!
      const [, path, replica] = /MergeTree\('([^']*)', '([^']*)'/.exec(sql)!
      expect(replica).toContain('{replica}')
      // A plain CREATE makes a new table, which EXCHANGE TABLES may move to a name whose path it is not.
      expect(path).toMatch(new RegExp(`/${table}${ifNotExists ? '' : '/\\{uuid\\}'}$`))
      if (table!.endsWith('_local')) {
        expect(path).toContain('{shard}')
        const name = table!.slice(0, -'_local'.length)
        if (!transient(name)) expect(SHARDED).toContain(name)
      } else {
        // One copy on every node: the path must not name a shard, and replica names must differ across shards.
        expect(path).not.toContain('{shard}')
        expect(replica).toBe('{shard}-{replica}')
        expect(REPLICATED.concat('schema_migrations')).toContain(table)
      }
    }
  })

  it('gives each sharded table a Distributed table over its local one, sharded by site', () => {
    for (const name of SHARDED) {
      const local = all.filter((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS ${q(name + '_local')} ${ON}`))
      const distributed = all.filter((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS ${q(name)} ${ON}`))
      expect(local, name).toHaveLength(1)
      expect(distributed, name).toEqual([
        `CREATE TABLE IF NOT EXISTS ${q(name)} ${ON} AS ${q(name + '_local')}\n` +
          `ENGINE = Distributed('skaits', 'analytics', '${name}_local', cityHash64(site))`,
      ])
      expect(all.indexOf(local[0]!)).toBeLessThan(all.indexOf(distributed[0]!))
    }
    for (const name of REPLICATED) expect(all.some((s) => s.includes(`'${name}_local'`)), name).toBe(false)
  })

  it('keeps TTLs, partitioning and settings on the tables that hold rows', () => {
    for (const m of migrations) {
      for (const statement of m.statements) {
        const create = /^CREATE TABLE (IF NOT EXISTS )?(\w+)/.exec(statement)
        if (!create || !/MergeTree/.test(statement)) continue
        const [, ifNotExists = '', name] = create
        const sharded = schema.placementOf(name!) === 'sharded' || (transient(name!) && all.some((s) => s.includes(q(`${name}_local`))))
        const stored = sharded ? `${name}_local` : name!
        const out = all.find((s) => s.startsWith(`CREATE TABLE ${ifNotExists}${q(stored)} `))!
        for (const clause of ['TTL', 'PARTITION BY', 'ORDER BY', 'SETTINGS']) {
          const tail = (s: string) => s.slice(s.indexOf(')\nENGINE'))
          const source = new RegExp(`\\n${clause} ([^\\n]*)`).exec(tail(statement))?.[1]
          if (source) expect(tail(out), `${clause} of ${name}`).toContain(`${clause} ${source}`)
        }
      }
    }
  })

  it('makes materialized views read the ENGINE = Null table and write TO the local tables', () => {
    const views = all.filter((s) => s.startsWith('CREATE MATERIALIZED VIEW'))
    expect(views.length).toBeGreaterThanOrEqual(2)
    for (const sql of views) {
      const to = /\bTO `analytics`\.`(\w+)`/.exec(sql)![1]!
      expect(to).toMatch(/_local$/)
      expect(SHARDED).toContain(to.slice(0, -'_local'.length))
      for (const n of namedTables(sql)) expect(SHARDED, `bare sharded name in ${sql}`).not.toContain(n.name)
      const from = /\bFROM `analytics`\.`(\w+)`/.exec(sql)![1]!
      expect(schema.placementOf(from) ?? 'node (dropped later)').toMatch(/^node/)
    }
    for (const sql of all.filter((s) => /^CREATE TABLE/.test(s) && engineOf(s) === 'Null')) expect(sql).toContain(ON)
  })

  it('translates the migrations’ own record into a replicated table on every node', () => {
    const ddl = new ClusterSchema(target).translate(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version UInt32, name String, applied_at DateTime('UTC')) ENGINE = ReplacingMergeTree ORDER BY version",
    )
    expect(ddl).toEqual([
      `CREATE TABLE IF NOT EXISTS ${q('schema_migrations')} ${ON} (version UInt32, name String, applied_at DateTime('UTC'))\n` +
        "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{database}/schema_migrations', '{shard}-{replica}') ORDER BY version",
    ])
  })
})

describe('cluster DDL for statements a later migration may bring', () => {
  const next = () => translateMigrations(target, migrations).schema

  it('adds projections, indexes and settings to the local tables only', () => {
    const s = next()
    expect(s.translate('ALTER TABLE counts_hourly ADD PROJECTION IF NOT EXISTS by_value (SELECT site, dimension, value, sum(pageviews) GROUP BY site, dimension, value)')).toEqual([
      `ALTER TABLE ${q('counts_hourly_local')} ${ON} ADD PROJECTION IF NOT EXISTS by_value (SELECT site, dimension, value, sum(pageviews) GROUP BY site, dimension, value)`,
    ])
    expect(s.translate('ALTER TABLE counts_hourly MATERIALIZE PROJECTION by_value;')).toEqual([
      `ALTER TABLE ${q('counts_hourly_local')} ${ON} MATERIALIZE PROJECTION by_value`,
    ])
    expect(s.translate('ALTER TABLE visitor_sketches MODIFY SETTING old_parts_lifetime = 30')).toEqual([
      `ALTER TABLE ${q('visitor_sketches_local')} ${ON} MODIFY SETTING old_parts_lifetime = 30`,
    ])
  })

  it('changes columns on the local and the Distributed table, other commands on the local one', () => {
    expect(next().translate("ALTER TABLE counts_hourly ADD COLUMN IF NOT EXISTS outbound Int64 DEFAULT 0 AFTER exits, ADD INDEX IF NOT EXISTS v value TYPE bloom_filter GRANULARITY 4")).toEqual([
      `ALTER TABLE ${q('counts_hourly_local')} ${ON} ADD COLUMN IF NOT EXISTS outbound Int64 DEFAULT 0 AFTER exits, ADD INDEX IF NOT EXISTS v value TYPE bloom_filter GRANULARITY 4`,
      `ALTER TABLE ${q('counts_hourly')} ${ON} ADD COLUMN IF NOT EXISTS outbound Int64 DEFAULT 0 AFTER exits`,
    ])
    // A codec changes how parts are stored: the Distributed table, which stores none, keeps out of it.
    expect(next().translate('ALTER TABLE counts_hourly MODIFY COLUMN visits Int64 CODEC(T64, ZSTD(1)), MODIFY COLUMN events Int32')).toEqual([
      `ALTER TABLE ${q('counts_hourly_local')} ${ON} MODIFY COLUMN visits Int64 CODEC(T64, ZSTD(1)), MODIFY COLUMN events Int32`,
      `ALTER TABLE ${q('counts_hourly')} ${ON} MODIFY COLUMN events Int32`,
    ])
    expect(next().translate("ALTER TABLE sites ADD COLUMN IF NOT EXISTS note String DEFAULT ''")).toEqual([
      `ALTER TABLE ${q('sites')} ADD COLUMN IF NOT EXISTS note String DEFAULT ''`,
    ])
  })

  it('sends settings of a table kept on every node to each replica, its other changes once through Keeper', () => {
    expect(next().translate('ALTER TABLE salts MODIFY SETTING old_parts_lifetime = 2, MODIFY TTL day + INTERVAL 1 DAY')).toEqual([
      `ALTER TABLE ${q('salts')} MODIFY TTL day + INTERVAL 1 DAY`,
      `ALTER TABLE ${q('salts')} ${ON} MODIFY SETTING old_parts_lifetime = 2`,
    ])
    expect(next().translate('TRUNCATE TABLE rolled_days')).toEqual([`TRUNCATE TABLE ${q('rolled_days')}`])
  })

  it('creates a new sharded table, a view over it and drops both sides of it', () => {
    const s = next()
    const created = s.translate(`CREATE TABLE IF NOT EXISTS counts_daily
      (site LowCardinality(String), day Date, pageviews Int64)
      ENGINE = SummingMergeTree PARTITION BY toYYYYMM(day) ORDER BY (site, day) TTL day + INTERVAL 25 MONTH`)
    expect(created).toHaveLength(2)
    expect(created[0]).toContain("ENGINE = ReplicatedSummingMergeTree('/clickhouse/tables/{shard}/{database}/counts_daily_local', '{replica}')")
    const mv = s.translate(`CREATE MATERIALIZED VIEW IF NOT EXISTS counts_daily_mv TO counts_daily AS
      SELECT c.site AS site, toDate(c.hour) AS day, sum(c.pageviews) AS pageviews
      FROM counts_hourly AS c INNER JOIN sites AS s ON s.domain = c.site GROUP BY site, day`)
    expect(mv[0]).toContain(`TO ${q('counts_daily_local')} AS`)
    expect(mv[0]).toContain(`FROM ${q('counts_hourly_local')} AS c INNER JOIN ${q('sites')} AS s`)
    // A plain view reads the whole cluster: the Distributed table.
    expect(s.translate('CREATE VIEW IF NOT EXISTS top_pages AS WITH x AS (SELECT 1) SELECT value FROM counts_hourly, x')[0]).toBe(
      `CREATE VIEW IF NOT EXISTS ${q('top_pages')} ${ON} AS\nWITH x AS (SELECT 1) SELECT value FROM ${q('counts_hourly')}, x`,
    )
    expect(s.translate('DROP TABLE IF EXISTS counts_daily')).toEqual([
      `DROP TABLE IF EXISTS ${q('counts_daily')} ${ON} SYNC`,
      `DROP TABLE IF EXISTS ${q('counts_daily_local')} ${ON} SYNC`,
    ])
    expect(s.placementOf('counts_daily')).toBeUndefined()
    expect(s.translate('OPTIMIZE TABLE visitors_daily FINAL')).toEqual([`OPTIMIZE TABLE ${q('visitors_daily_local')} ${ON} FINAL`])
    expect(s.translate('INSERT INTO rolled_days SELECT day, now() FROM visitors_daily')).toEqual([
      'INSERT INTO rolled_days SELECT day, now() FROM visitors_daily',
    ])
  })

  it('swaps the local tables of a sharded table, the tables themselves of others, ON CLUSTER', () => {
    const s = next()
    s.translate('CREATE TABLE IF NOT EXISTS counts_hourly_next (site String, hour DateTime, value String, pageviews Int64) ENGINE = SummingMergeTree ORDER BY (site, value, hour)')
    // The Distributed tables stay: each names its local table, which now holds the other rows.
    expect(s.translate('EXCHANGE TABLES counts_hourly AND counts_hourly_next;')).toEqual([
      `EXCHANGE TABLES ${q('counts_hourly_local')} AND ${q('counts_hourly_next_local')} ${ON}`,
    ])
    expect(s.storage('counts_hourly')).toEqual({ table: 'counts_hourly_local', clause: `${q('counts_hourly_local')} ${ON}` })
    s.translate('CREATE TABLE IF NOT EXISTS salts_next (day Date, salt String) ENGINE = ReplacingMergeTree ORDER BY day')
    // Names are each node's own (Keeper replicates rows and ALTERs, not names): ON CLUSTER here too.
    expect(s.translate('EXCHANGE TABLES salts AND salts_next')).toEqual([`EXCHANGE TABLES ${q('salts')} AND ${q('salts_next')} ${ON}`])
  })

  it('gives a table made by a plain CREATE a Keeper path of its own, and one made IF NOT EXISTS the path of its name', () => {
    const s = next()
    const plain = s.translate('CREATE TABLE counts_next (site String, hour DateTime) ENGINE = SummingMergeTree ORDER BY (site, hour)')
    expect(plain[0]).toMatch(new RegExp(`^CREATE TABLE ${q('counts_next_local')} ${ON} `))
    expect(plain[0]).toContain("ENGINE = ReplicatedSummingMergeTree('/clickhouse/tables/{shard}/{database}/counts_next_local/{uuid}', '{replica}')")
    expect(plain[1]).toMatch(new RegExp(`^CREATE TABLE ${q('counts_next')} ${ON} AS `))
    expect(s.translate('CREATE TABLE keys_next (id String) ENGINE = ReplacingMergeTree ORDER BY id')[0]).toContain(
      "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{database}/keys_next/{uuid}', '{shard}-{replica}')",
    )
    expect(s.translate('CREATE TABLE IF NOT EXISTS keys_kept (id String) ENGINE = ReplacingMergeTree ORDER BY id')[0]).toContain(
      "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{database}/keys_kept', '{shard}-{replica}')",
    )
  })

  it.each([
    ['SELECT 1', /no cluster translation/],
    ['EXCHANGE DICTIONARIES a AND b', /no cluster translation/],
    ['EXCHANGE TABLES counts_hourly', /expected EXCHANGE TABLES a AND b/],
    ['EXCHANGE TABLES counts_hourly AND nowhere', /EXCHANGE of nowhere, which no earlier migration created/],
    ['EXCHANGE TABLES counts_hourly AND sites', /placed differently \(sharded, replicated\)/],
    ['EXCHANGE TABLES counts_hourly_in_mv AND visitor_sketches_in_mv', /EXCHANGE of views/],
    ['EXCHANGE TABLES counts_hourly AND visitors_daily ON CLUSTER x', /must not say ON CLUSTER/],
    ['EXCHANGE TABLES counts_hourly AND visitors_daily SYNC', /unexpected words/],
    ['RENAME TABLE sites TO sites_old', /no cluster translation/],
    ['CREATE DICTIONARY d (k UInt64) PRIMARY KEY k SOURCE(NULL()) LAYOUT(FLAT()) LIFETIME(0)', /no cluster translation/],
    ['CREATE TABLE m (a Int8) ENGINE = Memory', /engine Memory/],
    ["CREATE TABLE r (site String) ENGINE = ReplicatedMergeTree('/p', 'r') ORDER BY site", /written for one node/],
    ['CREATE TABLE c ON CLUSTER x (a Int8) ENGINE = Null', /must not say ON CLUSTER/],
    ['CREATE TABLE c AS sites', /column list/],
    ['CREATE MATERIALIZED VIEW v ENGINE = SummingMergeTree ORDER BY site AS SELECT site FROM counts_hourly', /must write TO/],
    ['CREATE MATERIALIZED VIEW v TO nowhere AS SELECT 1', /no migration created/],
    ['ALTER TABLE nowhere ADD COLUMN a Int8', /no earlier migration created/],
    ["ALTER TABLE counts_hourly FREEZE", /ALTER command FREEZE/],
    ['ALTER TABLE cells_in MODIFY TTL hour + INTERVAL 1 DAY', /Null table stores nothing/],
    ['ALTER TABLE other_db.sites ADD COLUMN a Int8', /without a database/],
    ["CREATE TABLE s (a String COMMENT 'x) ENGINE = Null", /unclosed/],
  ])('refuses what it does not understand: %s', (sql, reason) => {
    const s = next()
    expect(() => s.translate(sql)).toThrow(ClusterDdlError)
    expect(() => s.translate(sql)).toThrow(reason)
  })

  it('names the migration file a refused statement came from, before anything runs', () => {
    const bad: Migration = { version: 9, name: '009_bad.sql', statements: ['ALTER TABLE counts_hourly ATTACH PARTITION 1 FROM x'] }
    expect(() => translateMigrations(target, [...migrations, bad])).toThrow(/^009_bad\.sql: cannot translate/)
  })
})

describe('migration 012: visitors_hourly re-sorted through a swap of tables', () => {
  const m = translated.find((t) => t.version === 12)!.statements
  const at = (prefix: string) => m.flatMap((s, k) => (s.startsWith(prefix) ? [k] : []))

  it('swaps only the local tables, after filling the new one through the Distributed tables', () => {
    const [exchange] = at('EXCHANGE')
    expect(m[exchange!]).toBe(`EXCHANGE TABLES ${q('visitors_hourly_local')} AND ${q('visitors_hourly_next_local')} ${ON}`)
    const copy = at('INSERT INTO visitors_hourly_next SELECT * FROM visitors_hourly')
    expect(copy).toHaveLength(1)
    expect(copy[0]).toBeLessThan(exchange!)
    // Before the swap, rows an interrupted run left in the old table; after it, rows the rollup wrote meanwhile.
    const recover = at('INSERT INTO visitors_hourly\nSELECT * FROM visitors_hourly_next')
    expect(recover).toEqual([expect.any(Number), expect.any(Number)])
    expect(recover[0]).toBeLessThan(copy[0]!)
    expect(recover[1]).toBeGreaterThan(exchange!)
    for (const k of [...copy, ...recover]) expect(m[k]).not.toContain('_local')
  })

  it('makes the table that takes the name with a Keeper path of its own, so a re-run can make another', () => {
    const creates = at(`CREATE TABLE ${q('visitors_hourly_next_local')} `)
    expect(creates).toHaveLength(1)
    expect(m[creates[0]!]).toContain("('/clickhouse/tables/{shard}/{database}/visitors_hourly_next_local/{uuid}', '{replica}')")
    expect(m[creates[0]! - 1]).toBe(`DROP TABLE IF EXISTS ${q('visitors_hourly_next_local')} ${ON} SYNC`)
    expect(m.slice(-2)).toEqual([`DROP TABLE ${q('visitors_hourly_next')} ${ON} SYNC`, `DROP TABLE ${q('visitors_hourly_next_local')} ${ON} SYNC`])
    expect(schema.placementOf('visitors_hourly')).toBe('sharded')
    expect(schema.placementOf('visitors_hourly_next')).toBeUndefined()
  })
})

describe('runtime DDL and mutations through storedTable()', () => {
  it('leaves every statement on one node exactly as it was', async () => {
    const { db, commands } = recordingDb((sql) =>
      sql.includes('system.tables') ? [{ name: 'counts_hourly', create_table_query: 'TTL hour + toIntervalMonth(25)' }, { name: 'rolled_days', create_table_query: 'x' }] : [],
    )
    expect(await storedTable(db, 'counts_hourly')).toEqual({ table: 'counts_hourly', target: 'counts_hourly', settings: undefined })
    await dropDaySketches(db, '2026-03-01')
    await deleteSiteData(db, 'example.lv')
    await applyRetention(db, 25)
    expect(commands).toEqual([
      { query: "ALTER TABLE visitor_sketches DROP PARTITION '2026-03-01'", clickhouse_settings: undefined },
      ...['counts_hourly', 'visitor_sketches', 'visitors_daily', 'visitors_hourly', 'import_rows', 'imports', 'filtered_counts'].map((t) => ({
        query: `ALTER TABLE ${t} DELETE WHERE site = {site:String}`,
        query_params: { site: 'example.lv' },
        clickhouse_settings: { mutations_sync: '2' },
      })),
      { query: 'ALTER TABLE rolled_days MODIFY TTL day + toIntervalMonth(25)', clickhouse_settings: undefined },
    ])
  })

  it('sends them to the tables holding the rows, ON CLUSTER for sharded ones, waiting for every replica', async () => {
    const { db, commands } = recordingDb((sql, params) =>
      sql.includes('system.tables')
        ? (params.names as string[]).map((name) => ({ name, create_table_query: 'TTL hour + toIntervalMonth(25)' }))
        : sql.includes('AS partition FROM visitors_daily')
          ? [{ partition: '202311' }]
          : [],
      { cluster: target },
    )
    expect(await storedTable(db, 'salts')).toEqual({ table: 'salts', target: q('salts'), settings: { alter_sync: '2', mutations_sync: '2' } })
    expect(await storedTable(db, 'visitors_daily')).toMatchObject({ table: 'visitors_daily_local', target: `${q('visitors_daily_local')} ${ON}` })
    await expect(storedTable(db, 'cells_in')).rejects.toThrow(/not a table of stored rows/)
    await dropDaySketches(db, '2026-03-01')
    await deleteSiteData(db, 'example.lv')
    await relabelSections(db, 'example.lv', () => 'x', 1_700_000_000, '2026-03-01', 'UTC')
    expect(await applyRetention(db, 13)).toEqual(['counts_hourly', 'visitors_daily', 'visitors_hourly', 'rolled_days', 'visitor_sketches', 'import_rows', 'imports', 'filtered_counts'])
    const queries = commands.map((c) => c.query.replace(/\s+/g, ' '))
    expect(queries[0]).toBe(`ALTER TABLE ${q('visitor_sketches_local')} ${ON} DROP PARTITION '2026-03-01'`)
    expect(queries.slice(1, 8)).toEqual([
      ...SITE_DATA_TABLES.map((t) => `ALTER TABLE ${q(t + '_local')} ${ON} DELETE WHERE site = {site:String}`),
      `ALTER TABLE ${q('imports')} DELETE WHERE site = {site:String}`,
      `ALTER TABLE ${q('filtered_counts_local')} ${ON} DELETE WHERE site = {site:String}`,
    ])
    expect(queries[8]).toMatch(new RegExp(`^ALTER TABLE ${q('visitors_daily_local')} ${ON} DELETE IN PARTITION 202311 WHERE`))
    expect(queries.slice(-8)).toEqual([
      `ALTER TABLE ${q('counts_hourly_local')} ${ON} MODIFY TTL hour + toIntervalMonth(13)`,
      `ALTER TABLE ${q('visitors_daily_local')} ${ON} MODIFY TTL day + toIntervalMonth(13)`,
      `ALTER TABLE ${q('visitors_hourly_local')} ${ON} MODIFY TTL hour + toIntervalMonth(13)`,
      `ALTER TABLE ${q('rolled_days')} MODIFY TTL day + toIntervalMonth(13)`,
      `ALTER TABLE ${q('visitor_sketches_local')} ${ON} MODIFY TTL day + toIntervalMonth(13)`,
      `ALTER TABLE ${q('import_rows_local')} ${ON} MODIFY TTL day + toIntervalMonth(13)`,
      `ALTER TABLE ${q('imports')} MODIFY TTL toDateTime(updated_at) + toIntervalMonth(13)`,
      `ALTER TABLE ${q('filtered_counts_local')} ${ON} MODIFY TTL day + toIntervalMonth(13)`,
    ])
    for (const c of commands) expect(c.clickhouse_settings).toMatchObject({ alter_sync: '2', mutations_sync: '2' })
  })
})

describe('migrate() on a cluster', () => {
  const cluster = (tables: { name: string; engine: string }[], versions: number[] = []) => {
    const rec = recordingDb((sql) => {
      if (sql.includes('system.tables')) return tables
      if (sql.includes('FROM schema_migrations')) return versions.map((version) => ({ version }))
      return []
    }, { cluster: target })
    return rec
  }

  it('creates its record, then runs every translated statement in order and records each migration', async () => {
    const { db, commands, inserts } = cluster([])
    expect(await migrate(db)).toEqual(migrations.map((m) => m.name))
    expect(commands[0]!.query).toMatch(/^CREATE TABLE IF NOT EXISTS `analytics`\.`schema_migrations` ON CLUSTER `skaits`/)
    expect(commands.slice(1).map((c) => c.query)).toEqual(all)
    expect(inserts.map((i) => i.table)).toEqual(migrations.map(() => 'schema_migrations'))
  })

  it('sends no DDL at a restart once everything is applied, so a ClickHouse host down does not stop it', async () => {
    const tables = [...schema.tables()].flatMap(([name, p]) =>
      p === 'sharded' ? [{ name, engine: 'Distributed' }] : p === 'replicated' ? [{ name, engine: 'ReplicatedReplacingMergeTree' }] : [],
    )
    const { db, commands } = cluster([...tables, { name: 'schema_migrations', engine: 'ReplicatedReplacingMergeTree' }], migrations.map((m) => m.version))
    expect(await migrate(db)).toEqual([])
    expect(commands).toEqual([])
  })

  it('refuses a database made for one node before sending anything', async () => {
    const { db, commands } = cluster([{ name: 'counts_hourly', engine: 'SummingMergeTree' }])
    await expect(migrate(db)).rejects.toThrow(ConfigError)
    await expect(migrate(db)).rejects.toThrow(/table counts_hourly in database analytics was made for one node \(engine SummingMergeTree\)/)
    expect(commands).toEqual([])
  })
})

describe('CLICKHOUSE_CLUSTER', () => {
  it('is refused with the embedded engine, and read with CLICKHOUSE_URL', () => {
    expect(() => loadConfig({ CLICKHOUSE_CLUSTER: 'skaits' })).toThrow(ConfigError)
    expect(() => loadConfig({ CLICKHOUSE_CLUSTER: 'skaits' })).toThrow(/CLICKHOUSE_CLUSTER needs CLICKHOUSE_URL/)
    expect(() => loadConfig({ CLICKHOUSE_URL: 'http://ch:8123', CLICKHOUSE_CLUSTER: 'a b' })).toThrow(/CLICKHOUSE_CLUSTER must be/)
    expect(loadConfig({ CLICKHOUSE_URL: 'http://ch:8123', CLICKHOUSE_CLUSTER: 'skaits' }).clickhouse).toMatchObject({ kind: 'server', cluster: 'skaits' })
    expect(loadConfig({ CLICKHOUSE_URL: 'http://ch:8123' }).clickhouse).not.toHaveProperty('cluster')
  })
})
