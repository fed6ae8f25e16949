import { METRIC_DEFS, SUMS, type Combine, type Metric } from '../vocabulary/metrics.ts'
import { orderKey, sumsOf } from './metric-sql.ts'
import type { Plan } from './plan.ts'

/**
 * An answer finished in memory from rows of sums, as ClickHouse finishes unionQuery's
 * (queries.ts): the same HAVING, metrics, order, count and page. The answer cache
 * (answer-cache.ts) adds kept closed days to today's rows, then finishes here; a randomized
 * test holds both to the same answers (test/integration/answer-cache.test.ts).
 */

/** One (bucket, value)'s sums, in SUMS order, and its unique visitors. */
export interface SumsRow {
  bucket: string
  val: string
  sums: number[]
  n: number
}

const SUM_INDEX = new Map<string, number>(SUMS.map((s, i) => [s, i]))

/** The answer's rows as answerRows gives them: bucket, val, each metric, total_rows. */
export function finish(rows: Iterable<SumsRow>, plan: Plan): Record<string, unknown>[] {
  // HAVING: a row is one of the answer when a sum the plan reads is not 0.
  const read = sumsOf(plan).map((s) => SUM_INDEX.get(s)!)
  const kept: SumsRow[] = []
  for (const r of rows) if (read.some((i) => r.sums[i] !== 0)) kept.push(r)
  const page = top(kept, plan).slice(plan.offset, plan.offset + plan.limit)
  return page.map((r) => {
    const row: Record<string, unknown> = { bucket: r.bucket, val: r.val }
    for (const m of plan.metrics) row[m] = metricOf(METRIC_DEFS[m].combine, r, plan)
    if (plan.totalRows) row.total_rows = kept.length
    return row
  })
}

/**
 * The first offset + limit rows in the plan's order (then by bucket and value, which the SQL
 * leaves to chance). A breakdown of a busy site's pages has tens of thousands of rows for a
 * page of ten: those are picked in one pass rather than all sorted.
 */
function top(rows: SumsRow[], plan: Plan): SumsRow[] {
  const k = plan.offset + plan.limit
  if (!plan.orderBy.length) return rows.slice(0, k)
  const keys = [
    ...plan.orderBy.map(([key, dir]) => ({ get: getter(orderKey(key, plan), plan), sign: dir === 'asc' ? (1 as const) : (-1 as const) })),
    { get: (r: SumsRow) => r.bucket, sign: 1 as const },
    { get: (r: SumsRow) => r.val, sign: 1 as const },
  ]
  const compare = (a: SumsRow, b: SumsRow) => {
    for (const { get, sign } of keys) {
      const c = compareValues(get(a), get(b), sign)
      if (c !== 0) return c
    }
    return 0
  }
  if (k * 8 >= rows.length) return [...rows].sort(compare)
  // Kept sorted, k at most: a row enters where it belongs, the last falls out.
  const best: SumsRow[] = []
  for (const r of rows) {
    if (best.length === k && compare(r, best[k - 1]!) >= 0) continue
    let lo = 0
    let hi = best.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (compare(r, best[mid]!) < 0) hi = mid
      else lo = mid + 1
    }
    best.splice(lo, 0, r)
    if (best.length > k) best.pop()
  }
  return best
}

/** What a row is ordered by, for a key of orderKey: its bucket, its value or a metric. */
function getter(key: string, plan: Plan): (r: SumsRow) => unknown {
  if (key === 'bucket') return (r) => r.bucket
  if (key === 'val') return (r) => r.val
  const how = METRIC_DEFS[key as Metric].combine
  return (r) => metricOf(how, r, plan)
}

/** metricSql (metric-sql.ts), worked out in memory. */
function metricOf(how: Combine, r: SumsRow, plan: Plan): number | null {
  if ('unique' in how) return r.n
  if ('sum' in how) return r.sums[SUM_INDEX.get(how.sum)!]!
  const [num, den] = plan.kind === 'page' && how.onPages ? how.onPages : how.ratio
  const d = r.sums[SUM_INDEX.get(den)!]!
  if (d <= 0) return how.empty ?? null
  let x = ((how.times ?? 1) * r.sums[SUM_INDEX.get(num)!]!) / d
  if (how.divide) x /= how.divide
  return roundHalfEven(x, how.digits ?? 0)
}

/**
 * ClickHouse's round(x, N) of a Float64: to the nearest multiple of 10^-N, a tie to the even
 * one (banker's rounding), as the engine scales, rounds to nearest and scales back.
 */
export function roundHalfEven(x: number, digits: number): number {
  const scale = 10 ** digits
  const v = x * scale
  const r = Math.round(v)
  // Math.round takes a tie up: an exact tie to an odd number goes down instead.
  const even = r - v === 0.5 && r % 2 !== 0 ? r - 1 : r
  return digits ? even / scale : even
}

/**
 * ORDER BY's comparison: numbers by value, strings byte by byte in UTF-8 (code point order,
 * which UTF-16's `<` is not beyond the BMP), NULL last whichever the direction.
 */
function compareValues(a: unknown, b: unknown, sign: 1 | -1): number {
  if (a === b) return 0
  if (a === null || a === undefined) return 1
  if (b === null || b === undefined) return -1
  if (typeof a === 'number' && typeof b === 'number') return sign * (a - b)
  return sign * compareUtf8(String(a), String(b))
}

export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x === y) continue
    // A surrogate (a code point past U+FFFF) sorts after every other UTF-16 unit in UTF-8.
    const sx = x >= 0xd800 && x <= 0xdfff
    const sy = y >= 0xd800 && y <= 0xdfff
    if (sx !== sy) return sx ? 1 : -1
    return x - y
  }
  return a.length - b.length
}
