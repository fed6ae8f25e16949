import { queryRows, type Db } from '../db/client.ts'
import { timeLabels } from './date-range.ts'
import type { Plan } from './plan.ts'
import type { QueryRequest } from './request.ts'
import { buildQuery } from './sql.ts'

export interface QueryResponse {
  results: { metrics: (number | null)[]; dimensions: string[] }[]
  meta: { time_labels?: string[]; total_rows?: number }
  query: Record<string, unknown>
}

/** Runs a plan and shapes the answer as the Plausible Stats API v2 does. */
export async function runQuery(db: Db, plan: Plan, req: QueryRequest, tz: string): Promise<QueryResponse> {
  const { sql, params } = buildQuery(plan, tz)
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
