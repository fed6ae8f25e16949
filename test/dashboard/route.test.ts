// The dashboard's server side without a browser: what it serves, how it caches, and what it
// says when the dashboard was never built.
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { Hono } from 'hono'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import type { Access } from '../../server/auth/access.ts'
import type { AuthEnv, Principal } from '../../server/auth/principal.ts'
import { dashboardRoute } from '../../server/dashboard/route.ts'
import type { Sites } from '../../server/sites/sites.ts'
import { tempDir } from '../helpers/skaits.ts'

const FUNNEL = { steps: [{ page: '/pricing' }, { event: 'Signup' }], dimensions: [], since: Date.parse('2026-11-01T10:00:00Z') }
// A kept old series (`until`) listed before the funnel counted now: the boot data puts it last.
const FUNNELS = [
  { ...FUNNEL, id: 1, name: 'Checkout (2026-11-01 – 2026-11-10)', until: Date.parse('2026-11-10T10:00:00Z') },
  { ...FUNNEL, id: 2, name: 'Checkout' },
]
const SITE = { domain: 'example.lv', createdAt: Date.parse('2026-01-05T12:00:00Z'), settings: { sections: [], sectionsSince: '2026-11-01', funnels: FUNNELS } }
const OWNER = { kind: 'owner', owner: { id: 'o1', email: 'anna@example.lv', role: 'owner', sites: [] }, sessionHash: 'x' } as unknown as Principal
const SHARE = { id: 's1', site: 'example.lv', passwordHash: '', goals: false }
const GOALS_SHARE = { id: 's3', site: 'example.lv', passwordHash: '', goals: true }
const LOCKED = { id: 's2', site: 'example.lv', passwordHash: 'scrypt$…' }

function builtDir(): string {
  const dir = tempDir('skaits-dashboard-dist-')
  mkdirSync(path.join(dir, 'assets'))
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><html lang="en"><head><title>Skaits</title><script type="module" src="/assets/index-abc.js"></script></head><body><div id="app"></div></body></html>')
  writeFileSync(path.join(dir, 'assets/index-abc.js'), `console.log(${JSON.stringify('x'.repeat(2000))})`)
  return dir
}

function app(dir: string, principal?: Principal, owners = 1, mail = { configured: false }) {
  const access = {
    ownerCount: () => owners,
    shareByToken: (t: string) => ({ sh_ok: SHARE, sh_locked: LOCKED, sh_goals: GOALS_SHARE })[t],
  } as unknown as Access
  const sites = { list: () => [SITE], get: (d: string) => (d === SITE.domain ? SITE : undefined) } as unknown as Sites
  const a = new Hono<AuthEnv>()
  a.use('*', async (c, next) => {
    c.set('principal', principal)
    await next()
  })
  a.route('/', dashboardRoute({ access, sites, timezone: 'Europe/Riga', clock: () => Date.parse('2026-11-22T21:30:00Z'), log: pino({ level: 'silent' }), mail, dir }))
  a.notFound((c) => c.text('fell through', 404))
  return a
}

const boot = (html: string) => JSON.parse(/<meta name="skaits-boot" content="([^"]*)">/.exec(html)![1]!.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n))))

describe('dashboard route', () => {
  it('serves hashed assets compressed, cached for a year', async () => {
    const a = app(builtDir())
    const res = await a.request('/assets/index-abc.js', { headers: { 'accept-encoding': 'gzip, br' } })
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect(res.headers.get('content-encoding')).toBe('br')
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect((await res.arrayBuffer()).byteLength).toBeLessThan(200)
    expect((await a.request('/assets/nope.js')).status).toBe(404)
  })

  it("gives an owner the app with its boot data: sites, their funnels' names, today in the server's time zone", async () => {
    const res = await app(builtDir(), OWNER).request('/')
    expect(res.headers.get('cache-control')).toBe('no-cache, private')
    const html = await res.text()
    expect(boot(html)).toEqual({
      mode: 'app',
      lang: 'en',
      today: '2026-11-22',
      hour: 23,
      minute: 30,
      timezone: 'Europe/Riga',
      email: 'anna@example.lv',
      role: 'owner',
      mail: { configured: false },
      sites: [{ domain: 'example.lv', created: '2026-01-05', sectionsSince: '2026-11-01', funnels: ['Checkout', 'Checkout (2026-11-01 – 2026-11-10)'] }],
    })
    // Without JavaScript the page still says who is logged in and offers a logout form.
    expect(html).toContain('<noscript>')
    expect(html).toContain('Logged in as anna@example.lv')
    expect(html).toContain('<form method="post" action="/api/logout">')
    expect(boot(await (await app(builtDir(), OWNER).request('/?lang=lv')).text()).lang).toBe('lv')
    const lv = await app(builtDir(), OWNER).request('/settings', { headers: { 'accept-language': 'lv-LV,lv;q=0.9,en;q=0.5' } })
    expect(boot(await lv.text()).lang).toBe('lv')
    // Whether reports can be e-mailed: the settings say why not.
    expect(boot(await (await app(builtDir(), OWNER, 1, { configured: true }).request('/settings')).text()).mail).toEqual({ configured: true })
  })

  it('shows working forms to everyone else, and settings only to owners', async () => {
    const setup = await (await app(builtDir(), undefined, 0).request('/')).text()
    expect(setup).toContain('<form method="post" action="/api/setup">')
    expect(setup).toContain('name="setup_token"')
    expect(setup).toContain('setup-token')
    expect(await (await app(builtDir()).request('/')).text()).toContain('<form method="post" action="/api/login">')
    const settings = await app(builtDir()).request('/settings')
    expect(settings.status).toBe(303)
    expect(settings.headers.get('location')).toBe('/')
  })

  it('shows a shared link read-only, its own site only; a locked one asks for its password', async () => {
    const html = await (await app(builtDir()).request('/share/sh_ok')).text()
    expect(boot(html)).toMatchObject({ mode: 'share', sites: [{ domain: 'example.lv' }], share: { site: 'example.lv', password: false } })
    expect(boot(html)).not.toHaveProperty('email')
    expect(boot(html)).not.toHaveProperty('mail')
    expect(html).not.toContain('sh_ok') // the token stays in the address bar
    // Funnels are shown (and named) only to a link made with goals, as the funnel endpoint answers only it.
    expect(boot(html).sites[0]).not.toHaveProperty('funnels')
    const goals = boot(await (await app(builtDir()).request('/share/sh_goals')).text())
    expect(goals.sites[0].funnels).toEqual(['Checkout', 'Checkout (2026-11-01 – 2026-11-10)'])
    const locked = await (await app(builtDir()).request('/share/sh_locked')).text()
    expect(boot(locked).mode).toBe('unlock')
    expect(locked).toContain('<form method="post" action="/share/sh_locked/unlock">')
    expect((await app(builtDir()).request('/share/sh_unknown')).status).toBe(404)
  })

  it('without a build: says so to owners, and serves the same forms on a plain page', async () => {
    const missing = path.join(tempDir(), 'none')
    const owner = await app(missing, OWNER).request('/')
    expect(owner.status).toBe(200)
    expect(await owner.text()).toContain('The dashboard is not built on this server: run <code>npm run build</code>')
    expect(await (await app(missing, OWNER).request('/settings')).text()).toContain('not built')
    // The dashboard route owns / alone: nothing falls through to another route.
    const login = await (await app(missing).request('/')).text()
    expect(login).not.toBe('fell through')
    expect(login).toContain('<form method="post" action="/api/login">')
    expect(await (await app(missing, undefined, 0).request('/')).text()).toContain('<form method="post" action="/api/setup">')
    expect(await (await app(missing).request('/share/sh_locked')).text()).toContain('<form method="post" action="/share/sh_locked/unlock">')
    const unknown = await app(missing).request('/share/sh_unknown')
    expect(unknown.status).toBe(404)
    expect(await unknown.text()).toContain('This link is not valid')
    expect((await app(missing).request('/assets/index-abc.js')).status).toBe(404)
  })
})
