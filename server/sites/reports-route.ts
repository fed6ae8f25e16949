import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import { Hono } from 'hono'
import { z } from 'zod'
import { say } from '../http/messages.ts'
import { managedSite, parseOrRefuse, siteErrors, type SiteEnv } from './managed-site.ts'
import { SiteError, type ReportSubscription, type Site, type Sites } from './sites.ts'

/** A new subscription, with the token its e-mails' one-click unsubscribe link carries. */
export function newSubscription(input: Omit<ReportSubscription, 'id' | 'token' | 'createdAt'>, now: number): ReportSubscription {
  return { ...input, id: randomUUID(), token: `un_${randomBytes(24).toString('base64url')}`, createdAt: now }
}

/** The site and subscription an unsubscribe token belongs to, if any (compared in constant time). */
export function subscriptionOfToken(sites: Sites, token: string): { site: Site; subscription: ReportSubscription } | undefined {
  const asked = Buffer.from(token)
  for (const site of sites.list()) {
    for (const subscription of site.settings.reports ?? []) {
      const kept = Buffer.from(subscription.token)
      if (kept.length === asked.length && timingSafeEqual(kept, asked)) return { site, subscription }
    }
  }
  return undefined
}

const subscriptionInput = z
  .object({
    email: z.string().max(254).email('an e-mail address'),
    kind: z.enum(['weekly', 'monthly']),
    lang: z.enum(['en', 'lv']).default('en'),
    /** someone outside the owners: values under k visitors hidden, as on a shared link (k ≥ 2); 0 or absent: exact */
    min_crowd: z.number().int().min(0).max(100).default(0),
  })
  .strict()

export const subscriptionView = (s: ReportSubscription) => ({ id: s.id, email: s.email, kind: s.kind, lang: s.lang, min_crowd: s.minCrowd, created_at: new Date(s.createdAt).toISOString() })

/** Adds a subscriber of the site's reports (REST and the CLI). */
export async function subscribe(deps: { sites: Sites; clock: () => number }, site: Site, body: unknown): Promise<ReportSubscription> {
  const b = parseOrRefuse(subscriptionInput, body)
  if (b.min_crowd === 1) throw new SiteError(say('invalid_request', { detail: 'min_crowd: 0 (exact, for an owner) or at least 2' }))
  const list = site.settings.reports ?? []
  if (list.some((s) => s.email === b.email && s.kind === b.kind)) throw new SiteError(say('invalid_request', { detail: `${b.email} receives the ${b.kind} report already` }), 409)
  const subscription = newSubscription({ email: b.email, kind: b.kind, lang: b.lang, minCrowd: b.min_crowd }, deps.clock())
  await deps.sites.updateSettings(site.domain, { ...site.settings, reports: [...list, subscription] }, deps.clock())
  return subscription
}

/** Removes a subscriber by id. */
export async function unsubscribe(deps: { sites: Sites; clock: () => number }, site: Site, id: string): Promise<ReportSubscription> {
  const list = site.settings.reports ?? []
  const gone = list.find((s) => s.id === id)
  if (!gone) throw new SiteError(say('not_found'), 404)
  await deps.sites.updateSettings(site.domain, { ...site.settings, reports: list.filter((s) => s !== gone) }, deps.clock())
  return gone
}

/** Who receives a site's reports, for managers: `GET/POST /api/sites/:domain/reports`, `DELETE …/reports/:id`. */
export function reportsRoute(deps: { sites: Sites; clock: () => number }) {
  const app = new Hono<SiteEnv>()
  app.use('/:domain/reports', ...managedSite(deps.sites))
  app.use('/:domain/reports/*', ...managedSite(deps.sites))
  app.get('/:domain/reports', (c) => c.json({ reports: (c.get('site').settings.reports ?? []).map(subscriptionView) }))
  app.post('/:domain/reports', (c) =>
    siteErrors(c, async () => {
      const subscription = await subscribe(deps, c.get('site'), await c.req.json().catch(() => undefined))
      return c.json(subscriptionView(subscription), 201)
    }),
  )
  app.delete('/:domain/reports/:id', (c) =>
    siteErrors(c, async () => {
      const gone = await unsubscribe(deps, c.get('site'), c.req.param('id'))
      return c.json({ deleted: subscriptionView(gone) })
    }),
  )
  return app
}

/**
 * The one-click unsubscribe of RFC 8058: a mail client POSTs `List-Unsubscribe=One-Click` to the
 * URL of the `List-Unsubscribe` header; a person opening the link gets a page with one button.
 * No login: the token in the URL is the permission, and all it can do is stop these e-mails.
 */
export function unsubscribeRoute(deps: { sites: Sites; clock: () => number }) {
  const app = new Hono()
  const page = (title: string, body: string) =>
    `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${title}</title></head><body style="font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem">${body}</body></html>`
  app.get('/:token', (c) => {
    const found = subscriptionOfToken(deps.sites, c.req.param('token'))
    if (!found) return c.html(page('Skaits', '<p>This link is not valid any more: you receive no reports through it. / Šī saite vairs nav derīga.</p>'), 404)
    const lv = found.subscription.lang === 'lv'
    const what = lv ? `${found.site.domain} ${found.subscription.kind === 'weekly' ? 'nedēļas' : 'mēneša'} pārskatu` : `the ${found.subscription.kind} report of ${found.site.domain}`
    return c.html(
      page(
        'Skaits',
        `<p>${lv ? `Pārtraukt sūtīt ${what} uz` : `Stop sending ${what} to`} ${escapeHtml(found.subscription.email)}?</p>` +
          `<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">${lv ? 'Atteikties' : 'Unsubscribe'}</button></form>`,
      ),
    )
  })
  app.post('/:token', async (c) => {
    const found = subscriptionOfToken(deps.sites, c.req.param('token'))
    if (found) {
      const list = found.site.settings.reports ?? []
      await deps.sites.updateSettings(found.site.domain, { ...found.site.settings, reports: list.filter((s) => s.id !== found.subscription.id) }, deps.clock())
    }
    // The same answer either way: a second click, or a mail client's retry, is no error.
    return c.html(page('Skaits', '<p>Unsubscribed: no more reports are sent to this address. / Pārskati uz šo adresi vairs netiks sūtīti.</p>'))
  })
  return app
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!)
}
