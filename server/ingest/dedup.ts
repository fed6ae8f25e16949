import type { Db } from '../db/client.ts'

/** The tables the materialized views on `cells_in` write into (migration 010). */
export const VIEW_TARGETS = ['counts_hourly', 'visitor_sketches']

/**
 * Inserted blocks remembered per table. Each batch makes a block per partition it touches in
 * each table, so 10,000 is hours of flushes: far longer than any retry or late insert.
 */
export const DEDUPLICATION_WINDOW = 10_000

/**
 * Makes ClickHouse drop a repeated insert of the same batch. `cells_in` is a Null table and
 * keeps nothing, but with `deduplicate_blocks_in_dependent_materialized_views` each view's
 * target table drops blocks whose `insert_deduplication_token` it has already seen. Replicated
 * tables remember tokens by default; plain MergeTree tables only with
 * `non_replicated_deduplication_window`, set here (a metadata change, skipped when present).
 */
export async function enableInsertDeduplication(db: Db, signal?: AbortSignal): Promise<void> {
  // On a cluster the views write into Replicated tables: Keeper remembers each shard's tokens
  // (replicated_deduplication_window and its _seconds twin), so there is nothing to set here.
  if (db.cluster) return
  const rs = await db.query({
    query: `SELECT name, engine, create_table_query FROM system.tables
            WHERE database = currentDatabase() AND name IN {names:Array(String)}`,
    query_params: { names: VIEW_TARGETS },
    format: 'JSONEachRow',
    abort_signal: signal,
  })
  const tables = await rs.json<{ name: string; engine: string; create_table_query: string }>()
  for (const t of tables) {
    if (t.engine.startsWith('Replicated') || !t.engine.endsWith('MergeTree')) continue
    if (t.create_table_query.includes(`non_replicated_deduplication_window = ${DEDUPLICATION_WINDOW}`)) continue
    await db.command({
      // The table name comes from the fixed list above, read back from the catalogue.
      query: `ALTER TABLE ${t.name} MODIFY SETTING non_replicated_deduplication_window = ${DEDUPLICATION_WINDOW}`,
      abort_signal: signal,
    })
  }
}
