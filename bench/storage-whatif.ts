import { num, queryRows, type Db } from '../server/db/client.ts'

/**
 * What counts_hourly, most of Skaits's bytes, would take laid out otherwise, measured on copies
 * of it (made from its own definition, so projections, codecs and settings come along) that are
 * dropped afterwards. Nothing here changes the real tables: it sizes the next leads for the
 * storage figure. What a lead would cost the queries a copy cannot show:
 * - value as LowCardinality(String): the value is in the sorting key, whose types ALTER cannot
 *   change, so it takes a table swap like migration 012's; a part of a large site holds many
 *   thousand distinct pages, more than one dictionary takes (low_cardinality_max_dictionary_size).
 * - sorted by value before hour, as visitors_hourly is since migration 012: the hours at a
 *   range's edges (server/stats/pieces.ts) would then be read from every value's run of hours.
 * - ZSTD(6) as the table default (the only codec that reaches the projections): more CPU on
 *   every insert and merge.
 */
export interface Variant {
  label: string
  /** bytes on disk after OPTIMIZE FINAL, per table */
  bytes: Record<string, number>
}

const SKAITS_TABLES = ['counts_hourly', 'visitors_daily', 'visitors_hourly']

const LEADS: { label: string; edit: (ddl: string) => string }[] = [
  { label: 'counts_hourly with value as LowCardinality(String)', edit: (ddl) => ddl.replace('`value` String', '`value` LowCardinality(String)') },
  {
    label: 'counts_hourly sorted by (site, dimension, value, hour)',
    edit: (ddl) => ddl.replace('ORDER BY (site, dimension, hour, value)', 'ORDER BY (site, dimension, value, hour)'),
  },
  {
    label: "counts_hourly with default_compression_codec = 'ZSTD(6)'",
    edit: (ddl) => ddl.replace("default_compression_codec = 'ZSTD(3)'", "default_compression_codec = 'ZSTD(6)'"),
  },
]

async function bytesOnDisk(db: Db, table: string): Promise<number> {
  const [row] = await queryRows<{ b: number }>(
    db,
    'SELECT sum(bytes_on_disk) AS b FROM system.parts WHERE active AND database = currentDatabase() AND table = {table:String}',
    { table },
  )
  return num(row?.b)
}

async function sizeOfCopy(db: Db, source: string, ddl: string): Promise<number> {
  const copy = `bench_whatif_${source}`
  await db.command({ query: `DROP TABLE IF EXISTS ${copy}` })
  await db.command({ query: ddl.replace(/^CREATE TABLE \S+/, `CREATE TABLE ${copy}`) })
  await db.command({ query: `INSERT INTO ${copy} SELECT * FROM ${source}` })
  await db.command({ query: `OPTIMIZE TABLE ${copy} FINAL` })
  const bytes = await bytesOnDisk(db, copy)
  await db.command({ query: `DROP TABLE ${copy}` })
  return bytes
}

export async function storageWhatIf(db: Db): Promise<Variant[]> {
  const real: Record<string, number> = {}
  for (const t of SKAITS_TABLES) real[t] = await bytesOnDisk(db, t)
  const [row] = await queryRows<{ q: string }>(
    db,
    "SELECT create_table_query AS q FROM system.tables WHERE database = currentDatabase() AND name = 'counts_hourly'",
  )
  const variants: Variant[] = []
  for (const lead of LEADS) {
    const ddl = lead.edit(row!.q)
    // A lead a later migration has taken (or made moot) changes nothing here.
    if (ddl === row!.q) continue
    variants.push({ label: lead.label, bytes: { ...real, counts_hourly: await sizeOfCopy(db, 'counts_hourly', ddl) } })
  }
  return variants
}
