import type { Db } from '../db/client.ts'
import type { AnswerCache } from './answer-cache.ts'
import { applyMinCrowd, crowdPlan } from './crowd.ts'
import type { Plan } from './plan.ts'
import type { QueryRequest } from './request.ts'
import { runQuery, type QueryCost, type QueryResponse } from './run.ts'

/** What running a plan needs: the engine, the time zone, the limits, the answer cache, the clock (the crowd's whole hours). */
export interface RunnerDeps {
  db: Db
  timezone: string
  cost?: QueryCost
  cache?: AnswerCache
  clock: () => number
}

/**
 * How a reader's plans are run: exactly, or under the minimum crowd k (shared links, public keys,
 * reports to people outside the owners). The Stats API, goals, funnels and reports all ask this.
 */
export function planRunner(deps: RunnerDeps, k: number): (p: Plan, r: QueryRequest) => Promise<QueryResponse> {
  return (p, r) => (k ? crowdQuery(deps, p, r, k) : runQuery(deps.db, p, r, deps.timezone, deps.cost, deps.cache))
}

/** An answer under the minimum crowd k (shared links, public keys): see crowd.ts. */
async function crowdQuery(deps: RunnerDeps, asked: Plan, req: QueryRequest, k: number): Promise<QueryResponse> {
  const run = crowdPlan(asked, deps.clock())
  const answer = await runQuery(deps.db, run, req, deps.timezone, deps.cost, deps.cache)
  if (run.dimension === '') return { ...answer, meta: { ...answer.meta, min_crowd: k } }
  const time = asked.dimensions.filter((d) => d === 'time' || d.startsWith('time:'))
  const totalsPlan: Plan = {
    ...run,
    dimension: '',
    kind: 'total',
    byValue: false,
    filter: undefined,
    metrics: ['visitors'],
    dimensions: time,
    orderBy: [],
    limit: 100_000,
    offset: 0,
    totalRows: false,
  }
  const totals = await runQuery(deps.db, totalsPlan, { ...req, include: {} }, deps.timezone, deps.cost, deps.cache)
  const byPeriod = new Map(totals.results.map((r) => [time.length ? r.dimensions[0]! : '', r.metrics[0] ?? 0]))
  return applyMinCrowd(answer, asked, run, k, byPeriod)
}

