import { num, queryRows, type Db } from '../server/db/client.ts'

/**
 * What the same Skaits rows would take with other storage settings, measured on copies of the
 * real tables (made from their own definitions, so projections and TTLs come along) that are
 * dropped afterwards. Nothing here changes the real tables: it sizes the fixes bench/storage.ts
 * proposes when the storage goal is missed.
 *
 * Plausible compresses its string columns with ZSTD(3); Skaits's tables use ClickHouse's default
 * (LZ4) throughout, on values that repeat every hour and on counts that are mostly small.
 */
export interface Variant {
  label: string
  /** bytes on disk after OPTIMIZE FINAL, per table */
  bytes: Record<string, number>
}

const SKAITS_TABLES = ['counts_hourly', 'visitors_daily', 'visitors_hourly']

/** ZSTD(3) for every column without a codec (projections included), counts bit-packed first. */
async function codecs(db: Db, copy: string, source: string): Promise<void> {
  await db.command({ query: `ALTER TABLE ${copy} MODIFY SETTING default_compression_codec = 'ZSTD(3)'` })
  const columns = await queryRows<{ name: string; type: string; key: number }>(
    db,
    `SELECT name, type, is_in_sorting_key AS key FROM system.columns WHERE database = currentDatabase() AND table = {source:String}`,
    { source },
  )
  for (const c of columns) {
    if (!num(c.key) && /^U?Int\d+$/.test(c.type)) await db.command({ query: `ALTER TABLE ${copy} MODIFY COLUMN ${c.name} CODEC(T64, ZSTD(1))` })
  }
}

async function sizeOfCopy(db: Db, source: string, make: (copy: string) => Promise<void>): Promise<number> {
  const copy = `bench_whatif_${source}`
  await db.command({ query: `DROP TABLE IF EXISTS ${copy}` })
  await make(copy)
  await db.command({ query: `INSERT INTO ${copy} SELECT * FROM ${source}` })
  await db.command({ query: `OPTIMIZE TABLE ${copy} FINAL` })
  const [row] = await queryRows<{ b: number }>(
    db,
    'SELECT sum(bytes_on_disk) AS b FROM system.parts WHERE active AND database = currentDatabase() AND table = {copy:String}',
    { copy },
  )
  await db.command({ query: `DROP TABLE ${copy}` })
  return num(row?.b)
}

/** The table's own definition under another name, its sorting key reordered value first. */
async function valueMajorCopy(db: Db, copy: string, source: string): Promise<boolean> {
  const [row] = await queryRows<{ q: string }>(
    db,
    'SELECT create_table_query AS q FROM system.tables WHERE database = currentDatabase() AND name = {source:String}',
    { source },
  )
  const hourly = '(site, dimension, hour, value)'
  if (!row?.q.includes(`ORDER BY ${hourly}`)) return false
  const ddl = row.q.replace(/^CREATE TABLE \S+/, `CREATE TABLE ${copy}`).replace(`ORDER BY ${hourly}`, 'ORDER BY (site, dimension, value, hour)')
  await db.command({ query: ddl })
  return true
}

export async function storageWhatIf(db: Db): Promise<Variant[]> {
  const withCodecs: Record<string, number> = {}
  for (const t of SKAITS_TABLES) {
    withCodecs[t] = await sizeOfCopy(db, t, async (copy) => {
      await db.command({ query: `CREATE TABLE ${copy} AS ${t}` })
      await codecs(db, copy, t)
    })
  }
  const variants: Variant[] = [{ label: 'ZSTD(3) by default (as Plausible its strings), counts T64+ZSTD(1)', bytes: withCodecs }]
  let ordered = true
  const valueMajor = await sizeOfCopy(db, 'visitors_hourly', async (copy) => {
    ordered = await valueMajorCopy(db, copy, 'visitors_hourly')
    if (!ordered) await db.command({ query: `CREATE TABLE ${copy} AS visitors_hourly` })
    await codecs(db, copy, 'visitors_hourly')
  })
  if (ordered) {
    variants.push({
      label: 'the same, and visitors_hourly sorted by (site, dimension, value, hour)',
      bytes: { ...withCodecs, visitors_hourly: valueMajor },
    })
  }
  return variants
}
