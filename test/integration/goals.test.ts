import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addDays, dayOf } from '../../server/time.ts'
import { GOALS_OF_VISITS, sendGoalVisits } from '../helpers/goal-visits.ts'
import { adminCall, API_KEY, query, sendEvent, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

/**
 * The known visits of test/helpers/goal-visits.ts through the real server, yesterday from 03:00
 * (UTC), with its three goals declared before them. Every number below is worked out by hand
 * from its table.
 */
const realToday = dayOf(Date.now(), 'UTC')
const yesterday = addDays(realToday, -1)
const at = (day: string, hhmm: string) => Date.parse(`${day}T${hhmm}:00Z`)
let now = at(yesterday, '02:00')
const dataDir = tempDir()
let server: RunningSkaits
const ENV = { TIMEZONE: 'UTC' }

async function traffic() {
  now = at(yesterday, '03:00')
  await sendGoalVisits(server.url, () => (now += 1000))
  await server.skaits.buffer.flush()
}

const ask = (body: Record<string, unknown>) => query(server.url, { date_range: [yesterday, yesterday], ...body })

/** `{value: {metric: n}}` of a 200 answer. */
async function rows(body: Record<string, unknown>) {
  const { status, json } = await ask(body)
  expect(status, JSON.stringify(json)).toBe(200)
  const metrics = body.metrics as string[]
  return Object.fromEntries(json.results.map((r: any) => [r.dimensions.join(' | '), Object.fromEntries(metrics.map((m, i) => [m, r.metrics[i]]))]))
}

const eur = (value: number, long: string, short: string) => ({ value, long, short, currency: 'EUR' })

async function expectKnownNumbers() {
  expect(await rows({ metrics: ['visitors', 'visits', 'bounce_rate'] })).toEqual({ '': { visitors: 12, visits: 12, bounce_rate: 33 } })
  expect(await rows({ metrics: ['visitors', 'events', 'visits', 'conversion_rate', 'total_revenue', 'average_revenue'], dimensions: ['event:goal'] })).toEqual({
    Signup: { visitors: 4, events: 5, visits: 4, conversion_rate: 33.3, total_revenue: null, average_revenue: null },
    Purchase: { visitors: 2, events: 3, visits: 2, conversion_rate: 16.7, total_revenue: eur(30.5, '€30.50', '€30.5'), average_revenue: eur(15.25, '€15.25', '€15.3') },
    'Order done': { visitors: 2, events: 3, visits: 2, conversion_rate: 16.7, total_revenue: null, average_revenue: null },
  })
  const signup = [['is', 'event:goal', ['Signup']]]
  expect(await rows({ metrics: ['visitors', 'events', 'conversion_rate', 'group_conversion_rate'], dimensions: ['visit:source'], filters: signup })).toEqual({
    Google: { visitors: 4, events: 5, conversion_rate: 33.3, group_conversion_rate: 100 },
  })
  const purchase = [['is', 'event:goal', ['Purchase']]]
  expect(await rows({ metrics: ['visitors', 'visits', 'group_conversion_rate', 'total_revenue'], dimensions: ['visit:country'], filters: purchase })).toEqual({
    LV: { visitors: 2, visits: 2, group_conversion_rate: 33.3, total_revenue: eur(30.5, '€30.50', '€30.5') },
  })
  expect(await rows({ metrics: ['visitors', 'group_conversion_rate'], dimensions: ['visit:device'], filters: purchase })).toEqual({
    Mobile: { visitors: 2, group_conversion_rate: 100 },
  })
  const done = [['is', 'event:goal', ['Order done']]]
  expect(await rows({ metrics: ['visitors', 'visits', 'events', 'group_conversion_rate'], dimensions: ['event:page'], filters: done })).toEqual({
    '/order/1/done': { visitors: 1, visits: 1, events: 1, group_conversion_rate: 100 },
    '/order/2/done': { visitors: 1, visits: 1, events: 1, group_conversion_rate: 100 },
    '/order/3/done': { visitors: 1, visits: 0, events: 1, group_conversion_rate: 100 },
  })
  expect(await rows({ metrics: ['visitors', 'conversion_rate'], dimensions: ['visit:browser'], filters: done })).toEqual({ Firefox: { visitors: 2, conversion_rate: 16.7 } })
  // A goal and a filter on one visit dimension: the goal's tallies by that dimension.
  expect(await rows({ metrics: ['visitors', 'conversion_rate'], filters: [...signup, ['is', 'visit:country', ['LV']]] })).toEqual({
    '': { visitors: 4, conversion_rate: 66.7 },
  })
  // Revenue in a currency other than the goal's is kept apart, never converted.
  const { json } = await ask({ metrics: ['total_revenue'], filters: purchase })
  expect(json.results[0].metrics[0]).toEqual(eur(30.5, '€30.50', '€30.5'))
  expect(json.meta.revenue_other_currencies).toEqual({ Purchase: [{ value: 5, long: '$5.00', short: '$5.0', currency: 'USD' }] })
  expect(await rows({ metrics: ['visitors', 'events'], dimensions: ['time:day'], filters: signup })).toEqual({ [yesterday]: { visitors: 4, events: 5 } })
}

describe('goals counted as visits happen', () => {
  beforeAll(async () => {
    server = await startInProcess({ dataDir, clock: () => now, timers: false, env: ENV })
    for (const goal of GOALS_OF_VISITS) expect((await adminCall(server.url, 'PUT', '/api/sites/example.lv/goals', goal)).status).toBe(201)
    await traffic()
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('gives the hand-computed conversions, rates and revenue per goal and per value', async () => {
    await expectKnownNumbers()
  })

  it('gives the same numbers after a restart', async () => {
    await server.stop()
    server = await startInProcess({ dataDir, clock: () => now, timers: false, env: ENV })
    await expectKnownNumbers()
  })

  it('gives the same numbers after the day is rolled up', async () => {
    now = at(realToday, '00:10')
    expect((await server.skaits.maintenance.run()).rolledUp).toEqual([yesterday])
    await expectKnownNumbers()
  })

  it('knows a goal declared later from history for its totals, and refuses its breakdowns before then', async () => {
    now = at(realToday, '09:00')
    const declared = await adminCall(server.url, 'PUT', '/api/sites/example.lv/goals', { event: 'Newsletter' })
    expect(declared.status).toBe(201)
    expect(await rows({ metrics: ['visitors', 'events'], filters: [['is', 'event:goal', ['Newsletter']]] })).toEqual({ '': { visitors: 2, events: 2 } })
    // Listed with the others, by day: its day before the declaration from history, the rest from tallies.
    expect(await rows({ metrics: ['visitors', 'events'], dimensions: ['event:goal', 'time:day'], date_range: [yesterday, realToday] })).toEqual({
      [`Signup | ${yesterday}`]: { visitors: 4, events: 5 },
      [`Purchase | ${yesterday}`]: { visitors: 2, events: 3 },
      [`Order done | ${yesterday}`]: { visitors: 2, events: 3 },
      [`Newsletter | ${yesterday}`]: { visitors: 2, events: 2 },
    })
    // Under a filter on a dimension, the list names it apart instead of showing zeros.
    const filtered = await ask({ metrics: ['visitors'], dimensions: ['event:goal'], filters: [['is', 'visit:country', ['LV']]], include: { time_labels: true } })
    expect(filtered.json.results.map((r: any) => [r.dimensions[0], r.metrics[0]])).toEqual([['Signup', 4], ['Purchase', 2]])
    expect(filtered.json.meta.goals_without_breakdown).toEqual(['Newsletter'])
    const labelled = await ask({ metrics: ['visitors'], dimensions: ['time:day'], filters: [['is', 'event:goal', ['Signup']]], include: { time_labels: true } })
    expect(labelled.json.meta.time_labels).toEqual([yesterday])
    const { status, json } = await ask({ metrics: ['visitors'], dimensions: ['visit:source'], filters: [['is', 'event:goal', ['Newsletter']]] })
    expect(status).toBe(400)
    expect(json.code).toBe('goal_breakdown_since')
    expect(json.error).toContain(realToday)
  })

  it('refuses what the model does not keep, naming why', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ metrics: ['conversion_rate'] }, 'goal_metric_needs_goal'],
      [{ metrics: ['visitors'], filters: [['is', 'event:goal', ['Nope']]] }, 'goal_unknown'],
      [{ metrics: ['visitors'], filters: [['is', 'event:goal', ['Signup', 'Purchase']]] }, 'goal_filter_one'],
      [{ metrics: ['visitors'], dimensions: ['visit:exit_page'], filters: [['is', 'event:goal', ['Signup']]] }, 'goal_breakdown_unknown'],
      [{ metrics: ['pageviews'], filters: [['is', 'event:goal', ['Signup']]] }, 'goal_metric_unavailable'],
      [{ metrics: ['visitors'], dimensions: ['visit:source'], filters: [['is', 'event:goal', ['Signup']], ['is', 'visit:country', ['LV']]] }, 'cross_tab_filters'],
      [{ metrics: ['visitors'], dimensions: ['event:goal', 'visit:source'] }, 'cross_tab_breakdown'],
    ]
    for (const [body, code] of cases) {
      const { status, json } = await ask(body)
      expect([status, json.code], JSON.stringify(body)).toEqual([400, code])
    }
  })

  it('refuses bad revenue with a 400 naming the field, and counts the next event', async () => {
    const bad = await sendEvent(server.url, { n: 'Purchase', u: 'https://example.lv/', d: 'example.lv', revenue: { amount: '12,50', currency: 'EUR' } })
    expect(bad.status).toBe(400)
    expect((await bad.json()).message).toMatch(/^revenue\.amount: /)
    const badCurrency = await sendEvent(server.url, { n: 'Purchase', u: 'https://example.lv/', d: 'example.lv', $: { amount: 1, currency: 'eur' } })
    expect(badCurrency.status).toBe(400)
    expect((await badCurrency.json()).message).toMatch(/^\$\.currency: /)
    const empty = await sendEvent(server.url, { n: 'Purchase', u: 'https://example.lv/', d: 'example.lv', $: {} })
    expect(empty.status).toBe(202)
  })

  it('shows goals through a shared link only when the link says so, under its minimum crowd', async () => {
    const shareQuery = async (token: string, body: Record<string, unknown>) => {
      const res = await fetch(`${server.url}/api/v2/query`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ site_id: 'example.lv', date_range: [yesterday, yesterday], ...body }),
      })
      return { status: res.status, json: await res.json() }
    }
    const plain = (await adminCall(server.url, 'POST', '/api/shares', { site: 'example.lv', min_crowd: 3 })).json
    expect(plain.goals).toBe(false)
    const refused = await shareQuery(plain.token, { metrics: ['visitors'], dimensions: ['event:goal'] })
    expect([refused.status, refused.json.code]).toEqual([403, 'share_no_goals'])
    expect((await shareQuery(plain.token, { metrics: ['visitors'] })).status).toBe(200)
    const withGoals = (await adminCall(server.url, 'POST', '/api/shares', { site: 'example.lv', min_crowd: 3, goals: true })).json
    expect(withGoals.goals).toBe(true)
    const shown = await shareQuery(withGoals.token, { metrics: ['visitors', 'events'], dimensions: ['event:goal'] })
    expect(shown.status).toBe(200)
    // Purchase and Order done (2 visitors each) fall under the link's minimum crowd of 3.
    expect(shown.json.results.filter((r: any) => r.metrics[0] !== null).map((r: any) => [r.dimensions[0], r.metrics])).toEqual([['Signup', [4, 5]]])
  })

  it('exports a goal to a partner who was given it, by name, under k-suppression', async () => {
    const created = await adminCall(server.url, 'POST', '/api/partners', { site: 'example.lv', name: 'Agency', dimensions: ['event:goal'], k: 5, finest: 'day', coarsest: 'day' })
    expect(created.status).toBe(201)
    const json = await (await fetch(`${server.url}/export/${created.json.token}?from=${yesterday}&to=${yesterday}&granularity=day&format=json`)).json()
    const goalCells = json.data['event:goal']
    // Every goal counted that day had fewer than 5 converting visitors: all withheld, named, never by id.
    expect(goalCells.map((c: any) => [c.value, c.suppressed])).toEqual([['Order done', true], ['Purchase', true], ['Signup', true]])
    expect(json.data.total[0].visitors).toBe(12)
    expect((await adminCall(server.url, 'POST', '/api/partners', { site: 'example.lv', dimensions: ['event:goal'], epsilon: '1', budget: '5' })).status).toBe(400)
  })

  it('manages goals: list, rename, change with or without history, delete with its tallies', async () => {
    const list = await adminCall(server.url, 'GET', '/api/sites/example.lv/goals')
    expect(list.json.goals.map((g: any) => g.name)).toEqual(['Signup', 'Purchase', 'Order done', 'Newsletter'])
    const signup = list.json.goals[0]
    expect((await adminCall(server.url, 'PUT', '/api/sites/example.lv/goals', { event: 'Signup' })).json.id).toBe(signup.id)
    expect((await adminCall(server.url, 'PUT', `/api/sites/example.lv/goals/${signup.id}`, { event: 'Signup', name: 'Sign-up' })).json.id).toBe(signup.id)
    expect(await rows({ metrics: ['visitors'], filters: [['is', 'event:goal', ['Sign-up']]] })).toEqual({ '': { visitors: 4 } })
    // A new definition is a new series; the old one is kept on request, readable under a dated name.
    const changed = await adminCall(server.url, 'PUT', `/api/sites/example.lv/goals/${signup.id}`, { event: 'Signed up', name: 'Sign-up', keep_history: true })
    expect(changed.json.id).not.toBe(signup.id)
    const kept = (await adminCall(server.url, 'GET', '/api/sites/example.lv/goals')).json.goals.find((g: any) => g.id === signup.id)
    expect(kept.until).not.toBeNull()
    expect(await rows({ metrics: ['visitors'], filters: [['is', 'event:goal', [kept.name]]] })).toEqual({ '': { visitors: 4 } })
    // Deleting a goal deletes its tallies.
    const purchase = list.json.goals[1]
    expect((await adminCall(server.url, 'DELETE', `/api/sites/example.lv/goals/${purchase.id}`)).status).toBe(200)
    const left = await server.db.query({
      query: `SELECT count() AS n FROM counts_hourly WHERE (dimension = 'event:goal' AND value = {id:String}) OR startsWith(dimension, {prefix:String})`,
      query_params: { id: String(purchase.id), prefix: `goal:${purchase.id}|` },
      format: 'JSONEachRow',
    })
    expect((await left.json<{ n: number }>()).map((r) => Number(r.n))).toEqual([0])
  })

  it("speaks Plausible's Sites API for goals", async () => {
    const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' }
    const put = await fetch(`${server.url}/api/v1/sites/goals`, { method: 'PUT', headers, body: JSON.stringify({ site_id: 'example.lv', goal_type: 'page', page_path: '/thanks' }) })
    expect(put.status).toBe(200)
    const goal = await put.json()
    expect(goal).toMatchObject({ domain: 'example.lv', display_name: 'Visit /thanks', goal_type: 'page', event_name: null, page_path: '/thanks' })
    const list = await (await fetch(`${server.url}/api/v1/sites/goals?site_id=example.lv`, { headers })).json()
    expect(list.goals[0]).toEqual({ id: goal.id, display_name: 'Visit /thanks', goal_type: 'page', event_name: null, page_path: '/thanks' })
    expect(list.meta).toEqual({ after: null, before: null, limit: 100 })
    const missing = await fetch(`${server.url}/api/v1/sites/goals`, { method: 'PUT', headers, body: JSON.stringify({ site_id: 'example.lv', goal_type: 'event' }) })
    expect([missing.status, (await missing.json()).error]).toEqual([400, 'Parameter `event_name` is required to create a goal'])
    const del = await fetch(`${server.url}/api/v1/sites/goals/${goal.id}`, { method: 'DELETE', headers, body: JSON.stringify({ site_id: 'example.lv' }) })
    expect(await del.json()).toEqual({ deleted: true })
    const again = await fetch(`${server.url}/api/v1/sites/goals/${goal.id}`, { method: 'DELETE', headers, body: JSON.stringify({ site_id: 'example.lv' }) })
    expect(again.status).toBe(404)
  })
})
