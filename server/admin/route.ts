import { Hono, type Context } from 'hono'
import { z } from 'zod'
import { AccessError, DEFAULT_MIN_CROWD } from '../auth/access.ts'
import { clearSessionCookies, type AuthEnv } from '../auth/principal.ts'
import { reachOf, refusal, requireCan, type Reach } from '../auth/roles.ts'
import { normalizeDomain } from '../sites/domain.ts'
import { readBody } from '../auth/route.ts'
import { say } from '../http/messages.ts'
import { SiteError } from '../sites/sites.ts'
import type { Admin } from './service.ts'

/** k of the minimum crowd: 2 at least (1 would hide nothing), 100 at most. */
const minCrowd = z.number().int().min(2, 'min_crowd: at least 2').max(100)
const optionalPassword = z.string().max(1024).optional()
/** A user's role; checked against auth/roles.ts's ROLES by the service, with its own message. */
const role = z.string().max(20)
/** An admin's or a viewer's sites (a list, or "a.lv,b.lv" as a form sends it). */
const sites = z.union([z.array(z.string().max(253)).max(1000), z.string().max(10_000).transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))])

/**
 * Sites, API keys, users ("owners") and shared links. Who may do what is auth/roles.ts's:
 * users, invitations, keys and the list of sites itself are the owners' and the admin
 * credentials'; listing sites, shared links and partner exports is open to admins too, for the
 * sites they manage.
 */
export function adminRoute(admin: Admin) {
  const app = new Hono<AuthEnv>()
  const administer = requireCan('administer')
  const manage = requireCan('manage')
  // Not '/invitations/*': GET and POST /api/invitations/<token> are the invited person's (auth/route.ts).
  for (const path of ['/keys', '/keys/*', '/owners', '/owners/*', '/invitations']) app.use(path, administer)
  for (const path of ['/sites', '/shares', '/shares/*', '/partners', '/partners/*']) app.use(path, manage)
  /** The sites the asker manages: what their listings show. */
  const reach = (c: Context<AuthEnv>): Reach => reachOf(c.get('principal')!)
  /** 403 unless the asker manages `site` (a query's or a body's); its existence is checked after. */
  const refusedSite = (c: Context<AuthEnv>, site: unknown) => {
    const no = typeof site === 'string' ? refusal(c.get('principal'), 'manage', normalizeDomain(site)) : undefined
    return no && c.json(no.said, no.status)
  }
  const run = async (c: Context, work: () => unknown, status: 200 | 201 = 200) => {
    try {
      return c.json((await work()) as object, status)
    } catch (err) {
      if (err instanceof AccessError || err instanceof SiteError) return c.json(err.said, err.status)
      if (err instanceof z.ZodError) return c.json(say('invalid_request', { detail: `${err.issues[0]!.path.join('.') || 'body'}: ${err.issues[0]!.message}` }), 400)
      throw err
    }
  }

  app.get('/sites', (c) => run(c, () => admin.sitesList(reach(c))))
  app.post('/sites', administer, async (c) => {
    const body = await readBody(c)
    return run(c, () => admin.sitesAdd(z.object({ domain: z.string().max(253) }).parse(body).domain), 201)
  })
  app.patch('/sites/:domain', administer, async (c) => {
    const body = await readBody(c)
    return run(c, () => admin.sitesRename(c.req.param('domain'), z.object({ domain: z.string().max(253) }).parse(body).domain))
  })
  app.delete('/sites/:domain', administer, (c) => run(c, () => admin.sitesRemove(c.req.param('domain'))))

  app.get('/keys', (c) => run(c, () => admin.keysList()))
  app.post('/keys', async (c) => {
    const body = await readBody(c)
    return run(c, () => {
      const b = z
        .object({
          name: z.string().max(100),
          sites: z.array(z.string().max(253)).max(1000).default([]),
          // A public-scoped key (for a public page or a partner) answers under the minimum crowd.
          public: z.boolean().default(false),
          min_crowd: minCrowd.optional(),
        })
        .parse(body)
      return admin.keysCreate(b.name, b.sites, b.public || b.min_crowd !== undefined ? (b.min_crowd ?? DEFAULT_MIN_CROWD) : 0)
    }, 201)
  })
  app.delete('/keys/:id', (c) => run(c, () => admin.keysRevoke(c.req.param('id'))))

  app.get('/owners', (c) => run(c, () => admin.ownersList()))
  app.post('/owners', async (c) => {
    const body = await readBody(c)
    const p = c.get('principal')
    return run(c, () => {
      const b = z.object({ email: z.string().max(320), password: optionalPassword, role: role.default('owner'), sites: sites.default([]) }).parse(body)
      return admin.ownersAdd(b.email, b.password, p?.kind === 'owner' ? p.owner.id : 'admin', b.role, b.sites)
    }, 201)
  })
  app.patch('/owners/:id', async (c) => {
    const body = await readBody(c)
    return run(c, () => {
      const b = z.object({ role: role.optional(), sites: sites.optional() }).parse(body)
      return admin.ownersSet(c.req.param('id'), b)
    })
  })

  app.delete('/owners/:id', (c) => {
    const p = c.get('principal')
    return run(c, async () => {
      const removed = await admin.ownersRemove(c.req.param('id'))
      // Their sessions ended with them; an owner who removed themself is logged out here too.
      if (p?.kind === 'owner' && p.owner.id === removed.id) clearSessionCookies(c)
      return removed
    })
  })
  app.post('/owners/:id/reset', (c) => {
    const p = c.get('principal')
    return run(c, () => admin.ownersReset(c.req.param('id'), p?.kind === 'owner' ? p.owner.id : 'admin'), 201)
  })

  app.get('/invitations', (c) => run(c, () => admin.invitationsList()))
  app.delete('/invitations/:id', administer, (c) => run(c, () => admin.invitationsRevoke(c.req.param('id'))))

  app.get('/shares', async (c) => refusedSite(c, c.req.query('site')) || run(c, () => admin.sharesList(c.req.query('site'), reach(c))))
  app.post('/shares', async (c) => {
    const body = await readBody(c)
    const refused = refusedSite(c, body.site)
    if (refused) return refused
    return run(c, () => {
      const b = z
        .object({ site: z.string().max(253), name: z.string().max(100).default(''), password: optionalPassword, min_crowd: minCrowd.default(DEFAULT_MIN_CROWD), goals: z.boolean().default(false) })
        .parse(body)
      return admin.sharesCreate(b.site, b.name, b.password, b.min_crowd, b.goals)
    }, 201)
  })
  app.delete('/shares/:id', (c) => run(c, () => admin.sharesRevoke(c.req.param('id'), reach(c))))

  app.get('/partners', async (c) => refusedSite(c, c.req.query('site')) || run(c, () => admin.partnersList(c.req.query('site'), reach(c))))
  app.post('/partners', async (c) => {
    const body = await readBody(c)
    const refused = refusedSite(c, body.site)
    if (refused) return refused
    return run(c, () => {
      const g = z.enum(['day', 'week', 'month'])
      const b = z
        .object({
          site: z.string().max(253),
          name: z.string().max(100).optional(),
          dimensions: z.array(z.string().max(100)).max(50).optional(),
          finest: g.optional(),
          coarsest: g.optional(),
          k: z.number().int().optional(),
          epsilon: z.union([z.string(), z.number()]).transform(String).optional(),
          budget: z.union([z.string(), z.number()]).transform(String).optional(),
        })
        .parse(body)
      return admin.partnersCreate(b)
    }, 201)
  })
  app.delete('/partners/:id', (c) => run(c, () => admin.partnersRevoke(c.req.param('id'), reach(c))))

  app.get('/sites/:domain/privacy-notice', requireCan('manage', (c) => normalizeDomain(c.req.param('domain') ?? '')), async (c) => {
    const lang = c.req.query('lang') ?? 'en'
    if (lang !== 'en' && lang !== 'lv') return c.json({ error: 'lang must be en or lv' }, 400)
    try {
      return c.text(admin.privacyNotice(c.req.param('domain'), lang))
    } catch (err) {
      if (err instanceof SiteError) return c.json(err.said, err.status)
      throw err
    }
  })
  return app
}
