/**
 * One block's decision (SECONDARY RULE in index.ts): while a check fails, suppress one
 * more cell per failing check, recompute the partner's knowledge, and repeat; suppression
 * only grows, so it terminates.
 */
import { Block } from './block.ts'
import { computeKnowledge } from './bounds.ts'
import type { Cell } from './cells.ts'
import { failureCount, findFailures, type Failures } from './checks.ts'
import { pick, pickCrossing, pickGroup, reduce } from './next-cell.ts'

export interface BlockResult {
  suppressed: number[] // indices into the block's cells
  failClosed: boolean
}

export function solveBlock(cells: Cell[], k: number, blockStart: number, blockEnd: number): BlockResult {
  const b = new Block(cells, k, blockStart, blockEnd)
  let failClosed = false
  for (;;) {
    computeKnowledge(b)
    const failures = findFailures(b)
    if (failureCount(failures) === 0) break
    if (!fixRound(b, failures)) {
      failClosed = true
      b.pub.fill(0)
      break
    }
  }
  const out: number[] = []
  for (let i = 0; i < b.n; i++) if (!b.pub[i]) out.push(i)
  return { suppressed: out, failClosed }
}

/** Suppresses one cell per failing check, skipping relations already touched this round; false when nothing could be. */
function fixRound(b: Block, f: Failures): boolean {
  const { dirty, aboveRel } = b
  dirty.fill(0)
  let progressed = false
  const apply = (c: number): void => {
    if (c < 0) return
    b.pub[c] = 0
    markDirty(b, c)
    progressed = true
  }
  for (const i of f.revealed) {
    if (aboveRel[i]! >= 0 && dirty[aboveRel[i]!]) continue
    apply(reduce(b, i, new Set()))
  }
  for (const r of f.violations) if (!dirty[r]) apply(pick(b, r))
  for (const [r, k2] of f.rowRects) if (!dirty[r]) apply(pickCrossing(b, r, k2))
  for (const g of f.groups) if (!dirty[g.r]) apply(pickGroup(b, g.r, g.cols, g.G))
  return progressed
}

/**
 * Relations whose differences the suppression of c can change directly: those holding c,
 * and, up the hierarchy, those holding a suppressed whole whose lower bound moves with c.
 * (Only used to fix each relation once per round; every round recomputes everything.)
 */
function markDirty(b: Block, c: number): void {
  const { wholeOf, partOf, whole } = b.rel
  for (let j = wholeOf.start[c]!; j < wholeOf.start[c + 1]!; j++) b.dirty[wholeOf.data[j]!] = 1
  const stack = [c]
  const seen = new Set<number>()
  while (stack.length > 0) {
    const x = stack.pop()!
    if (seen.has(x)) continue
    seen.add(x)
    for (let j = partOf.start[x]!; j < partOf.start[x + 1]!; j++) {
      const r = partOf.data[j]!
      b.dirty[r] = 1
      if (!b.pub[whole[r]!]) stack.push(whole[r]!)
    }
  }
}
