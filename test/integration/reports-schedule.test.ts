import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ReportScheduler, type ReportJob } from '../../server/reports/scheduler.ts'
import { addDays, dayOf, startOfDay } from '../../server/time.ts'
import { adminCall, runCli, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

/** Weekly reports due on Monday 07:00 in Europe/Riga: sent once, by one node, never after an unsubscribe. */
const TZ = 'Europe/Riga'
const today = dayOf(Date.now(), TZ)
const monday = addDays(today, -((new Date(`${today}T12:00:00Z`).getUTCDay() + 6) % 7))
const at = (day: string, hours: number, minutes = 0) => startOfDay(day, TZ) + hours * 3_600_000 + minutes * 60_000
let now = at(monday, 6)
let server: RunningSkaits
const log = { error() {}, warn() {}, info() {} } as never

beforeAll(async () => {
  server = await startInProcess({ dataDir: tempDir(), clock: () => now, timers: false, env: { TIMEZONE: TZ } })
})
afterAll(async () => {
  await server?.stop()
})

function scheduler(sent: ReportJob[], fail = false) {
  return new ReportScheduler({
    db: server.db,
    sites: server.skaits.sites,
    tz: TZ,
    clock: () => now,
    log,
    settleMs: 50,
    send: async (job) => {
      if (fail) throw new Error('smtp down')
      sent.push(job)
    },
  })
}

describe('weekly reports', () => {
  it('are sent once on Monday from 07:00, by one of two nodes, and not again after a restart', async () => {
    const made = await adminCall(server.url, 'POST', '/api/sites/example.lv/reports', { email: 'anna@example.lv', kind: 'weekly', lang: 'lv' })
    expect(made.status, JSON.stringify(made.json)).toBe(201)
    expect((await adminCall(server.url, 'POST', '/api/sites/example.lv/reports', { email: 'anna@example.lv', kind: 'weekly' })).status).toBe(409)
    expect((await adminCall(server.url, 'POST', '/api/sites/example.lv/reports', { email: 'not an address', kind: 'weekly' })).status).toBe(400)
    const sent: ReportJob[] = []
    now = at(monday, 6, 59)
    expect(await scheduler(sent).run()).toEqual([])
    now = at(monday, 7, 1)
    // Two nodes at the same minute: one sends.
    const [a, b] = await Promise.all([scheduler(sent).run(), scheduler(sent).run()])
    expect(a.length + b.length).toBe(1)
    expect(sent.map((j) => [j.subscription.email, j.period.from, j.period.to])).toEqual([['anna@example.lv', addDays(monday, -7), addDays(monday, -1)]])
    now = at(monday, 9)
    expect(await scheduler(sent).run()).toEqual([])
    expect(sent).toHaveLength(1)
  })

  it('records a failed send and does not retry it every minute', async () => {
    await adminCall(server.url, 'POST', '/api/sites/example.lv/reports', { email: 'juris@example.lv', kind: 'monthly' })
    const firstOfNext = `${addDays(`${today.slice(0, 8)}28`, 7).slice(0, 8)}01`
    let tries = 0
    const failing = new ReportScheduler({
      db: server.db,
      sites: server.skaits.sites,
      tz: TZ,
      clock: () => now,
      log,
      settleMs: 50,
      send: async (job) => {
        if (job.subscription.kind === 'monthly') {
          tries++
          throw new Error('smtp down')
        }
      },
    })
    now = at(firstOfNext, 7, 5)
    await failing.run()
    now = at(firstOfNext, 7, 6)
    await failing.run()
    expect(tries).toBe(1)
    // The fake clock stands still within a run: the claim and the failure share a time.
    const rows = await server.db.query({ query: 'SELECT state FROM reports_sent WHERE period = {p:Date} ORDER BY state', query_params: { p: `${addDays(firstOfNext, -1).slice(0, 8)}01` }, format: 'JSONEachRow' })
    expect((await rows.json<{ state: string }>()).map((r) => r.state)).toEqual(['claimed', 'failed'])
  })

  it('stops at a one-click unsubscribe (RFC 8058), with no login', async () => {
    const anna = server.skaits.sites.get('example.lv')!.settings.reports!.find((s) => s.email === 'anna@example.lv')!
    const page = await fetch(`${server.url}/unsubscribe/${anna.token}`)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('anna@example.lv')
    const res = await fetch(`${server.url}/unsubscribe/${anna.token}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' })
    expect(res.status).toBe(200)
    expect(server.skaits.sites.get('example.lv')!.settings.reports!.map((s) => s.email)).toEqual(['juris@example.lv'])
    expect((await fetch(`${server.url}/unsubscribe/${anna.token}`)).status).toBe(404)
    now = at(addDays(monday, 7), 7, 30)
    const sent: ReportJob[] = []
    await scheduler(sent).run()
    expect(sent.filter((j) => j.subscription.email === 'anna@example.lv')).toEqual([])
  })
})

describe('reports and alerts on the CLI', () => {
  it('adds, lists and removes subscribers, and sets alerts', () => {
    const dir = tempDir()
    const cli = (args: string[]) => runCli(dir, args)
    expect(cli(['sites', 'add', 'shop.lv']).code).toBe(0)
    const added = cli(['reports', 'add', '--site', 'shop.lv', '--email', 'valde@shop.lv', '--kind', 'monthly', '--lang', 'lv', '--min-crowd', '5'])
    expect(added).toMatchObject({ code: 0, json: { email: 'valde@shop.lv', kind: 'monthly', lang: 'lv', min_crowd: 5 } })
    expect(cli(['reports', 'add', '--site', 'shop.lv', '--email', 'nope', '--kind', 'weekly']).code).toBe(1)
    expect(cli(['reports', 'list', '--site', 'shop.lv']).json.map((r: { email: string }) => r.email)).toEqual(['valde@shop.lv'])
    expect(cli(['alerts', 'set', '--site', 'shop.lv', '--quiet-hours', '24', '--webhook', 'https://hooks.example/skaits'])).toMatchObject({
      code: 0,
      json: { quiet_hours: 24, spike_visitors: null, spike_hours: null, webhook: 'https://hooks.example/skaits' },
    })
    expect(cli(['reports', 'remove', '--site', 'shop.lv', added.json.id]).code).toBe(0)
    expect(cli(['reports', 'list', '--site', 'shop.lv']).json).toEqual([])
  }, 60_000)
})
