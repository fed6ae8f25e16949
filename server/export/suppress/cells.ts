/** The input cells as day numbers, validated, and the blocks they are decided in. */
import { dayNumber, isMonday, mondayOf, monthEnd, monthStart } from '../../calendar.ts'

export type Granularity = 'day' | 'week' | 'month'

export interface CellInput {
  /** Stable id, e.g. `${granularity}|${period}|${dimension}|${value}`. */
  id: string
  granularity: Granularity
  /** First day of the period, YYYY-MM-DD (weeks start on Monday, months on the 1st). */
  period: string
  /** '' for the site-total row of the period. */
  dimension: string
  /** '' for the site-total row of the period. */
  value: string
  /** The count the rule is about (already noisy when differential privacy is on). */
  visitors: number
}

export const GRAN_RANK: Record<Granularity, number> = { day: 0, week: 1, month: 2 }

export interface Cell {
  id: string
  gran: Granularity
  start: number // first day (day number)
  end: number // last day (day number)
  dimension: string
  value: string
  visitors: number
}

/** The first day of the period of granularity `g` holding `day`. */
export function periodStart(g: Granularity, day: number): number {
  return g === 'day' ? day : g === 'week' ? mondayOf(day) : monthStart(day)
}

/** The last day of the period of granularity `g` starting on `start`. */
export function periodEnd(g: Granularity, start: number): number {
  return g === 'day' ? start : g === 'week' ? start + 6 : monthEnd(start)
}

/** Validates the cells (ids unique, then each cell's fields) and reads their days. */
export function parseCells(cells: CellInput[]): Cell[] {
  const parsed: Cell[] = []
  const ids = new Set<string>()
  for (const c of cells) {
    if (ids.has(c.id)) throw new RangeError(`duplicate cell id ${c.id}`)
    ids.add(c.id)
    parsed.push(parseCell(c))
  }
  return parsed
}

function parseCell(c: CellInput): Cell {
  if (!(c.granularity in GRAN_RANK)) throw new RangeError(`cell ${c.id}: unknown granularity ${String(c.granularity)}`)
  if (typeof c.visitors !== 'number' || !Number.isFinite(c.visitors)) throw new RangeError(`cell ${c.id}: visitors must be a finite number`)
  if (c.dimension === '' && c.value !== '') throw new RangeError(`cell ${c.id}: the total row has value ''`)
  const start = dayNumber(c.period)
  if (start === undefined) throw new RangeError(`cell ${c.id}: period '${c.period}' is not a YYYY-MM-DD date`)
  if (c.granularity === 'week' && !isMonday(start)) throw new RangeError(`cell ${c.id}: a week starts on a Monday`)
  if (c.granularity === 'month' && monthStart(start) !== start) throw new RangeError(`cell ${c.id}: a month starts on the 1st`)
  const end = periodEnd(c.granularity, start)
  return { id: c.id, gran: c.granularity, start, end, dimension: c.dimension, value: c.value, visitors: c.visitors }
}

/** The coarsest granularity among the cells; undefined when there are none. */
export function coarsestOf(cells: Cell[]): Granularity | undefined {
  let coarsest: Granularity | undefined
  for (const c of cells) if (coarsest === undefined || GRAN_RANK[c.gran] > GRAN_RANK[coarsest]) coarsest = c.gran
  return coarsest
}

/** The cells by block (first day of the block's period), each in input order. */
export function cellsByBlock(cells: Cell[], blockGran: Granularity): Map<number, Cell[]> {
  const blocks = new Map<number, Cell[]>()
  for (const c of cells) {
    if (GRAN_RANK[c.gran] > GRAN_RANK[blockGran]) throw new RangeError(`cell ${c.id}: coarser than the block granularity ${blockGran}`)
    const key = periodStart(blockGran, c.start)
    let list = blocks.get(key)
    if (!list) blocks.set(key, (list = []))
    list.push(c)
  }
  return blocks
}
