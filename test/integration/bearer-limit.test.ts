import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BEARER_FAILURES } from '../../server/auth/principal.ts'
import { ConfigError, loadConfig, MIN_API_KEY_LENGTH } from '../../server/config.ts'
import { API_KEY, spawnServer, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

// Wrong Bearer tokens are limited per network (/24, /48) like logins, and the bootstrap key
// must be long enough that guessing it is hopeless.

let now = Date.now()
const clock = () => now

async function sites(url: string, token: string, ip: string) {
  const res = await fetch(`${url}/api/sites`, { headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': ip } })
  return { status: res.status, retryAfter: res.headers.get('retry-after'), text: await res.text() }
}

describe('failed Bearer tokens (TRUST_PROXY=1: X-Forwarded-For picks the network)', () => {
  let server: RunningSkaits
  beforeAll(async () => {
    server = await startInProcess({ dataDir: tempDir(), clock, timers: false })
  })
  afterAll(async () => {
    await server?.stop()
  })

  const wrong = (i: number) => `sk_wrong-token-number-${i}-0123456789abcdef`

  it(`refuses a network for the rest of the window after ${BEARER_FAILURES.max} wrong tokens, with Retry-After`, async () => {
    expect((await sites(server.url, API_KEY, '198.51.100.1')).status).toBe(200)
    for (let i = 0; i < BEARER_FAILURES.max; i++) {
      expect((await sites(server.url, wrong(i), `198.51.100.${(i % 200) + 2}`)).status).toBe(401)
    }
    const limited = await sites(server.url, wrong(99), '198.51.100.250')
    expect(limited.status).toBe(429)
    expect(Number(limited.retryAfter)).toBeGreaterThan(0)
    expect(Number(limited.retryAfter)).toBeLessThanOrEqual(BEARER_FAILURES.windowMs / 1000)
    expect(limited.text).toMatch(/too many wrong Bearer tokens/)
    // While refused, even the right key from that network gets no answer: no oracle for guesses.
    expect((await sites(server.url, API_KEY, '198.51.100.251')).status).toBe(429)
    // Other networks, IPv6 included, are not affected.
    expect((await sites(server.url, API_KEY, '198.51.101.1')).status).toBe(200)
    expect((await sites(server.url, API_KEY, '2001:db8:1::1')).status).toBe(200)
  })

  it('does not limit requests without a Bearer token (cookies, anonymous)', async () => {
    const res = await fetch(`${server.url}/api/setup`, { headers: { 'x-forwarded-for': '198.51.100.9' } })
    expect(res.status).toBe(200)
  })

  it('opens the network again when the window ends', async () => {
    now += BEARER_FAILURES.windowMs + 1000
    expect((await sites(server.url, API_KEY, '198.51.100.251')).status).toBe(200)
  })

  it('counts IPv6 per /48', async () => {
    for (let i = 0; i < BEARER_FAILURES.max; i++) {
      expect((await sites(server.url, wrong(i), `2001:db8:7:${i.toString(16)}::1`)).status).toBe(401)
    }
    expect((await sites(server.url, API_KEY, '2001:db8:7:ffff::9')).status).toBe(429)
    expect((await sites(server.url, API_KEY, '2001:db8:8::9')).status).toBe(200)
  })

  it('never logs the tokens it refused', () => {
    const log = server.logs.join('')
    expect(log).not.toContain('wrong-token-number')
    expect(log).not.toContain(API_KEY)
  })
})

describe('SKAITS_API_KEY length', () => {
  it(`refuses a key shorter than ${MIN_API_KEY_LENGTH} characters, naming the variable but not the key`, () => {
    const short = 'x'.repeat(MIN_API_KEY_LENGTH - 1)
    expect(() => loadConfig({ SKAITS_API_KEY: short })).toThrow(ConfigError)
    expect(() => loadConfig({ SKAITS_API_KEY: short })).toThrow(/SKAITS_API_KEY must be at least 24 characters/)
    const message = (() => {
      try {
        loadConfig({ SKAITS_API_KEY: 'secret' })
        return 'accepted'
      } catch (err) {
        return (err as Error).message
      }
    })()
    expect(message).toMatch(/^SKAITS_API_KEY /)
    expect(message).not.toContain('secret')
    expect(loadConfig({ SKAITS_API_KEY: 'x'.repeat(MIN_API_KEY_LENGTH) }).apiKey).toBe('x'.repeat(MIN_API_KEY_LENGTH))
    expect(loadConfig({}).apiKey).toBeUndefined()
    expect(loadConfig({ SKAITS_API_KEY: '' }).apiKey).toBeUndefined()
  })

  it('stops the real server with exit code 2 and a message naming SKAITS_API_KEY', async () => {
    const started = spawnServer({ DATA_DIR: tempDir(), SKAITS_API_KEY: 'test-key' })
    const err = await started.then(
      async (s) => {
        await s.stop()
        return new Error('the server started with a short key')
      },
      (e: unknown) => e as Error,
    )
    expect(err.message).toMatch(/server exited with 2/)
    expect(err.message).toMatch(/SKAITS_API_KEY must be at least 24 characters/)
    expect(err.message).not.toContain('test-key')
  })
})
