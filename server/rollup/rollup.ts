import { queryRows, type Db } from '../db/client.ts'
import { storedTable } from '../db/cluster.ts'
import { errorText, type Logger } from '../log.ts'
import { addDays, dayOf, isValidDay, startOfDay, type Clock } from '../time.ts'
import { SUMS } from '../vocabulary/metrics.ts'

/**
 * On a cluster, how long after a day ends before it is rolled up (every ingest node must have
 * inserted its last events of the day), and how long after the rollup its sketches are dropped
 * (any node that began the same rollup meanwhile must have finished reading them).
 */
export const CLUSTER_SETTLE_MS = 5 * 60_000

/**
 * Closes one day: its unique-visitor sketches become plain integers (per day for every
 * dimension, per hour for the site total alone), its per-dimension counts are coarsened to
 * one row per value for the whole day, then the sketches are dropped. Idempotent.
 */
export async function rollupDay(db: Db, day: string, tz: string): Promise<void> {
  await writeDayIntegers(db, day, tz)
  await dropDaySketches(db, day)
}

/**
 * Writes a day's unique counts as integers, coarsens its counts, and records the day as rolled up.
 * Hours survive for the site total alone: per value, an hour of a small site often holds one
 * visit, and the same hour asked by country, browser, source and page would rebuild that visit.
 */
export async function writeDayIntegers(db: Db, day: string, tz: string): Promise<void> {
  if (!isValidDay(day)) throw new Error(`not a day: ${day}`)
  const p = { day }
  await db.command({
    query: `INSERT INTO visitors_daily (site, dimension, day, value, visitors)
            SELECT site, dimension, day, value, uniqMerge(visitors)
            FROM visitor_sketches WHERE day = {day:Date}
            GROUP BY site, dimension, day, value`,
    query_params: p,
  })
  await db.command({
    query: `INSERT INTO visitors_hourly (site, dimension, hour, value, visitors)
            SELECT site, dimension, hour, value, uniqMerge(visitors)
            FROM visitor_sketches WHERE day = {day:Date} AND dimension = ''
            GROUP BY site, dimension, hour, value`,
    query_params: p,
  })
  await coarsenCounts(db, tz, startOfDay(day, tz), startOfDay(addDays(day, 1), tz))
  await db.command({
    query: 'INSERT INTO rolled_days (day, rolled_at) VALUES ({day:Date}, now())',
    query_params: p,
  })
}

/**
 * Moves every per-dimension count between `fromMs` and `toMs` to the first hour of its day in
 * `tz`: for each stored row, the same sums negated at its own hour and added at the day's
 * start. Sums stay exact at every instant; merges of the SummingMergeTree then drop the rows
 * that sum to zero, and OPTIMIZE makes them do so at once, so no hour per value stays on disk.
 * Idempotent: a second run finds only rows that already sum to zero outside the day's start.
 */
export async function coarsenCounts(db: Db, tz: string, fromMs: number, toMs: number): Promise<void> {
  const params = { tz, from: Math.floor(fromMs / 1000), to: Math.floor(toMs / 1000) }
  const columns = await countColumns(db)
  const sums = columns.map((c) => `k * ${c}`).join(', ')
  const inRange = `dimension != '' AND hour >= toDateTime({from:UInt32}) AND hour < toDateTime({to:UInt32})
            AND hour != toDateTime(toStartOfDay(hour, {tz:String}), 'UTC')`
  const [found] = await queryRows<{ n: number }>(db, `SELECT count() AS n FROM (SELECT 1 FROM counts_hourly WHERE ${inRange} LIMIT 1)`, params)
  if (!Number(found?.n)) return
  const months = await queryRows<{ m: string }>(
    db,
    `SELECT DISTINCT toString(toYYYYMM(hour)) AS m FROM counts_hourly WHERE ${inRange}`,
    params,
  )
  await db.command({
    query: `INSERT INTO counts_hourly (site, dimension, hour, value, ${columns.join(', ')})
            SELECT site, dimension, if(k = 1, toDateTime(toStartOfDay(hour, {tz:String}), 'UTC'), hour), value, ${sums}
            FROM counts_hourly ARRAY JOIN [-1, 1] AS k
            WHERE ${inRange}`,
    query_params: params,
  })
  const counts = await storedTable(db, 'counts_hourly')
  // Partition IDs take no query parameters; `m` is a YYYYMM number ClickHouse gave us.
  for (const { m } of months) {
    if (!/^\d{6}$/.test(m)) continue
    await db.command({ query: `OPTIMIZE TABLE ${counts.target} PARTITION ${m} FINAL`, clickhouse_settings: counts.settings })
  }
}

/**
 * The sums counts_hourly has (migrations 004 and 017): all of SUMS once every migration ran; the
 * ones the table has while a migration runs beside the rollup (as a test of migration 012 does).
 */
async function countColumns(db: Db): Promise<string[]> {
  const rows = await queryRows<{ name: string }>(db, "SELECT name FROM system.columns WHERE database = currentDatabase() AND table = 'counts_hourly'")
  const present = new Set(rows.map((r) => r.name))
  return SUMS.filter((s) => present.has(s))
}

/** Drops a day's unique-visitor sketches (on a cluster: on every shard and replica). */
export async function dropDaySketches(db: Db, day: string): Promise<void> {
  if (!isValidDay(day)) throw new Error(`not a day: ${day}`)
  const sketches = await storedTable(db, 'visitor_sketches')
  // Partition expressions take no query parameters; `day` was checked to be YYYY-MM-DD above.
  await db.command({ query: `ALTER TABLE ${sketches.target} DROP PARTITION '${day}'`, clickhouse_settings: sketches.settings })
}
