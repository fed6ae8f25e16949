import { readFileSync } from 'node:fs'
import { TOTP, Secret } from 'otpauth'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queryRows } from '../../server/db/client.ts'
import { TotpSeal } from '../../server/auth/totp-seal.ts'
import { filesContaining, findInAnyColumn } from '../helpers/audit.ts'
import { adminCall, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

// Two-factor login (issue 25) against the real app and ClickHouse over real HTTP on 127.0.0.1,
// with one fixed clock given to the server; otpauth makes the codes an app would show at it.

const STEP = 30_000
// On a step's start, a little in the past: ClickHouse's TTLs run on the real clock.
let now = Math.floor((Date.now() - 86_400_000) / STEP) * STEP + 1_000
const clock = () => now

const OWNER = { email: 'owner@example.lv', password: 'a two-factor owner passphrase' }
const SECOND = { email: 'second@example.lv', password: 'the second owner passphrase' }

let server: RunningSkaits
let dataDir: string
beforeAll(async () => {
  dataDir = tempDir()
  server = await startInProcess({ dataDir, clock, timers: false, env: { SKAITS_ADMIN_EMAIL: OWNER.email, SKAITS_ADMIN_PASSWORD: OWNER.password } })
})
afterAll(async () => {
  await server?.stop()
})

/** A fresh /24 per request, so that only the per-owner limit is under test where it is. */
let network = 0
const from = () => ({ 'x-forwarded-for': `10.77.${++network % 250}.${1 + Math.floor(network / 250)}` })

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(server.url + path, { method: 'POST', headers: { 'content-type': 'application/json', origin: server.url, ...from(), ...headers }, body: JSON.stringify(body) })
  return { status: res.status, json: (await res.json()) as any, cookie: /skaits_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1] }
}
const withSession = (session: string) => ({ cookie: `skaits_session=${session}` })
const get = async (path: string, session: string) => {
  const res = await fetch(server.url + path, { headers: withSession(session) })
  return { status: res.status, json: (await res.json()) as any }
}

/** The code an authenticator app shows for `secret` at `at`. */
const codeAt = (secret: string, at = now) => new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' }).generate({ timestamp: at })

async function passwordLogin(who: { email: string; password: string }) {
  return post('/api/login', who)
}

/** Turns two-factor login on for a logged-in owner; its secret and recovery codes. */
async function enrol(session: string): Promise<{ secret: string; uri: string; qr: string; codes: string[] }> {
  const setup = await post('/api/2fa/setup', {}, withSession(session))
  expect(setup.status).toBe(200)
  const confirm = await post('/api/2fa/confirm', { code: codeAt(setup.json.secret) }, withSession(session))
  expect(confirm.status, JSON.stringify(confirm.json)).toBe(200)
  return { ...setup.json, codes: confirm.json.recovery_codes }
}

let secret = ''
let recovery: string[] = []

describe('enrolment', () => {
  it('shows the secret once as an otpauth:// URI, a QR code and text; a current code turns it on and gives ten recovery codes', async () => {
    const login = await passwordLogin(OWNER)
    expect(login.status).toBe(200)
    const session = login.cookie!
    expect((await get('/api/2fa', session)).json).toMatchObject({ state: 'off', required: false })

    const setup = await post('/api/2fa/setup', {}, withSession(session))
    expect(setup.status).toBe(200)
    expect(setup.json.secret).toMatch(/^[A-Z2-7]{32}$/)
    expect(setup.json.uri).toMatch(/^otpauth:\/\/totp\/Skaits:owner%40example\.lv\?/)
    expect(setup.json.uri).toContain(`secret=${setup.json.secret}`)
    expect(Buffer.from(setup.json.qr.replace('data:image/svg+xml;base64,', ''), 'base64').toString()).toMatch(/^<svg[^>]*viewBox/)
    expect((await get('/api/2fa', session)).json.state).toBe('pending')

    const wrong = await post('/api/2fa/confirm', { code: codeAt(setup.json.secret, now - 5 * STEP) }, withSession(session))
    expect(wrong.status).toBe(400)
    expect(wrong.json.code).toBe('two_factor_code_wrong')

    const confirm = await post('/api/2fa/confirm', { code: codeAt(setup.json.secret) }, withSession(session))
    expect(confirm.status).toBe(200)
    recovery = confirm.json.recovery_codes
    expect(recovery).toHaveLength(10)
    expect(new Set(recovery).size).toBe(10)
    for (const c of recovery) expect(c).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/)
    secret = setup.json.secret
    expect((await get('/api/2fa', session)).json).toMatchObject({ state: 'on', recovery_left: 10 })
    // Once on, a new secret is not handed out to whoever holds the session.
    expect((await post('/api/2fa/setup', {}, withSession(session))).status).toBe(409)
  })
})

describe('login with two-factor login on', () => {
  it('the password gives a second-step token and no session; a current code completes the login', async () => {
    now += 2 * STEP
    const first = await passwordLogin(OWNER)
    expect(first.status).toBe(200)
    expect(first.cookie).toBeUndefined()
    expect(first.json.owner).toBeUndefined()
    expect(first.json.two_factor.token).toMatch(/^t2_/)
    const done = await post('/api/login/2fa', { token: first.json.two_factor.token, code: codeAt(secret) })
    expect(done.status).toBe(200)
    expect(done.json).toMatchObject({ owner: { email: OWNER.email }, used: 'totp' })
    expect((await get('/api/me', done.cookie!)).status).toBe(200)
  })

  it('refuses a code used once already, and takes the next step’s code', async () => {
    const again = await passwordLogin(OWNER)
    const reused = await post('/api/login/2fa', { token: again.json.two_factor.token, code: codeAt(secret) })
    expect(reused.status).toBe(401)
    expect(reused.json.code).toBe('two_factor_code_wrong')
    expect(reused.cookie).toBeUndefined()
    now += STEP
    expect((await post('/api/login/2fa', { token: again.json.two_factor.token, code: codeAt(secret) })).status).toBe(200)
  })

  it('takes the previous step’s code (a clock a little behind) but not one from two steps ago', async () => {
    now += 5 * STEP
    const token = (await passwordLogin(OWNER)).json.two_factor.token
    const old = await post('/api/login/2fa', { token, code: codeAt(secret, now - 2 * STEP) })
    expect(old.status).toBe(401)
    expect((await post('/api/login/2fa', { token, code: codeAt(secret, now - STEP) })).status).toBe(200)
  })

  it('takes a recovery code once: it is used up', async () => {
    const token = (await passwordLogin(OWNER)).json.two_factor.token
    // As people type them: upper case, without the dash.
    const used = await post('/api/login/2fa', { token, code: recovery[3]!.toUpperCase().replace('-', ' ') })
    expect(used.status).toBe(200)
    expect(used.json).toMatchObject({ used: 'recovery', recovery_left: 9 })
    const twice = await post('/api/login/2fa', { token, code: recovery[3] })
    expect(twice.status).toBe(401)
    expect(twice.json.code).toBe('two_factor_code_wrong')
  })

  it('refuses a made-up, expired or missing second-step token, and a missing code', async () => {
    const token = (await passwordLogin(OWNER)).json.two_factor.token as string
    const forged = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA')
    expect((await post('/api/login/2fa', { token: forged, code: codeAt(secret) })).json.code).toBe('two_factor_step_invalid')
    expect((await post('/api/login/2fa', { code: codeAt(secret) })).status).toBe(401)
    const missing = await post('/api/login/2fa', { token })
    expect(missing.status).toBe(400)
    expect(missing.json.code).toBe('two_factor_code_missing')
    now += 6 * 60_000
    const late = await post('/api/login/2fa', { token, code: codeAt(secret) })
    expect(late.status).toBe(401)
    expect(late.json.code).toBe('two_factor_step_invalid')
  })

  it('limits wrong codes like wrong passwords: after five, even the right code waits 15 minutes', async () => {
    // A window of its own: the recovery code tried twice above counted once.
    now += 15 * 60_000
    const token = (await passwordLogin(OWNER)).json.two_factor.token
    const wrong = String((Number(codeAt(secret)) + 1) % 1_000_000).padStart(6, '0')
    for (let i = 0; i < 5; i++) expect((await post('/api/login/2fa', { token, code: wrong })).status).toBe(401)
    const limited = await post('/api/login/2fa', { token, code: codeAt(secret) })
    expect(limited.status).toBe(429)
    expect(limited.json.code).toBe('too_many_codes')
    // A right password again does not reset what the codes counted.
    const token2 = (await passwordLogin(OWNER)).json.two_factor.token
    expect((await post('/api/login/2fa', { token: token2, code: codeAt(secret) })).status).toBe(429)
    now += 15 * 60_000
    const token3 = (await passwordLogin(OWNER)).json.two_factor.token
    expect((await post('/api/login/2fa', { token: token3, code: codeAt(secret) })).status).toBe(200)
  })

  it('says so in Latvian to the dashboard: every refusal carries a code it translates', async () => {
    const { SERVER_MESSAGES } = await import('../../dashboard/src/i18n.ts')
    for (const code of ['two_factor_code_wrong', 'two_factor_step_invalid', 'too_many_codes', 'two_factor_required']) {
      expect(SERVER_MESSAGES.lv[code], code).toBeTruthy()
      expect(SERVER_MESSAGES.lv[code]).not.toBe(SERVER_MESSAGES.en[code])
    }
  })
})

describe('the TOTP secret at rest', () => {
  it('is in no column and no file under DATA_DIR in clear, nor are the recovery codes; the sealed one opens only with the key file', async () => {
    const hex = Buffer.from(Secret.fromBase32(secret).buffer).toString('hex')
    expect(await findInAnyColumn(server.db, secret)).toEqual([])
    expect(await findInAnyColumn(server.db, hex)).toEqual([])
    expect(filesContaining(dataDir, secret)).toBe('')
    for (const code of recovery) {
      expect(await findInAnyColumn(server.db, code.replace('-', ''))).toEqual([])
      expect(filesContaining(dataDir, code.replace('-', ''))).toBe('')
    }
    // Positive control: the row is there, sealed, and the key outside DATA_DIR opens it.
    const [row] = await queryRows<{ owner_id: string; secret_sealed: string }>(server.db, 'SELECT owner_id, secret_sealed FROM two_factor FINAL WHERE enabled = 1')
    expect(row!.secret_sealed).toMatch(/^v1\./)
    const key = Buffer.from(readFileSync(`${dataDir}.salt-key`, 'utf8').trim(), 'hex')
    expect(new TotpSeal(key).open(row!.owner_id, row!.secret_sealed)).toBe(secret)
    expect(new TotpSeal(Buffer.alloc(32, 7)).open(row!.owner_id, row!.secret_sealed)).toBeUndefined()
  })
})

describe('turning it off', () => {
  it('needs the password and a current code; then the password alone logs in again', async () => {
    now += 2 * STEP
    const token = (await passwordLogin(OWNER)).json.two_factor.token
    const session = (await post('/api/login/2fa', { token, code: codeAt(secret) })).cookie!
    now += STEP
    const badPassword = await post('/api/2fa/disable', { password: 'not the passphrase', code: codeAt(secret) }, withSession(session))
    expect(badPassword.status).toBe(403)
    expect(badPassword.json.code).toBe('current_password_wrong')
    const badCode = await post('/api/2fa/disable', { password: OWNER.password, code: '000000' === codeAt(secret) ? '111111' : '000000' }, withSession(session))
    expect(badCode.status).toBe(403)
    expect((await post('/api/2fa/disable', { password: OWNER.password }, withSession(session))).status).toBe(400)
    const off = await post('/api/2fa/disable', { password: OWNER.password, code: codeAt(secret) }, withSession(session))
    expect(off.status).toBe(200)
    expect((await get('/api/2fa', session)).json.state).toBe('off')
    const plain = await passwordLogin(OWNER)
    expect(plain.cookie).toBeDefined()
    expect(plain.json.two_factor).toBeUndefined()
    // The old token no longer leads anywhere.
    expect((await post('/api/login/2fa', { token, code: codeAt(secret, now + STEP) })).json.code).toBe('two_factor_step_invalid')
  })
})

describe('the owners’ rule: two-factor login for everyone', () => {
  it('an owner without it may not require it; with it on, they may', async () => {
    const session = (await passwordLogin(OWNER)).cookie!
    const early = await fetch(`${server.url}/api/settings/2fa`, { method: 'PUT', headers: { 'content-type': 'application/json', origin: server.url, ...withSession(session) }, body: JSON.stringify({ required: true }) })
    expect(early.status).toBe(409)
    expect(((await early.json()) as any).code).toBe('two_factor_policy_own_first')
    const bad = await adminCall(server.url, 'PUT', '/api/settings/2fa', { required: 'yes' })
    expect(bad.status).toBe(400)
    expect(bad.json.code).toBe('two_factor_policy_invalid')
  })

  it('sends an owner without it to enrolment right after the password; nothing else works until it is on', async () => {
    expect((await adminCall(server.url, 'POST', '/api/owners', SECOND)).status).toBe(201)
    expect((await adminCall(server.url, 'PUT', '/api/settings/2fa', { required: true })).json).toEqual({ required: true })
    expect((await adminCall(server.url, 'GET', '/api/settings/2fa')).json).toEqual({ required: true })

    const login = await passwordLogin(SECOND)
    expect(login.status).toBe(200)
    expect(login.json.enrol).toBe(true)
    const session = login.cookie!
    for (const path of ['/api/sites', '/api/owners', '/api/keys', '/api/sessions']) {
      const r = await get(path, session)
      expect(r.status, path).toBe(403)
      expect(r.json.code).toBe('two_factor_required')
    }
    expect((await post('/api/password', { current: SECOND.password, next: 'yet another passphrase here' }, withSession(session))).status).toBe(403)
    // The dashboard's page opens (test/dashboard/two-factor.test.ts: it shows the enrolment).
    expect((await fetch(server.url + '/', { headers: withSession(session) })).status).toBe(200)
    expect((await get('/api/me', session)).status).toBe(200)
    expect((await get('/api/2fa', session)).json).toMatchObject({ state: 'off', required: true })

    const second = await enrol(session)
    expect(second.codes).toHaveLength(10)
    expect((await get('/api/sites', session)).status).toBe(200)
    // From now on the second owner logs in in two steps.
    now += STEP
    const next = await passwordLogin(SECOND)
    expect(next.json.two_factor.token).toBeDefined()
    expect((await post('/api/login/2fa', { token: next.json.two_factor.token, code: codeAt(second.secret) })).status).toBe(200)
  })

  it('also holds the first owner, who turned theirs off, until they enrol again; the API key is not an owner and is not held', async () => {
    const session = (await passwordLogin(OWNER)).cookie!
    expect((await get('/api/sites', session)).json.code).toBe('two_factor_required')
    expect((await adminCall(server.url, 'GET', '/api/sites')).status).toBe(200)
    await enrol(session)
    expect((await get('/api/sites', session)).status).toBe(200)
  })

  it('another owner, or the admin key, can turn off the two-factor login of an owner who lost their device', async () => {
    const owners = (await adminCall(server.url, 'GET', '/api/owners')).json as { id: string; email: string }[]
    const second = owners.find((o) => o.email === SECOND.email)!
    const off = await adminCall(server.url, 'DELETE', `/api/owners/${second.id}/2fa`)
    expect(off.json).toMatchObject({ state: 'off', was: 'on' })
    expect((await adminCall(server.url, 'DELETE', '/api/owners/no-such-owner/2fa')).status).toBe(404)
    // With the rule on, their next login leads to enrolment again.
    expect((await passwordLogin(SECOND)).json.enrol).toBe(true)
    expect((await adminCall(server.url, 'PUT', '/api/settings/2fa', { required: false })).json).toEqual({ required: false })
  })
})
