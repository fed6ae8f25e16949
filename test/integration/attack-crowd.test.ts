import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addDays, dayOf } from '../../server/time.ts'
import { API_KEY, sendEvent, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

/**
 * Attacks by whoever holds a shared link or a public-scoped key, with the minimum crowd
 * (k = 5 by default). The victim's visit (Firefox on Linux, from Google, to /pricing) must
 * never be paired with any of its attributes: not by polling today's breakdowns before and
 * after it, not by asking its hour value by value, not on a day it had to itself.
 */
const today = dayOf(Date.now(), 'UTC')
const yesterday = addDays(today, -1)
const at = (day: string, hhmm: string) => Date.parse(`${day}T${hhmm}:00Z`)
let now = at(today, '09:00')
let server: RunningSkaits
const VICTIM_VALUES = ['Firefox', 'Linux', 'Google', '/pricing']
const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0'
const chrome = (n: number) => `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.${n}.0 Safari/537.36`
const DIMENSIONS = ['visit:browser', 'visit:os', 'visit:source', 'visit:entry_page', 'event:page']

async function ask(token: string, body: Record<string, unknown>) {
  const res = await fetch(`${server.url}/api/v2/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ site_id: 'example.lv', metrics: ['visitors', 'pageviews'], ...body }),
  })
  return { status: res.status, json: (await res.json()) as { results: { dimensions: string[]; metrics: (number | null)[] }[]; error?: string } }
}

async function admin(path: string, body: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  expect(res.status).toBe(201)
  return (await res.json()) as Record<string, string>
}

/** Everything one credential can see of today, one dimension at a time, and of its hours. */
async function snapshot(token: string, day = today): Promise<string> {
  const seen: unknown[] = []
  for (const dim of DIMENSIONS) {
    seen.push((await ask(token, { date_range: [day, day], dimensions: [dim] })).json)
    const hours = await ask(token, { date_range: [day, day], dimensions: ['time:hour', dim] })
    seen.push(hours.status === 200 ? hours.json : hours.status)
  }
  return JSON.stringify(seen)
}

const victimVisit = () =>
  sendEvent(server.url, { n: 'pageview', u: 'https://example.lv/pricing', d: 'example.lv', r: 'https://www.google.com/' }, { ip: '198.51.100.7', ua: FIREFOX_LINUX })

describe('attacks with a shared link or a public key (minimum crowd)', () => {
  let share = ''
  let publicKey = ''
  beforeAll(async () => {
    server = await startInProcess({ dataDir: tempDir(), clock: () => now, timers: false, env: { TIMEZONE: 'UTC' } })
    share = (await admin('/api/shares', { site: 'example.lv' })).token!
    publicKey = (await admin('/api/keys', { name: 'public page', public: true })).key!
    // The crowd: 8 visitors on Chrome/Windows, direct, to /, in the 09:00 hour.
    for (let i = 0; i < 8; i++) {
      now = at(today, `09:0${i}`)
      await sendEvent(server.url, { n: 'pageview', u: 'https://example.lv/', d: 'example.lv' }, { ip: `198.51.100.${20 + i}`, ua: chrome(i) })
    }
    // Yesterday, one visitor had the site to themselves.
    now = at(yesterday, '15:00')
    await victimVisit()
    await server.skaits.buffer.flush()
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('a polling attacker learns nothing from a visit in the current hour, and no value of it once the hour closes', async () => {
    for (const token of [share, publicKey]) {
      now = at(today, '10:02')
      const before = await snapshot(token)
      now = at(today, '10:05')
      expect((await victimVisit()).status).toBe(202)
      await server.skaits.buffer.flush()
      now = at(today, '10:06')
      // The hour is not over: the answers have not moved at all.
      expect(await snapshot(token)).toBe(before)
      now = at(today, '11:01')
      const after = await snapshot(token)
      expect(after).not.toBe(before)
      for (const value of VICTIM_VALUES) expect(after, `${value} seen`).not.toContain(`"${value}"`)
      expect(after).toContain('"(fewer than 5)"')
      // The site total is no breakdown: it may show the new visitor, and says nothing of them.
      const total = await ask(token, { date_range: 'day' })
      expect(total.json.results[0]!.metrics[0]).toBeGreaterThanOrEqual(9)
    }
    // The owner sees exactly.
    const exact = await ask(API_KEY, { date_range: 'day', dimensions: ['visit:browser'] })
    expect(exact.json.results.map((r) => r.dimensions[0])).toContain('Firefox')
  })

  it('a day with fewer than k visitors shows no breakdown at all', async () => {
    for (const token of [share, publicKey]) {
      for (const dim of DIMENSIONS) {
        const r = await ask(token, { date_range: [yesterday, yesterday], dimensions: [dim] })
        expect(r.status).toBe(200)
        expect(r.json.results, `${dim} of a one-visitor day`).toEqual([])
      }
      const filtered = await ask(token, { date_range: [yesterday, yesterday], filters: [['is', 'visit:browser', ['Firefox']]] })
      expect(filtered.json.results).toEqual([])
    }
  })

  it('holds the owner to the site’s own minimum crowd when one is set, and exact again without', async () => {
    const put = (min_crowd: number | null | string) =>
      fetch(`${server.url}/api/sites/example.lv/min-crowd`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ min_crowd }),
      })
    const browsers = async () => (await ask(API_KEY, { date_range: 'day', dimensions: ['visit:browser'] })).json.results.map((r) => r.dimensions[0])
    expect(await browsers()).toContain('Firefox')
    expect((await put(1)).status).toBe(400)
    expect((await put('5')).status).toBe(400)
    expect((await put(5)).status).toBe(200)
    expect(await browsers()).toEqual(['Chrome', '(fewer than 5)'])
    // A shared link gets the larger of its k and the site's.
    expect((await put(20)).status).toBe(200)
    expect((await ask(share, { date_range: 'day', dimensions: ['visit:browser'] })).json.results).toEqual([])
    expect((await put(null)).status).toBe(200)
    expect(await browsers()).toContain('Firefox')
  })

  it('refuses a dimension without a visitor count, and k below 2', async () => {
    expect((await ask(share, { date_range: 'day', metrics: ['visits'], dimensions: ['visit:exit_page'] })).status).toBe(400)
    const res = await fetch(`${server.url}/api/shares`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ site: 'example.lv', min_crowd: 1 }),
    })
    expect(res.status).toBe(400)
  })
})
