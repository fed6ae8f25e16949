import { afterAll, describe, expect, it } from 'vitest'
import { queryRows } from '../../server/db/client.ts'
import { addDays } from '../../server/time.ts'
import { filesHoldingPieces } from '../helpers/audit.ts'
import { breakdown, query, sendEvent, startInProcess, tempDir, totals, type RunningSkaits } from '../helpers/skaits.ts'

// The fake clock stays within a day of the real one: ClickHouse applies the sketches' 48 h
// TTL against the real clock.
const realToday = new Date().toISOString().slice(0, 10)
const yesterday = addDays(realToday, -1)
const at = (day: string, hhmm: string) => Date.parse(`${day}T${hhmm}:00Z`)
const dataDir = tempDir()
let now = at(yesterday, '20:00')
let server: RunningSkaits

const pageview = (ip: string, path = '/') =>
  sendEvent(server.url, { n: 'pageview', u: `https://example.lv${path}`, d: 'example.lv' }, { ip })


describe('daily salts, rotation and rollup', () => {
  afterAll(async () => {
    await server?.stop()
  })

  it('counts a visitor seen on two days once on each, across a rollup and the salt destruction', async () => {
    server = await startInProcess({ dataDir, clock: () => now, timers: false, env: { TIMEZONE: 'UTC' } })
    now = at(yesterday, '20:00')
    expect((await pageview('203.0.113.1')).status).toBe(202) // A
    expect((await pageview('203.0.113.2')).status).toBe(202) // B
    now = at(yesterday, '23:50')
    expect((await pageview('203.0.113.3', '/late')).status).toBe(202) // C, a visit crossing midnight
    now = at(realToday, '00:10')
    expect((await pageview('203.0.113.3', '/after-midnight')).status).toBe(202) // C continues its visit
    expect(server.skaits.salts.heldDays()).toEqual([yesterday, realToday])
    now = at(realToday, '10:00')
    expect((await pageview('203.0.113.1')).status).toBe(202) // A again, a new day
    await server.skaits.buffer.flush()

    const before = {
      yesterday: await totals(server.url, ['visitors', 'visits', 'pageviews'], [yesterday, yesterday]),
      today: await totals(server.url, ['visitors', 'visits', 'pageviews'], [realToday, realToday]),
      hours: await breakdown(server.url, 'time:hour', ['visitors'], [yesterday, yesterday]),
    }
    expect(before.yesterday).toEqual({ visitors: 3, visits: 3, pageviews: 3 })
    expect(before.today).toEqual({ visitors: 2, visits: 1, pageviews: 2 })
    expect(before.hours).toEqual({ [`${yesterday} 20:00:00`]: { visitors: 2 }, [`${yesterday} 23:00:00`]: { visitors: 1 } })

    const [oldSalt] = await queryRows<{ salt: string }>(server.db, 'SELECT salt FROM salts WHERE day = {d:Date}', { d: yesterday })
    expect(oldSalt?.salt).toMatch(/^[0-9a-f]{64}$/)
    expect(filesHoldingPieces(dataDir, oldSalt!.salt)).not.toBe('')

    // A restart on a later day: the rollup runs at start for the day it missed.
    await server.stop()
    server = await startInProcess({ dataDir, clock: () => now, timers: false, env: { TIMEZONE: 'UTC' } })

    expect(await totals(server.url, ['visitors', 'visits', 'pageviews'], [yesterday, yesterday])).toEqual(before.yesterday)
    expect(await totals(server.url, ['visitors', 'visits', 'pageviews'], [realToday, realToday])).toEqual(before.today)
    expect(await breakdown(server.url, 'time:hour', ['visitors'], [yesterday, yesterday])).toEqual(before.hours)
    expect(await totals(server.url, ['visitors'], '7d')).toEqual({ visitors: 5 })
    const days = await query(server.url, { metrics: ['visitors'], date_range: [yesterday, realToday], dimensions: ['time:day'] })
    expect(days.json.results).toEqual([
      { metrics: [3], dimensions: [yesterday] },
      { metrics: [2], dimensions: [realToday] },
    ])

    // Only integers outlive the salt; the salt itself exists nowhere.
    const sketches = await queryRows<{ n: number }>(server.db, 'SELECT count() AS n FROM visitor_sketches WHERE day < {d:Date}', {
      d: realToday,
    })
    expect(Number(sketches[0]!.n)).toBe(0)
    expect(server.skaits.salts.heldDays()).toEqual([realToday])
    const stored = await queryRows<{ n: number }>(server.db, 'SELECT count() AS n FROM salts WHERE day < {d:Date}', { d: realToday })
    expect(Number(stored[0]!.n)).toBe(0)
    expect(filesHoldingPieces(dataDir, oldSalt!.salt)).toBe('')
  })

  it('keeps counting today with the same salt after a restart, and a second rollup changes nothing', async () => {
    const report = await server.skaits.maintenance.run()
    expect(report.rolledUp).toEqual([])
    now = at(realToday, '11:00')
    expect((await pageview('203.0.113.1')).status).toBe(202) // A, same salt: same visitor
    await server.skaits.buffer.flush()
    expect(await totals(server.url, ['visitors'], [realToday, realToday])).toEqual({ visitors: 2 })
    expect(await totals(server.url, ['visitors'], [yesterday, yesterday])).toEqual({ visitors: 3 })
  })

  it('destroys yesterday\'s salt only after the grace for visits crossing midnight', async () => {
    const store = server.skaits.salts
    now = at(addDays(realToday, 1), '00:05')
    store.current(now)
    await store.destroyExpired()
    expect(store.heldDays()).toEqual([realToday, addDays(realToday, 1)])
    now = at(addDays(realToday, 1), '00:31')
    await store.destroyExpired()
    expect(store.heldDays()).toEqual([addDays(realToday, 1)])
  })
})
