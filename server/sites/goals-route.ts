import { Hono, type Context } from 'hono'
import { requireManager, type AuthEnv } from '../auth/principal.ts'
import { refusal } from '../auth/roles.ts'
import { goalInput, type Goal } from '../goals/goals.ts'
import { say } from '../http/messages.ts'
import { normalizeDomain } from './domain.ts'
import type { GoalService } from './goals.ts'
import { managedSite, parseOrRefuse, siteErrors, type SiteEnv } from './managed-site.ts'
import { SiteError, type Site, type Sites } from './sites.ts'

/** A goal as the API shows it: Skaits' names, and Plausible's Sites API names beside them. */
export function goalView(g: Goal) {
  return {
    id: g.id,
    name: g.name,
    display_name: g.name,
    goal_type: g.event !== undefined ? 'event' : 'page',
    event_name: g.event ?? null,
    page_path: g.page ?? null,
    currency: g.currency ?? null,
    since: new Date(g.since).toISOString(),
    until: g.until === undefined ? null : new Date(g.until).toISOString(),
  }
}

/** The body as JSON or a form (Plausible's Sites API takes both); undefined when it is neither. */
async function bodyOf(c: Context): Promise<Record<string, unknown> | undefined> {
  const type = c.req.header('content-type') ?? ''
  if (type.includes('application/x-www-form-urlencoded') || type.includes('multipart/form-data')) {
    return Object.fromEntries(Object.entries(await c.req.parseBody().catch(() => ({}))).map(([k, v]) => [k, String(v)]))
  }
  const json = await c.req.json().catch(() => undefined)
  return typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined
}

function parseGoal(body: Record<string, unknown> | undefined) {
  const { site_id: _site, keep_history: _keep, ...fields } = body ?? {}
  return parseOrRefuse(goalInput, fields)
}


/**
 * A site's goals for managers: `GET/PUT /api/sites/:domain/goals`, `PUT/DELETE …/goals/:id`.
 * PUT on the list finds or declares (as Plausible's Sites API); PUT on one renames it, or changes
 * what it counts (a new series; `keep_history: true` keeps the old one readable).
 */
export function goalsRoute(deps: { sites: Sites; goals: GoalService; maxGoals: number }) {
  const app = new Hono<SiteEnv>()
  app.use('/:domain/goals', ...managedSite(deps.sites))
  app.use('/:domain/goals/*', ...managedSite(deps.sites))
  app.get('/:domain/goals', (c) => c.json({ goals: deps.goals.list(c.get('site')).map(goalView), max: deps.maxGoals }))
  app.put('/:domain/goals', (c) =>
    siteErrors(c, async () => {
      const { goal, created } = await deps.goals.declare(c.get('site'), parseGoal(await bodyOf(c)))
      return c.json(goalView(goal), created ? 201 : 200)
    }),
  )
  app.put('/:domain/goals/:id', (c) =>
    siteErrors(c, async () => {
      const body = await bodyOf(c)
      const goal = await deps.goals.change(c.get('site'), goalId(c.req.param('id')), parseGoal(body), body?.keep_history === true || body?.keep_history === 'true')
      return c.json(goalView(goal))
    }),
  )
  app.delete('/:domain/goals/:id', (c) =>
    siteErrors(c, async () => c.json({ deleted: goalView(await deps.goals.remove(c.get('site'), goalId(c.req.param('id')))) })),
  )
  return app
}

/** Plausible's Sites API goal endpoints, `/api/v1/sites/goals`, with its parameter names and answers. */
export function plausibleGoalsRoute(deps: { sites: Sites; goals: GoalService }) {
  const app = new Hono<AuthEnv>()
  app.use('/v1/sites/goals', requireManager())
  app.use('/v1/sites/goals/*', requireManager())
  const siteOf = (c: Context<AuthEnv>, id: unknown, verb: string): Site => {
    if (typeof id !== 'string' || !id) throw new SiteError({ error: `Parameter \`site_id\` is required to ${verb}`, code: 'invalid_request', params: {} })
    // Permission first (auth/roles.ts): an admin learns nothing of sites outside their reach.
    const no = refusal(c.get('principal'), 'manage', normalizeDomain(id))
    if (no) throw new SiteError(no.said, 403)
    const site = deps.sites.get(normalizeDomain(id))
    if (!site) throw new SiteError({ error: 'Site could not be found', code: 'site_unknown', params: {} }, 404)
    return site
  }
  const plausible = (g: Goal) => {
    const v = goalView(g)
    return { id: v.id, display_name: v.display_name, goal_type: v.goal_type, event_name: v.event_name, page_path: v.page_path }
  }
  app.put('/v1/sites/goals', (c) =>
    siteErrors(c, async () => {
      const body = await bodyOf(c)
      const site = siteOf(c, body?.site_id, 'create a goal')
      for (const p of ['goal_type', ...(body?.goal_type === 'page' ? ['page_path'] : body?.goal_type === 'event' ? ['event_name'] : [])]) {
        if (!body?.[p]) return c.json({ error: `Parameter \`${p}\` is required to create a goal` }, 400)
      }
      const { goal } = await deps.goals.declare(site, parseGoal(body))
      return c.json({ domain: site.domain, ...plausible(goal) })
    }),
  )
  app.get('/v1/sites/goals', (c) =>
    siteErrors(c, async () => {
      const site = siteOf(c, c.req.query('site_id'), 'list goals')
      const limit = Math.min(1000, Math.max(1, Number(c.req.query('limit')) || 100))
      const goals = deps.goals.list(site).filter((g) => g.until === undefined).sort((a, b) => b.id - a.id).slice(0, limit)
      return c.json({ goals: goals.map(plausible), meta: { after: null, before: null, limit } })
    }),
  )
  app.delete('/v1/sites/goals/:id', (c) =>
    siteErrors(c, async () => {
      const body = await bodyOf(c)
      const site = siteOf(c, body?.site_id ?? c.req.query('site_id'), 'delete a goal')
      const id = Number(c.req.param('id'))
      if (!deps.goals.list(site).some((g) => g.id === id)) return c.json({ error: 'Goal could not be found' }, 404)
      await deps.goals.remove(site, id)
      return c.json({ deleted: true })
    }),
  )
  return app
}

function goalId(raw: string): number {
  const id = Number(raw)
  if (!Number.isInteger(id) || id < 1) throw new SiteError(say('goal_not_found', { id: raw }), 404)
  return id
}
