import { Hono, type Context } from 'hono'
import type { z } from 'zod'
import { canRead, type AuthEnv } from '../auth/principal.ts'
import { limitBody } from '../http/body-limit.ts'
import type { Db } from '../db/client.ts'
import { type Logger, errorText } from '../log.ts'
import { normalizeDomain } from '../sites/domain.ts'
import { firstCountedAt, type Sites } from '../sites/sites.ts'
import { resolveDateRange } from './date-range.ts'
import { plan, PlanError } from './plan.ts'
import { queryRequest } from './request.ts'
import type { QueryCost } from './run.ts'
import { credentialOf, type QueryLimits } from './limits.ts'
import type { AnswerCache } from './answer-cache.ts'
import { minCrowdOf } from './crowd.ts'
import { planRunner } from './answer.ts'
import type { Plan } from './plan.ts'
import type { QueryRequest } from './request.ts'
import { say } from '../http/messages.ts'
import { asksGoals, goalQuery } from './goals.ts'
import { funnelQuery, funnelRequest } from './funnel.ts'

export interface StatsDeps {
  observe?: { query(seconds: number): void; error(): void }
  /** visits of a site seen in the last `windowMs` (from the in-memory session map) */
  activeVisits: (site: string, windowMs: number) => number
  db: Db
  /** per-credential rate and concurrency (STATS_RATE_PER_MINUTE, STATS_CONCURRENCY); none: no limit */
  limits?: QueryLimits
  /** what one query may cost ClickHouse (STATS_MAX_EXECUTION_MS, STATS_MAX_MEMORY_MB) */
  cost?: QueryCost
  /** answers of closed days and of today kept in memory (STATS_CACHE_MB); none: every answer read */
  cache?: AnswerCache
  sites: Sites
  timezone: string
  clock: () => number
  log: Logger
}

/** `POST /api/v2/query`: the Plausible Stats API v2 request and response shape. */
export function statsRoute(deps: StatsDeps) {
  const app = new Hono<AuthEnv>()
  /**
   * The credential, the body as `schema` reads it, and the site it names if the credential may
   * read it; otherwise the refusal. Permission first: a key or shared link learns nothing about
   * sites outside its reach.
   */
  const readable = async <S extends z.ZodType<{ site_id: string }>>(c: Context<AuthEnv>, schema: S) => {
    const principal = c.get('principal')
    if (!principal) return c.json(say('query_credentials'), 401)
    const body = await c.req.json().catch(() => NOT_JSON)
    if (body === NOT_JSON) return c.json(say('invalid_json'), 400)
    const parsed = schema.safeParse(body)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!
      return c.json(say('invalid_request', { detail: `${issue.path.join('.') || 'body'}: ${issue.message}` }), 400)
    }
    const req = parsed.data as z.output<S>
    const domain = normalizeDomain(req.site_id)
    if (!canRead(principal, domain)) return c.json(say('cannot_read_site', { domain }), 403)
    const site = deps.sites.get(domain)
    if (!site) return c.json(say('query_site_not_found', { site: req.site_id }), 404)
    return { principal, req, site, domain }
  }
  app.post(
    '/v2/query',
    limitBody(64 * 1024, (c) => c.json(say('body_too_large', { kib: 64 }), 413, { Connection: 'close' })),
    async (c) => {
      const asked = await readable(c, queryRequest)
      if (asked instanceof Response) return asked
      const { principal, req, site, domain } = asked
      const range = resolveDateRange(req.date_range, deps.clock(), deps.timezone, firstCountedAt(site, deps.timezone))
      if ('error' in range) return c.json(range, 400)
      const turn = (await deps.limits?.admit(credentialOf(principal))) ?? { ok: true as const, release: () => {} }
      if (!turn.ok && turn.reason === 'rate_limited') {
        return c.json(say('too_many_queries'), 429, { 'Retry-After': String(Math.ceil(turn.retryAfterMs / 1000)) })
      }
      if (!turn.ok) return c.json(say('too_many_parallel_queries'), 429, { 'Retry-After': '1' })
      try {
        const started = performance.now()
        const k = Math.max(minCrowdOf(principal), site.settings.minCrowd ?? 0)
        const run = planRunner(deps, k)
        const goals = asksGoals(req)
        if (goals && principal.kind === 'share' && !principal.share.goals) return c.json(say('share_no_goals'), 403)
        const answer = goals ? await goalQuery(req, site, range, run, deps.timezone) : await run(plan(req, site, range), req)
        deps.observe?.query((performance.now() - started) / 1000)
        return c.json(answer)
      } catch (err) {
        if (err instanceof PlanError) return c.json(err.said, 400)
        const limit = exceededLimit(err, deps.cost)
        if (limit) {
          deps.log.warn({ site: domain, limit }, 'stats query stopped at its limit')
          return c.json(say('query_stopped', { limit }), 503)
        }
        if (isRegexError(err)) return c.json(say('bad_pattern'), 400)
        deps.observe?.error()
        deps.log.error({ err: errorText(err) }, 'stats query failed')
        return c.json(say('query_failed'), 500)
      } finally {
        turn.release()
      }
    },
  )
  /**
   * A funnel's steps (Skaits' own endpoint: Plausible's Stats API has none), for the credentials that
   * read the site; shared links only when made with goals (they show funnels too).
   */
  app.post(
    '/v2/funnel',
    limitBody(16 * 1024, (c) => c.json(say('body_too_large', { kib: 16 }), 413, { Connection: 'close' })),
    async (c) => {
      const asked = await readable(c, funnelRequest)
      if (asked instanceof Response) return asked
      const { principal, req, site } = asked
      if (principal.kind === 'share' && !principal.share.goals) return c.json(say('share_no_goals'), 403)
      const funnel = (site.settings.funnels ?? []).find((f) => f.name === req.funnel)
      if (!funnel) return c.json(say('funnel_unknown', { name: req.funnel, known: (site.settings.funnels ?? []).map((f) => f.name).join(', ') || '—' }), 404)
      const range = resolveDateRange(req.date_range, deps.clock(), deps.timezone, firstCountedAt(site, deps.timezone))
      if ('error' in range) return c.json(range, 400)
      const turn = (await deps.limits?.admit(credentialOf(principal))) ?? { ok: true as const, release: () => {} }
      if (!turn.ok) return c.json(say(turn.reason === 'rate_limited' ? 'too_many_queries' : 'too_many_parallel_queries'), 429, { 'Retry-After': '1' })
      try {
        const k = Math.max(minCrowdOf(principal), site.settings.minCrowd ?? 0)
        const run = planRunner(deps, k)
        const answer = await funnelQuery(site, funnel, range, req.dimension, run, deps.timezone)
        return c.json(k ? { ...answer, min_crowd: k } : answer)
      } catch (err) {
        if (err instanceof PlanError) return c.json(err.said, 400)
        deps.log.error({ err: errorText(err) }, 'funnel query failed')
        return c.json(say('query_failed'), 500)
      } finally {
        turn.release()
      }
    },
  )

  /** Current visitors: visits active in the last 5 minutes, as Plausible's realtime endpoint. */
  app.get('/v1/stats/realtime/visitors', (c) => {
    const principal = c.get('principal')
    if (!principal) return c.json(say('query_credentials'), 401)
    const domain = normalizeDomain(c.req.query('site_id') ?? '')
    if (!canRead(principal, domain)) return c.json(say('cannot_read_site', { domain }), 403)
    const site = deps.sites.get(domain)
    if (!site) return c.json(say('site_unknown'), 404)
    return c.json(deps.activeVisits(site.domain, 5 * 60_000))
  })
  return app
}

const NOT_JSON = Symbol('not JSON')

/** Which cost limit ClickHouse stopped a query at (TIMEOUT_EXCEEDED, MEMORY_LIMIT_EXCEEDED), if any. */
function exceededLimit(err: unknown, cost: QueryCost | undefined): string | undefined {
  const code = (err as { code?: string } | undefined)?.code
  const message = err instanceof Error ? err.message : String(err)
  if (code === '159' || /TIMEOUT_EXCEEDED|Timeout exceeded: elapsed/.test(message)) {
    return `it ran longer than ${(cost?.maxExecutionMs ?? 0) / 1000} s (STATS_MAX_EXECUTION_MS)`
  }
  if (code === '241' || /MEMORY_LIMIT_EXCEEDED|Memory limit \(for query\) exceeded/.test(message)) {
    return `it needed more than ${Math.round((cost?.maxMemoryBytes ?? 0) / 1048576)} MiB (STATS_MAX_MEMORY_MB)`
  }
  return undefined
}

function isRegexError(err: unknown): boolean {
  const code = (err as { code?: string } | undefined)?.code
  // The whole message: errorText() cuts it at 500 characters, and a long pattern pushes "failed" past that.
  const message = err instanceof Error ? err.message : String(err)
  return code === '427' || /Pattern '.*' failed|regexp|re2|regular expression/is.test(message)
}
