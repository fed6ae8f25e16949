import { queryRows, type Db } from '../db/client.ts'
import type { AnswerCache } from './answer-cache.ts'
import { timeLabels } from './date-range.ts'
import type { Plan } from './plan.ts'
import type { QueryRequest } from './request.ts'
import { leadingValues, unionQuery, uniquesQuery, type BuiltQuery } from './queries.ts'
import { VISITOR_PARTS_SQL, visitorStorageOf, type VisitorPart, type VisitorStorage } from './visitor-pieces.ts'

export interface QueryResponse {
  results: { metrics: (number | null)[]; dimensions: string[] }[]
  meta: { time_labels?: string[]; total_rows?: number; min_crowd?: number }
  query: Record<string, unknown>
}

/** How long a look at the parts is kept when nothing has been written since (see visitorParts). */
const PARTS_KEPT_MS = 2000

/**
 * The parts of the visitors' tables. A dashboard asks for its panels at once, and looking
 * costs each of them a query (about 3.5 ms in the embedded engine, as much as a small panel's
 * reading): the embedded engine's answer is shared for up to PARTS_KEPT_MS while this process
 * writes nothing to it (Db.keptUntilWrite; a look that failed is not kept). A write since, and
 * the next query looks again. What the engine does meanwhile on its own only makes the answer
 * err on the safe side: a merge leaves fewer overlapping parts (a month read with FINAL that
 * no longer needs it), the TTL removes old ones (a sketch looked for and not found).
 */
function visitorParts(db: Db): Promise<VisitorPart[]> {
  return db.keptUntilWrite('stats:visitor-parts', PARTS_KEPT_MS, () => queryRows<VisitorPart>(db, VISITOR_PARTS_SQL))
}

/**
 * Where the unique visitors of a plan's range stand (visitorStorageOf, from this node's parts).
 * On a cluster this node's system.parts does not show the shards' parts: there, FINAL
 * everywhere and the sketches read.
 */
async function visitorStorage(db: Db, plan: Plan): Promise<VisitorStorage> {
  const unknown = { cleanMonths: new Set<string>(), sketches: true }
  if (db.cluster) return unknown
  try {
    return visitorStorageOf(await visitorParts(db), plan.range.from, plan.range.to)
  } catch {
    // A ClickHouse user without access to system.parts still gets answers, all with FINAL.
    return unknown
  }
}

/** What one Stats API query may cost ClickHouse (STATS_MAX_EXECUTION_MS, STATS_MAX_MEMORY_MB). */
export interface QueryCost {
  maxExecutionMs: number
  maxMemoryBytes: number
}

/**
 * The statement with the cost limits in its own SETTINGS clause. Not `clickhouse_settings`: the
 * embedded engine applies those as session-wide SETs, which would then bind every later
 * statement of the process (inserts, migrations, the rollup) as well.
 */
export function costLimited(sql: string, cost: QueryCost | undefined): string {
  if (!cost) return sql
  const settings = `max_execution_time = ${cost.maxExecutionMs / 1000}, max_memory_usage = ${cost.maxMemoryBytes}`
  // Some statements end in a SETTINGS clause of their own (optimize_use_projections): added to it.
  return /\n\s*SETTINGS [^\n]*$/.test(sql) ? `${sql}, ${settings}` : `${sql}\n    SETTINGS ${settings}`
}

const rowsOf = (db: Db, q: BuiltQuery, cost: QueryCost | undefined) =>
  queryRows<Record<string, unknown>>(db, costLimited(q.sql, cost), q.params)

/**
 * The answer's rows (bucket, val, the metrics, total_rows), as the plainest form's one query
 * gives them (buildQuery, test/helpers/stats-oracle.ts), in one query without a join
 * (queries.ts), or two for a many-valued breakdown by visitors.
 */
export async function answerRows(db: Db, plan: Plan, tz: string, cost?: QueryCost, cache?: AnswerCache): Promise<Record<string, unknown>[]> {
  const kept = await cache?.answer(plan, tz, (q) => rowsOf(db, q, cost), (p) => visitorStorage(db, p))
  if (kept) return kept
  const noVisitors = { cleanMonths: new Set<string>(), sketches: false }
  if (!plan.metrics.includes('visitors')) return rowsOf(db, unionQuery(plan, tz, noVisitors), cost)
  const storage = await visitorStorage(db, plan)
  const leading = leadingValues(plan)
  const oneQuery = () => rowsOf(db, unionQuery(plan, tz, storage), cost)
  if (leading === undefined) return oneQuery()
  const uniques = await rowsOf(db, uniquesQuery(plan, tz, storage, leading), cost)
  // Fewer values with visitors than the answer needs: values with counts alone come after them.
  if (uniques.length < leading) return oneQuery()
  const answer = await rowsOf(db, unionQuery(plan, tz, storage, { values: uniques.map((u) => String(u.val)), visitors: uniques.map((u) => Number(u.n)) }), cost)
  // A leading value whose counts all sum to 0 is no row of the answer, and the values after
  // the leading ones then count: rare enough to ask the one query.
  return answer.length === plan.limit ? answer : oneQuery()
}

/** Runs a plan and shapes the answer as the Plausible Stats API v2 does. */
export async function runQuery(db: Db, plan: Plan, req: QueryRequest, tz: string, cost?: QueryCost, cache?: AnswerCache): Promise<QueryResponse> {
  const rows = await answerRows(db, plan, tz, cost, cache)
  const results = rows.map((row) => ({
    metrics: plan.metrics.map((m) => (row[m] === null || row[m] === undefined ? null : Number(row[m]))),
    dimensions: plan.dimensions.map((d) => String(d === 'time' || d.startsWith('time:') ? row.bucket : row.val)),
  }))
  const meta: QueryResponse['meta'] = {}
  if (req.include.time_labels && plan.granularity) meta.time_labels = timeLabels(plan.range, plan.granularity)
  if (req.include.total_rows) meta.total_rows = rows.length ? Number(rows[0]!.total_rows) : 0
  return {
    results,
    meta,
    query: {
      site_id: plan.site,
      metrics: plan.metrics,
      date_range: [plan.range.from, plan.range.to],
      dimensions: plan.dimensions,
      filters: req.filters,
      order_by: plan.orderBy,
      include: req.include,
      pagination: { limit: plan.limit, offset: plan.offset },
    },
  }
}
