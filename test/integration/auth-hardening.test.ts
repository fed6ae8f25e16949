import { readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LOCAL_TOKEN_FILE } from '../../server/auth/local-token.ts'
import { startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

// The CLI's token from loopback only, the session cookie's name and idle timeout, and login
// CSRF. Real app, real ClickHouse; real HTTP on 127.0.0.1, and Hono's in-process entry point
// where a test needs a TCP peer other than loopback (tests bind to 127.0.0.1 only).

const DAY = 86_400_000
// Starts four days back so that the days this file moves ahead stay near the real clock
// (ClickHouse's TTLs use the real one).
let now = Date.now() - 4 * DAY
const clock = () => now

const EMAIL = 'owner@example.lv'
const PASSWORD = 'a hardened owner passphrase'

let server: RunningSkaits
let dataDir: string
beforeAll(async () => {
  dataDir = tempDir()
  server = await startInProcess({
    dataDir,
    clock,
    timers: false,
    env: { SKAITS_ADMIN_EMAIL: EMAIL, SKAITS_ADMIN_PASSWORD: PASSWORD, SESSION_DAYS: '30', SESSION_IDLE_DAYS: '2', TRUST_PROXY: '1' },
  })
})
afterAll(async () => {
  await server?.stop()
})

/** A fresh /24 per login, so the per-network login limiter never interferes. */
let network = 0
async function login(headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.88.${++network}.1`, ...headers },
    body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
  })
  return { status: res.status, json: (await res.json()) as any, cookies: res.headers.getSetCookie() }
}

const me = async (cookie: string) => (await fetch(`${server.url}/api/me`, { headers: { cookie } })).status

/** `name=value` of the first Set-Cookie, and its attributes in lower case. */
function firstCookie(cookies: string[]) {
  const [pair = '', ...attrs] = (cookies[0] ?? '').split(';').map((s) => s.trim())
  return { pair, name: pair.slice(0, pair.indexOf('=')), attrs: attrs.map((a) => a.toLowerCase()) }
}

/** What @hono/node-server gives getConnInfo: a TCP peer of our choosing. */
const peer = (remoteAddress: string) => ({ incoming: { socket: { remoteAddress, remotePort: 50000, remoteFamily: remoteAddress.includes(':') ? 'IPv6' : 'IPv4' } } })

describe("the CLI's local token", () => {
  const asked = (address: string, headers: Record<string, string> = {}) => {
    const token = readFileSync(path.join(dataDir, LOCAL_TOKEN_FILE), 'utf8').trim()
    return server.skaits.app.request('/api/sites', { headers: { authorization: `Bearer ${token}`, ...headers } }, peer(address))
  }

  it('is accepted from loopback: over real HTTP on 127.0.0.1, and from ::1 and ::ffff:127.0.0.1', async () => {
    const token = readFileSync(path.join(dataDir, LOCAL_TOKEN_FILE), 'utf8').trim()
    expect((await fetch(`${server.url}/api/sites`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200)
    for (const address of ['127.0.0.1', '127.0.0.2', '::1', '::ffff:127.0.0.1']) expect((await asked(address)).status, address).toBe(200)
  })

  it('is refused from any other peer, whatever X-Forwarded-For says', async () => {
    expect((await asked('203.0.113.5')).status).toBe(401)
    expect((await asked('203.0.113.5', { 'x-forwarded-for': '127.0.0.1' })).status).toBe(401)
    expect((await asked('2001:db8::5')).status).toBe(401)
  })

  it('is refused through a reverse proxy on this machine (a loopback peer that forwards a client)', async () => {
    expect((await asked('127.0.0.1', { 'x-forwarded-for': '203.0.113.9' })).status).toBe(401)
    expect((await asked('127.0.0.1', { forwarded: 'for=203.0.113.9' })).status).toBe(401)
    expect((await asked('127.0.0.1', { 'x-real-ip': '203.0.113.9' })).status).toBe(401)
  })
})

describe('login CSRF', () => {
  it('refuses a login from another site, by Origin or by Sec-Fetch-Site', async () => {
    const foreign: Record<string, string>[] = [{ origin: 'https://evil.example' }, { origin: 'null' }, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }]
    for (const headers of foreign) {
      const r = await login(headers)
      expect(r.status, JSON.stringify(headers)).toBe(403)
      expect(r.json.error).toMatch(/cross-site/)
      expect(r.cookies).toEqual([])
    }
  })

  it('accepts a login from the dashboard itself, and from a client that is not a browser', async () => {
    expect((await login({ origin: server.url })).status).toBe(200)
    expect((await login({ 'sec-fetch-site': 'same-origin' })).status).toBe(200)
    expect((await login()).status).toBe(200)
  })
})

describe('the session cookie', () => {
  it('is __Host-skaits_session over TLS: Secure, Path=/, no Domain; it works', async () => {
    const r = await login({ 'x-forwarded-proto': 'https' })
    expect(r.status).toBe(200)
    const c = firstCookie(r.cookies)
    expect(c.name).toBe('__Host-skaits_session')
    expect(c.attrs).toContain('secure')
    expect(c.attrs).toContain('path=/')
    expect(c.attrs).toContain('httponly')
    expect(c.attrs.some((a) => a.startsWith('domain'))).toBe(false)
    expect(await me(c.pair)).toBe(200)
  })

  it('keeps the name skaits_session over plain HTTP, and both names are read', async () => {
    const r = await login()
    const c = firstCookie(r.cookies)
    expect(c.name).toBe('skaits_session')
    expect(c.attrs).not.toContain('secure')
    expect(await me(c.pair)).toBe(200)
    // A session made over plain HTTP, sent back under the TLS name, is the same session.
    expect(await me(`__Host-${c.pair}`)).toBe(200)
  })

  it('logging out clears the __Host- cookie and ends its session', async () => {
    const c = firstCookie((await login({ 'x-forwarded-proto': 'https' })).cookies)
    const res = await fetch(`${server.url}/api/logout`, { method: 'POST', headers: { cookie: c.pair, origin: server.url } })
    expect(res.status).toBe(200)
    const cleared = res.headers.getSetCookie().find((s) => s.startsWith('__Host-skaits_session='))
    expect(cleared).toMatch(/Max-Age=0/)
    expect(await me(c.pair)).toBe(401)
  })
})

describe('idle sessions (SESSION_IDLE_DAYS=2, SESSION_DAYS=30)', () => {
  it('stay while used, sliding past the idle period', async () => {
    const c = firstCookie((await login()).cookies)
    for (let i = 0; i < 3; i++) {
      now += 1.5 * DAY
      expect(await me(c.pair), `after ${(i + 1) * 1.5} days`).toBe(200)
    }
  })

  it('end after SESSION_IDLE_DAYS without use, and stay ended (revoked, not just forgotten)', async () => {
    const c = firstCookie((await login()).cookies)
    expect(await me(c.pair)).toBe(200)
    now += 2 * DAY + 60_000
    expect(await me(c.pair)).toBe(401)
    now -= 2 * DAY + 60_000
    expect(await me(c.pair)).toBe(401)
    expect(server.skaits.access.sessionOwner(c.pair.slice(c.pair.indexOf('=') + 1))).toBeUndefined()
  })
})
