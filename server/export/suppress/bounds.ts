/**
 * What the partner can derive from the published values, to a least fixpoint (no circular
 * reasoning): cells known exactly, and an interval [lb, ub] for each suppressed cell.
 * Everything here reads and writes the knowledge arrays of the Block.
 */
import type { Block } from './block.ts'

/** Σ of the lower bounds of the parts of r. */
export function sumLb(b: Block, r: number): number {
  const { partStart, parts } = b.rel
  const lb = b.lb
  let s = 0
  for (let j = partStart[r]!; j < partStart[r + 1]!; j++) s += lb[parts[j]!]!
  return s
}

/** The lower bound on c from below: the largest Σ of lower bounds over its relations with disjoint parts. */
export function lbBelow(b: Block, c: number): number {
  const { wholeOf, disjoint, rem } = b.rel
  let best = 0
  for (let j = wholeOf.start[c]!; j < wholeOf.start[c + 1]!; j++) {
    const r = wholeOf.data[j]!
    if (disjoint[r] && rem[r]! >= 0) best = Math.max(best, sumLb(b, r))
  }
  return best
}

/** whole − Σ lower bounds of the parts: what chaining yields (dmin). */
export function dmin(b: Block, r: number): number {
  return b.val[b.rel.whole[r]!]! - b.relSumLb[r]!
}

/** Whether the partner cannot prove all of p's value. */
export function isGap(b: Block, p: number): boolean {
  return b.lb[p]! < b.val[p]!
}

/** Recomputes the partner's knowledge from what is published now. */
export function computeKnowledge(b: Block): void {
  const { lb, known, aboveRel, pub, val } = b
  for (let i = 0; i < b.N; i++) {
    lb[i] = pub[i] ? val[i]! : 0
    known[i] = pub[i]!
    aboveRel[i] = -1
  }
  for (let changed = true; changed; ) {
    const below = deriveFromBelow(b)
    const above = deriveFromAbove(b)
    // Upper bounds from above, coarse to fine: a part is at most its whole's upper bound
    // less the lower bounds of the other parts. A cell squeezed between equal bounds is
    // known (e.g. a suppressed week whose days prove it ≥ 12 in a month that leaves room
    // for at most 12).
    updateRelSumLb(b)
    const squeezed = squeeze(b)
    changed = below || above || squeezed
  }
  updateRelSumLb(b)
}

function updateRelSumLb(b: Block): void {
  for (let r = 0; r < b.rel.nRel; r++) b.relSumLb[r] = sumLb(b, r)
}

/** Lower bounds from below, finest first; a whole whose parts in an exact relation are all known is known. */
function deriveFromBelow(b: Block): boolean {
  const { lb, known, val } = b
  let changed = false
  for (const c of b.order) {
    if (known[c]) continue
    const below = lbBelow(b, c)
    if (below > lb[c]!) lb[c] = below
    if (revealedBelow(b, c)) {
      known[c] = 1
      lb[c] = val[c]!
      changed = true
    }
  }
  return changed
}

/** c is the whole of an exact relation whose parts are all known. */
function revealedBelow(b: Block, c: number): boolean {
  const { wholeOf, disjoint, rem, partStart, parts } = b.rel
  for (let j = wholeOf.start[c]!; j < wholeOf.start[c + 1]!; j++) {
    const r = wholeOf.data[j]!
    if (!disjoint[r] || rem[r] !== 0) continue
    let all = true
    for (let q = partStart[r]!; all && q < partStart[r + 1]!; q++) if (!b.known[parts[q]!]) all = false
    if (all) return true
  }
  return false
}

/** The only unknown part of an exact relation with a known whole is known (revealed from above). */
function deriveFromAbove(b: Block): boolean {
  const { nRel, whole, disjoint, rem, partStart, parts } = b.rel
  const { known, lb, val, aboveRel } = b
  let changed = false
  for (let r = 0; r < nRel; r++) {
    if (!known[whole[r]!] || !disjoint[r] || rem[r] !== 0) continue
    let gap = -1
    let gaps = 0
    for (let j = partStart[r]!; j < partStart[r + 1]! && gaps < 2; j++) {
      const p = parts[j]!
      if (!known[p]) {
        gap = p
        gaps++
      }
    }
    if (gaps === 1) {
      known[gap] = 1
      lb[gap] = val[gap]!
      aboveRel[gap] = r
      changed = true
    }
  }
  return changed
}

/** Upper bounds, coarsest first; a cell whose upper bound meets its lower bound is known. */
function squeeze(b: Block): boolean {
  const { partOf, disjoint, rem, whole } = b.rel
  const { known, lb, ub, val, relSumLb, order } = b
  let changed = false
  for (let o = b.N - 1; o >= 0; o--) {
    const c = order[o]!
    if (known[c]) {
      ub[c] = val[c]!
      continue
    }
    let u = Infinity
    for (let j = partOf.start[c]!; j < partOf.start[c + 1]!; j++) {
      const r = partOf.data[j]!
      if (disjoint[r] && rem[r]! >= 0) u = Math.min(u, ub[whole[r]!]! - (relSumLb[r]! - lb[c]!))
    }
    ub[c] = u
    if (u <= lb[c]!) {
      known[c] = 1
      lb[c] = val[c]!
      ub[c] = val[c]!
      changed = true
    }
  }
  return changed
}
