import { Hono } from 'hono'
import { funnelInput, type Funnel } from '../goals/funnels.ts'
import { say } from '../http/messages.ts'
import type { FunnelService } from './funnels.ts'
import { managedSite, parseOrRefuse, siteErrors, type SiteEnv } from './managed-site.ts'
import { SiteError, type Sites } from './sites.ts'

/** A funnel as the API shows it. */
export function funnelView(f: Funnel) {
  return {
    id: f.id,
    name: f.name,
    steps: f.steps,
    dimensions: f.dimensions,
    since: new Date(f.since).toISOString(),
    until: f.until === undefined ? null : new Date(f.until).toISOString(),
  }
}

export function parseFunnel(body: unknown) {
  const { keep_history: _keep, ...fields } = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
  return parseOrRefuse(funnelInput, fields)
}


/**
 * A site's funnels for managers: `GET/POST /api/sites/:domain/funnels`, `PUT/DELETE …/funnels/:id`.
 * PUT renames, or with new steps or dimensions starts a new series (`keep_history: true` keeps
 * the old one readable).
 */
export function funnelsRoute(deps: { sites: Sites; funnels: FunnelService; maxFunnels: number }) {
  const app = new Hono<SiteEnv>()
  app.use('/:domain/funnels', ...managedSite(deps.sites))
  app.use('/:domain/funnels/*', ...managedSite(deps.sites))
  app.get('/:domain/funnels', (c) => c.json({ funnels: deps.funnels.list(c.get('site')).map(funnelView), max: deps.maxFunnels }))
  app.post('/:domain/funnels', (c) =>
    siteErrors(c, async () => c.json(funnelView(await deps.funnels.declare(c.get('site'), parseFunnel(await c.req.json().catch(() => undefined)))), 201)),
  )
  app.put('/:domain/funnels/:id', (c) =>
    siteErrors(c, async () => {
      const body = (await c.req.json().catch(() => undefined)) as Record<string, unknown> | undefined
      const funnel = await deps.funnels.change(c.get('site'), idOf(c.req.param('id')), parseFunnel(body), body?.keep_history === true)
      return c.json(funnelView(funnel))
    }),
  )
  app.delete('/:domain/funnels/:id', (c) =>
    siteErrors(c, async () => c.json({ deleted: funnelView(await deps.funnels.remove(c.get('site'), idOf(c.req.param('id')))) })),
  )
  return app
}

function idOf(raw: string): number {
  const id = Number(raw)
  if (!Number.isInteger(id) || id < 1) throw new SiteError(say('funnel_not_found', { id: raw }), 404)
  return id
}
