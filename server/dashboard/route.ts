import { fileURLToPath } from 'node:url'
import { Hono, type Context } from 'hono'
import { getCookie } from 'hono/cookie'
import type { Boot, BootSite, Lang } from '../../dashboard/src/boot.ts'
import type { Access } from '../auth/access.ts'
import { shareUnlocked, type AuthEnv, type Principal } from '../auth/principal.ts'
import { can, withinReach } from '../auth/roles.ts'
import { SECOND_STEP_COOKIE } from '../auth/route.ts'
import type { TwoFactor } from '../auth/totp.ts'
import { textIn } from '../../dashboard/src/i18n.ts'
import type { Logger } from '../log.ts'
import { firstCountedAt, type Site, type Sites } from '../sites/sites.ts'
import { byDay, sharedOnly } from '../sites/annotations.ts'
import { dayOf } from '../time.ts'
import { loadBuild } from './assets.ts'
import { esc, fallback, NOT_BUILT, plainPage, renderShell } from './shell.ts'

export const DASHBOARD_DIR = fileURLToPath(new URL('../../dist/dashboard/', import.meta.url))

/** The owner's language preference; the dashboard sets it, no response ever does. */
export const LANG_COOKIE = 'skaits_lang'

export interface DashboardDeps {
  access: Access
  sites: Sites
  timezone: string
  clock: () => number
  log: Logger
  /** whether reports can be e-mailed: the settings say so when not */
  mail: { configured: boolean }
  /** issue 25: two-factor login (the login's second step, enrolment the rule requires) */
  twoFactor?: TwoFactor
  /** the built dashboard; default dist/dashboard */
  dir?: string
}

/**
 * The dashboard: its hashed assets (cached for a year) and its page, for `/` and `/settings`
 * (owners) and `/share/<token>` (a shared link's read-only view), with setup, login and unlock
 * forms that work without JavaScript. The one owner of these URLs: when the dashboard is not
 * built, it serves the same forms and texts on a plain page.
 */
export function dashboardRoute(deps: DashboardDeps) {
  const build = loadBuild(deps.dir ?? DASHBOARD_DIR)
  if (!build) deps.log.warn('dashboard not built: run `npm run build`; / shows plain pages until then')
  const app = new Hono<AuthEnv>()
  const hourFormat = new Intl.DateTimeFormat('en-GB', { timeZone: deps.timezone, hour: '2-digit', hourCycle: 'h23' })
  const minuteFormat = new Intl.DateTimeFormat('en-GB', { timeZone: deps.timezone, minute: '2-digit' })

  /** `funnels`: whether the viewer may read the sites' funnels (owners, shared links with goals) */
  const boot = (c: Context, mode: Boot['mode'], sites: Site[], extra: Partial<Boot> = {}, funnels = false): Boot => {
    const now = deps.clock()
    return {
      mode,
      lang: pickLang(c),
      today: dayOf(now, deps.timezone),
      hour: Number(hourFormat.format(now)),
      minute: Number(minuteFormat.format(now)),
      timezone: deps.timezone,
      sites: sites.map((s) => bootSite(s, deps.timezone, funnels, mode === 'share')),
      ...extra,
    }
  }
  const page = (c: Context, b: Boot, content: { title: string; body: string }, status: 200 | 404 = 200) => {
    c.header('Cache-Control', 'no-cache, private')
    return c.html(renderShell(build!.index, { boot: b, title: content.title, body: content.body }), status)
  }
  const notBuilt = (c: Context, content: { title: string; body: string }, status: 200 | 404 = 200) =>
    c.html(plainPage(pickLang(c), content.title, content.body), status)
  /** The page, or without a build the same content on a plain page. */
  const either = (c: Context, b: Boot, content: { title: string; body: string }) => (build ? page(c, b, content) : notBuilt(c, content))

  app.get('/assets/*', (c) => {
    const asset = build?.assets.get(c.req.path)
    if (!asset) return c.text('not found', 404)
    const accept = c.req.header('accept-encoding') ?? ''
    const encoding = /\bbr\b/.test(accept) ? 'br' : /\bgzip\b/.test(accept) ? 'gzip' : undefined
    const headers: Record<string, string> = {
      'Content-Type': asset.type,
      // File names carry a content hash: a new build is a new URL.
      'Cache-Control': 'public, max-age=31536000, immutable',
      Vary: 'Accept-Encoding',
    }
    if (encoding && asset[encoding] !== asset.identity) headers['Content-Encoding'] = encoding
    return c.body(new Uint8Array(encoding ? asset[encoding] : asset.identity), 200, headers)
  })

  app.get('/', (c) => {
    const lang = pickLang(c)
    const p = c.get('principal')
    if (deps.access.ownerCount() === 0) return either(c, boot(c, 'setup', []), fallback.setup(lang))
    if (p?.kind !== 'owner') {
      const step = getCookie(c, SECOND_STEP_COOKIE)
      if (step && deps.twoFactor?.secondStepOwner(step)) return either(c, boot(c, 'login', [], { secondStep: true }), fallback.secondStep(lang))
      return either(c, boot(c, 'login', []), fallback.login(lang))
    }
    return appPage(c, p)
  })

  app.get('/settings', (c) => {
    const p = c.get('principal')
    if (p?.kind !== 'owner') return c.redirect('/', 303)
    // roles: a viewer has no settings; the page says so rather than showing a form every save of which fails
    if (!can(p, 'manage')) {
      const lang = pickLang(c)
      c.header('Cache-Control', 'no-cache, private')
      const back = `<p><a href="/${c.req.query('lang') ? `?lang=${lang}` : ''}">${esc(textIn(lang, 'backToDashboard'))}</a></p>`
      return c.html(plainPage(lang, textIn(lang, 'settings'), `<p>${esc(textIn(lang, 'settingsNotAllowed'))}</p>${back}`), 403)
    }
    return appPage(c, p)
  })

  /** The app (dashboard or settings) for a logged-in user: the sites their role reaches (auth/roles.ts), and the role. */
  const appPage = (c: Context, p: Extract<Principal, { kind: 'owner' }>) => {
    const lang = pickLang(c)
    const sites = sorted(withinReach(p, deps.sites.list(), (s) => s.domain))
    const content = fallback.owner(lang, p.owner.email, sites.map((s) => s.domain), build ? '' : NOT_BUILT)
    if (!build) return notBuilt(c, content)
    const enrol = deps.twoFactor?.mustEnrol(p.owner.id) ? { enrol: true } : {}
    const extra = { email: p.owner.email, role: p.owner.role, mail: deps.mail, ...enrol }
    return page(c, boot(c, 'app', sites, extra, true), { title: content.title, body: fallback.noScript(lang, content.body) })
  }

  app.get('/share/:token', (c) => {
    const lang = pickLang(c)
    const share = deps.access.shareByToken(c.req.param('token'))
    const site = share && deps.sites.get(share.site)
    if (!share || !site) return notBuilt(c, fallback.linkInvalid(lang), 404)
    if (!shareUnlocked(share, c.get('principal'))) {
      return either(c, boot(c, 'unlock', [], { share: { site: site.domain, password: true } }), fallback.unlock(lang, c.req.param('token'), site.domain))
    }
    const content = fallback.share(lang, site.domain, build ? '' : NOT_BUILT)
    if (!build) return notBuilt(c, content)
    const b = boot(c, 'share', [site], { share: { site: site.domain, password: Boolean(share.passwordHash), minCrowd: share.minCrowd, goals: share.goals } }, share.goals)
    return page(c, b, { title: content.title, body: fallback.noScript(lang, content.body) })
  })
  return app
}

function sorted(sites: Site[]): Site[] {
  return [...sites].sort((a, b) => a.domain.localeCompare(b.domain))
}

/** `shared`: a shared link's page, which carries the notes marked shared and nothing of the others */
function bootSite(s: Site, tz: string, withFunnels: boolean, shared: boolean): BootSite {
  const site: BootSite = { domain: s.domain, created: dayOf(firstCountedAt(s, tz), tz) }
  if (s.settings.sectionsSince) site.sectionsSince = s.settings.sectionsSince
  const funnels = withFunnels ? (s.settings.funnels ?? []) : []
  // Names only: the dashboard asks the funnel endpoint for the rest, as any client would.
  if (funnels.length) site.funnels = [...funnels.filter((f) => f.until === undefined), ...funnels.filter((f) => f.until !== undefined)].map((f) => f.name)
  // Annotations (issue 25, annotations and comparison modes)
  const annotations = shared ? sharedOnly(s.settings.annotations) : byDay(s.settings.annotations)
  if (annotations.length) site.annotations = annotations
  return site
}

/** `?lang=`, then the owner's cookie, then the browser's first preference; English by default. */
export function pickLang(c: Context): Lang {
  const asked = c.req.query('lang') ?? getCookie(c, LANG_COOKIE)
  if (asked === 'lv' || asked === 'en') return asked
  const first = (c.req.header('accept-language') ?? '').split(',')[0]?.trim().toLowerCase() ?? ''
  return first.startsWith('lv') ? 'lv' : 'en'
}
