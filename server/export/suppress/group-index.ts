/**
 * The static index of C4's groups (groups.ts), built once per block: the 2-D tables of
 * rows (the total column's parts) and columns (values, remainder) per slot and dimension.
 */
import type { Cell } from './cells.ts'
import type { Relations } from './relation-arrays.ts'

// Per slot, the rows (the total column's parts) as bit positions; per (slot, dimension)
// the value/remainder columns; per (row total, dimension) the R1 relation.

export interface GroupIndex {
  slotRows: Map<number, Map<number, number>> // slot → row total cell → bit
  slotPortions: Map<number, number[]> // R2' slot → leading / trailing days as bits
  slotDimCols: Map<number, number[]> // slot * 65536 + dimension → column relations
  rowRel: Map<number, number> // row total * 65536 + dimension → R1 relation
}

export function buildGroupIndex(cells: Cell[], rel: Relations): GroupIndex {
  const slotRows = rowsBySlot(rel)
  return { slotRows, slotPortions: portionsBySlot(cells, rel, slotRows), slotDimCols: columnsBySlot(rel), rowRel: rowRelations(rel) }
}

/** Slots of at most 31 rows (the bits of a number). */
function rowsBySlot({ slotTotal, partStart, parts }: Relations): Map<number, Map<number, number>> {
  const slotRows = new Map<number, Map<number, number>>()
  for (const [sl, rT] of slotTotal) {
    const m = new Map<number, number>()
    for (let j = partStart[rT]!; j < partStart[rT + 1]! && m.size < 31; j++) m.set(parts[j]!, m.size)
    if (partStart[rT + 1]! - partStart[rT]! <= 31) slotRows.set(sl, m)
  }
  return slotRows
}

// R2' slots: the month's leading and trailing days outside whole weeks — the month's
// parts of the weeks that cross its boundaries, which the partner may isolate by
// combining two months — are candidate groups too.
function portionsBySlot(cells: Cell[], rel: Relations, slotRows: Map<number, Map<number, number>>): Map<number, number[]> {
  const n = cells.length
  const slotPortions = new Map<number, number[]>()
  for (const [sl, rows] of slotRows) {
    if (rel.kind[rel.slotTotal.get(sl)!] !== 3) continue
    let firstWeek = Infinity
    for (const t of rows.keys()) if (t < n && cells[t]!.gran === 'week') firstWeek = Math.min(firstWeek, cells[t]!.start)
    let lead = 0
    let trail = 0
    for (const [t, bit] of rows) {
      if (t >= n || cells[t]!.gran !== 'day') continue
      if (cells[t]!.start < firstWeek) lead |= 1 << bit
      else trail |= 1 << bit
    }
    slotPortions.set(sl, [lead >>> 0, trail >>> 0].filter((m) => m !== 0))
  }
  return slotPortions
}

function columnsBySlot({ nRel, rectangle, slot, dim }: Relations): Map<number, number[]> {
  const slotDimCols = new Map<number, number[]>()
  for (let r = 0; r < nRel; r++) {
    if (!rectangle[r]) continue
    const key = slot[r]! * 65536 + dim[r]!
    let list = slotDimCols.get(key)
    if (!list) slotDimCols.set(key, (list = []))
    list.push(r)
  }
  return slotDimCols
}

function rowRelations({ nRel, kind, disjoint, whole, dim }: Relations): Map<number, number> {
  const rowRel = new Map<number, number>()
  for (let r = 0; r < nRel; r++) if (kind[r] === 0 && disjoint[r]) rowRel.set(whole[r]! * 65536 + dim[r]!, r)
  return rowRel
}
