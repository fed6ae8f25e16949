/**
 * The secondary rule: which published cell to suppress next for a failing check (see
 * SECONDARY RULE in index.ts). Each function returns a cell index, or −1 when none helps.
 */
import type { Block } from './block.ts'
import { isGap, lbBelow } from './bounds.ts'
import { rowTotal } from './relation-arrays.ts'

/** a comes before b (b < 0: none yet): fewer visitors, ties by index (ids are sorted). */
function better(b: Block, a: number, than: number): boolean {
  const val = b.val
  return than < 0 || val[a]! < val[than]! || (val[a] === val[than] && a < than)
}

/** For a failing relation r: one of its parts, else what bounds its whole, else its whole. */
export function pick(b: Block, r: number): number {
  const visited = new Set<number>()
  const x = pickPart(b, r, -1, visited)
  if (x >= 0) return x
  const w = b.rel.whole[r]!
  return b.pub[w] ? w : reduce(b, w, visited)
}

/** A cell to suppress among the parts of r (never `skip`); −1 if none helps. */
export function pickPart(b: Block, r: number, skip: number, visited: Set<number>): number {
  const { partStart, parts } = b.rel
  const { pub, val, lb } = b
  let withGain = -1
  let anyPub = -1
  for (let j = partStart[r]!; j < partStart[r + 1]!; j++) {
    const p = parts[j]!
    if (p === skip || !pub[p]) continue
    if (better(b, p, anyPub)) anyPub = p
    if (val[p]! - lbBelow(b, p) > 0 && better(b, p, withGain)) withGain = p
  }
  if (withGain >= 0) return withGain
  const bounded: number[] = []
  for (let j = partStart[r]!; j < partStart[r + 1]!; j++) {
    const p = parts[j]!
    if (p !== skip && !pub[p] && lb[p]! > 0) bounded.push(p)
  }
  bounded.sort((a, c) => val[a]! - val[c]! || a - c)
  for (const p of bounded) {
    const c = reduce(b, p, visited)
    if (c >= 0) return c
  }
  return anyPub
}

/** A cell whose suppression lowers what the partner can prove about suppressed cell c. */
export function reduce(b: Block, c: number, visited: Set<number>): number {
  if (visited.has(c)) return -1
  visited.add(c)
  const { whole, wholeOf, disjoint, rem } = b.rel
  const up = b.aboveRel[c]!
  if (up >= 0) {
    const x = pickPart(b, up, c, visited)
    if (x >= 0) return x
    const w = whole[up]!
    return b.pub[w] ? w : reduce(b, w, visited)
  }
  const rels: number[] = []
  for (let j = wholeOf.start[c]!; j < wholeOf.start[c + 1]!; j++) {
    const r = wholeOf.data[j]!
    if (disjoint[r] && rem[r]! >= 0 && b.relSumLb[r]! > 0) rels.push(r)
  }
  rels.sort((x, y) => b.relSumLb[y]! - b.relSumLb[x]! || x - y)
  for (const r of rels) {
    const x = pickPart(b, r, -1, visited)
    if (x >= 0) return x
  }
  return -1
}

/** For a failing row rectangle: a published cell in the crossing columns. */
export function pickCrossing(b: Block, r: number, k2: number): number {
  const { partStart, parts, colOf, whole } = b.rel
  const visited = new Set<number>()
  for (let j = partStart[r]!; j < partStart[r + 1]!; j++) {
    const p = parts[j]!
    if (!isGap(b, p)) continue
    const x = colOf[4 * p + k2]!
    if (x < 0) continue
    const c = pickPart(b, x, p, visited)
    if (c >= 0) return c
    if (b.pub[whole[x]!]) return whole[x]!
  }
  return pick(b, r)
}

/** For a failing group: hide c(G) of an eligible column (its smallest published cell outside G), else a cell in G. */
export function pickGroup(b: Block, r: number, cols: number[], G: Set<number>): number {
  const { partStart, parts } = b.rel
  let best = -1
  for (const col of cols) {
    for (let j = partStart[col]!; j < partStart[col + 1]!; j++) {
      const p = parts[j]!
      if (b.pub[p] && !G.has(rowTotal(b.rel, p)) && better(b, p, best)) best = p
    }
  }
  return best >= 0 ? best : pick(b, r)
}
