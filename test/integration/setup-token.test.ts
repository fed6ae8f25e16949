import { existsSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { SETUP_TOKEN_FILE } from '../../server/auth/setup-token.ts'
import { API_KEY, spawnServer, startInProcess, tempDir, type RunningSkaits, type SpawnedSkaits } from '../helpers/skaits.ts'

// The first owner needs the one-time setup token from DATA_DIR, or the admin key: whoever
// reaches a fresh instance first must not own it. Real app, real ClickHouse, real HTTP.

const tokenFile = (dataDir: string) => path.join(dataDir, SETUP_TOKEN_FILE)
const readToken = (dataDir: string) => readFileSync(tokenFile(dataDir), 'utf8').trim()

async function setup(url: string, body: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/api/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  })
  return { status: res.status, json: (await res.json()) as any, cookies: res.headers.getSetCookie() }
}

const owner = { email: 'first@example.lv', password: 'a first owner passphrase' }

describe('setup token (one instance)', () => {
  const dataDir = tempDir()
  let server: RunningSkaits
  afterAll(async () => {
    await server?.stop()
  })

  it('is made at first start: 256 random bits, mode 0600, the same after a restart', async () => {
    server = await startInProcess({ dataDir })
    const token = readToken(dataDir)
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(Buffer.from(token, 'base64url')).toHaveLength(32)
    expect(statSync(tokenFile(dataDir)).mode & 0o777).toBe(0o600)
    expect(server.skaits.setupToken.pending).toBe(true)

    await server.stop()
    server = await startInProcess({ dataDir })
    expect(readToken(dataDir)).toBe(token)
  })

  it('refuses setup without the token, with a message that says where it is', async () => {
    const r = await setup(server.url, owner)
    expect(r.status).toBe(401)
    expect(r.json.error).toMatch(/setup token/)
    expect(r.json.error).toMatch(/setup-token/)
    expect(r.json.error).toMatch(/DATA_DIR/)
    expect(r.cookies).toEqual([])
    expect(server.skaits.access.ownerCount()).toBe(0)
  })

  it('refuses a wrong token, a truncated one and one with a character changed', async () => {
    const token = readToken(dataDir)
    const last = token.at(-1) === 'A' ? 'B' : 'A'
    for (const wrong of ['not-the-token', token.slice(0, -1), token.slice(0, -1) + last, `${token}x`]) {
      const r = await setup(server.url, { ...owner, setup_token: wrong })
      expect(r.status, wrong).toBe(403)
      expect(r.json.error).toMatch(/wrong setup token/)
    }
    // A token in the Authorization header is not an admin credential.
    expect((await setup(server.url, owner, { authorization: `Bearer ${token}` })).status).toBe(401)
    expect(server.skaits.access.ownerCount()).toBe(0)
    expect(existsSync(tokenFile(dataDir))).toBe(true)
  })

  it('creates the first owner with the token from the file, once; then the file and the token are gone', async () => {
    const token = readToken(dataDir)
    const r = await setup(server.url, { ...owner, setup_token: token })
    expect(r.status).toBe(201)
    expect(r.json.owner.email).toBe(owner.email)
    expect(existsSync(tokenFile(dataDir))).toBe(false)
    expect(server.skaits.setupToken.pending).toBe(false)
    expect(server.skaits.setupToken.matches(token)).toBe(false)

    const again = await setup(server.url, { email: 'second@example.lv', password: 'a second owner passphrase', setup_token: token })
    expect(again.status).toBe(409)
    expect(server.skaits.access.ownerCount()).toBe(1)
    expect(server.logs.join('')).toContain('first owner created')
    expect(server.logs.join('')).not.toContain(token)
  })

  it('makes no new token after a restart with an owner', async () => {
    await server.stop()
    server = await startInProcess({ dataDir })
    expect(existsSync(tokenFile(dataDir))).toBe(false)
    expect(server.skaits.setupToken.pending).toBe(false)
  })
})

describe('setup with the admin key (another instance)', () => {
  let server: RunningSkaits | undefined
  afterEach(async () => {
    await server?.stop()
    server = undefined
  })

  it('creates the first owner with Authorization: Bearer <SKAITS_API_KEY> and no token', async () => {
    const dataDir = tempDir()
    server = await startInProcess({ dataDir })
    expect((await setup(server.url, owner, { authorization: 'Bearer wrong-admin-key-0123456789abcdef' })).status).toBe(401)
    const r = await setup(server.url, owner, { authorization: `Bearer ${API_KEY}` })
    expect(r.status).toBe(201)
    expect(existsSync(tokenFile(dataDir))).toBe(false)
  })

  it('makes no token with a headless owner (SKAITS_ADMIN_EMAIL), and removes a stale one', async () => {
    const dataDir = tempDir()
    server = await startInProcess({ dataDir })
    expect(existsSync(tokenFile(dataDir))).toBe(true)
    await server.stop()
    server = await startInProcess({ dataDir, env: { SKAITS_ADMIN_EMAIL: owner.email, SKAITS_ADMIN_PASSWORD: owner.password } })
    expect(existsSync(tokenFile(dataDir))).toBe(false)
    expect(server.skaits.setupToken.pending).toBe(false)
  })

  it('ends the token when an owner is made another way (the admin API)', async () => {
    const dataDir = tempDir()
    server = await startInProcess({ dataDir })
    const token = readToken(dataDir)
    const created = await server.skaits.access.createOwner('cli@example.lv', 'an owner from the cli')
    expect(created.email).toBe('cli@example.lv')
    const r = await setup(server.url, { ...owner, setup_token: token })
    expect(r.status).toBe(409)
    expect(server.skaits.setupToken.pending).toBe(false)
    expect(existsSync(tokenFile(dataDir))).toBe(false)
  })
})

describe('start-up log of a fresh instance (the real server process)', () => {
  let server: SpawnedSkaits | undefined
  afterAll(async () => {
    await server?.stop()
  })

  it('says where to go and where the token is, without printing the token', async () => {
    const dataDir = tempDir()
    server = await spawnServer({ DATA_DIR: dataDir })
    const port = new URL(server.url).port
    await expect.poll(() => server!.output(), { timeout: 10_000 }).toContain('no owner yet')
    const out = server.output()
    expect(out).toContain(`open http://127.0.0.1:${port}/ and enter the setup token from ${tokenFile(dataDir)}`)
    expect(out).not.toContain(readToken(dataDir))
  })
})
