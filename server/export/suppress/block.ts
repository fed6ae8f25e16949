/**
 * The state of one block that every step shares: its cells (real, then virtual remainder
 * cells), their relations, which are published, and what the partner can derive from them.
 * Built once per block; the steps (bounds.ts, checks.ts, groups.ts, next-cell.ts) read it
 * and write its knowledge arrays, solve.ts drives them.
 */
import { GRAN_RANK, type Cell } from './cells.ts'
import { buildGroupIndex, type GroupIndex } from './group-index.ts'
import { freezeRelations, type Relations } from './relation-arrays.ts'
import { buildRelations } from './relations.ts'

/** The cells of one block, their relations, what is published and what the partner can derive. */
export class Block {
  readonly n: number // real cells; indices ≥ n are virtual remainder cells
  readonly N: number // real and virtual cells
  readonly val: Float64Array
  /** 1: published; a suppressed cell is never published again. */
  readonly pub: Uint8Array
  /** Cells by rank: finer granularities first, a period's values and remainders before its total; ties by index. */
  readonly order: number[]
  readonly rel: Relations
  // ---- the partner's knowledge (least fixpoint, bounds.ts), recomputed each round ----
  readonly lb: Float64Array // lower bound the partner can prove (= value when known)
  readonly ub: Float64Array // upper bound the partner can prove (= value when known)
  readonly known: Uint8Array
  readonly aboveRel: Int32Array // relation that revealed a cell from above, or −1
  readonly relSumLb: Float64Array // per relation: Σ lower bounds of its parts
  readonly groups: GroupIndex
  /** Relations already touched in the current round. */
  readonly dirty: Uint8Array

  constructor(
    readonly cells: Cell[],
    readonly k: number,
    blockStart: number,
    blockEnd: number,
  ) {
    const n = cells.length
    const excluded = withheldWeeks(cells, blockStart, blockEnd)
    const list = buildRelations(cells, excluded)
    const N = n + list.virtualVal.length
    this.n = n
    this.N = N
    this.val = new Float64Array(N)
    this.pub = new Uint8Array(N)
    const rank = new Int32Array(N)
    for (let i = 0; i < n; i++) {
      const c = cells[i]!
      this.val[i] = c.visitors
      this.pub[i] = c.visitors >= k && !excluded[i] ? 1 : 0 // C1
      rank[i] = GRAN_RANK[c.gran] * 2 + (c.dimension === '' ? 1 : 0)
    }
    for (let j = 0; j < list.virtualVal.length; j++) {
      this.val[n + j] = list.virtualVal[j]!
      rank[n + j] = list.virtualRank[j]!
    }
    this.rel = freezeRelations(list, N, this.val, rank)
    this.order = Array.from({ length: N }, (_, i) => i).sort((a, b) => rank[a]! - rank[b]! || a - b)
    this.lb = new Float64Array(N)
    this.ub = new Float64Array(N)
    this.known = new Uint8Array(N)
    this.aboveRel = new Int32Array(N)
    this.relSumLb = new Float64Array(this.rel.nRel)
    this.groups = buildGroupIndex(cells, this.rel)
    this.dirty = new Uint8Array(this.rel.nRel)
  }

  /** Whether a count lies in [1, k−1]: what no published value or obtainable difference may. */
  inBand(d: number): boolean {
    return d >= 1 && d <= this.k - 1
  }
}

/** Withheld weeks: suppressed, in no relation. */
function withheldWeeks(cells: Cell[], blockStart: number, blockEnd: number): Uint8Array {
  const excluded = new Uint8Array(cells.length)
  // Weeks and months without days do not nest (the days of a month outside its whole
  // weeks are unknown to the partner, yet differences of month and week values count
  // them): weeks are then withheld entirely.
  const withholdWeeks = cells.some((c) => c.gran === 'month') && !cells.some((c) => c.gran === 'day')
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i]!
    if (c.gran === 'week' && (withholdWeeks || c.start < blockStart || c.end > blockEnd)) excluded[i] = 1
  }
  return excluded
}
