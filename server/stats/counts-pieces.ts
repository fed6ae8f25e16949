import { bucketOfHour } from './buckets.ts'
import { levelsFor } from './levels.ts'
import { splitRange, utcDay, type Level } from './pieces.ts'
import type { Plan } from './plan.ts'

/**
 * Where a plan's counts are read from: whole months, weeks and days from their sums
 * (projections, migration 009), the hours at the edges from the hourly rows; each piece is a
 * query ClickHouse can answer from one of them.
 */

/** A piece of the counts: which rows of `counts_hourly` it sums, and the bucket of each. */
export interface CountsPiece {
  level: Level
  range: string
  bucket: string
}

/** The counts' pieces (see splitRange), their bounds bound in `params`. */
export function countsPieces(plan: Plan, tz: string, params: Record<string, unknown>): CountsPiece[] {
  return splitRange(params.from as number, params.to as number, levelsFor(plan, tz)).map((piece, i) => {
    const from = `p${i}_from`
    const to = `p${i}_to`
    const [range, bucket] = pieceSql(plan, piece.level, from, to)
    params[from] = piece.level === 'hour' ? piece.from : utcDay(piece.from)
    params[to] = piece.level === 'hour' ? piece.to : utcDay(piece.to)
    return { level: piece.level, range, bucket }
  })
}

/** How a piece selects its rows, and the bucket of each, by the key of the sums it reads. */
function pieceSql(plan: Plan, level: Level, from: string, to: string): [range: string, bucket: string] {
  const g = plan.granularity
  switch (level) {
    case 'hour':
      return [`hour >= toDateTime({${from}:UInt32}) AND hour < toDateTime({${to}:UInt32})`, bucketOfHour(plan)]
    case 'day': {
      const bucket = { day: 'toString(toDate(hour))', week: 'toString(toMonday(toDate(hour)))', month: 'toString(toStartOfMonth(toDate(hour)))' }
      return [`toDate(hour) >= {${from}:Date} AND toDate(hour) < {${to}:Date}`, g === undefined ? "''" : bucket[g as keyof typeof bucket]]
    }
    case 'week':
      return [`toMonday(hour) >= {${from}:Date} AND toMonday(hour) < {${to}:Date}`, g === undefined ? "''" : 'toString(toMonday(hour))']
    case 'month':
      return [`toStartOfMonth(hour) >= {${from}:Date} AND toStartOfMonth(hour) < {${to}:Date}`, g === undefined ? "''" : 'toString(toStartOfMonth(hour))']
  }
}
