import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Alerts } from '../../server/reports/alerts.ts'
import { addDays, dayOf } from '../../server/time.ts'
import { adminCall, browserUA, sendEvent, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

/**
 * The quiet-tracker and spike alerts against the real server and engine, on a fake clock: a
 * site with traffic on the five days before today goes quiet; another never had any.
 */
const today = dayOf(Date.now(), 'UTC')
const at = (day: string, hms: string) => Date.parse(`${day}T${hms}Z`)
let now = at(addDays(today, -5), '09:00:00')
let server: RunningSkaits
let hook: Server
let hookUrl = ''
const received: Record<string, unknown>[] = []

beforeAll(async () => {
  hook = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      received.push(JSON.parse(body) as Record<string, unknown>)
      res.writeHead(200).end('ok')
    })
  })
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()))
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`
  server = await startInProcess({ dataDir: tempDir(), clock: () => now, timers: false, env: { TIMEZONE: 'UTC', SKAITS_SITES: 'example.lv,empty.lv' } })
  // Five days of traffic on example.lv, the last event yesterday at 18:00.
  for (let d = -5; d <= -1; d++) {
    now = at(addDays(today, d), '18:00:00')
    for (let i = 0; i < 3; i++) {
      const res = await sendEvent(server.url, { n: 'pageview', u: 'https://example.lv/', d: 'example.lv' }, { ip: `198.51.100.${d + 10}`, ua: browserUA(i) })
      expect(res.status).toBe(202)
    }
  }
  await server.skaits.buffer.flush()
  for (const domain of ['example.lv', 'empty.lv']) {
    const set = await adminCall(server.url, 'PUT', `/api/sites/${domain}/alerts`, { quiet_hours: 12, webhook: hookUrl })
    expect(set.json).toEqual({ quiet_hours: 12, spike_visitors: null, spike_hours: null, webhook: hookUrl })
  }
  const bad = await adminCall(server.url, 'PUT', '/api/sites/example.lv/alerts', { webhook: 'https://user:secret@hooks.example/x' })
  expect([bad.status, bad.json.code]).toEqual([400, 'invalid_request'])
})

afterAll(async () => {
  await server?.stop()
  await new Promise((r) => hook?.close(r))
})

const alerts = () =>
  new Alerts({ db: server.db, sites: server.skaits.sites, activeVisits: (site, ms) => server.skaits.sessions.activeSince(site, now, ms), clock: () => now, log: { error() {}, warn() {} } as never })

describe('alerts', () => {
  it('says once that a busy site went quiet, never for a site that never had traffic', async () => {
    // Yesterday's last hour with events was 18:00–19:00: quiet for 12 hours at 07:00 today.
    now = at(today, '06:30:00')
    expect(await alerts().check()).toEqual([])
    now = at(today, '07:05:00')
    const fired = await alerts().check()
    expect(fired.map((a) => [a.site, a.kind])).toEqual([['example.lv', 'quiet']])
    expect(received).toHaveLength(1)
    expect(received[0]).toMatchObject({ site: 'example.lv', kind: 'quiet', quiet_hours: 12 })
    expect(String(received[0]!.text)).toMatch(/^example\.lv: no events for 12 hours/)
    // Not again within 12 hours, even from a new process (another node, a restart): the send is on disk.
    now = at(today, '08:00:00')
    expect(await alerts().check()).toEqual([])
    now = at(today, '19:10:00')
    expect((await alerts().check()).map((a) => a.kind)).toEqual(['quiet'])
    expect(received).toHaveLength(2)
  })

  it('says when current visitors reach the threshold, once per period', async () => {
    expect((await adminCall(server.url, 'PUT', '/api/sites/example.lv/alerts', { spike_visitors: 3, webhook: hookUrl })).status).toBe(200)
    now = at(today, '20:00:00')
    for (let i = 0; i < 2; i++) await sendEvent(server.url, { n: 'pageview', u: 'https://example.lv/', d: 'example.lv' }, { ip: `203.0.113.${i}`, ua: browserUA(i) })
    expect(await alerts().check()).toEqual([])
    await sendEvent(server.url, { n: 'pageview', u: 'https://example.lv/', d: 'example.lv' }, { ip: '203.0.113.9', ua: browserUA(9) })
    const fired = await alerts().check()
    expect(fired.map((a) => [a.kind, a.detail.current_visitors])).toEqual([['spike', 3]])
    expect(received.at(-1)).toMatchObject({ kind: 'spike', current_visitors: 3, threshold: 3 })
    expect(await alerts().check()).toEqual([])
  })
})
