import { readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LOCAL_TOKEN_FILE } from '../../server/auth/local-token.ts'
import { SETUP_TOKEN_FILE } from '../../server/auth/setup-token.ts'
import { num, queryRows } from '../../server/db/client.ts'
import { API_KEY, sendEvent, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

// Access control through the real app, the real embedded ClickHouse and real HTTP.
// Node's fetch keeps no cookies: every test reads `set-cookie` and sends `cookie` itself.

const HOUR = 3_600_000
// Sessions last SESSION_DAYS = 1 here; the expiry test moves the clock 25 h. Starting 12 h
// back keeps the fake clock within a day of the real one (ClickHouse TTLs use the real clock).
let now = Date.now() - 12 * HOUR
const clock = () => now

let server: RunningSkaits

interface Reply {
  status: number
  headers: Headers
  text: string
  json: any
  cookies: string[]
}

interface CallOptions {
  /** sent as JSON */
  body?: unknown
  /** sent as application/x-www-form-urlencoded */
  form?: Record<string, string>
  /** `name=value` */
  cookie?: string
  /** `true`: the server's own origin */
  origin?: string | true
  bearer?: string
  /** X-Forwarded-For (TRUST_PROXY=1): picks the network the login limiter sees */
  ip?: string
  headers?: Record<string, string>
}

async function call(method: string, url: string, o: CallOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = {}
  let body: string | undefined
  if (o.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded'
    body = new URLSearchParams(o.form).toString()
  } else if (o.body !== undefined) {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(o.body)
  }
  if (o.cookie) headers.cookie = o.cookie
  if (o.origin) headers.origin = o.origin === true ? server.url : o.origin
  if (o.bearer) headers.authorization = `Bearer ${o.bearer}`
  if (o.ip) headers['x-forwarded-for'] = o.ip
  Object.assign(headers, o.headers)
  const res = await fetch(server.url + url, { method, headers, body, redirect: 'manual' })
  const text = await res.text()
  let json: any
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: res.status, headers: res.headers, text, json, cookies: res.headers.getSetCookie() }
}

interface SetCookie {
  value: string
  /** attribute name (lower case) → value ('' for flags) */
  attrs: Map<string, string>
}

function setCookie(r: Reply, name: string): SetCookie | undefined {
  const raw = r.cookies.find((c) => c.startsWith(`${name}=`))
  if (!raw) return undefined
  const [pair = '', ...rest] = raw.split(';').map((s) => s.trim())
  const attrs = new Map(
    rest.map((a) => {
      const eq = a.indexOf('=')
      return eq < 0 ? [a.toLowerCase(), ''] : [a.slice(0, eq).toLowerCase(), a.slice(eq + 1)]
    }),
  )
  return { value: pair.slice(name.length + 1), attrs }
}

/** Every secret the tests saw: none may appear in the server log. */
const secrets = new Set<string>()
const remember = <T extends string>(s: T): T => (secrets.add(s), s)

/** A fresh /24 per call, so the per-network login limiter of one test never touches another. */
let network = 0
const freshIp = () => `10.77.${++network}.1`

/** Logs in; `session` is the cookie to send back (`skaits_session=…`), when one was set. */
async function login(email: string, password: string, ip = freshIp(), headers: Record<string, string> = {}) {
  const r = await call('POST', '/api/login', { body: { email, password }, ip, headers })
  const c = setCookie(r, 'skaits_session')
  if (c?.value) remember(c.value)
  return { ...r, session: c?.value ? `skaits_session=${c.value}` : undefined }
}

const admin = { bearer: API_KEY }
const stats = (site: string, auth: CallOptions) =>
  call('POST', '/api/v2/query', { body: { site_id: site, metrics: ['pageviews'], date_range: 'day' }, ...auth })

/** The one-time setup token a fresh instance wrote to its DATA_DIR (test/integration/setup-token.test.ts tests it). */
const setupTokenIn = (dataDir: string) => remember(readFileSync(path.join(dataDir, SETUP_TOKEN_FILE), 'utf8').trim())

const OWNER = 'owner@example.lv'
const OWNER_PASSWORD = remember('first owner passphrase')

describe('access control (one server instance)', () => {
  let dataDir: string
  beforeAll(async () => {
    dataDir = tempDir()
    server = await startInProcess({ dataDir, clock, env: { SESSION_DAYS: '1', TRUST_PROXY: '1' } })
  })
  afterAll(async () => {
    await server?.stop()
  })

  describe('first run', () => {
    it('asks for setup, shows the setup form, refuses a weak password', async () => {
      expect((await call('GET', '/api/setup')).json).toEqual({ needed: true })
      const page = await call('GET', '/')
      expect(page.status).toBe(200)
      expect(page.headers.get('content-type')).toMatch(/^text\/html/)
      expect(page.text).toContain('<form method="post" action="/api/setup">')
      expect(page.text).toContain('name="email"')
      expect(page.text).toContain('name="password"')
      expect(page.text).toContain('name="setup_token"')

      const setup_token = setupTokenIn(dataDir)
      const weak = await call('POST', '/api/setup', { body: { setup_token, email: OWNER, password: remember('short1') } })
      expect(weak.status).toBe(400)
      expect(weak.json).toMatchObject({ error: 'Use at least 10 characters.', code: 'password_too_short', params: { n: 10 } })
      expect(weak.cookies).toEqual([])
      const obvious = await call('POST', '/api/setup', { body: { setup_token, email: OWNER, password: remember('Password123') } })
      expect(obvious.status).toBe(400)
      expect(obvious.json.error).toMatch(/too easy to guess/)
      const missing = await call('POST', '/api/setup', { body: { setup_token, email: OWNER } })
      expect(missing.status).toBe(400)
      expect(missing.json).toMatchObject({ error: 'send an email and a password' })
      expect((await call('GET', '/api/setup')).json).toEqual({ needed: true })
    })

    it('creates the first owner with an HttpOnly, SameSite=Lax session cookie, not Secure over http', async () => {
      const r = await call('POST', '/api/setup', { body: { setup_token: setupTokenIn(dataDir), email: ` ${OWNER.toUpperCase()} `, password: OWNER_PASSWORD } })
      expect(r.status).toBe(201)
      expect(r.json).toEqual({ owner: { id: expect.any(String), email: OWNER } })
      const c = setCookie(r, 'skaits_session')!
      expect(c.value).toMatch(/^ss_[A-Za-z0-9_-]{43}$/)
      remember(c.value)
      expect(c.attrs.has('httponly')).toBe(true)
      expect(c.attrs.get('samesite')).toBe('Lax')
      expect(c.attrs.get('path')).toBe('/')
      expect(c.attrs.has('secure')).toBe(false)
      // SESSION_DAYS = 1: the cookie expires with the session, a day from the (fake) now.
      expect(Math.abs(Date.parse(c.attrs.get('expires')!) - (now + 24 * HOUR))).toBeLessThan(2000)

      const session = `skaits_session=${c.value}`
      expect((await call('GET', '/api/me', { cookie: session })).json).toEqual({ id: r.json.owner.id, email: OWNER, role: 'owner', sites: [] })
      expect((await call('GET', '/api/setup')).json).toEqual({ needed: false })
      const home = await call('GET', '/', { cookie: session })
      expect(home.text).toContain(`Logged in as ${OWNER}`)
      expect(home.text).toContain('<li>example.lv</li>')
      const anonymous = await call('GET', '/')
      expect(anonymous.text).toContain('<form method="post" action="/api/login">')
      expect(anonymous.text).not.toContain('/api/setup')
    })

    it('refuses a second setup', async () => {
      const r = await call('POST', '/api/setup', { body: { email: 'late@example.lv', password: remember('another good one') } })
      expect(r.status).toBe(409)
      expect(r.json).toMatchObject({ error: 'setup is done: log in instead' })
      expect(r.cookies).toEqual([])
    })

    it('marks the cookie Secure (and names it __Host-) behind a trusted proxy that says https', async () => {
      const r = await login(OWNER, OWNER_PASSWORD, freshIp(), { 'x-forwarded-proto': 'https' })
      expect(r.status).toBe(200)
      expect(setCookie(r, 'skaits_session')).toBeUndefined()
      const c = setCookie(r, '__Host-skaits_session')!
      remember(c.value)
      expect(c.attrs.has('secure')).toBe(true)
      expect(c.attrs.has('httponly')).toBe(true)
      expect(c.attrs.get('samesite')).toBe('Lax')
    })
  })

  describe('login and logout', () => {
    it('answers a wrong password exactly like an unknown email', async () => {
      const wrong = await login(OWNER, remember('not the password'))
      const unknown = await login('nobody@example.lv', OWNER_PASSWORD)
      expect(wrong.status).toBe(401)
      expect(unknown.status).toBe(401)
      expect(wrong.json).toMatchObject({ error: 'wrong email or password', code: 'login_failed' })
      expect(unknown.json).toEqual(wrong.json)
      expect(wrong.cookies).toEqual([])
      expect(unknown.cookies).toEqual([])
      const malformed = await call('POST', '/api/login', { body: { email: OWNER } })
      expect(malformed.status).toBe(400)
      expect(malformed.json).toMatchObject({ error: 'send an email and a password' })
    })

    it('logs in, knows who is logged in, and logs out for good', async () => {
      const r = await login(OWNER, OWNER_PASSWORD)
      expect(r.status).toBe(200)
      expect(r.json).toEqual({ owner: { id: expect.any(String), email: OWNER } })
      const me = await call('GET', '/api/me', { cookie: r.session })
      expect(me.status).toBe(200)
      expect(me.json).toEqual({ id: r.json.owner.id, email: OWNER, role: 'owner', sites: [] })
      expect((await call('GET', '/api/me')).status).toBe(401)
      expect((await call('GET', '/api/me', { cookie: 'skaits_session=ss_forged' })).status).toBe(401)

      // Logging out changes state: from a cookie it needs our Origin.
      const csrf = await call('POST', '/api/logout', { cookie: r.session })
      expect(csrf.status).toBe(403)
      expect((await call('GET', '/api/me', { cookie: r.session })).status).toBe(200)

      const out = await call('POST', '/api/logout', { cookie: r.session, origin: true })
      expect(out.status).toBe(200)
      expect(out.json).toEqual({ ok: true })
      const cleared = setCookie(out, 'skaits_session')!
      expect(cleared.value).toBe('')
      expect(cleared.attrs.get('max-age')).toBe('0')
      const after = await call('GET', '/api/me', { cookie: r.session })
      expect(after.status).toBe(401)
      expect(after.json).toMatchObject({ error: 'not logged in' })
      expect((await call('GET', '/', { cookie: r.session })).text).toContain('action="/api/login"')
    })

    it('logs in from an HTML form with a 303 redirect to /', async () => {
      const r = await call('POST', '/api/login', { form: { email: OWNER, password: OWNER_PASSWORD }, ip: freshIp() })
      expect(r.status).toBe(303)
      expect(r.headers.get('location')).toBe('/')
      const c = setCookie(r, 'skaits_session')!
      remember(c.value)
      expect((await call('GET', '/api/me', { cookie: `skaits_session=${c.value}` })).json.email).toBe(OWNER)
    })
  })

  describe('login rate limits', () => {
    it('locks an account after 5 failures, even for the right password and from another network', async () => {
      const email = 'locked@example.lv'
      const password = remember('locked account pass')
      expect((await call('POST', '/api/owners', { ...admin, body: { email, password } })).status).toBe(201)
      const ip = freshIp()
      for (let i = 0; i < 5; i++) {
        const r = await login(email, remember(`wrong guess ${i}`), ip)
        expect(r.status, `attempt ${i + 1}`).toBe(401)
      }
      const limited = await login(email, remember('wrong guess 5'), ip)
      expect(limited.status).toBe(429)
      expect(limited.json).toMatchObject({ error: 'too many failed logins; try again later' })
      // The window is 15 minutes from the first failure; the fake clock has not moved.
      expect(limited.headers.get('retry-after')).toBe('900')
      const right = await login(email, password, ip)
      expect(right.status).toBe(429)
      expect(right.cookies).toEqual([])
      expect((await login(email, password, freshIp())).status).toBe(429)
      // Other accounts on that network are not affected (5 failures are far from the network's 20).
      expect((await login(OWNER, OWNER_PASSWORD, ip)).status).toBe(200)

      now += 15 * 60_000 + 1000
      const later = await login(email, password, ip)
      expect(later.status).toBe(200)
      expect(later.session).toBeDefined()
    })

    it('limits a /24 network after 20 failures on any accounts; another network is not limited', async () => {
      const net = ++network
      for (let i = 1; i <= 20; i++) {
        const r = await login(`guess${i}@example.lv`, remember(`network guess ${i}`), `10.77.${net}.${i}`)
        expect(r.status, `attempt ${i}`).toBe(401)
      }
      const limited = await login('guess21@example.lv', remember('network guess 21'), `10.77.${net}.200`)
      expect(limited.status).toBe(429)
      expect(limited.json).toMatchObject({ error: 'too many failed logins; try again later' })
      expect(limited.headers.get('retry-after')).toBe('900')
      // Even a right password is refused from that network …
      expect((await login(OWNER, OWNER_PASSWORD, `10.77.${net}.201`)).status).toBe(429)
      // … while the neighbouring /24 is another network.
      const elsewhere = await login(OWNER, OWNER_PASSWORD, `10.77.${++network}.1`)
      expect(elsewhere.status).toBe(200)
      const wrongElsewhere = await login('guess22@example.lv', remember('network guess 22'), `10.77.${network}.2`)
      expect(wrongElsewhere.status).toBe(401)
    })
  })

  describe('CSRF', () => {
    let session: string
    beforeAll(async () => {
      session = (await login(OWNER, OWNER_PASSWORD)).session!
    })

    it('refuses cookie-authenticated writes without our Origin', async () => {
      const none = await call('POST', '/api/keys', { cookie: session, body: { name: 'csrf' } })
      expect(none.status).toBe(403)
      expect(none.json.error).toMatch(/cross-site request refused/)
      const foreign = await call('POST', '/api/keys', { cookie: session, origin: 'https://evil.example', body: { name: 'csrf' } })
      expect(foreign.status).toBe(403)
      const nullOrigin = await call('POST', '/api/keys', { cookie: session, origin: 'null', body: { name: 'csrf' } })
      expect(nullOrigin.status).toBe(403)
      // Same host, other scheme: not our origin either.
      const https = await call('POST', '/api/keys', { cookie: session, origin: server.url.replace('http:', 'https:'), body: { name: 'csrf' } })
      expect(https.status).toBe(403)
      const crossSite = await call('POST', '/api/keys', { cookie: session, headers: { 'sec-fetch-site': 'cross-site' }, body: { name: 'csrf' } })
      expect(crossSite.status).toBe(403)
      // Nothing was created by the refused requests.
      expect((await call('GET', '/api/keys', admin)).json).toEqual([])
    })

    it('accepts them from our Origin, and Bearer requests need no Origin', async () => {
      const own = await call('POST', '/api/keys', { cookie: session, origin: true, body: { name: 'from the dashboard' } })
      expect(own.status).toBe(201)
      expect(own.json.key).toMatch(/^sk_/)
      remember(own.json.key)
      const fetchMeta = await call('POST', '/api/keys', { cookie: session, headers: { 'sec-fetch-site': 'same-origin' }, body: { name: 'same-origin' } })
      expect(fetchMeta.status).toBe(201)
      remember(fetchMeta.json.key)
      const bearer = await call('POST', '/api/keys', { ...admin, body: { name: 'from a script' } })
      expect(bearer.status).toBe(201)
      remember(bearer.json.key)
      // Reads by cookie need no Origin.
      expect((await call('GET', '/api/keys', { cookie: session })).status).toBe(200)
      for (const k of [own, fetchMeta, bearer]) expect((await call('DELETE', `/api/keys/${k.json.id}`, admin)).status).toBe(200)
    })
  })

  describe('password change', () => {
    const email = 'pw@example.lv'
    const first = remember('first password here')
    const second = remember('second password here')

    it('checks the current password and the policy, then ends the other sessions only', async () => {
      expect((await call('POST', '/api/owners', { ...admin, body: { email, password: first } })).status).toBe(201)
      const a = (await login(email, first)).session!
      const b = (await login(email, first)).session!
      expect(a).not.toBe(b)

      const anonymous = await call('POST', '/api/password', { body: { current: first, next: second } })
      expect(anonymous.status).toBe(401)
      const csrf = await call('POST', '/api/password', { cookie: a, body: { current: first, next: second } })
      expect(csrf.status).toBe(403)
      const wrong = await call('POST', '/api/password', { cookie: a, origin: true, body: { current: remember('not my password'), next: second } })
      expect(wrong.status).toBe(403)
      expect(wrong.json).toMatchObject({ error: 'the current password is wrong' })
      const weak = await call('POST', '/api/password', { cookie: a, origin: true, body: { current: first, next: remember('tiny') } })
      expect(weak.status).toBe(400)
      expect(weak.json).toMatchObject({ error: 'Use at least 10 characters.', code: 'password_too_short', params: { n: 10 } })
      // Neither refusal changed anything.
      expect((await call('GET', '/api/me', { cookie: b })).status).toBe(200)

      const ok = await call('POST', '/api/password', { cookie: a, origin: true, body: { current: first, next: second } })
      expect(ok.status).toBe(200)
      expect(ok.json).toEqual({ ok: true, note: 'your other sessions were logged out' })
      expect((await call('GET', '/api/me', { cookie: a })).json.email).toBe(email)
      expect((await call('GET', '/api/me', { cookie: b })).status).toBe(401)

      expect((await login(email, first)).status).toBe(401)
      const again = await login(email, second)
      expect(again.status).toBe(200)
      expect((await call('GET', '/api/me', { cookie: again.session })).json.email).toBe(email)
    })
  })

  describe('invitations', () => {
    let session: string
    let token: string
    const password = remember('invited owner pass')
    beforeAll(async () => {
      session = (await login(OWNER, OWNER_PASSWORD)).session!
    })

    it('invites by email and shows the invitation page', async () => {
      const r = await call('POST', '/api/owners', { cookie: session, origin: true, body: { email: 'B@Example.lv' } })
      expect(r.status).toBe(201)
      token = remember(r.json.invitation.token)
      expect(token).toMatch(/^inv_[A-Za-z0-9_-]{43}$/)
      expect(r.json).toEqual({
        invitation: { email: 'b@example.lv', role: 'owner', sites: [], token, path: `/invite/${token}`, expires_at: new Date(now + 7 * 24 * HOUR).toISOString() },
      })
      expect(await call('GET', `/api/invitations/${token}`).then((x) => x.json)).toEqual({ email: 'b@example.lv', role: 'owner', sites: [] })
      const page = await call('GET', r.json.invitation.path)
      expect(page.status).toBe(200)
      expect(page.text).toContain(`<form method="post" action="/api/invitations/${token}">`)
      expect(page.text).toContain('b@example.lv')
      expect((await call('GET', '/invite/inv_mistyped')).status).toBe(404)
      const existing = await call('POST', '/api/owners', { ...admin, body: { email: OWNER } })
      expect(existing.status).toBe(409)
    })

    it('accepts once with a good password and logs the new owner in', async () => {
      const weak = await call('POST', `/api/invitations/${token}`, { body: { password: remember('weak') } })
      expect(weak.status).toBe(400)
      expect(weak.json).toMatchObject({ error: 'Use at least 10 characters.', code: 'password_too_short', params: { n: 10 } })

      const r = await call('POST', `/api/invitations/${token}`, { body: { password } })
      expect(r.status).toBe(201)
      expect(r.json).toEqual({ owner: { id: expect.any(String), email: 'b@example.lv' } })
      const c = setCookie(r, 'skaits_session')!
      remember(c.value)
      expect((await call('GET', '/api/me', { cookie: `skaits_session=${c.value}` })).json.email).toBe('b@example.lv')
      expect((await login('b@example.lv', password)).status).toBe(200)

      const again = await call('POST', `/api/invitations/${token}`, { body: { password: remember('yet another pass') } })
      expect(again.status).toBe(404)
      expect(again.json).toMatchObject({ error: 'this invitation is not valid (used, revoked or expired)' })
      expect((await call('GET', `/invite/${token}`)).status).toBe(404)
      expect((await call('GET', `/api/invitations/${token}`)).status).toBe(404)
    })

    it('lists owners without any hash', async () => {
      const r = await call('GET', '/api/owners', { cookie: session })
      expect(r.status).toBe(200)
      const emails = (r.json as { email: string }[]).map((o) => o.email)
      expect(emails).toContain(OWNER)
      expect(emails).toContain('b@example.lv')
      for (const o of r.json) expect(Object.keys(o).sort()).toEqual(['created_at', 'email', 'id', 'role', 'sites'])
      expect(r.text).not.toMatch(/scrypt|hash|password/i)
    })
  })

  describe('API keys', () => {
    it('shows a key once, lists keys without it, and the key reads statistics until revoked', async () => {
      const r = await call('POST', '/api/keys', { ...admin, body: { name: 'reporting' } })
      expect(r.status).toBe(201)
      const key = remember(r.json.key as string)
      expect(key).toMatch(/^sk_[A-Za-z0-9_-]{43}$/)
      expect(r.json).toEqual({ id: expect.any(String), name: 'reporting', sites: [], public: false, min_crowd: null, created_at: new Date(now).toISOString(), key })

      const list = await call('GET', '/api/keys', admin)
      expect(list.status).toBe(200)
      expect(list.json).toEqual([{ id: r.json.id, name: 'reporting', sites: [], public: false, min_crowd: null, created_at: r.json.created_at }])
      expect(list.text).not.toContain(key)
      expect(list.text).not.toMatch(/[0-9a-f]{64}|hash/i)

      const read = await stats('example.lv', { bearer: key })
      expect(read.status).toBe(200)
      expect(read.json.results).toEqual(expect.any(Array))

      const revoked = await call('DELETE', `/api/keys/${r.json.id}`, admin)
      expect(revoked.status).toBe(200)
      expect(revoked.json).toEqual({ id: r.json.id, name: 'reporting', sites: [], public: false, min_crowd: null, created_at: r.json.created_at })
      const refused = await stats('example.lv', { bearer: key })
      expect(refused.status).toBe(401)
      expect((await call('DELETE', `/api/keys/${r.json.id}`, admin)).status).toBe(404)
      expect((await call('GET', '/api/keys', admin)).json).toEqual([])
    })

    it('limits a key to its sites and never lets it manage', async () => {
      const other = await call('POST', '/api/sites', { ...admin, body: { domain: 'other.lv' } })
      expect(other.status).toBe(201)
      const r = await call('POST', '/api/keys', { ...admin, body: { name: 'one site', sites: ['example.lv'] } })
      expect(r.status).toBe(201)
      expect(r.json.sites).toEqual(['example.lv'])
      const key = remember(r.json.key as string)
      expect((await stats('example.lv', { bearer: key })).status).toBe(200)
      const refused = await stats('other.lv', { bearer: key })
      expect(refused.status).toBe(403)
      expect(refused.json).toMatchObject({ error: 'this credential cannot read other.lv' })

      for (const [method, url, body] of [
        ['POST', '/api/sites', { domain: 'bykey.lv' }],
        ['GET', '/api/keys', undefined],
        ['POST', '/api/keys', { name: 'escalate' }],
        ['GET', '/api/owners', undefined],
      ] as const) {
        const res = await call(method, url, { bearer: key, body })
        expect(res.status, `${method} ${url}`).toBe(403)
        expect(res.json).toMatchObject({ error: 'this credential can only read statistics' })
      }
      expect((await call('GET', '/api/sites', admin)).json.map((s: { domain: string }) => s.domain)).not.toContain('bykey.lv')

      const unknown = await call('POST', '/api/keys', { ...admin, body: { name: 'nowhere', sites: ['nowhere.lv'] } })
      expect(unknown.status).toBe(404)
      expect(unknown.json).toMatchObject({ error: 'no site nowhere.lv', code: 'site_not_found', params: { domain: 'nowhere.lv' } })
      const nameless = await call('POST', '/api/keys', { ...admin, body: { name: ' ' } })
      expect(nameless.status).toBe(400)
      const anonymous = await call('POST', '/api/keys', { body: { name: 'anon' } })
      expect(anonymous.status).toBe(401)
      expect((await stats('example.lv', { bearer: 'sk_forged' })).status).toBe(401)
      expect((await stats('example.lv', {})).status).toBe(401)
    })
  })

  describe('shared links', () => {
    it('reads its own site only, writes nothing, and stops at revocation', async () => {
      const r = await call('POST', '/api/shares', { ...admin, body: { site: 'example.lv' } })
      expect(r.status).toBe(201)
      const token = remember(r.json.token as string)
      expect(token).toMatch(/^sh_[A-Za-z0-9_-]{43}$/)
      expect(r.json).toEqual({
        id: expect.any(String),
        site: 'example.lv',
        name: 'example.lv',
        password: false,
        min_crowd: 5,
        goals: false,
        created_at: new Date(now).toISOString(),
        token,
        path: `/share/${token}`,
      })
      const list = await call('GET', '/api/shares?site=example.lv', admin)
      expect(list.json).toHaveLength(1)
      expect(list.text).not.toContain(token)
      expect(list.text).not.toMatch(/[0-9a-f]{64}|hash/i)

      expect((await stats('example.lv', { bearer: token })).status).toBe(200)
      const other = await stats('other.lv', { bearer: token })
      expect(other.status).toBe(403)
      expect(other.json).toMatchObject({ error: 'this credential cannot read other.lv' })

      const writes: [string, string, unknown][] = [
        ['POST', '/api/sites', { domain: 'byshare.lv' }],
        ['POST', '/api/keys', { name: 'escalate' }],
        ['PUT', '/api/sites/example.lv/sections', { rules: [{ match: '/**', section: 'All' }] }],
        ['DELETE', `/api/shares/${r.json.id}`, undefined],
        ['POST', '/api/shares', { site: 'other.lv' }],
        ['POST', '/api/owners', { email: 'share@example.lv' }],
      ]
      for (const [method, url, body] of writes) {
        const res = await call(method, url, { bearer: token, body })
        expect(res.status, `${method} ${url}`).toBe(403)
        expect(res.json).toMatchObject({ error: 'this credential can only read statistics' })
      }

      const page = await call('GET', r.json.path)
      expect(page.status).toBe(200)
      expect(page.headers.get('content-type')).toMatch(/^text\/html/)
      expect(page.text).toContain('Read-only statistics of example.lv')

      const revoked = await call('DELETE', `/api/shares/${r.json.id}`, admin)
      expect(revoked.status).toBe(200)
      expect(revoked.json.id).toBe(r.json.id)
      expect((await stats('example.lv', { bearer: token })).status).toBe(401)
      const gone = await call('GET', r.json.path)
      expect(gone.status).toBe(404)
      expect(gone.text).toContain('not valid')
    })

    it('needs its password before anything, then a cookie reads its site only', async () => {
      const password = remember('share secret 42')
      const weak = await call('POST', '/api/shares', { ...admin, body: { site: 'example.lv', password: remember('q#7') } })
      expect(weak.status).toBe(400)
      const r = await call('POST', '/api/shares', { ...admin, body: { site: 'example.lv', name: 'Board', password } })
      expect(r.status).toBe(201)
      expect(r.json.password).toBe(true)
      expect(r.json.name).toBe('Board')
      const token = remember(r.json.token as string)

      const bare = await stats('example.lv', { bearer: token })
      expect(bare.status).toBe(401)
      const locked = await call('GET', `/share/${token}`)
      expect(locked.status).toBe(200)
      expect(locked.text).toContain(`<form method="post" action="/share/${token}/unlock">`)
      expect(locked.text).not.toContain('Read-only statistics')

      const wrong = await call('POST', `/share/${token}/unlock`, { body: { password: remember('not the share pass') } })
      expect(wrong.status).toBe(401)
      expect(wrong.json).toMatchObject({ error: 'wrong password, or the link is not valid' })
      expect(wrong.cookies).toEqual([])

      const right = await call('POST', `/share/${token}/unlock`, { body: { password } })
      expect(right.status).toBe(200)
      const unlocked = remember(right.json.token as string)
      expect(unlocked).toMatch(/^ss_[A-Za-z0-9_-]{43}$/)
      const c = setCookie(right, 'skaits_share')!
      expect(c.value).toBe(unlocked)
      expect(c.attrs.has('httponly')).toBe(true)
      expect(c.attrs.get('samesite')).toBe('Lax')
      expect(c.attrs.get('path')).toBe('/')
      expect(c.attrs.get('max-age')).toBe(String(12 * 3600))
      const cookie = `skaits_share=${unlocked}`

      const read = await stats('example.lv', { cookie, origin: true })
      expect(read.status).toBe(200)
      expect(read.json.results).toEqual(expect.any(Array))
      const elsewhere = await stats('other.lv', { cookie, origin: true })
      expect(elsewhere.status).toBe(403)
      // A cookie-authenticated POST, even a read, needs our Origin.
      expect((await stats('example.lv', { cookie })).status).toBe(403)
      expect((await stats('example.lv', { cookie, origin: 'https://evil.example' })).status).toBe(403)
      expect((await call('POST', '/api/sites', { cookie, origin: true, body: { domain: 'viacookie.lv' } })).status).toBe(403)
      expect((await stats('example.lv', { bearer: unlocked })).status).toBe(200)
      const page = await call('GET', `/share/${token}`, { cookie })
      expect(page.text).toContain('Read-only statistics of example.lv')

      // A form unlock redirects back to the page.
      const form = await call('POST', `/share/${token}/unlock`, { form: { password } })
      expect(form.status).toBe(303)
      expect(form.headers.get('location')).toBe(`/share/${token}`)
      remember(setCookie(form, 'skaits_share')!.value)

      expect((await call('DELETE', `/api/shares/${r.json.id}`, admin)).status).toBe(200)
      expect((await stats('example.lv', { cookie, origin: true })).status).toBe(401)
      expect((await stats('example.lv', { bearer: unlocked })).status).toBe(401)
    })
  })

  describe('sites', () => {
    const pageviews = async (site: string) => {
      const r = await stats(site, admin)
      expect(r.status).toBe(200)
      return r.json.results[0]?.metrics[0] ?? 0
    }
    // What a site's counts say (not how many rows hold them: ClickHouse folds rows with equal
    // keys when a copy is inserted, so the row count can shrink while every sum stays).
    const rows = async (site: string) =>
      (
        await queryRows<Record<string, unknown>>(
          server.db,
          `SELECT dimension, value, sum(pageviews) AS p, sum(visits) AS v, sum(events) AS e FROM counts_hourly
           WHERE site = {site:String} GROUP BY dimension, value ORDER BY dimension, value`,
          { site },
        )
      ).map((r) => `${r.dimension}=${r.value}:${num(r.p)}/${num(r.v)}/${num(r.e)}`)

    it('adds sites and refuses bad or duplicate domains', async () => {
      const r = await call('POST', '/api/sites', { ...admin, body: { domain: 'Rename-Me.lv' } })
      expect(r.status).toBe(201)
      expect(r.json).toEqual({ domain: 'rename-me.lv', created_at: new Date(now).toISOString(), sections: 0 })
      const bad = await call('POST', '/api/sites', { ...admin, body: { domain: 'not a domain' } })
      expect(bad.status).toBe(400)
      expect(bad.json).toMatchObject({ error: '"not a domain" is not a domain name' })
      const dup = await call('POST', '/api/sites', { ...admin, body: { domain: 'rename-me.lv' } })
      expect(dup.status).toBe(409)
      expect(dup.json).toMatchObject({ error: 'rename-me.lv is already a site' })
      const missing = await call('POST', '/api/sites', { ...admin, body: {} })
      expect(missing.status).toBe(400)
      expect((await call('GET', '/api/sites', admin)).json.map((s: { domain: string }) => s.domain)).toEqual([
        'example.lv',
        'other.lv',
        'rename-me.lv',
      ])
    })

    const threePageviews = async (site: string) => {
      for (let i = 1; i <= 3; i++) {
        const res = await sendEvent(server.url, { n: 'pageview', u: `https://${site}/p${i}`, d: site }, { ip: `198.51.100.${i}` })
        expect(res.status).toBe(202)
      }
      await server.skaits.buffer.flush()
      expect(await pageviews(site)).toBe(3)
    }

    // BUG (server/sites/data.ts renameSiteData): the copy selects `{to:String} AS site … WHERE
    // site = {from:String}`; ClickHouse resolves `site` in WHERE to the alias, so nothing is
    // copied, and the delete that follows drops every count of the site.
    it('renames a site with its counts (BUG: fails until renameSiteData is fixed)', async () => {
      await threePageviews('rename-me.lv')
      const before = await rows('rename-me.lv')
      expect(before.length).toBeGreaterThan(0)

      const r = await call('PATCH', '/api/sites/rename-me.lv', { ...admin, body: { domain: 'renamed.lv' } })
      expect(r.status).toBe(200)
      expect(r.json.domain).toBe('renamed.lv')
      expect((await stats('rename-me.lv', admin)).status).toBe(404)
      expect(await rows('rename-me.lv')).toEqual([])
      const clash = await call('PATCH', '/api/sites/renamed.lv', { ...admin, body: { domain: 'example.lv' } })
      expect(clash.status).toBe(409)
      expect((await call('PATCH', '/api/sites/absent.lv', { ...admin, body: { domain: 'x.lv' } })).status).toBe(404)
      expect(await pageviews('renamed.lv')).toBe(3)
      expect(await rows('renamed.lv')).toEqual(before)
    })

    it('deletes a site with all its counts', async () => {
      expect((await call('POST', '/api/sites', { ...admin, body: { domain: 'doomed.lv' } })).status).toBe(201)
      await threePageviews('doomed.lv')
      expect((await rows('doomed.lv')).length).toBeGreaterThan(0)
      const r = await call('DELETE', '/api/sites/doomed.lv', admin)
      expect(r.status).toBe(200)
      expect(r.json.domain).toBe('doomed.lv')
      const gone = await stats('doomed.lv', admin)
      expect(gone.status).toBe(404)
      expect(gone.json).toMatchObject({ error: 'site doomed.lv does not exist on this server' })
      expect(await rows('doomed.lv')).toEqual([])
      expect((await call('GET', '/api/sites', admin)).json.map((s: { domain: string }) => s.domain)).not.toContain('doomed.lv')
      expect((await call('DELETE', '/api/sites/doomed.lv', admin)).status).toBe(404)
    })
  })

  describe('security headers', () => {
    const expectHeaders = (r: Reply) => {
      const csp = r.headers.get('content-security-policy')
      expect(csp).toContain("frame-ancestors 'none'")
      expect(csp).toContain("default-src 'self'")
      expect(r.headers.get('x-content-type-options')).toBe('nosniff')
      expect(r.headers.get('referrer-policy')).toBe('no-referrer')
      expect(r.headers.get('x-frame-options')).toBe('DENY')
    }

    it('sets them on pages, API answers, errors and redirects', async () => {
      expectHeaders(await call('GET', '/'))
      expectHeaders(await call('GET', '/api/setup'))
      expectHeaders(await call('GET', '/api/keys'))
      expectHeaders(await call('GET', '/no/such/page'))
      const redirect = await call('POST', '/api/login', { form: { email: OWNER, password: OWNER_PASSWORD }, ip: freshIp() })
      expect(redirect.status).toBe(303)
      remember(setCookie(redirect, 'skaits_session')!.value)
      expectHeaders(redirect)
    })

    it('leaves the ingest hot path alone', async () => {
      const r = await sendEvent(server.url, { n: 'pageview', u: 'https://example.lv/', d: 'example.lv' }, { ip: '198.51.100.9' })
      expect(r.status).toBe(202)
      expect(r.headers.get('content-security-policy')).toBeNull()
      expect(r.headers.get('x-frame-options')).toBeNull()
    })
  })

  describe('session expiry', () => {
    it('ends a session after SESSION_DAYS', async () => {
      const r = await login(OWNER, OWNER_PASSWORD)
      expect((await call('GET', '/api/me', { cookie: r.session })).status).toBe(200)
      now += 23 * HOUR
      expect((await call('GET', '/api/me', { cookie: r.session })).status).toBe(200)
      now += 2 * HOUR
      const expired = await call('GET', '/api/me', { cookie: r.session })
      expect(expired.status).toBe(401)
      expect((await call('POST', '/api/keys', { cookie: r.session, origin: true, body: { name: 'late' } })).status).toBe(401)
      expect((await call('GET', '/', { cookie: r.session })).text).toContain('action="/api/login"')
      expect((await login(OWNER, OWNER_PASSWORD)).status).toBe(200)
    })
  })

  describe('the log', () => {
    it('holds no password, token or cookie value', () => {
      const log = server.logs.join('')
      expect(log).toContain('first owner created')
      remember(readFileSync(path.join(dataDir, LOCAL_TOKEN_FILE), 'utf8').trim())
      expect(secrets.size).toBeGreaterThan(30)
      for (const s of secrets) expect(log.includes(s), `log contains ${s.slice(0, 6)}…`).toBe(false)
      expect(log).not.toMatch(/\b(sk|sh|ss|inv|adm)_[A-Za-z0-9_-]{20,}/)
      expect(log).not.toMatch(/scrypt\$/)
    })
  })
})

describe('headless owner and framing (another instance)', () => {
  const email = 'Admin@Example.lv'
  const password = 'headless owner pass'
  const env = { SKAITS_ADMIN_EMAIL: email, SKAITS_ADMIN_PASSWORD: password, FRAME_ANCESTORS: 'https://partner.example', TRUST_PROXY: '0' }
  const dataDir = tempDir()
  afterAll(async () => {
    await server?.stop()
  })

  it('creates the owner at start, once', async () => {
    server = await startInProcess({ dataDir, env })
    expect((await call('GET', '/api/setup')).json).toEqual({ needed: false })
    expect((await call('POST', '/api/setup', { body: { email: 'x@example.lv', password: 'some good pass' } })).status).toBe(409)
    const r = await login('admin@example.lv', password)
    expect(r.status).toBe(200)
    expect(r.json.owner.email).toBe('admin@example.lv')
    // TRUST_PROXY=0: X-Forwarded-Proto is not believed, so the cookie is not Secure.
    const proxied = await login('admin@example.lv', password, undefined, { 'x-forwarded-proto': 'https' })
    expect(setCookie(proxied, 'skaits_session')!.attrs.has('secure')).toBe(false)
    const log = server.logs.join('')
    expect(log).toContain('owner created from SKAITS_ADMIN_EMAIL')
    expect(log).not.toContain(password)

    await server.stop()
    server = await startInProcess({ dataDir, env })
    const owners = await call('GET', '/api/owners', admin)
    expect(owners.json.map((o: { email: string }) => o.email)).toEqual(['admin@example.lv'])
    expect(server.logs.join('')).not.toContain('owner created')
  })

  it('lets the configured origins frame the pages', async () => {
    const r = await call('GET', '/')
    expect(r.headers.get('content-security-policy')).toContain('frame-ancestors https://partner.example')
    expect(r.headers.get('content-security-policy')).not.toContain("frame-ancestors 'none'")
    expect(r.headers.get('x-frame-options')).toBeNull()
  })
})

// These assert the correct behaviour and fail against the current server: see each comment.
describe('known defects (fail until fixed)', () => {
  const dataDir = tempDir()
  beforeAll(async () => {
    server = await startInProcess({ dataDir, env: { TRUST_PROXY: '1' } })
  })
  afterAll(async () => {
    await server?.stop()
  })

  // server/auth/route.ts POST /api/setup checks ownerCount() and then awaits scrypt in
  // createOwner: two concurrent first-run setups both pass the check and both become owners.
  it('BUG: lets only one of two concurrent setups create an owner', async () => {
    const setup_token = setupTokenIn(dataDir)
    const both = await Promise.all([
      call('POST', '/api/setup', { body: { setup_token, email: 'first@example.lv', password: 'first racer pass' } }),
      call('POST', '/api/setup', { body: { setup_token, email: 'second@example.lv', password: 'second racer pass' } }),
    ])
    expect(both.map((r) => r.status).sort()).toEqual([201, 409])
    expect((await call('GET', '/api/owners', admin)).json).toHaveLength(1)
  })

  // server/auth/access.ts acceptInvitation: the invitation is deleted only after createOwner's
  // scrypt; two concurrent accepts both succeed and make two owners with the same email.
  it('BUG: accepts an invitation only once under concurrency', async () => {
    const inv = await call('POST', '/api/owners', { ...admin, body: { email: 'race@example.lv' } })
    const token = inv.json.invitation.token as string
    const both = await Promise.all([
      call('POST', `/api/invitations/${token}`, { body: { password: 'racer one pass' } }),
      call('POST', `/api/invitations/${token}`, { body: { password: 'racer two pass' } }),
    ])
    expect(both.map((r) => r.status).sort()).toEqual([201, 404])
    const owners = (await call('GET', '/api/owners', admin)).json as { email: string }[]
    expect(owners.filter((o) => o.email === 'race@example.lv')).toHaveLength(1)
  })

  // server/auth/route.ts POST /api/login checks the limiters, awaits scrypt, then records the
  // failure: parallel guesses all pass the check, so the 5-per-account limit does not hold.
  it('BUG: holds the per-account limit against parallel guesses', async () => {
    expect((await call('POST', '/api/owners', { ...admin, body: { email: 'burst@example.lv', password: 'burst owner pass' } })).status).toBe(201)
    const ip = freshIp()
    const statuses = (await Promise.all(Array.from({ length: 10 }, (_, i) => login('burst@example.lv', `burst guess ${i}`, ip)))).map(
      (r) => r.status,
    )
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true)
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5)
  })

  // server/auth/route.ts readBody: c.req.parseBody() throws on a malformed multipart body and
  // nothing catches it, so the request ends in app.onError (server/app.ts), which answers 500
  // and logs `path` — for /share/<token>/unlock and /api/invitations/<token> the path holds the
  // secret token.
  it('BUG: answers a malformed form with a 4xx and keeps tokens in the URL out of the log', async () => {
    const share = await call('POST', '/api/shares', { ...admin, body: { site: 'example.lv', password: 'share leak pass' } })
    const shareToken = share.json.token as string
    const inv = await call('POST', '/api/owners', { ...admin, body: { email: 'leak@example.lv' } })
    const invToken = inv.json.invitation.token as string
    for (const url of [`/share/${shareToken}/unlock`, `/api/invitations/${invToken}`, '/api/login']) {
      const res = await fetch(server.url + url, {
        method: 'POST',
        headers: { 'content-type': 'multipart/form-data; boundary=x' },
        body: 'not multipart',
      })
      // A client error (400, or 401 for the unlock without a password), never a 500.
      expect([400, 401], url).toContain(res.status)
    }
    const log = server.logs.join('')
    expect(log).not.toContain(shareToken)
    expect(log).not.toContain(invToken)
  })

  // server/auth/access.ts forgetSite (called by Admin.sitesRemove, server/admin/service.ts)
  // says it removes a deleted site's key limits but only revokes shares: a key limited to a
  // deleted site keeps `sites: [domain]` and reads any later site of the same name.
  it('BUG: a key limited to a deleted site does not read a new site of the same name', async () => {
    expect((await call('POST', '/api/sites', { ...admin, body: { domain: 'gone.lv' } })).status).toBe(201)
    const key = (await call('POST', '/api/keys', { ...admin, body: { name: 'gone only', sites: ['gone.lv'] } })).json.key as string
    expect((await stats('gone.lv', { bearer: key })).status).toBe(200)
    expect((await call('DELETE', '/api/sites/gone.lv', admin)).status).toBe(200)
    expect((await call('POST', '/api/sites', { ...admin, body: { domain: 'gone.lv' } })).status).toBe(201)
    expect([401, 403]).toContain((await stats('gone.lv', { bearer: key })).status)
  })

  // server/pages/route.ts POST /share/:token/unlock sets the skaits_share cookie without
  // `secure`, unlike the session cookie (server/auth/route.ts uses isSecureRequest).
  it('BUG: marks the share cookie Secure behind a trusted proxy that says https', async () => {
    const share = await call('POST', '/api/shares', { ...admin, body: { site: 'example.lv', password: 'share https pass' } })
    const r = await call('POST', `/share/${share.json.token}/unlock`, {
      body: { password: 'share https pass' },
      headers: { 'x-forwarded-proto': 'https' },
    })
    expect(r.status).toBe(200)
    expect(setCookie(r, 'skaits_share')!.attrs.has('secure')).toBe(true)
  })
})

describe('headless owner with a weak password', () => {
  it('refuses to start with a clear error', async () => {
    await expect(
      startInProcess({ dataDir: tempDir(), env: { SKAITS_ADMIN_EMAIL: 'weak@example.lv', SKAITS_ADMIN_PASSWORD: 'short' } }),
    ).rejects.toThrow('SKAITS_ADMIN_PASSWORD: Use at least 10 characters.')
    await expect(startInProcess({ dataDir: tempDir(), env: { SKAITS_ADMIN_EMAIL: 'half@example.lv' } })).rejects.toThrow(
      'set both SKAITS_ADMIN_EMAIL and SKAITS_ADMIN_PASSWORD, or neither',
    )
  })
})
