import type { Principal } from '../auth/principal.ts'
import type { DayRange } from './date-range.ts'
import { PlanError, type Plan } from './plan.ts'
import type { QueryResponse } from './run.ts'

/**
 * The minimum crowd k for anyone but the owner: shared links and public-scoped API keys.
 * Owners, the admin credentials and ordinary keys see exact answers (0).
 */
export function minCrowdOf(p: Principal): number {
  if (p.kind === 'share') return p.share.minCrowd
  if (p.kind === 'key') return p.key.minCrowd
  return 0
}

export const fewerThan = (k: number): string => `(fewer than ${k})`

/**
 * Under a minimum crowd, today's breakdowns are seen up to the last whole hour: a value that
 * appears between two polls a second apart would single out the visit that made it appear.
 * (The site's own totals stay live: a visitor more says nothing of who they are.)
 */
export function crowdUntil(range: DayRange, now: number): number | undefined {
  if (!range.today || range.to < range.today) return undefined
  return Math.floor(now / 3_600_000) * 3_600_000
}

/**
 * The plan actually run under a minimum crowd: for a breakdown (or a filter), cut at the last
 * whole hour of today, with `visitors` read even when not asked for (it decides which values
 * may be shown), and every value read, so that the small ones are folded before the page is cut.
 */
export function crowdPlan(plan: Plan, now: number): Plan {
  if (plan.dimension !== '' && !canCountVisitors(plan)) {
    throw new PlanError('crowd_no_visitors', { dim: plan.dimension })
  }
  const metrics = plan.metrics.includes('visitors') ? plan.metrics : [...plan.metrics, 'visitors' as const]
  if (plan.dimension === '') return plan
  return { ...plan, metrics, until: crowdUntil(plan.range, now), limit: 10_000, offset: 0 }
}

function canCountVisitors(plan: Plan): boolean {
  return plan.dimension !== 'visit:exit_page'
}

/**
 * Applies the minimum crowd k to an answer read with crowdPlan: a period (time bucket, or the
 * whole range) whose total has fewer than k visitors shows no breakdown; in the others, the
 * values with fewer than k visitors become one row `(fewer than k)` without numbers, after the
 * values shown. A filtered total of a value below k is no row at all.
 * `totals`: each period's total visitors ('' for the whole range).
 */
export function applyMinCrowd(answer: QueryResponse, asked: Plan, run: Plan, k: number, totals: Map<string, number>): QueryResponse {
  if (run.dimension === '') return answer
  const vi = run.metrics.indexOf('visitors')
  const ti = asked.dimensions.findIndex((d) => d === 'time' || d.startsWith('time:'))
  const valueAt = asked.dimensions.findIndex((d) => !(d === 'time' || d.startsWith('time:')))
  const shown: QueryResponse['results'] = []
  const folded = new Map<string, QueryResponse['results'][number]>()
  for (const row of answer.results) {
    const period = ti >= 0 ? row.dimensions[ti]! : ''
    if ((totals.get(period) ?? 0) < k) continue
    const trimmed = { dimensions: row.dimensions, metrics: asked.metrics.map((m) => row.metrics[run.metrics.indexOf(m)] ?? null) }
    if ((row.metrics[vi] ?? 0) >= k) shown.push(trimmed)
    else if (valueAt >= 0 && !folded.has(period)) {
      folded.set(period, { dimensions: row.dimensions.map((d, i) => (i === valueAt ? fewerThan(k) : d)), metrics: asked.metrics.map(() => null) })
    }
  }
  const results = [...shown, ...folded.values()].slice(asked.offset, asked.offset + asked.limit)
  const meta = { ...answer.meta, min_crowd: k, ...(answer.meta.total_rows !== undefined ? { total_rows: shown.length + folded.size } : {}) }
  return { ...answer, results, meta, query: { ...answer.query, metrics: asked.metrics, pagination: { limit: asked.limit, offset: asked.offset } } }
}
