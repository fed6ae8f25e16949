/**
 * The relations of a block frozen into flat arrays, with the indices the steps look them up
 * by: relation r reads whole[r] = Σ parts[partStart[r] .. partStart[r + 1]).
 */
import type { RelationList } from './relations.ts'

/** Compressed lists: items of list i are data[start[i] .. start[i+1]). */
export interface Csr {
  start: Int32Array
  data: Int32Array
}

function buildCsr(n: number, pairs: [number, number][]): Csr {
  const start = new Int32Array(n + 1)
  for (const [i] of pairs) start[i + 1]!++
  for (let i = 0; i < n; i++) start[i + 1]! += start[i]!
  const fill = start.slice(0, n)
  const data = new Int32Array(pairs.length)
  for (const [i, v] of pairs) data[fill[i]!++] = v
  return { start, data }
}

export interface Relations {
  nRel: number
  whole: Int32Array
  partStart: Int32Array
  parts: Int32Array
  disjoint: Uint8Array // 1: whole = Σ parts (+ remainder ≥ 0) holds for the partner
  rem: Float64Array // whole − Σ parts (true values)
  kind: Uint8Array // R1 = 0; over time: R2 week = 1, R2 month = 2, R2' = 3
  rectangle: Uint8Array // 1: a time relation of a value or remainder column of a disjoint dimension
  dim: Int32Array // index of the dimension: R1's, or (time relations) the column's
  /** wholeOf: per cell, the relations it is the whole of; partOf: those it is a part of. */
  wholeOf: Csr
  partOf: Csr
  // slot: (kind, coarse period) of a time relation; slotTotal: the total column's relation there
  slot: Int32Array
  slotTotal: Map<number, number>
  // rowOf[c]: the R1 relation (disjoint dimension) holding value / remainder cell c;
  // colOf[4c + kind]: the time relation of that kind holding cell c
  rowOf: Int32Array
  colOf: Int32Array
}

/** Freezes the relations of a block of N cells (real and virtual) with values `val` and ranks `rank`. */
export function freezeRelations(list: RelationList, N: number, val: Float64Array, rank: Int32Array): Relations {
  const nRel = list.whole.length
  const whole = Int32Array.from(list.whole)
  const partStart = new Int32Array(nRel + 1)
  for (let r = 0; r < nRel; r++) partStart[r + 1] = partStart[r]! + list.parts[r]!.length
  const parts = new Int32Array(partStart[nRel]!)
  for (let r = 0; r < nRel; r++) parts.set(list.parts[r]!, partStart[r]!)
  const kind = Uint8Array.from(list.kind)
  const slot = Int32Array.from(list.slot)
  const rel: Relations = {
    nRel,
    whole,
    partStart,
    parts,
    disjoint: Uint8Array.from(list.disjoint),
    rem: new Float64Array(nRel),
    kind,
    rectangle: Uint8Array.from(list.rect),
    dim: Int32Array.from(list.dim),
    wholeOf: buildCsr(N, Array.from(whole, (w, r) => [w, r] as [number, number])),
    partOf: buildCsr(N, partPairs(nRel, partStart, parts)),
    slot,
    slotTotal: slotTotals(nRel, kind, whole, slot, rank),
    rowOf: new Int32Array(N).fill(-1),
    colOf: new Int32Array(4 * N).fill(-1),
  }
  fillRemainders(rel, val)
  fillCrossing(rel)
  return rel
}

function partPairs(nRel: number, partStart: Int32Array, parts: Int32Array): [number, number][] {
  const pairs: [number, number][] = []
  for (let r = 0; r < nRel; r++) for (let j = partStart[r]!; j < partStart[r + 1]!; j++) pairs.push([parts[j]!, r])
  return pairs
}

/** Per slot, the time relation of the total row's column (a total row has an odd rank). */
function slotTotals(nRel: number, kind: Uint8Array, whole: Int32Array, slot: Int32Array, rank: Int32Array): Map<number, number> {
  const slotTotal = new Map<number, number>()
  for (let r = 0; r < nRel; r++) if (kind[r]! > 0 && rank[whole[r]!]! % 2 === 1) slotTotal.set(slot[r]!, r)
  return slotTotal
}

function fillRemainders({ nRel, whole, partStart, parts, rem }: Relations, val: Float64Array): void {
  for (let r = 0; r < nRel; r++) {
    let s = 0
    for (let j = partStart[r]!; j < partStart[r + 1]!; j++) s += val[parts[j]!]!
    rem[r] = val[whole[r]!]! - s
  }
}

function fillCrossing({ nRel, partStart, parts, kind, disjoint, rectangle, rowOf, colOf }: Relations): void {
  for (let r = 0; r < nRel; r++) {
    for (let j = partStart[r]!; j < partStart[r + 1]!; j++) {
      const p = parts[j]!
      if (kind[r] === 0) {
        if (disjoint[r]) rowOf[p] = r
      } else if (rectangle[r]) colOf[4 * p + kind[r]!] = r
    }
  }
}

/** The R1 relation's whole (the row's total) for a value / remainder cell of a disjoint dimension, or −1. */
export function rowTotal(rel: Relations, p: number): number {
  return rel.rowOf[p]! >= 0 ? rel.whole[rel.rowOf[p]!]! : -1
}
