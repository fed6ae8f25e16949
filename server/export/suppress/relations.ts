/**
 * The relations of one block (whole = Σ parts) between its cells: R1 with a virtual
 * remainder cell per (period, disjoint dimension), R2 week / month and R2' (see index.ts),
 * built as lists (relation-arrays.ts freezes them into flat arrays with CSR indices).
 */
import { mondayOnOrAfter, monthEnd } from '../../calendar.ts'
import { GRAN_RANK, type Cell, type Granularity } from './cells.ts'

// ---- cells by period and by column (dimension, value) ----

interface Period {
  gran: Granularity
  start: number
  total?: number
  dims: Map<string, number[]>
}
type Column = { day: Map<number, number>; week: Map<number, number>; month: Map<number, number> }

/** The block's published-or-suppressed cells (withheld weeks left out) by period and by column. */
class Layout {
  readonly byPeriod = new Map<string, Period>()
  readonly columns = new Map<string, Column>()
  readonly dims = new Set<string>() // every dimension of the block, at any granularity
  hasDay = false
  hasWeek = false

  constructor(cells: Cell[], excluded: Uint8Array) {
    for (let i = 0; i < cells.length; i++) if (!excluded[i]) this.add(cells[i]!, i)
  }

  private add(c: Cell, i: number): void {
    if (c.gran === 'day') this.hasDay = true
    if (c.gran === 'week') this.hasWeek = true
    const pk = `${c.gran}|${c.start}`
    let p = this.byPeriod.get(pk)
    if (!p) this.byPeriod.set(pk, (p = { gran: c.gran, start: c.start, dims: new Map() }))
    if (c.dimension === '') p.total = i
    else {
      this.dims.add(c.dimension)
      let list = p.dims.get(c.dimension)
      if (!list) p.dims.set(c.dimension, (list = []))
      list.push(i)
    }
    this.addToColumn(`${c.dimension}\u0000${c.value}`, c.gran, c.start, i)
  }

  addToColumn(key: string, gran: Granularity, start: number, i: number): void {
    let col = this.columns.get(key)
    if (!col) this.columns.set(key, (col = { day: new Map(), week: new Map(), month: new Map() }))
    col[gran].set(start, i)
  }
}

// ---- relations as lists, and the virtual remainder cells ----

/** The relations as they are added, in order, and the virtual cells (indices n, n + 1, …). */
export class RelationList {
  readonly whole: number[] = []
  readonly parts: number[][] = []
  readonly disjoint: number[] = [] // 1: whole = Σ parts (+ remainder ≥ 0) holds for the partner
  readonly kind: number[] = [] // R1 = 0; over time: R2 week = 1, R2 month = 2, R2' = 3
  readonly rect: number[] = [] // 1: a time relation of a value or remainder column of a disjoint dimension
  readonly dim: number[] = [] // index of the dimension (of R1, or of a time relation's column)
  readonly slot: number[] = [] // time relations: kind * 2^20 + first day of the coarse period
  readonly virtualVal: number[] = []
  readonly virtualRank: number[] = []
  private readonly dimIndex = new Map<string, number>()

  add(whole: number | undefined, parts: number[], disjoint = true, kind = 0, rect = false, dim = '', coarseStart = 0): void {
    if (whole === undefined || parts.length === 0) return
    this.whole.push(whole)
    this.parts.push(parts)
    this.disjoint.push(disjoint ? 1 : 0)
    this.kind.push(kind)
    this.rect.push(rect ? 1 : 0)
    if (!this.dimIndex.has(dim)) this.dimIndex.set(dim, this.dimIndex.size)
    this.dim.push(this.dimIndex.get(dim)!)
    this.slot.push(kind * 1_048_576 + coarseStart)
  }
}

/** All relations of a block's cells; `excluded` cells (withheld weeks) are in none. */
export function buildRelations(cells: Cell[], excluded: Uint8Array): RelationList {
  const layout = new Layout(cells, excluded)
  const list = new RelationList()
  const notDisjoint = addR1(list, cells, layout)
  addTimeRelations(list, layout, notDisjoint)
  return list
}

// ---- R1, with a virtual "remainder" cell per (period, dimension) ----
// For a dimension whose values are disjoint (Σ values ≤ total in every period of the
// block), total − Σ values counts the visitors without a value. The partner learns it
// wherever the total and all values are published, and it adds up over time like any
// column, so it is modelled as a cell that is never published: R1 then reads
// total = Σ values + remainder (exact), and the remainder column gets R2 relations too.

interface R1Row {
  period: Period
  dim: string
  parts: number[]
  rem: number
}

/** Adds R1 (and the remainder cells and columns); returns the dimensions whose values overlap. */
function addR1(list: RelationList, cells: Cell[], layout: Layout): Set<string> {
  const { rows, notDisjoint } = r1Rows(cells, layout)
  for (const { period, dim, parts, rem } of rows) {
    if (!notDisjoint.has(dim)) {
      const v = cells.length + list.virtualVal.length
      list.virtualVal.push(rem)
      list.virtualRank.push(GRAN_RANK[period.gran] * 2)
      layout.addToColumn(`${dim}\u0000\u0001remainder`, period.gran, period.start, v)
      list.add(period.total, [...parts, v], true, 0, false, dim)
    } else list.add(period.total, parts, false, 0, false, dim) // overlapping values: checked, never used to derive
  }
  return notDisjoint
}

/** Each period's row per dimension, with total − Σ values; a dimension is not disjoint where that is < 0. */
function r1Rows(cells: Cell[], layout: Layout): { rows: R1Row[]; notDisjoint: Set<string> } {
  const rows: R1Row[] = []
  const notDisjoint = new Set<string>()
  for (const p of layout.byPeriod.values()) {
    if (p.total === undefined) continue
    for (const dim of layout.dims) {
      const parts = p.dims.get(dim) ?? []
      let rem = cells[p.total]!.visitors
      for (const i of parts) rem -= cells[i]!.visitors
      if (rem < 0) notDisjoint.add(dim)
      rows.push({ period: p, dim, parts, rem })
    }
  }
  return { rows, notDisjoint }
}

// ---- R2 and R2', for every column (remainder columns included) ----

function addTimeRelations(list: RelationList, layout: Layout, notDisjoint: Set<string>): void {
  for (const [key, col] of layout.columns) {
    const dim = key.slice(0, key.indexOf('\u0000'))
    const rect = dim !== '' && !notDisjoint.has(dim)
    if (layout.hasDay) {
      for (const [start, w] of col.week) list.add(w, daysIn(col, start, start + 6), true, 1, rect, dim, start) // R2 week
      for (const [start, m] of col.month) list.add(m, daysIn(col, start, monthEnd(start)), true, 2, rect, dim, start) // R2 month
    }
    if (layout.hasDay && layout.hasWeek) {
      for (const [start, m] of col.month) list.add(m, r2PrimeParts(col, start), true, 3, rect, dim, start) // R2'
    }
  }
}

/** The column's day cells in [from, to]. */
function daysIn(col: Column, from: number, to: number): number[] {
  const out: number[] = []
  for (let d = from; d <= to; d++) {
    const i = col.day.get(d)
    if (i !== undefined) out.push(i)
  }
  return out
}

/** R2' parts of the column's month starting on `start`: its whole weeks (or their days) and its other days. */
function r2PrimeParts(col: Column, start: number): number[] {
  const end = monthEnd(start)
  const parts: number[] = []
  let covered = start // days before this one are accounted for
  for (let mon = mondayOnOrAfter(start); mon + 6 <= end; mon += 7) {
    parts.push(...daysIn(col, covered, mon - 1))
    const w = col.week.get(mon)
    if (w !== undefined) parts.push(w)
    else parts.push(...daysIn(col, mon, mon + 6))
    covered = mon + 7
  }
  parts.push(...daysIn(col, covered, end))
  return parts
}
