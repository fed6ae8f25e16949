import { SUMS, type Sum } from '../vocabulary/metrics.ts'

/** What one event adds to one (dimension, value) aggregate row; `duration` is in seconds. */
export type Increments = Record<Sum, number>

export interface Cell extends Increments {
  dimension: string
  value: string
  /** 1 when the event's visitor counts towards this row's unique visitors. */
  uniq: 0 | 1
}

/** The sums, in the tables' column order (server/vocabulary/metrics.ts). */
export const INCREMENT_KEYS = SUMS

/** The site-total row: dimension '' and value ''. */
export const TOTAL = ''

/** Where an event's increments go: a CellSet, or straight into the ingest buffer's tally. */
export interface CellSink {
  add(dimension: string, value: string, inc: Partial<Increments>, uniq?: boolean): void
}

/** Collects an event's cells, merging those that land on the same row. */
export class CellSet implements CellSink {
  private byKey = new Map<string, Cell>()

  add(dimension: string, value: string, inc: Partial<Increments>, uniq = false): void {
    const key = `${dimension}\u0000${value}`
    let cell = this.byKey.get(key)
    if (!cell) {
      cell = { dimension, value, uniq: 0, ...zero() }
      this.byKey.set(key, cell)
    }
    for (const k of INCREMENT_KEYS) cell[k] += inc[k] ?? 0
    if (uniq) cell.uniq = 1
  }

  /** Cells that change something: a row whose increments all cancel out is dropped. */
  cells(): Cell[] {
    return [...this.byKey.values()].filter((c) => c.uniq === 1 || INCREMENT_KEYS.some((k) => c[k] !== 0))
  }
}

function zero(): Increments {
  return {
    pageviews: 0,
    visits: 0,
    bounces: 0,
    duration: 0,
    events: 0,
    entries: 0,
    exits: 0,
    engaged_ms: 0,
    engaged_n: 0,
    scroll_sum: 0,
    scroll_n: 0,
    revenue: 0,
    revenue_n: 0,
  }
}

export function negate(inc: Partial<Increments>): Partial<Increments> {
  const out: Partial<Increments> = {}
  for (const k of INCREMENT_KEYS) if (inc[k]) out[k] = -inc[k]
  return out
}
