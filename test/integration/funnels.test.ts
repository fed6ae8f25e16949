import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addDays, dayOf } from '../../server/time.ts'
import { CHECKOUT, sendFunnelVisits } from '../helpers/funnel-visits.ts'
import { adminCall, API_KEY, runCli, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

/**
 * The funnel "Checkout" declared yesterday at 00:30 (UTC), and test/helpers/funnel-visits.ts's
 * hand-designed visits: in order, out of order, repeated steps, steps across two visits, a visit
 * across midnight. Every number below is worked out by hand from its table.
 */
const realToday = dayOf(Date.now(), 'UTC')
const yesterday = addDays(realToday, -1)
const at = (day: string, hms: string) => Date.parse(`${day}T${hms}Z`)
let now = at(yesterday, '00:30:00')
const dataDir = tempDir()
let server: RunningSkaits
const ENV = { TIMEZONE: 'UTC' }

async function traffic() {
  await sendFunnelVisits(server.url, { yesterday, today: realToday }, (when) => (now = when))
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
    const made = await adminCall(server.url, 'POST', '/api/sites/example.lv/funnels', CHECKOUT)
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

// Outside cli.test.ts, which the time-travel passes run again: nothing here depends on dates.
describe('goals and funnels on the CLI', () => {
  const dir = tempDir()
  const cli = (args: string[]) => runCli(dir, args)

  it('declares, lists and removes goals', () => {
    expect(cli(['sites', 'add', 'example.lv']).code).toBe(0)
    const added = cli(['goals', 'add', '--site', 'example.lv', '--event', 'Purchase', '--currency', 'EUR'])
    expect(added).toMatchObject({ code: 0, json: { name: 'Purchase', goal_type: 'event', event_name: 'Purchase', currency: 'EUR' } })
    expect(cli(['goals', 'add', '--site', 'example.lv', '--page', '/thanks', '--name', 'Thanks'])).toMatchObject({ code: 0, json: { name: 'Thanks', page_path: '/thanks' } })
    expect(cli(['goals', 'add', '--site', 'example.lv', '--event', 'X', '--currency', 'euro'])).toMatchObject({ code: 1 })
    expect(cli(['goals', 'add', '--site', 'example.lv']).code).toBe(2)
    expect(cli(['goals', 'list', '--site', 'example.lv']).json.map((g: { name: string }) => g.name)).toEqual(['Purchase', 'Thanks'])
    expect(cli(['goals', 'remove', '--site', 'example.lv', String(added.json.id)])).toMatchObject({ code: 0, json: { deleted: { name: 'Purchase' } } })
    expect(cli(['goals', 'remove', '--site', 'example.lv', String(added.json.id)]).code).toBe(1)
    expect(cli(['goals', 'list', '--site', 'example.lv']).json.map((g: { name: string }) => g.name)).toEqual(['Thanks'])
  }, 60_000)

  it('adds, lists and removes funnels', async () => {
    const added = cli(['funnels', 'add', '--site', 'example.lv', '--name', 'Checkout', '--steps', '/pricing,event:Signup,/welcome', '--dimensions', 'visit:channel'])
    expect(added).toMatchObject({ code: 0, json: { name: 'Checkout', steps: [{ page: '/pricing' }, { event: 'Signup' }, { page: '/welcome' }], dimensions: ['visit:channel'] } })
    expect(cli(['funnels', 'add', '--site', 'example.lv', '--name', 'Short', '--steps', '/only']).code).toBe(1)
    expect(cli(['funnels', 'list', '--site', 'example.lv']).json.map((f: { name: string }) => f.name)).toEqual(['Checkout'])
    expect(cli(['funnels', 'remove', '--site', 'example.lv', String(added.json.id)]).code).toBe(0)
    expect(cli(['funnels', 'list', '--site', 'example.lv']).json).toEqual([])
  }, 60_000)
})
