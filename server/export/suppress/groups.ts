/**
 * C4 groups (see the 2-D table in checks.ts): for each slot (time relation family) and
 * disjoint dimension, rows as bits; U_c = the unknown rows of column c;
 * f(G) = Σ_{rows in G} (total − Σ lower bounds of the row) − Σ_{c known, U_c ⊆ G} (the
 * hidden visitors of c), evaluated for G = each distinct U_c, the total column's unknown
 * rows, and (R2') the month's leading and trailing days outside whole weeks.
 */
import type { Block } from './block.ts'
import { rowTotal } from './relation-arrays.ts'

export interface GroupFailure {
  r: number // a relation of the group, to fall back on
  cols: number[] // columns whose c(G) the partner knows and that hide something in G
  G: Set<number> // row totals
}

/** One slot and dimension's table, as the partner knows it now. */
interface SlotTable {
  sl: number
  rT: number // the total column's relation
  rows: Map<number, number> // row total cell → bit
  rowList: number[] // bit → row total cell
  slack: Float64Array // per row: total − Σ lower bounds of the row's R1 relation
  unknownT: number // rows whose total is unknown
  tKnown: boolean // the total column's whole is known
  cols: number[] // the value / remainder columns' time relations
  masks: number[] // per column: U_c
  gapSums: number[] // per column: its hidden visitors
  usable: boolean[] // per column: whole known, every unknown part in a row
}

/** Failing groups: each as [a generating relation, the eligible columns, G]. */
export function groupFailures(b: Block): GroupFailure[] {
  const out: GroupFailure[] = []
  for (const [key, cols] of b.groups.slotDimCols) {
    const table = slotTable(b, key, cols)
    if (!table) continue
    for (const [G, gen] of candidateGroups(b, table)) {
      const failure = checkGroup(b, table, G, gen)
      if (failure) out.push(failure)
    }
  }
  return out
}

function slotTable(b: Block, key: number, cols: number[]): SlotTable | undefined {
  const sl = Math.floor(key / 65536)
  const d = key % 65536
  const rows = b.groups.slotRows.get(sl)
  const rT = b.rel.slotTotal.get(sl)
  if (!rows || rT === undefined) return undefined
  const rowList = [...rows.keys()]
  const slack = new Float64Array(rowList.length)
  let unknownT = 0
  for (const [t, bit] of rows) {
    if (!b.known[t]) unknownT |= 1 << bit
    const row = b.groups.rowRel.get(t * 65536 + d)
    if (row === undefined) return undefined
    slack[bit] = b.val[t]! - b.relSumLb[row]!
  }
  const tKnown = b.known[b.rel.whole[rT]!] === 1
  return { sl, rT, rows, rowList, slack, unknownT, tKnown, cols, ...columnGaps(b, rows, cols) }
}

/** Per column: its unknown rows as bits, its hidden visitors, and whether it is usable. */
function columnGaps(b: Block, rows: Map<number, number>, cols: number[]): Pick<SlotTable, 'masks' | 'gapSums' | 'usable'> {
  const { whole, partStart, parts } = b.rel
  const { known, val, lb } = b
  const masks: number[] = []
  const gapSums: number[] = []
  const usable: boolean[] = []
  for (const c of cols) {
    let mask = 0
    let gap = 0
    let ok = known[whole[c]!] === 1
    for (let j = partStart[c]!; j < partStart[c + 1]!; j++) {
      const p = parts[j]!
      if (known[p]) continue
      const bit = rows.get(rowTotal(b.rel, p))
      if (bit === undefined) ok = false
      else mask |= 1 << bit
      gap += val[p]! - lb[p]!
    }
    masks.push(mask >>> 0)
    gapSums.push(gap)
    usable.push(ok)
  }
  return { masks, gapSums, usable }
}

/** G mask → generating relation, in the order they are checked. */
function candidateGroups(b: Block, t: SlotTable): Map<number, number> {
  const candidates = new Map<number, number>()
  if (t.unknownT !== 0) candidates.set(t.unknownT >>> 0, t.rT)
  for (const m of b.groups.slotPortions.get(t.sl) ?? []) if (!candidates.has(m)) candidates.set(m, t.rT)
  t.cols.forEach((c, i) => {
    if (t.usable[i] && t.masks[i] !== 0 && !candidates.has(t.masks[i]!)) candidates.set(t.masks[i]!, c)
  })
  return candidates
}

function checkGroup(b: Block, t: SlotTable, G: number, gen: number): GroupFailure | undefined {
  // T(G): all its row totals known, or the total column's unknown rows all inside G
  if ((G & t.unknownT) !== 0 && (!t.tKnown || (t.unknownT & ~G) !== 0)) return undefined
  let f = 0
  for (let bit = 0; bit < t.rowList.length; bit++) if (G & (1 << bit)) f += t.slack[bit]!
  const hiding: number[] = []
  t.cols.forEach((c, i) => {
    if (t.usable[i] && (t.masks[i]! & ~G) === 0) {
      f -= t.gapSums[i]!
      if (t.gapSums[i]! > 0) hiding.push(c)
    }
  })
  if (!b.inBand(f)) return undefined
  const set = new Set<number>()
  for (let bit = 0; bit < t.rowList.length; bit++) if (G & (1 << bit)) set.add(t.rowList[bit]!)
  return { r: gen, cols: hiding, G: set }
}
