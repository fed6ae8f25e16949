import { Hono } from 'hono'
import { z } from 'zod'
import { limitBody } from '../http/body-limit.ts'
import { say } from '../http/messages.ts'
import { managedSite, type SiteEnv } from './managed-site.ts'
import type { Sites } from './sites.ts'

const body = z.object({ min_crowd: z.number().int().min(2, 'min_crowd: at least 2').max(100).nullable() })

/**
 * A site's own minimum crowd: the owner can hold every reader, themself included, to it
 * (shared links and public keys then use the larger of theirs and the site's). null: exact.
 */
export function siteCrowdRoute(deps: { sites: Sites; clock: () => number }) {
  const app = new Hono<SiteEnv>()
  app.use('/:domain/min-crowd', ...managedSite(deps.sites))
  app.get('/:domain/min-crowd', (c) => {
    const site = c.get('site')
    return c.json({ min_crowd: site.settings.minCrowd ?? null })
  })
  app.put(
    '/:domain/min-crowd',
    limitBody(1024, (c) => c.json(say('body_too_large', { kib: 1 }), 413, { Connection: 'close' })),
    async (c) => {
      const site = c.get('site')
      const parsed = body.safeParse(await c.req.json().catch(() => undefined))
      if (!parsed.success) return c.json({ ...say('invalid_request', { detail: parsed.error.issues[0]!.message }), example: { min_crowd: 5 } }, 400)
      const { minCrowd: _, ...rest } = site.settings
      const settings = parsed.data.min_crowd === null ? rest : { ...rest, minCrowd: parsed.data.min_crowd }
      await deps.sites.updateSettings(site.domain, settings, deps.clock())
      return c.json({ min_crowd: parsed.data.min_crowd })
    },
  )
  return app
}
