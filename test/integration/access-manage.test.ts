import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tokenHash } from '../../server/auth/tokens.ts'
import { API_KEY, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

// Removing owners, revoking invitations, listing and ending sessions, and password-reset
// links, through the real app, the real embedded ClickHouse and real HTTP.

const HOUR = 3_600_000
let now = Date.now()
const clock = () => now
let server: RunningSkaits

interface Reply {
  status: number
  text: string
  json: any
  cookies: string[]
  headers: Headers
}

interface CallOptions {
  body?: unknown
  form?: Record<string, string>
  cookie?: string
  bearer?: string
  /** a cookie-authenticated write needs our Origin */
  origin?: boolean
}

async function call(method: string, url: string, o: CallOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { 'x-forwarded-for': freshIp() }
  let body: string | undefined
  if (o.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded'
    body = new URLSearchParams(o.form).toString()
  } else if (o.body !== undefined) {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(o.body)
  }
  if (o.cookie) headers.cookie = o.cookie
  if (o.bearer) headers.authorization = `Bearer ${o.bearer}`
  if (o.origin) headers.origin = server.url
  const res = await fetch(server.url + url, { method, headers, body, redirect: 'manual' })
  const text = await res.text()
  let json: any
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: res.status, text, json, cookies: res.headers.getSetCookie(), headers: res.headers }
}

let network = 0
const freshIp = () => `10.88.${++network % 250}.${1 + Math.floor(network / 250)}`
const admin = { bearer: API_KEY }

/** Every secret the tests saw: none may appear in the server log. */
const secrets = new Set<string>()
const remember = <T extends string>(s: T): T => (secrets.add(s), s)

async function addOwner(email: string, password: string): Promise<string> {
  const r = await call('POST', '/api/owners', { ...admin, body: { email, password: remember(password) } })
  expect(r.status).toBe(201)
  return r.json.owner.id
}

/** A fresh session cookie (`skaits_session=…`) for the owner. */
async function login(email: string, password: string): Promise<string> {
  const r = await call('POST', '/api/login', { body: { email, password } })
  expect(r.status).toBe(200)
  const raw = r.cookies.find((c) => c.startsWith('skaits_session='))!
  const cookie = raw.split(';')[0]!
  remember(cookie.slice('skaits_session='.length))
  return cookie
}

const me = async (cookie: string) => (await call('GET', '/api/me', { cookie })).status
const clearsCookie = (r: Reply) => r.cookies.some((c) => /^skaits_session=;/.test(c))

describe('managing owners, invitations, sessions and resets', () => {
  let apiKey: string
  beforeAll(async () => {
    server = await startInProcess({ dataDir: tempDir(), clock, env: { TRUST_PROXY: '1' } })
    const k = await call('POST', '/api/keys', { ...admin, body: { name: 'reader' } })
    apiKey = remember(k.json.key)
  })
  afterAll(async () => {
    await server?.stop()
  })

  describe('invitations', () => {
    it('lists pending invitations without their tokens and revokes one by id', async () => {
      const made = await call('POST', '/api/owners', { ...admin, body: { email: 'Invited@example.lv' } })
      const token = remember(made.json.invitation.token as string)
      const list = await call('GET', '/api/invitations', admin)
      expect(list.status).toBe(200)
      const id = tokenHash(token).slice(0, 16)
      expect(list.json).toEqual([
        { id, email: 'invited@example.lv', invited_by: 'admin', role: 'owner', sites: [], created_at: new Date(now).toISOString(), expires_at: new Date(now + 7 * 24 * HOUR).toISOString() },
      ])
      expect(list.text).not.toContain(token)
      expect(list.text).not.toContain(tokenHash(token))

      expect((await call('GET', '/api/invitations')).status).toBe(401)
      expect((await call('GET', '/api/invitations', { bearer: apiKey })).status).toBe(403)
      expect((await call('DELETE', `/api/invitations/${id}`, { bearer: apiKey })).status).toBe(403)
      expect((await call('DELETE', `/api/invitations/${id}`)).status).toBe(401)
      expect((await call('DELETE', '/api/invitations/abc', admin)).status).toBe(404)
      expect((await call('DELETE', '/api/invitations/0000000000000000', admin)).status).toBe(404)

      const revoked = await call('DELETE', `/api/invitations/${id}`, admin)
      expect(revoked.status).toBe(200)
      expect(revoked.json.email).toBe('invited@example.lv')
      expect((await call('GET', '/api/invitations', admin)).json).toEqual([])
      expect((await call('GET', `/api/invitations/${token}`)).status).toBe(404)
      expect((await call('POST', `/api/invitations/${token}`, { body: { password: remember('a fine passphrase') } })).status).toBe(404)
      expect((await call('DELETE', `/api/invitations/${id}`, admin)).status).toBe(404)
    })

    it('revokes by a longer prefix of the token hash, as an owner', async () => {
      await addOwner('inviter@example.lv', 'inviter passphrase')
      const cookie = await login('inviter@example.lv', 'inviter passphrase')
      const made = await call('POST', '/api/owners', { cookie, origin: true, body: { email: 'second@example.lv' } })
      const token = remember(made.json.invitation.token as string)
      expect((await call('GET', '/api/invitations', { cookie })).json).toHaveLength(1)
      const r = await call('DELETE', `/api/invitations/${tokenHash(token).slice(0, 24)}`, { cookie, origin: true })
      expect(r.status).toBe(200)
      expect((await call('GET', `/invite/${token}`)).status).toBe(404)
    })
  })

  describe('sessions', () => {
    const email = 'sessions@example.lv'
    const password = 'sessions passphrase'
    beforeAll(async () => {
      await addOwner(email, password)
    })

    it("lists the caller's own sessions, marks the current one, shows no token", async () => {
      const s1 = await login(email, password)
      const s2 = await login(email, password)
      const other = await login('inviter@example.lv', 'inviter passphrase')
      const r = await call('GET', '/api/sessions', { cookie: s1 })
      expect(r.status).toBe(200)
      expect(r.json).toHaveLength(2)
      expect(r.json.filter((s: any) => s.current)).toHaveLength(1)
      for (const s of r.json) {
        expect(Object.keys(s).sort()).toEqual(['created_at', 'current', 'expires_at', 'id', 'last_seen'])
        expect(s.id).toMatch(/^[0-9a-f]{16}$/)
      }
      for (const c of [s1, s2, other]) {
        const token = c.split('=')[1]!
        expect(r.text).not.toContain(token)
        expect(r.text).not.toContain(tokenHash(token))
      }
      expect(r.json.find((s: any) => s.current).last_seen).toBe(new Date(now).toISOString())
      expect((await call('GET', '/api/sessions')).status).toBe(401)
      expect((await call('GET', '/api/sessions', admin)).status).toBe(403)
    })

    it('ends one session by id, only the caller\'s own, and the current one with its cookie', async () => {
      const s1 = await login(email, password)
      const s2 = await login(email, password)
      const mine = (await call('GET', '/api/sessions', { cookie: s1 })).json
      const target = mine.find((s: any) => !s.current && s.id)
      const other = await login('inviter@example.lv', 'inviter passphrase')
      const othersId = (await call('GET', '/api/sessions', { cookie: other })).json.find((s: any) => s.current).id

      expect((await call('DELETE', `/api/sessions/${target.id}`, { cookie: s1 })).status).toBe(403) // no Origin
      expect((await call('DELETE', `/api/sessions/${othersId}`, { cookie: s1, origin: true })).status).toBe(404)
      expect(await me(other)).toBe(200)
      expect((await call('DELETE', '/api/sessions/0000000000000000', { cookie: s1, origin: true })).status).toBe(404)

      const ended = await call('DELETE', `/api/sessions/${target.id}`, { cookie: s1, origin: true })
      expect(ended.status).toBe(200)
      expect(ended.json).toEqual({ ok: true, current: false })
      expect((await call('GET', '/api/sessions', { cookie: s1 })).json.map((s: any) => s.id)).not.toContain(target.id)

      const currentId = (await call('GET', '/api/sessions', { cookie: s2 })).json.find((s: any) => s.current).id
      const self = await call('DELETE', `/api/sessions/${currentId}`, { cookie: s2, origin: true })
      expect(self.json).toEqual({ ok: true, current: true })
      expect(clearsCookie(self)).toBe(true)
      expect(await me(s2)).toBe(401)
    })

    it('ends every other session of the caller', async () => {
      const keep = await login(email, password)
      const a = await login(email, password)
      const b = await login(email, password)
      const other = await login('inviter@example.lv', 'inviter passphrase')
      expect((await call('POST', '/api/sessions/end-others', admin)).status).toBe(403)
      expect((await call('POST', '/api/sessions/end-others')).status).toBe(401)
      const r = await call('POST', '/api/sessions/end-others', { cookie: keep, origin: true })
      expect(r.status).toBe(200)
      expect(r.json.ended).toBeGreaterThanOrEqual(2)
      expect(await me(keep)).toBe(200)
      expect(await me(a)).toBe(401)
      expect(await me(b)).toBe(401)
      expect(await me(other)).toBe(200)
      expect((await call('GET', '/api/sessions', { cookie: keep })).json).toHaveLength(1)
    })
  })

  describe('password resets', () => {
    const email = 'forgetful@example.lv'
    let id: string
    let helper: string
    beforeAll(async () => {
      id = await addOwner(email, 'forgotten passphrase')
      helper = await login('inviter@example.lv', 'inviter passphrase')
    })

    it('an owner issues a link for another owner, never for themself', async () => {
      const r = await call('POST', `/api/owners/${id}/reset`, { cookie: helper, origin: true })
      expect(r.status).toBe(201)
      const token = remember(r.json.token as string)
      expect(token).toMatch(/^rst_/)
      expect(r.json.path).toBe(`/reset/${token}`)
      expect(r.json.owner.email).toBe(email)
      expect(r.json.expires_at).toBe(new Date(now + 24 * HOUR).toISOString())
      const helperId = (await call('GET', '/api/me', { cookie: helper })).json.id
      const self = await call('POST', `/api/owners/${helperId}/reset`, { cookie: helper, origin: true })
      expect(self.status).toBe(403)
      expect((await call('POST', `/api/owners/${id}/reset`)).status).toBe(401)
      expect((await call('POST', `/api/owners/${id}/reset`, { bearer: apiKey })).status).toBe(403)
      expect((await call('POST', '/api/owners/nobody@example.lv/reset', admin)).status).toBe(404)
    })

    it('a link sets a new password once, checks the policy, and ends every session of the owner', async () => {
      const session = await login(email, 'forgotten passphrase')
      const issued = await call('POST', `/api/owners/${encodeURIComponent(email)}/reset`, admin)
      expect(issued.status).toBe(201)
      const token = remember(issued.json.token as string)
      const page = await call('GET', `/reset/${token}`)
      expect(page.status).toBe(200)
      expect(page.text).toContain(`<form method="post" action="/api/reset/${token}">`)
      expect(page.text).toContain(email)
      expect((await call('GET', `/api/reset/${token}`)).json).toEqual({ email })

      const weak = await call('POST', `/api/reset/${token}`, { body: { password: remember('short') } })
      expect(weak.status).toBe(400)
      expect(await me(session)).toBe(200)

      const ok = await call('POST', `/api/reset/${token}`, { form: { password: remember('a brand new passphrase') } })
      expect(ok.status).toBe(303)
      expect(ok.headers.get('location')).toBe('/')
      expect(await me(session)).toBe(401)
      expect((await call('POST', '/api/login', { body: { email, password: 'forgotten passphrase' } })).status).toBe(401)
      expect(await me(await login(email, 'a brand new passphrase'))).toBe(200)

      const again = await call('POST', `/api/reset/${token}`, { body: { password: remember('yet another passphrase') } })
      expect(again.status).toBe(404)
      expect(again.json).toMatchObject({ error: 'this reset link is not valid (used, replaced or expired)' })
      expect((await call('GET', `/reset/${token}`)).status).toBe(404)
    })

    it('a newer link replaces an older one, and a link expires after 24 h', async () => {
      const older = remember((await call('POST', `/api/owners/${id}/reset`, admin)).json.token as string)
      const newer = remember((await call('POST', `/api/owners/${id}/reset`, admin)).json.token as string)
      expect((await call('GET', `/api/reset/${older}`)).status).toBe(404)
      expect((await call('POST', `/api/reset/${older}`, { body: { password: remember('replaced link passphrase') } })).status).toBe(404)
      expect((await call('GET', `/api/reset/${newer}`)).status).toBe(200)
      now += 24 * HOUR + 60_000
      try {
        expect((await call('GET', `/reset/${newer}`)).status).toBe(404)
        expect((await call('POST', `/api/reset/${newer}`, { body: { password: remember('expired link passphrase') } })).status).toBe(404)
        expect((await call('POST', '/api/reset/rst_mistyped', { body: { password: remember('mistyped link passphrase') } })).status).toBe(404)
      } finally {
        now -= 24 * HOUR + 60_000
      }
    })
  })

  describe('removing owners', () => {
    it('removes another owner: their sessions end and they cannot log in', async () => {
      const id = await addOwner('leaving@example.lv', 'leaving passphrase')
      const theirs = await login('leaving@example.lv', 'leaving passphrase')
      expect((await call('DELETE', `/api/owners/${id}`, { bearer: apiKey })).status).toBe(403)
      expect((await call('DELETE', `/api/owners/${id}`)).status).toBe(401)
      const r = await call('DELETE', `/api/owners/${id}`, admin)
      expect(r.status).toBe(200)
      expect(r.json.email).toBe('leaving@example.lv')
      expect(await me(theirs)).toBe(401)
      expect((await call('POST', '/api/login', { body: { email: 'leaving@example.lv', password: 'leaving passphrase' } })).status).toBe(401)
      expect((await call('GET', '/api/owners', admin)).json.map((o: any) => o.id)).not.toContain(id)
      expect((await call('DELETE', `/api/owners/${id}`, admin)).status).toBe(404)
    })

    it('an owner removing themself is logged out', async () => {
      await addOwner('quitter@example.lv', 'quitter passphrase')
      const cookie = await login('quitter@example.lv', 'quitter passphrase')
      const r = await call('DELETE', `/api/owners/${encodeURIComponent('quitter@example.lv')}`, { cookie, origin: true })
      expect(r.status).toBe(200)
      expect(clearsCookie(r)).toBe(true)
      expect(await me(cookie)).toBe(401)
    })

    it('never removes the last owner', async () => {
      const owners = (await call('GET', '/api/owners', admin)).json as { id: string }[]
      for (const o of owners.slice(1)) expect((await call('DELETE', `/api/owners/${o.id}`, admin)).status).toBe(200)
      const last = await call('DELETE', `/api/owners/${owners[0]!.id}`, admin)
      expect(last.status).toBe(409)
      expect(last.json.error).toMatch(/last owner/)
      expect((await call('GET', '/api/owners', admin)).json).toHaveLength(1)
    })
  })

  it('logs no token, password or cookie value', () => {
    const log = server.logs.join('')
    for (const s of secrets) expect(log).not.toContain(s)
  })
})
