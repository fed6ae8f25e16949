import { execFileSync } from 'node:child_process'
import { queryRows, type Db } from '../../server/db/client.ts'

export interface TableInfo {
  name: string
  engine: string
  create_table_query: string
}

export async function tables(db: Db): Promise<TableInfo[]> {
  return queryRows<TableInfo>(
    db,
    `SELECT name, engine, create_table_query FROM system.tables WHERE database = currentDatabase() ORDER BY name`,
  )
}

/** Rows in any table, any column rendered as text, that contain `needle`. */
export async function findInAnyColumn(db: Db, needle: string): Promise<string[]> {
  const hits: string[] = []
  const cols = await queryRows<{ table: string; name: string; type: string }>(
    db,
    `SELECT c.table AS table, c.name AS name, c.type AS type FROM system.columns c
     JOIN system.tables t ON t.database = c.database AND t.name = c.table
     WHERE c.database = currentDatabase() AND t.engine NOT IN ('Null', 'MaterializedView')`,
  )
  for (const c of cols) {
    if (c.type.startsWith('AggregateFunction')) continue
    const rows = await queryRows<{ n: number }>(
      db,
      `SELECT count() AS n FROM ${quote(c.table)} WHERE positionCaseInsensitive(toString(${quote(c.name)}), {needle:String}) > 0`,
      { needle },
    )
    if (Number(rows[0]!.n) > 0) hits.push(`${c.table}.${c.name}`)
  }
  return hits
}

function quote(identifier: string): string {
  return '`' + identifier.replace(/`/g, '``') + '`'
}

/** The TTL interval of a table's CREATE statement in hours, or undefined when it has none. */
export function ttlHours(createTableQuery: string): number | undefined {
  const m = /\bTTL\b.*?toInterval(Hour|Day|Month|Year)\((\d+)\)/.exec(createTableQuery)
  if (!m) return undefined
  const n = Number(m[2])
  return { Hour: n, Day: n * 24, Month: n * 24 * 31, Year: n * 24 * 366 }[m[1] as 'Hour' | 'Day' | 'Month' | 'Year']
}

/**
 * Files under `dir` holding any 8-character piece of `secret` (a hex salt), newline-separated;
 * '' when none. ClickHouse writes parts LZ4-compressed, and LZ4 replaces any run of 4 bytes or
 * more it saw earlier in the block (in another salt, say) by a back-reference: the whole string
 * is then in no file even while the part still holds it (one run in about twenty, measured as a
 * flaky positive control). Eight pieces cannot all be cut so.
 */
export function filesHoldingPieces(dir: string, secret: string): string {
  const pieces = secret.match(/.{8}/g) ?? [secret]
  try {
    return execFileSync('grep', ['-rlaF', ...pieces.flatMap((p) => ['-e', p]), dir]).toString().trim()
  } catch {
    return ''
  }
}

/** Files under `dir` whose bytes contain `needle` (grep -rlaF), newline-separated; '' when none. */
export function filesContaining(dir: string, needle: string): string {
  try {
    return execFileSync('grep', ['-rlaF', needle, dir]).toString().trim()
  } catch {
    return '' // grep exits 1 when nothing matches
  }
}
