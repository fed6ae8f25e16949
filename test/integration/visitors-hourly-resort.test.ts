import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDb, queryRows, type Db } from '../../server/db/client.ts'
import { applyRetention, migrate, MIGRATIONS_DIR, readMigrations } from '../../server/db/migrate.ts'
import { rollupDay } from '../../server/rollup/rollup.ts'
import { addDays, dayOf } from '../../server/time.ts'
import { tempDir } from '../helpers/skaits.ts'

/**
 * Migration 012 moves visitors_hourly's rows into a table sorted by value and swaps the names.
 * Applied to a populated database it must keep every row and every other table as they were,
 * bring over rows the rollup writes while it copies, and, applied again after an interruption
 * anywhere, lose and duplicate nothing.
 */
const SITES = ['a.lv', 'b.lv']
let dir: string
let upTo012: string
let db: Db
let statements: string[]

/**
 * Everything stored, as queries see it (merges may collapse equal keys at any time), sorted:
 * the table the migration moves and the ones it must not touch.
 */
async function contents(): Promise<Record<string, unknown[]>> {
  const reads = {
    visitors_hourly: 'SELECT site, dimension, hour, value, visitors FROM visitors_hourly FINAL',
    visitors_daily: 'SELECT site, dimension, day, value, visitors FROM visitors_daily FINAL',
    counts_hourly: 'SELECT site, dimension, hour, value, sum(pageviews) AS p, sum(visits) AS v FROM counts_hourly GROUP BY site, dimension, hour, value',
    rolled_days: 'SELECT DISTINCT day FROM rolled_days',
  }
  const out: Record<string, unknown[]> = {}
  for (const [table, sql] of Object.entries(reads)) out[table] = await queryRows(db, `${sql} ORDER BY ALL`)
  return out
}

/** Rows stored in visitors_hourly, counting those a merge has not yet collapsed. */
async function storedRows(): Promise<number> {
  const [row] = await queryRows<{ n: number }>(db, 'SELECT count() AS n FROM visitors_hourly')
  return Number(row!.n)
}

async function sortingKey(): Promise<string> {
  const [row] = await queryRows<{ key: string }>(db, "SELECT sorting_key AS key FROM system.tables WHERE database = currentDatabase() AND name = 'visitors_hourly'")
  return row!.key
}

async function tableExists(name: string): Promise<boolean> {
  return (await queryRows(db, 'SELECT 1 FROM system.tables WHERE database = currentDatabase() AND name = {name:String}', { name })).length > 0
}

/** A day of traffic through the real path: cells_in, its views, then the real rollup. */
async function trafficDay(day: string, salt: number): Promise<void> {
  await db.command({
    query: `INSERT INTO cells_in (site, hour, day, dimension, value, pageviews, visits, hashes)
      SELECT s, toDateTime({day:Date}) + h * 3600, {day:Date}, d, v, 1 + n % 3, n % 2, arrayMap(i -> cityHash64(i, n, {salt:UInt32}), range(1 + n % 4))
      FROM (SELECT number AS n, {sites:Array(String)}[1 + number % 2] AS s, intDiv(number, 2) % 24 AS h,
              ['', 'event:page', 'visit:source'][1 + intDiv(number, 48) % 3] AS d,
              if(d = '', '', concat(d = 'event:page' ? '/p' : 'src', toString(cityHash64(number, {salt:UInt32}) % 30))) AS v
            FROM numbers(2000))`,
    query_params: { day, salt, sites: SITES },
  })
  await rollupDay(db, day, 'UTC')
  // Hours are kept for the site total alone: two sites, 24 hours.
  const rows = await queryRows<{ d: string; n: number }>(db, 'SELECT dimension AS d, count() AS n FROM visitors_hourly FINAL WHERE toDate(hour) = {day:Date} GROUP BY d', { day })
  expect(rows.map((r) => [r.d, Number(r.n)]), `hourly rows of ${day}`).toEqual([['', 48]])
}

// Days from the clock: the tables' retention TTL is measured by the engine against it.
const DAY = (n: number): string => addDays(dayOf(Date.now(), 'UTC'), n)
/** Where the history of hourly rows begins: 46 days of them end before the traffic days. */
const HISTORY_FROM = DAY(-160)

/** Rows as earlier rollups left them: a month and a half, 20 values a dimension, a few stored twice until a merge. */
async function history(): Promise<void> {
  for (const salt of [1, 2]) {
    await db.command({
      query: `INSERT INTO visitors_hourly (site, dimension, hour, value, visitors)
        SELECT s, d, toDateTime({from:Date}) + h * 3600, v, cityHash64(s, d, h, v) % 90 + 1
        FROM (SELECT {sites:Array(String)}[1 + number % 2] AS s, ['', 'event:page', 'visit:source'][1 + intDiv(number, 2) % 3] AS d,
                intDiv(number, 6 * 20) AS h, if(d = '', '', concat(d, toString(intDiv(number, 6) % 20))) AS v
              FROM numbers(46 * 24 * 6 * 20))
        WHERE {salt:UInt32} = 1 OR h % 50 = 0`,
      query_params: { sites: SITES, salt, from: HISTORY_FROM },
    })
  }
}

/** Runs migration 012's statements up to (excluding) the first that starts with `prefix`. */
async function runUntil(prefix: string): Promise<void> {
  const stop = statements.findIndex((s) => s.startsWith(prefix))
  expect(stop).toBeGreaterThan(0)
  for (const query of statements.slice(0, stop)) await db.command({ query })
}

async function forget012(): Promise<void> {
  await db.command({ query: 'DELETE FROM schema_migrations WHERE version = 12' })
}

describe('migration 012 on a populated database', () => {
  beforeAll(async () => {
    dir = tempDir('skaits-012-')
    const before = path.join(dir, 'migrations-011')
    mkdirSync(before)
    for (const f of readdirSync(MIGRATIONS_DIR).filter((f) => /^(0\d\d)_/.test(f) && f < '012')) copyFileSync(path.join(MIGRATIONS_DIR, f), path.join(before, f))
    // Later migrations change these tables again (014 drops hourly visitors per value); 012 is checked alone.
    upTo012 = path.join(dir, 'migrations-012')
    mkdirSync(upTo012)
    for (const f of readdirSync(MIGRATIONS_DIR).filter((f) => /^(0\d\d)_/.test(f) && f < '013')) copyFileSync(path.join(MIGRATIONS_DIR, f), path.join(upTo012, f))
    db = createDb({ clickhouse: { kind: 'embedded', path: path.join(dir, 'clickhouse') } })
    expect(await migrate(db, before)).toHaveLength(11)
    // Before migration 013 the sketches' 48 h TTL would drop these past days before the rollup reads them.
    await db.command({ query: 'SYSTEM STOP TTL MERGES visitor_sketches' })
    await history()
    for (const day of [DAY(-66), DAY(-65), DAY(-64)]) await trafficDay(day, 1)
    statements = (await readMigrations()).find((m) => m.version === 12)!.statements
  })

  afterAll(async () => {
    await db?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('keeps every row of every table, sorts visitors_hourly by value, and the server gives it its TTL', async () => {
    const before = await contents()
    const stored = await storedRows()
    expect(before.visitors_hourly!.length).toBeGreaterThan(50_000)
    expect(await sortingKey()).toBe('site, dimension, hour, value')
    expect(await migrate(db, upTo012)).toEqual(['012_visitors_hourly_by_value.sql'])
    expect(await sortingKey()).toBe('site, dimension, value, hour')
    expect(await contents()).toEqual(before)
    expect(await storedRows()).toBeLessThanOrEqual(stored)
    expect(await tableExists('visitors_hourly_next')).toBe(false)
    // visitor_sketches too: without migration 013 it still has its 48 h TTL.
    expect(await applyRetention(db, 25)).toEqual(['visitor_sketches', 'visitors_hourly'])
    const [row] = await queryRows<{ q: string }>(db, "SELECT create_table_query AS q FROM system.tables WHERE database = currentDatabase() AND name = 'visitors_hourly'")
    expect(row!.q).toContain('TTL hour + toIntervalMonth(25)')
    expect(row!.q).toContain("default_compression_codec = 'ZSTD(3)'")
    expect(row!.q).toContain('`visitors` UInt64 CODEC(T64, ZSTD(1))')
    expect(row!.q).toContain("`hour` DateTime('UTC') CODEC(Delta(4), ZSTD(3))")
  })

  it('brings over the rows a rollup writes to the old table while the rows are copied', async () => {
    const before = await contents()
    await runUntil('EXCHANGE')
    await trafficDay(DAY(-63), 2)
    const during = await contents()
    expect(during.visitors_hourly!.length).toBeGreaterThan(before.visitors_hourly!.length)
    for (const query of statements.slice(statements.findIndex((s) => s.startsWith('EXCHANGE')))) await db.command({ query })
    expect(await contents()).toEqual(during)
  })

  it('loses nothing when a run interrupted after the swap is applied again', async () => {
    await forget012()
    await runUntil('EXCHANGE')
    // Written to the old table during the copy, and the run stops before bringing it over.
    await trafficDay(DAY(-62), 3)
    const expected = await contents()
    await db.command({ query: statements.find((s) => s.startsWith('EXCHANGE'))! })
    expect(await migrate(db, upTo012)).toEqual(['012_visitors_hourly_by_value.sql'])
    expect(await contents()).toEqual(expected)
    expect(await sortingKey()).toBe('site, dimension, value, hour')
    expect(await tableExists('visitors_hourly_next')).toBe(false)
  })

  it('neither loses nor duplicates rows when a run interrupted during the copy is applied again', async () => {
    const expected = await contents()
    const stored = await storedRows()
    await forget012()
    await runUntil('INSERT INTO visitors_hourly_next')
    await db.command({ query: "INSERT INTO visitors_hourly_next SELECT * FROM visitors_hourly WHERE site = 'a.lv'" })
    expect(await migrate(db, upTo012)).toEqual(['012_visitors_hourly_by_value.sql'])
    expect(await contents()).toEqual(expected)
    expect(await storedRows()).toBeLessThanOrEqual(stored)
    // Applied twice over (interrupted after its last statement, before it was recorded): the same.
    await forget012()
    expect(await migrate(db, upTo012)).toEqual(['012_visitors_hourly_by_value.sql'])
    expect(await contents()).toEqual(expected)
    expect(await storedRows()).toBeLessThanOrEqual(stored)
  })
})
