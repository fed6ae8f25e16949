import { queryRows, type Db } from '../db/client.ts'
import { storedTable } from '../db/cluster.ts'
import { addDays, startOfDay } from '../time.ts'
import { SUMS } from '../vocabulary/metrics.ts'
import type { Increments } from '../sessions/cells.ts'
import type { ImportInfo } from './store.ts'

/**
 * Where an imported row's unique visitors go: nowhere (the source does not know them), the
 * day's (visitors_daily), the hour's (visitors_hourly, the site total of an event-level source),
 * or both at once (a daily source's site total, written at the day's first hour as its counts are).
 */
export const VISITORS_OF = { none: 0, day: 1, hour: 2, both: 3 } as const

/** One row an import will write (import_rows, migration 021). */
export interface StagedRow {
  day: string
  /** Unix seconds: the site total's hour, or the day's start for every other dimension */
  hour: number
  dimension: string
  value: string
  sums: Partial<Increments>
  visitors: number
  visitorsOf: (typeof VISITORS_OF)[keyof typeof VISITORS_OF]
}

/** Rows staged per insert: a few MB of JSON. */
const STAGE_BATCH = 20_000

/** Stages rows of one file of an import: nothing is counted until writeImport. */
export async function stageRows(db: Db, site: string, importId: string, file: number, rows: readonly StagedRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += STAGE_BATCH) {
    const values = rows.slice(i, i + STAGE_BATCH).map((r) => {
      const row: Record<string, unknown> = { site, import_id: importId, file, day: r.day, hour: r.hour, dimension: r.dimension, value: r.value }
      for (const s of SUMS) row[s] = r.sums[s] ?? 0
      row.visitors = r.visitors
      row.has_visitors = r.visitorsOf
      return row
    })
    // Staged rows change no statistics: they are read only by this import's own writes.
    await db.insert({ table: 'import_rows', values, format: 'JSONEachRow' }, 'none')
  }
}

/** The days an import staged (of the files not left out), in order. */
export async function stagedDays(db: Db, info: ImportInfo, failedFiles: readonly number[]): Promise<string[]> {
  const rows = await queryRows<{ d: string }>(
    db,
    `SELECT DISTINCT toString(day) AS d FROM import_rows
     WHERE site = {site:String} AND import_id = {id:String} AND file NOT IN {failed:Array(UInt16)} ORDER BY d`,
    { site: info.site, id: info.id, failed: [...failedFiles] },
  )
  return rows.map((r) => r.d)
}

/**
 * Of `days`, those on which the site already holds counts: live traffic's, or another import's.
 * Read from the site total, which every counted event adds to.
 */
export async function daysWithCounts(db: Db, site: string, days: readonly string[], tz: string): Promise<string[]> {
  if (!days.length) return []
  const sorted = [...days].sort()
  const rows = await queryRows<{ d: string }>(
    db,
    `SELECT toString(toDate(hour, {tz:String})) AS d FROM counts_hourly
     WHERE site = {site:String} AND dimension = '' AND hour >= toDateTime({from:UInt32}) AND hour < toDateTime({to:UInt32})
     GROUP BY d HAVING sum(pageviews) != 0 OR sum(visits) != 0 OR sum(events) != 0 ORDER BY d`,
    {
      site,
      tz,
      from: Math.floor(startOfDay(sorted[0]!, tz) / 1000),
      to: Math.floor(startOfDay(addDays(sorted.at(-1)!, 1), tz) / 1000),
    },
  )
  const wanted = new Set(days)
  return rows.map((r) => r.d).filter((d) => wanted.has(d))
}

/** The selection of an import's staged rows that are (or were) written. */
function selection(info: ImportInfo): { where: string; params: Record<string, unknown> } {
  const failed = info.files.flatMap((f, i) => (f.failed ? [i] : []))
  return {
    where: 'site = {site:String} AND import_id = {id:String} AND file NOT IN {failed:Array(UInt16)} AND day IN {days:Array(Date)}',
    params: { site: info.site, id: info.id, failed, days: info.days },
  }
}

/**
 * Writes an import's staged rows of `info.days` into the tables the statistics read, as the
 * rollup leaves a closed day (rollup/rollup.ts): counts per value at the day's start and the
 * site total per hour (counts_hourly), unique visitors per day (visitors_daily) and the site
 * total's per hour (visitors_hourly), and the days marked rolled up. Counts add to what a day
 * holds (SummingMergeTree); visitors replace a key's row, so they are written as the stored
 * value plus the import's (merging with live days adds the two, as days' visitors add up).
 * `onStep` records each write once made (ImportInfo.written), so that taking the import back
 * undoes exactly what was done, even after an interruption.
 */
export async function writeImport(db: Db, info: ImportInfo, onStep: () => Promise<void>): Promise<void> {
  if (!info.days.length) return
  const { where, params } = selection(info)
  const sums = SUMS.join(', ')
  if (!info.written.counts) {
    await db.command({
      query: `INSERT INTO counts_hourly (site, dimension, hour, value, ${sums})
              SELECT site, dimension, hour, value, ${SUMS.map((s) => `sum(${s})`).join(', ')}
              FROM import_rows WHERE ${where}
              GROUP BY site, dimension, hour, value`,
      query_params: params,
    })
    info.written.counts = true
    await onStep()
  }
  if (!info.written.daily) {
    await addVisitors(db, 'visitors_daily', 'day', `${where} AND has_visitors IN (1, 3)`, params, 1)
    info.written.daily = true
    await onStep()
  }
  if (!info.written.hourly) {
    await addVisitors(db, 'visitors_hourly', 'hour', `${where} AND dimension = '' AND has_visitors IN (2, 3)`, params, 1)
    info.written.hourly = true
    await onStep()
  }
  await db.command({
    query: `INSERT INTO rolled_days (day, rolled_at)
            SELECT d, now() FROM (SELECT arrayJoin({days:Array(Date)}) AS d) WHERE d NOT IN (SELECT day FROM rolled_days)`,
    query_params: { days: info.days },
  })
}

/**
 * Adds (sign 1) or takes back (sign -1) an import's unique visitors in a ReplacingMergeTree
 * table: each key's row is written anew as what the table holds (FINAL) plus sign × the
 * import's, never below zero.
 */
async function addVisitors(
  db: Db,
  table: 'visitors_daily' | 'visitors_hourly',
  time: 'day' | 'hour',
  where: string,
  params: Record<string, unknown>,
  sign: 1 | -1,
): Promise<void> {
  const mine = `SELECT site, dimension, ${time}, value, sum(visitors) AS n FROM import_rows WHERE ${where} GROUP BY site, dimension, ${time}, value`
  await db.command({
    query: `INSERT INTO ${table} (site, dimension, ${time}, value, visitors)
            SELECT i.site, i.dimension, i.${time}, i.value, toUInt64(greatest(0, toInt64(ifNull(t.visitors, 0)) + ${sign} * toInt64(i.n)))
            FROM (${mine}) AS i
            LEFT JOIN (
              SELECT site, dimension, ${time}, value, visitors FROM ${table} FINAL
              WHERE site = {site:String} AND (dimension, ${time}, value) IN (SELECT dimension, ${time}, value FROM (${mine}))
            ) AS t ON t.site = i.site AND t.dimension = i.dimension AND t.${time} = i.${time} AND t.value = i.value
            SETTINGS join_use_nulls = 1`,
    query_params: params,
  })
}

/**
 * Takes back everything `writeImport` wrote of an import (the steps `info.written` records):
 * its counts negated (the SummingMergeTree's merges then drop rows that sum to zero), its
 * visitors subtracted; then its staged rows are deleted in the background.
 */
export async function takeBack(db: Db, info: ImportInfo, onStep: () => Promise<void>): Promise<void> {
  const { where, params } = selection(info)
  if (info.days.length && info.written.hourly) {
    await addVisitors(db, 'visitors_hourly', 'hour', `${where} AND dimension = '' AND has_visitors IN (2, 3)`, params, -1)
    info.written.hourly = false
    await onStep()
  }
  if (info.days.length && info.written.daily) {
    await addVisitors(db, 'visitors_daily', 'day', `${where} AND has_visitors IN (1, 3)`, params, -1)
    info.written.daily = false
    await onStep()
  }
  if (info.days.length && info.written.counts) {
    await db.command({
      query: `INSERT INTO counts_hourly (site, dimension, hour, value, ${SUMS.join(', ')})
              SELECT site, dimension, hour, value, ${SUMS.map((s) => `-sum(${s})`).join(', ')}
              FROM import_rows WHERE ${where}
              GROUP BY site, dimension, hour, value`,
      query_params: params,
    })
    info.written.counts = false
    await onStep()
  }
  await dropStaged(db, info)
}

/** Deletes an import's staged rows, in the background on one node (nothing reads them any more). */
export async function dropStaged(db: Db, info: Pick<ImportInfo, 'site' | 'id'>): Promise<void> {
  const stored = await storedTable(db, 'import_rows')
  await db.command(
    {
      query: `ALTER TABLE ${stored.target} DELETE WHERE site = {site:String} AND import_id = {id:String}`,
      query_params: { site: info.site, id: info.id },
      clickhouse_settings: stored.settings ?? { mutations_sync: '0' },
    },
    'none',
  )
}
