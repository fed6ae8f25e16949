import { queryRows, type Db } from '../db/client.ts'
import { clusterOf } from '../db/cluster.ts'
import { timeLabels } from './date-range.ts'
import type { Plan } from './plan.ts'
import type { QueryRequest } from './request.ts'
import { buildQuery, duplicateFreeMonths, VISITOR_PARTS_SQL } from './sql.ts'

export interface QueryResponse {
  results: { metrics: (number | null)[]; dimensions: string[] }[]
  meta: { time_labels?: string[]; total_rows?: number }
  query: Record<string, unknown>
}

/**
 * Months whose daily visitors can be summed without FINAL (see duplicateFreeMonths). On a
 * cluster this node's system.parts does not show the shards' parts: there, none.
 */
async function cleanMonths(db: Db, plan: Plan): Promise<Set<string>> {
  // The site total has one row a day: FINAL costs nothing there, and the check would.
  if (!plan.metrics.includes('visitors') || plan.granularity === 'hour' || plan.dimension === '' || clusterOf(db)) return new Set()
  try {
    const parts = await queryRows<{ month: string; lo: string; hi: string }>(db, VISITOR_PARTS_SQL, { fromDay: plan.range.from, toDay: plan.range.to })
    return duplicateFreeMonths(parts, plan.range.from, plan.range.to)
  } catch {
    // A ClickHouse user without access to system.parts still gets answers, all with FINAL.
    return new Set()
  }
}

/** Runs a plan and shapes the answer as the Plausible Stats API v2 does. */
export async function runQuery(db: Db, plan: Plan, req: QueryRequest, tz: string): Promise<QueryResponse> {
  const { sql, params } = buildQuery(plan, tz, await cleanMonths(db, plan))
  const rows = await queryRows<Record<string, unknown>>(db, sql, params)
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
