import { INCREMENT_KEYS, type Cell } from '../../server/sessions/cells.ts'

/**
 * Sums cells into rows `dimension=value` → the nonzero sums, as the aggregate tables do; with
 * `uniq`, a row a visitor counts towards gets `uniq: 1`. `only` keeps the rows of some dimensions.
 */
export function foldCells(
  cells: Cell[],
  into = new Map<string, Record<string, number>>(),
  o: { uniq?: boolean; only?: (dimension: string) => boolean } = {},
): Map<string, Record<string, number>> {
  for (const c of cells) {
    if (o.only && !o.only(c.dimension)) continue
    const key = `${c.dimension}=${c.value}`
    const row = into.get(key) ?? {}
    for (const k of INCREMENT_KEYS) if (c[k]) row[k] = (row[k] ?? 0) + c[k]
    if (o.uniq && c.uniq) row.uniq = 1
    into.set(key, row)
  }
  return into
}
