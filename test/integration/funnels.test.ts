import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addDays, dayOf } from '../../server/time.ts'
import { adminCall, API_KEY, runCli, sendEvent, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

/**
 * A funnel "Checkout": /pricing → Signup (event) → /welcome, counted by visit:source and
 * visit:device, declared yesterday at 00:30 (UTC). Hand-designed visits:
 *
 *   a  Google   10:00 /pricing, 10:00:20 Signup, 10:00:50 /welcome         → steps 1, 2 (20 s), 3 (50 s)
 *   b  Google   11:00 /welcome, 11:00:10 Signup, 11:00:20 /pricing         → out of order: step 1 only
 *   c  direct   12:00 /pricing, +10 /pricing, +20 Signup, +30 Signup, +40 /welcome
 *                                                                           → repeated steps count once: 1, 2 (20 s), 3 (40 s)
 *   d  direct   13:00 /pricing; 13:40 Signup, /welcome (a new visit after 30 min idle)
 *                                                                           → steps across two visits: step 1 only
 *   e  Google   23:58 /pricing; today 00:01 Signup, 00:02 /welcome          → spans midnight: step 1 yesterday,
 *                                                                              2 (180 s) and 3 (240 s) today
 * Every number below is worked out by hand from this table.
 */
const realToday = dayOf(Date.now(), 'UTC')
const yesterday = addDays(realToday, -1)
const at = (day: string, hms: string) => Date.parse(`${day}T${hms}Z`)
let now = at(yesterday, '00:30:00')
const dataDir = tempDir()
let server: RunningSkaits
const ENV = { TIMEZONE: 'UTC' }
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1'
const chrome = (n: number) => `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.${n}.0 Safari/537.36`

async function send(who: { ip: string; ua: string }, when: number, body: Record<string, unknown>) {
  now = when
  const res = await sendEvent(server.url, { d: 'example.lv', ...body }, who)
  expect(res.status, await res.clone().text()).toBe(202)
}
const page = (who: { ip: string; ua: string }, when: number, path: string, r?: string) => send(who, when, { n: 'pageview', u: `https://example.lv${path}`, ...(r ? { r } : {}) })
const signup = (who: { ip: string; ua: string }, when: number) => send(who, when, { n: 'Signup', u: 'https://example.lv/pricing' })

async function traffic() {
  const y = (hms: string) => at(yesterday, hms)
  const google = 'https://www.google.com/'
  const a = { ip: '198.51.100.1', ua: chrome(1) }
  await page(a, y('10:00:00'), '/pricing', google)
  await signup(a, y('10:00:20'))
  await page(a, y('10:00:50'), '/welcome')
  const b = { ip: '198.51.100.2', ua: chrome(2) }
  await page(b, y('11:00:00'), '/welcome', google)
  await signup(b, y('11:00:10'))
  await page(b, y('11:00:20'), '/pricing')
  const c = { ip: '198.51.100.3', ua: chrome(3) }
  await page(c, y('12:00:00'), '/pricing')
  await page(c, y('12:00:10'), '/pricing')
  await signup(c, y('12:00:20'))
  await signup(c, y('12:00:30'))
  await page(c, y('12:00:40'), '/welcome')
  const d = { ip: '198.51.100.4', ua: IPHONE }
  await page(d, y('13:00:00'), '/pricing')
  await signup(d, y('13:40:00'))
  await page(d, y('13:40:10'), '/welcome')
  const e = { ip: '198.51.100.5', ua: chrome(5) }
  await page(e, y('23:58:00'), '/pricing', google)
  await signup(e, at(realToday, '00:01:00'))
  await page(e, at(realToday, '00:02:00'), '/welcome')
  await server.skaits.buffer.flush()
}

async function funnel(body: Record<string, unknown>, token = API_KEY) {
  const res = await fetch(`${server.url}/api/v2/funnel`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ site_id: 'example.lv', funnel: 'Checkout', ...body }),
  })
  return { status: res.status, json: await res.json() }
}

/** Steps as [visitors, visits, conversion_rate, conversion_rate_step, dropoff, average_time]. */
const table = (steps: any[]) => steps.map((s) => [s.visitors, s.visits, s.conversion_rate, s.conversion_rate_step, s.dropoff, s.average_time])

async function expectKnownSteps() {
  const day = await funnel({ date_range: [yesterday, yesterday] })
  expect(day.status, JSON.stringify(day.json)).toBe(200)
  expect(table(day.json.steps)).toEqual([
    [5, 5, 100, 100, 0, 0],
    [2, 2, 40, 40, 3, 20],
    [2, 2, 40, 100, 0, 45],
  ])
  expect(day.json.steps.map((s: any) => s.page ?? `event:${s.event}`)).toEqual(['/pricing', 'event:Signup', '/welcome'])
  const two = await funnel({ date_range: [yesterday, realToday] })
  // e's steps 2 and 3 happened today, after midnight, in the visit that began yesterday.
  expect(table(two.json.steps)).toEqual([
    [5, 5, 100, 100, 0, 0],
    [3, 3, 60, 60, 2, 73],
    [3, 3, 60, 100, 0, 110],
  ])
  const bySource = await funnel({ date_range: [yesterday, yesterday], dimension: 'visit:source' })
  expect(bySource.json.by.values.map((v: any) => [v.value, v.steps.map((s: any) => s.visitors)])).toEqual([
    ['Google', [3, 1, 1]],
    ['Direct / None', [2, 1, 1]],
  ])
  const byDevice = await funnel({ date_range: [yesterday, realToday], dimension: 'visit:device' })
  expect(byDevice.json.by.values.map((v: any) => [v.value, v.steps.map((s: any) => s.visitors)])).toEqual([
    ['Desktop', [4, 3, 3]],
    ['Mobile', [1, 0, 0]],
  ])
}

describe('funnels counted as visits move', () => {
  beforeAll(async () => {
    server = await startInProcess({ dataDir, clock: () => now, timers: false, env: ENV })
    const made = await adminCall(server.url, 'POST', '/api/sites/example.lv/funnels', {
      name: 'Checkout',
      steps: [{ page: '/pricing' }, { event: 'Signup' }, { page: '/welcome' }],
      dimensions: ['visit:source', 'visit:device'],
    })
    expect(made.status, JSON.stringify(made.json)).toBe(201)
    await traffic()
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('gives the hand-computed steps: in order, out of order, repeated, across two visits, across midnight', async () => {
    await expectKnownSteps()
  })

  it('gives the same steps after a restart', async () => {
    await server.stop()
    server = await startInProcess({ dataDir, clock: () => now, timers: false, env: ENV })
    await expectKnownSteps()
  })

  it('gives the same steps after yesterday is rolled up', async () => {
    // The restart after midnight rolled yesterday up already (maintenance at start); a run now finds it done.
    now = at(realToday, '01:00:00')
    await server.skaits.maintenance.run()
    const rolled = await server.db.query({ query: "SELECT toString(day) AS d FROM rolled_days WHERE day = {d:Date}", query_params: { d: yesterday }, format: 'JSONEachRow' })
    expect((await rolled.json<{ d: string }>()).map((r) => r.d)).toContain(yesterday)
    const sketches = await server.db.query({ query: 'SELECT count() AS n FROM visitor_sketches WHERE day = {d:Date}', query_params: { d: yesterday }, format: 'JSONEachRow' })
    expect((await sketches.json<{ n: number }>()).map((r) => Number(r.n))).toEqual([0])
    await expectKnownSteps()
  })

  it('refuses a range before the declaration day, a dimension it is not counted by, an unknown funnel', async () => {
    const early = await funnel({ date_range: [addDays(yesterday, -1), yesterday] })
    expect([early.status, early.json.code]).toEqual([400, 'funnel_since'])
    expect(early.json.error).toContain(yesterday)
    const dim = await funnel({ date_range: 'day', dimension: 'visit:country' })
    expect([dim.status, dim.json.code]).toEqual([400, 'funnel_dimension'])
    const unknown = await funnel({ date_range: 'day', funnel: 'Nope' })
    expect([unknown.status, unknown.json.code]).toEqual([404, 'funnel_unknown'])
  })

  it('manages funnels: caps, validation, rename, new steps as a new series, delete with its counts', async () => {
    const api = (method: string, path: string, body?: unknown) => adminCall(server.url, method, `/api/sites/example.lv/funnels${path}`, body)
    expect((await api('POST', '', { name: 'One step', steps: [{ page: '/' }] })).status).toBe(400)
    expect((await api('POST', '', { name: 'Bad dim', steps: [{ page: '/' }, { page: '/a' }], dimensions: ['visit:isp'] })).status).toBe(400)
    expect((await api('POST', '', { name: 'Unknown goal', steps: [{ page: '/' }, { goal: 'Nope' }] })).json.code).toBe('goal_unknown')
    expect((await api('POST', '', { name: 'Checkout', steps: [{ page: '/' }, { page: '/a' }] })).status).toBe(409)
    const list = await api('GET', '')
    expect(list.json.max).toBe(20)
    const checkout = list.json.funnels[0]
    expect((await api('PUT', `/${checkout.id}`, { name: 'Sign-up path', steps: checkout.steps, dimensions: checkout.dimensions })).json.id).toBe(checkout.id)
    const changed = await api('PUT', `/${checkout.id}`, { name: 'Sign-up path', steps: [{ page: '/pricing' }, { page: '/welcome' }], keep_history: true })
    expect(changed.json.id).not.toBe(checkout.id)
    const kept = (await api('GET', '')).json.funnels.find((f: any) => f.id === checkout.id)
    expect(kept.until).not.toBeNull()
    expect((await funnel({ funnel: kept.name, date_range: [yesterday, yesterday] })).json.steps[0].visitors).toBe(5)
    expect((await api('DELETE', `/${checkout.id}`)).status).toBe(200)
    const rows = await server.db.query({
      query: "SELECT count() AS n FROM counts_hourly WHERE dimension = {own:String} OR startsWith(dimension, {prefix:String})",
      query_params: { own: `funnel:${checkout.id}`, prefix: `funnel:${checkout.id}:` },
      format: 'JSONEachRow',
    })
    expect((await rows.json<{ n: number }>()).map((r) => Number(r.n))).toEqual([0])
  })

  it('answers a shared link only when it shows goals and funnels', async () => {
    const plain = (await adminCall(server.url, 'POST', '/api/shares', { site: 'example.lv', min_crowd: 2 })).json
    expect((await funnel({ funnel: 'Sign-up path', date_range: 'day' }, plain.token)).status).toBe(403)
    const withGoals = (await adminCall(server.url, 'POST', '/api/shares', { site: 'example.lv', min_crowd: 2, goals: true })).json
    const shared = await funnel({ funnel: 'Sign-up path', date_range: 'day' }, withGoals.token)
    expect(shared.status).toBe(200)
    expect(shared.json.min_crowd).toBe(2)
  })
})

describe('funnels on the CLI', () => {
  it('adds, lists and removes them', async () => {
    const dir = tempDir()
    const cli = (args: string[]) => runCli(dir, args)
    expect(cli(['sites', 'add', 'example.lv']).code).toBe(0)
    const added = cli(['funnels', 'add', '--site', 'example.lv', '--name', 'Checkout', '--steps', '/pricing,event:Signup,/welcome', '--dimensions', 'visit:channel'])
    expect(added).toMatchObject({ code: 0, json: { name: 'Checkout', steps: [{ page: '/pricing' }, { event: 'Signup' }, { page: '/welcome' }], dimensions: ['visit:channel'] } })
    expect(cli(['funnels', 'add', '--site', 'example.lv', '--name', 'Short', '--steps', '/only']).code).toBe(1)
    expect(cli(['funnels', 'list', '--site', 'example.lv']).json.map((f: { name: string }) => f.name)).toEqual(['Checkout'])
    expect(cli(['funnels', 'remove', '--site', 'example.lv', String(added.json.id)]).code).toBe(0)
    expect(cli(['funnels', 'list', '--site', 'example.lv']).json).toEqual([])
  }, 60_000)
})
