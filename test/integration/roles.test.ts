// Roles and per-site access (README "Roles", server/auth/roles.ts): every route the app has, tried
// by an owner, an admin of site A and a viewer of site A, on A and on B, is allowed or refused
// exactly as the roles say. The routes come from the app itself: a new one fails this test until
// it is given its rule here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminCall, API_KEY, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

const A = 'a.lv'
const B = 'b.lv'
const PASSWORD = 'a long enough passphrase'

type Who = 'owner' | 'admin' | 'viewer'
const WHO: Who[] = ['owner', 'admin', 'viewer']

/**
 * What a route asks of the roles. `administer`: owners only. `manage`: the site's settings
 * (owners; admins of the site). `manageAny`: a listing or an id-addressed thing, open to admins
 * (filtered to their sites). `read`: the site's statistics (owners; admins and viewers of the
 * site). `self`: the user's own account. `open`: no credentials at all, or their own kind
 * (tokens in the path, setup, login, the tracker, pages): the roles do not apply.
 */
type Rule = 'administer' | 'manage' | 'manageAny' | 'read' | 'self' | 'open'

/** Every route that is not a site's setting (`/api/sites/:domain/…`, all `manage`). */
const RULES: Record<string, Rule> = {
  'POST /api/sites': 'administer',
  'PATCH /api/sites/:domain': 'administer',
  'DELETE /api/sites/:domain': 'administer',
  'GET /api/sites': 'manageAny',
  'GET /api/keys': 'administer',
  'POST /api/keys': 'administer',
  'DELETE /api/keys/:id': 'administer',
  'GET /api/owners': 'administer',
  'POST /api/owners': 'administer',
  'PATCH /api/owners/:id': 'administer',
  'DELETE /api/owners/:id': 'administer',
  'POST /api/owners/:id/reset': 'administer',
  'GET /api/invitations': 'administer',
  'DELETE /api/invitations/:id': 'administer',
  'GET /metrics': 'administer',
  'GET /api/shares': 'manage',
  'POST /api/shares': 'manage',
  'DELETE /api/shares/:id': 'manageAny',
  'GET /api/partners': 'manage',
  'POST /api/partners': 'manage',
  'DELETE /api/partners/:id': 'manageAny',
  'PUT /api/v1/sites/goals': 'manage',
  'GET /api/v1/sites/goals': 'manage',
  'DELETE /api/v1/sites/goals/:id': 'manage',
  'POST /api/v2/query': 'read',
  'POST /api/v2/funnel': 'read',
  'GET /api/v1/stats/realtime/visitors': 'read',
  'GET /api/me': 'self',
  'POST /api/password': 'self',
  'GET /api/sessions': 'self',
  'DELETE /api/sessions/:id': 'self',
  'POST /api/sessions/end-others': 'self',
  // Pages are tried on their own below; the rest carry their own token or none.
  'GET /': 'open',
  'GET /settings': 'open',
  'OPTIONS /api/event': 'open',
  'POST /api/event': 'open',
  'GET /t.js': 'open',
  'GET /t.goals.js': 'open',
  'GET /unsubscribe/:token': 'open',
  'POST /unsubscribe/:token': 'open',
  'GET /api/setup': 'open',
  'POST /api/setup': 'open',
  'POST /api/login': 'open',
  'POST /api/logout': 'open',
  'GET /api/invitations/:token': 'open',
  'POST /api/invitations/:token': 'open',
  'GET /export/:token': 'open',
  'POST /share/:token/unlock': 'open',
  'GET /api/reset/:token': 'open',
  'POST /api/reset/:token': 'open',
  'GET /assets/*': 'open',
  'GET /share/:token': 'open',
  'GET /invite/:token': 'open',
  'GET /reset/:token': 'open',
  'GET /healthz': 'open',
  // exclusions: the owner's opt-out page and its script (issue 25)
  'GET /opt-out': 'open',
  'GET /opt-out.js': 'open',
  // two-factor login: one's own; the owners' rule and another user's reset are an owner's
  'GET /api/2fa': 'self',
  'POST /api/2fa/setup': 'self',
  'POST /api/2fa/confirm': 'self',
  'POST /api/2fa/disable': 'self',
  'GET /api/settings/2fa': 'self',
  'PUT /api/settings/2fa': 'administer',
  'DELETE /api/owners/:id/2fa': 'administer',
  'POST /api/login/2fa': 'open',
  'POST /api/login/2fa/cancel': 'open',
}

function ruleOf(route: string): Rule | undefined {
  if (/^\w+ \/api\/sites\/:domain\/./.test(route)) return 'manage'
  return RULES[route]
}

/** Whether `who` may call a route of `rule` on `site`, as README "Roles" says. */
function allowed(rule: Rule, who: Who, site: string): boolean {
  switch (rule) {
    case 'administer':
      return who === 'owner'
    case 'manage':
      return who === 'owner' || (who === 'admin' && site === A)
    case 'manageAny':
      return who !== 'viewer'
    case 'read':
      return who === 'owner' || site === A
    case 'self':
    case 'open':
      return true
  }
}

/** A body every route can take: the site under each name a route reads it by, and what the stats routes need. */
function bodyFor(route: string, site: string): Record<string, unknown> {
  if (route === 'POST /api/v2/query') return { site_id: site, metrics: ['visitors'], date_range: 'day' }
  if (route === 'POST /api/v2/funnel') return { site_id: site, funnel: 'none', date_range: 'day' }
  return { site, site_id: site }
}

let running: RunningSkaits
const cookies = {} as Record<Who, string>
/** a site only the owner's DELETE /api/sites/:domain removes (A and B stay for the rest) */
const GONE = 'gone.lv'

async function as(who: Who | undefined, method: string, path: string, body?: unknown) {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (who) headers.cookie = `skaits_session=${cookies[who]}`
  // A change sent with a session cookie must come from the dashboard's own origin (CSRF).
  if (method !== 'GET') headers.origin = running.url
  const res = await fetch(running.url + path, { method, headers, body: body === undefined || method === 'GET' ? undefined : JSON.stringify(body), redirect: 'manual' })
  const text = await res.text()
  let json: any
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: res.status, json, text }
}

async function login(email: string, password = PASSWORD): Promise<string> {
  const res = await fetch(`${running.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) })
  const session = /skaits_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1]
  if (!session) throw new Error(`login of ${email} failed: ${res.status}`)
  return session
}

async function addUser(email: string, role: Who, sites: string[] = []) {
  const r = await adminCall(running.url, 'POST', '/api/owners', { email, password: PASSWORD, role, sites })
  expect(r.status, JSON.stringify(r.json)).toBe(201)
  return r.json.owner as { id: string; email: string; role: Who; sites: string[] }
}

beforeAll(async () => {
  running = await startInProcess({ dataDir: tempDir(), timers: false })
  for (const domain of [A, B, GONE]) expect((await adminCall(running.url, 'POST', '/api/sites', { domain })).status).toBe(201)
  await addUser('owner@example.lv', 'owner')
  expect(await addUser('admin@example.lv', 'admin', [A])).toMatchObject({ role: 'admin', sites: [A] })
  expect(await addUser('viewer@example.lv', 'viewer', [A])).toMatchObject({ role: 'viewer', sites: [A] })
  for (const who of WHO) cookies[who] = await login(`${who}@example.lv`)
}, 120_000)
afterAll(() => running?.stop())

describe('roles: what each role reaches', () => {
  it('tries every route of the app with each role on site A and site B: allowed, or 403 with a message code', async () => {
    const routes = [...new Set(running.skaits.app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`))]
    const unruled = routes.filter((r) => ruleOf(r) === undefined)
    expect(unruled, `routes without a rule in roles.test.ts: ${unruled.join(', ')}`).toEqual([])
    const tried = routes.filter((r) => ruleOf(r) !== 'open')
    expect(tried.length).toBeGreaterThan(50)
    const refusals = new Set(['role_owners_only', 'role_viewer_reads', 'role_site_not_granted', 'cannot_read_site'])
    const wrong: string[] = []
    // The viewer and the admin first: the owner's DELETE /api/sites/:domain removes a site.
    for (const who of ['viewer', 'admin', 'owner'] as const) {
      for (const route of tried) {
        for (const site of [A, B]) {
          const [method, pattern] = route.split(' ') as [string, string]
          const onSite = who === 'owner' && route === 'DELETE /api/sites/:domain' ? GONE : site
          const path = pattern.replace(':domain', onSite).replace(/:\w+/g, 'x')
          const query = method === 'GET' || method === 'DELETE' ? `?${new URLSearchParams({ site: onSite, site_id: onSite })}` : ''
          const r = await as(who, method, path + query, bodyFor(route, onSite))
          const should = allowed(ruleOf(route)!, who, site)
          const ok = should ? r.status !== 401 && r.status !== 403 && r.status < 500 : r.status === 403 && refusals.has(r.json?.code)
          if (!ok) wrong.push(`${who} ${route} on ${site}: ${r.status} ${r.text.slice(0, 120)}`)
        }
      }
    }
    expect(wrong).toEqual([])
    expect((await adminCall(running.url, 'GET', '/api/sites')).json.map((s: { domain: string }) => s.domain)).toEqual([A, B, 'example.lv'])
  }, 120_000)

  it('refuses without credentials (401) and with a key or a shared link (403) as before', async () => {
    expect((await as(undefined, 'GET', `/api/sites/${A}/goals`)).status).toBe(401)
    const key = (await adminCall(running.url, 'POST', '/api/keys', { name: 'A only', sites: [A] })).json.key as string
    const bearer = (method: string, path: string, body?: unknown) =>
      fetch(running.url + path, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
    expect((await bearer('POST', '/api/v2/query', { site_id: A, metrics: ['visitors'], date_range: 'day' })).status).toBe(200)
    expect((await bearer('POST', '/api/v2/query', { site_id: B, metrics: ['visitors'], date_range: 'day' })).status).toBe(403)
    const refused = await bearer('GET', `/api/sites/${A}/goals`)
    expect(refused.status).toBe(403)
    expect(((await refused.json()) as { code: string }).code).toBe('read_only_credential')
    // The admin credentials are an owner's power.
    expect((await fetch(`${running.url}/api/keys`, { headers: { authorization: `Bearer ${API_KEY}` } })).status).toBe(200)
  })
})

describe('roles: listings and pages show only the granted sites', () => {
  it("lists an admin's sites, shared links and partner exports only; another site's are unknown to them", async () => {
    const shareA = (await adminCall(running.url, 'POST', '/api/shares', { site: A, name: 'for A' })).json
    const shareB = (await adminCall(running.url, 'POST', '/api/shares', { site: B, name: 'for B' })).json
    const partnerB = (await adminCall(running.url, 'POST', '/api/partners', { site: B, name: 'partner of B' })).json
    expect(partnerB.id).toBeTruthy()

    expect((await as('admin', 'GET', '/api/sites')).json.map((s: { domain: string }) => s.domain)).toEqual([A])
    const shares = (await as('admin', 'GET', '/api/shares')).json as { id: string; site: string }[]
    expect(shares.map((s) => s.id)).toContain(shareA.id)
    expect(shares.every((s) => s.site === A)).toBe(true)
    expect(((await as('admin', 'GET', '/api/partners')).json as { site: string }[]).every((p) => p.site === A)).toBe(true)

    const notTheirs = await as('admin', 'DELETE', `/api/shares/${shareB.id}`)
    expect(notTheirs.status).toBe(404)
    expect(notTheirs.json.code).toBe('share_not_found')
    expect((await as('admin', 'DELETE', `/api/partners/${partnerB.id}`)).status).toBe(404)
    expect((await adminCall(running.url, 'GET', `/api/shares?site=${B}`)).json.map((s: { id: string }) => s.id)).toContain(shareB.id)
    expect((await as('admin', 'DELETE', `/api/shares/${shareA.id}`)).status).toBe(200)

    // A site outside their reach is refused before it is looked up: unknown or not, the same 403.
    const unknown = await as('admin', 'GET', '/api/sites/nowhere.lv/goals')
    expect(unknown.status).toBe(403)
    expect(unknown.json).toMatchObject({ code: 'role_site_not_granted', params: { domain: 'nowhere.lv' } })
    expect((await as('owner', 'GET', '/api/sites/nowhere.lv/goals')).status).toBe(404)
  })

  it("boots the dashboard with the user's role and granted sites; a viewer's /settings is a 403 page", async () => {
    const boot = (html: string) => JSON.parse(/<meta name="skaits-boot" content="([^"]*)"/.exec(html)![1]!.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n))))
    const built = (await as('viewer', 'GET', '/')).text.includes('skaits-boot')
    for (const who of WHO) {
      const page = await as(who, 'GET', '/')
      expect(page.status).toBe(200)
      // Built, the boot data lists the sites; not built, the plain page does: either way B only for the owner.
      expect(page.text).toContain(A)
      expect(page.text.includes(B), who).toBe(who === 'owner')
      if (!built) continue
      const b = boot(page.text)
      expect(b.role).toBe(who)
      expect(b.sites.map((s: { domain: string }) => s.domain)).toEqual(who === 'owner' ? [A, B, 'example.lv'] : [A])
    }
    const viewerSettings = await as('viewer', 'GET', '/settings?lang=lv')
    expect(viewerSettings.status).toBe(403)
    expect(viewerSettings.text).toContain('Iestatījumi skatītājiem nav pieejami')
    expect(viewerSettings.text).not.toContain(B)
    expect((await as('admin', 'GET', '/settings')).status).toBe(200)
    expect((await as('admin', 'GET', '/settings')).text).not.toContain(B)
  })
})

describe('roles: invitations and changes of role', () => {
  it('invites with a role and sites; accepting gives exactly that', async () => {
    const made = await as('owner', 'POST', '/api/owners', { email: 'invited@example.lv', role: 'viewer', sites: [B] })
    expect(made.status).toBe(201)
    expect(made.json.invitation).toMatchObject({ email: 'invited@example.lv', role: 'viewer', sites: [B] })
    const token = made.json.invitation.token as string
    expect((await as(undefined, 'GET', `/api/invitations/${token}`)).json).toEqual({ email: 'invited@example.lv', role: 'viewer', sites: [B] })
    // The page the e-mailed link opens says what accepting gives, in the reader's language.
    expect((await as(undefined, 'GET', `/invite/${token}?lang=en`)).text).toContain(`You are invited as viewer of: ${B}`)
    expect((await as(undefined, 'GET', `/invite/${token}?lang=lv`)).text).toContain(`Jūs esat uzaicināts kā skatītājs vietnēm: ${B}`)
    expect((await as('owner', 'GET', '/api/invitations')).json).toEqual(
      expect.arrayContaining([expect.objectContaining({ email: 'invited@example.lv', role: 'viewer', sites: [B] })]),
    )
    const accepted = await fetch(`${running.url}/api/invitations/${token}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: PASSWORD }) })
    expect(accepted.status).toBe(201)
    const session = /skaits_session=([^;]+)/.exec(accepted.headers.get('set-cookie') ?? '')![1]!
    const me = await fetch(`${running.url}/api/me`, { headers: { cookie: `skaits_session=${session}` } })
    expect(await me.json()).toMatchObject({ email: 'invited@example.lv', role: 'viewer', sites: [B] })
    const read = (site: string) =>
      fetch(`${running.url}/api/v2/query`, {
        method: 'POST',
        headers: { cookie: `skaits_session=${session}`, 'content-type': 'application/json', origin: running.url },
        body: JSON.stringify({ site_id: site, metrics: ['visitors'], date_range: 'day' }),
      }).then((r) => r.status)
    expect(await read(B)).toBe(200)
    expect(await read(A)).toBe(403)
  })

  it('refuses an unknown role, an admin or a viewer without sites, and sites that do not exist', async () => {
    const add = (body: unknown) => as('owner', 'POST', '/api/owners', body)
    expect((await add({ email: 'x@example.lv', role: 'superuser' })).json).toMatchObject({ code: 'role_unknown' })
    expect((await add({ email: 'x@example.lv', role: 'admin' })).json).toMatchObject({ code: 'role_needs_sites' })
    const missing = await add({ email: 'x@example.lv', role: 'viewer', sites: ['nowhere.lv'] })
    expect(missing.status).toBe(404)
    expect(missing.json.code).toBe('site_not_found')
    // An owner's sites are all: any listed are dropped.
    const owner = await adminCall(running.url, 'POST', '/api/owners', { email: 'second-owner@example.lv', password: PASSWORD, role: 'owner', sites: [A] })
    expect(owner.json.owner).toMatchObject({ role: 'owner', sites: [] })
  })

  it("changes a user's role and sites, effective on their next request", async () => {
    const users = (await as('owner', 'GET', '/api/owners')).json as { id: string; email: string }[]
    const viewer = users.find((u) => u.email === 'viewer@example.lv')!
    expect((await as('viewer', 'GET', `/api/sites/${B}/goals`)).status).toBe(403)
    const changed = await as('owner', 'PATCH', `/api/owners/${viewer.id}`, { role: 'admin', sites: [A, B] })
    expect(changed.status).toBe(200)
    expect(changed.json).toMatchObject({ email: 'viewer@example.lv', role: 'admin', sites: [A, B] })
    expect((await as('viewer', 'GET', `/api/sites/${B}/goals`)).status).toBe(200)
    // Only the sites: the role stays.
    expect((await as('owner', 'PATCH', '/api/owners/viewer@example.lv', { sites: [A] })).json).toMatchObject({ role: 'admin', sites: [A] })
    expect((await as('viewer', 'GET', `/api/sites/${B}/goals`)).status).toBe(403)
    expect((await as('owner', 'PATCH', `/api/owners/${viewer.id}`, { role: 'viewer' })).json).toMatchObject({ role: 'viewer', sites: [A] })
    expect((await as('viewer', 'GET', `/api/sites/${A}/goals`)).json.code).toBe('role_viewer_reads')
    // An admin cannot give themself more.
    expect((await as('admin', 'PATCH', '/api/owners/admin@example.lv', { role: 'owner' })).status).toBe(403)
  })

  it('never demotes or removes the last owner', async () => {
    const call = (method: string, path: string, body?: unknown) => adminCall(running.url, method, path, body)
    const owners = async () => ((await call('GET', '/api/owners')).json as { email: string; role: string }[]).filter((u) => u.role === 'owner').map((u) => u.email)
    for (const email of await owners()) if (email !== 'owner@example.lv') expect((await call('DELETE', `/api/owners/${email}`)).status).toBe(200)
    expect(await owners()).toEqual(['owner@example.lv'])
    const demote = await call('PATCH', '/api/owners/owner@example.lv', { role: 'admin', sites: [A] })
    expect(demote.status).toBe(409)
    expect(demote.json.code).toBe('last_owner_role')
    const remove = await call('DELETE', '/api/owners/owner@example.lv')
    expect(remove.status).toBe(409)
    expect(remove.json.code).toBe('last_owner')
    // Nor themself, from the dashboard; admins and viewers beside them do not count as owners.
    expect((await as('owner', 'PATCH', '/api/owners/owner@example.lv', { role: 'viewer', sites: [A] })).status).toBe(409)
    expect((await as('owner', 'GET', '/api/me')).json.role).toBe('owner')
    // With a second owner, the first may step down, and the second is then the last.
    expect((await call('PATCH', '/api/owners/admin@example.lv', { role: 'owner' })).json).toMatchObject({ role: 'owner', sites: [] })
    expect((await call('PATCH', '/api/owners/owner@example.lv', { role: 'viewer', sites: [A] })).status).toBe(200)
    expect((await as('owner', 'GET', '/api/keys')).json.code).toBe('role_owners_only')
    expect((await call('DELETE', '/api/owners/admin@example.lv')).status).toBe(409)
    expect((await call('PATCH', '/api/owners/owner@example.lv', { role: 'owner' })).status).toBe(200)
    expect((await call('PATCH', '/api/owners/admin@example.lv', { role: 'admin', sites: [A] })).status).toBe(200)
  })

  it("carries a renamed site's grants and drops a removed one's", async () => {
    expect((await adminCall(running.url, 'POST', '/api/sites', { domain: 'old.lv' })).status).toBe(201)
    await addUser('renamed@example.lv', 'admin', ['old.lv', A])
    const pending = (await adminCall(running.url, 'POST', '/api/owners', { email: 'pending@example.lv', role: 'viewer', sites: ['old.lv'] })).json.invitation
    expect((await adminCall(running.url, 'PATCH', '/api/sites/old.lv', { domain: 'new.lv' })).status).toBe(200)
    const user = () => adminCall(running.url, 'GET', '/api/owners').then((r) => r.json.find((u: { email: string }) => u.email === 'renamed@example.lv'))
    expect((await user()).sites).toEqual([A, 'new.lv'])
    expect((await as(undefined, 'GET', `/api/invitations/${pending.token}`)).json.sites).toEqual(['new.lv'])
    expect((await adminCall(running.url, 'DELETE', '/api/sites/new.lv')).status).toBe(200)
    expect((await user()).sites).toEqual([A])
  })
})
