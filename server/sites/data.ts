import { queryRows, type Db } from '../db/client.ts'
import { storedTable } from '../db/cluster.ts'

/** Tables holding a site's counts, keyed by its domain in the `site` column (import_rows: what its imports wrote). */
export const SITE_DATA_TABLES = ['counts_hourly', 'visitor_sketches', 'visitors_daily', 'visitors_hourly', 'import_rows']

/** Deletes every count of a site, and its imports, synchronously. */
export async function deleteSiteData(db: Db, site: string): Promise<void> {
  for (const table of [...SITE_DATA_TABLES, 'imports', 'filtered_counts']) {
    const stored = await storedTable(db, table)
    await db.command({
      query: `ALTER TABLE ${stored.target} DELETE WHERE site = {site:String}`,
      query_params: { site },
      clickhouse_settings: { ...stored.settings, mutations_sync: '2' },
    })
  }
}

/**
 * Deletes a site's rows of some dimensions from every table, synchronously: those named exactly,
 * and those whose name starts with `prefix` (a goal's or a funnel's rows by each dimension).
 */
export async function deleteDimensionRows(db: Db, site: string, exact: { dimension: string; value?: string }, prefix: string): Promise<void> {
  for (const table of SITE_DATA_TABLES) {
    const stored = await storedTable(db, table)
    const own = exact.value === undefined ? 'dimension = {dim:String}' : '(dimension = {dim:String} AND value = {value:String})'
    await db.command({
      query: `ALTER TABLE ${stored.target} DELETE WHERE site = {site:String} AND (${own} OR startsWith(dimension, {prefix:String}))`,
      query_params: { site, dim: exact.dimension, value: exact.value ?? '', prefix },
      clickhouse_settings: { ...stored.settings, mutations_sync: '2' },
    })
  }
}

/** Moves a site's counts to a new domain: copied under the new name, then deleted under the old. */
export async function renameSiteData(db: Db, from: string, to: string): Promise<void> {
  for (const table of SITE_DATA_TABLES) {
    const columns = (
      await queryRows<{ name: string }>(
        db,
        'SELECT name FROM system.columns WHERE database = currentDatabase() AND table = {table:String} ORDER BY position',
        { table },
      )
    ).map((c) => c.name)
    // Table and column names come from ClickHouse's own catalogue; values are parameters.
    // INSERT … SELECT is positional; the new domain must not be aliased `site`, or the WHERE
    // below would read the alias and copy nothing.
    const select = columns.map((c) => (c === 'site' ? '{to:String} AS new_site' : `\`${c}\``)).join(', ')
    await db.command({
      query: `INSERT INTO ${table} (${columns.map((c) => `\`${c}\``).join(', ')}) SELECT ${select} FROM ${table} WHERE site = {from:String}`,
      query_params: { from, to },
    })
  }
  // An import's record is replaced by one under the new name (its id is the key); its JSON too.
  await db.command({
    query: `INSERT INTO imports (id, site, status, info, updated_at)
            SELECT id, {to:String}, status, replaceOne(info, concat('"site":', toJSONString({from:String})), concat('"site":', toJSONString({to:String}))),
                   updated_at + toIntervalMillisecond(1)
            FROM imports FINAL WHERE site = {from:String}`,
    query_params: { from, to },
  })
  // The counts of events not counted (ingest/filtered.ts) move too; they have no dimension.
  await db.command({
    query: `INSERT INTO filtered_counts (site, day, reason, events) SELECT {to:String}, day, reason, events FROM filtered_counts WHERE site = {from:String}`,
    query_params: { from, to },
  })
  await deleteSiteData(db, from)
}
