import { Hono } from 'hono'
import { annotationChange, annotationInput, byDay } from './annotations.ts'
import { annotationId, type AnnotationService } from './annotations-service.ts'
import { managedSite, parseOrRefuse, siteErrors, type SiteEnv } from './managed-site.ts'
import type { Sites } from './sites.ts'

/**
 * A site's dated notes, for managers: `GET/POST /api/sites/:domain/annotations`,
 * `PATCH/DELETE …/annotations/:id`. A shared link reads the shared ones in its page's boot data
 * (dashboard/route.ts), never here.
 */
export function annotationsRoute(deps: { sites: Sites; annotations: AnnotationService }) {
  const app = new Hono<SiteEnv>()
  app.use('/:domain/annotations', ...managedSite(deps.sites))
  app.use('/:domain/annotations/*', ...managedSite(deps.sites))
  app.get('/:domain/annotations', (c) => c.json({ annotations: byDay(c.get('site').settings.annotations) }))
  app.post('/:domain/annotations', (c) =>
    siteErrors(c, async () => {
      const input = parseOrRefuse(annotationInput, await c.req.json().catch(() => undefined))
      return c.json(await deps.annotations.add(c.get('site'), input), 201)
    }),
  )
  app.patch('/:domain/annotations/:id', (c) =>
    siteErrors(c, async () => {
      const id = annotationId(c.req.param('id'))
      const input = parseOrRefuse(annotationChange, await c.req.json().catch(() => undefined))
      return c.json(await deps.annotations.change(c.get('site'), id, input))
    }),
  )
  app.delete('/:domain/annotations/:id', (c) =>
    siteErrors(c, async () => c.json({ deleted: await deps.annotations.remove(c.get('site'), annotationId(c.req.param('id'))) })),
  )
  return app
}
