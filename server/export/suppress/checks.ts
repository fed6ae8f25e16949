/**
 * The protection checks (C1…C4 in index.ts) on the partner's current knowledge. C1 holds
 * by construction: a cell with visitors < k is never published (Block). C4's groups are
 * in groups.ts.
 */
import type { Block } from './block.ts'
import { dmin, isGap } from './bounds.ts'
import { groupFailures, type GroupFailure } from './groups.ts'

/** Everything that fails in one round, each to be fixed by one more suppression. */
export interface Failures {
  violations: number[] // C2: relations
  revealed: number[] // C3: cells
  rowRects: [number, number][] // C4 row: [R1 relation, time relation kind]
  groups: GroupFailure[] // C4 group
}

export function findFailures(b: Block): Failures {
  const nRel = b.rel.nRel
  const violations: number[] = []
  for (let r = 0; r < nRel; r++) if (violated(b, r)) violations.push(r)
  // a suppressed cell the partner can derive exactly must not be in [1, k−1] either
  // (its deriving relation shows difference 0 once the cell is known)
  const revealed: number[] = []
  for (let i = 0; i < b.N; i++) if (!b.pub[i] && b.known[i] && b.inBand(b.val[i]!)) revealed.push(i)
  const rowRects: [number, number][] = []
  for (let r = 0; r < nRel; r++) for (let k2 = 1; k2 <= 3; k2++) if (rowRectangle(b, r, k2)) rowRects.push([r, k2])
  return { violations, revealed, rowRects, groups: groupFailures(b) }
}

export function failureCount(f: Failures): number {
  return f.violations.length + f.revealed.length + f.rowRects.length + f.groups.length
}

/** C2: with the whole known, dmin, dk or (whole published) d0 lies in [1, k−1]. */
function violated(b: Block, r: number): boolean {
  const { whole, partStart, parts } = b.rel
  const { known, pub, val } = b
  const w = whole[r]!
  if (!known[w]) return false
  if (b.inBand(val[w]! - b.relSumLb[r]!)) return true // dmin
  let sKnown = 0
  let sPub = 0
  for (let j = partStart[r]!; j < partStart[r + 1]!; j++) {
    const p = parts[j]!
    if (known[p]) sKnown += val[p]!
    if (pub[p]) sPub += val[p]!
  }
  return b.inBand(val[w]! - sKnown) || (pub[w] === 1 && b.inBand(val[w]! - sPub))
}

/*
 * Combinations of a relation with the relations crossing it, within one time relation
 * family (kind + coarse period) and one disjoint dimension — a small 2-D table whose
 * rows are periods (days, or whole weeks in R2') and whose columns are the dimension's
 * values and remainder, with the totals as row margin and the coarse cells as column
 * margin:
 *   groups  for a set G of rows — the suppressed rows of one column's time relation,
 *           or of the total column's — the partner knows T(G) (rows' totals known, or
 *           the total column's suppressed rows all in G) and c(G) for every column c
 *           whose whole is known and whose suppressed rows all lie in G; R1 summed over
 *           G then leaves f = the hidden visitors of the other columns in G (groups.ts);
 *   row     one R1 row minus, for one kind, the time relations of its suppressed cells
 *           = the hidden visitors of the other rows in those columns.
 * Both are counts of visitors and are checked like a difference.
 */

/** C4 row: R1 relation r minus the time relations of kind k2 holding its suppressed cells. */
function rowRectangle(b: Block, r: number, k2: number): boolean {
  const { kind, disjoint, whole, partStart, parts, colOf } = b.rel
  const known = b.known
  if (kind[r] !== 0 || !disjoint[r] || !known[whole[r]!]) return false
  let f = -dmin(b, r)
  let cols = 0
  for (let j = partStart[r]!; j < partStart[r + 1]!; j++) {
    const p = parts[j]!
    if (!isGap(b, p)) continue
    const col = colOf[4 * p + k2]!
    if (col < 0 || !known[whole[col]!]) return false
    f += dmin(b, col)
    cols++
  }
  return cols > 0 && b.inBand(f)
}
