import { afterAll, describe, expect, it } from 'vitest'
import { queryRows } from '../../server/db/client.ts'
import { addDays, dayOf } from '../../server/time.ts'
import { API_KEY, sendEvent, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

/**
 * The attack: on a small site an hour often holds one visit. Asking that closed hour by
 * browser, OS, country, source and entry page, one dimension at a time, rebuilds the visit's
 * whole record, the cross-tabulation Skaits promises never to keep. Once the day is closed,
 * no credential may get hours per value, and no hour per value may remain on disk.
 */
const realToday = dayOf(Date.now(), 'UTC')
const yesterday = addDays(realToday, -1)
const at = (day: string, hhmm: string) => Date.parse(`${day}T${hhmm}:00Z`)
let now = at(yesterday, '03:00')
let server: RunningSkaits

const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0'
const CHROME_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'
const DIMENSIONS = ['visit:browser', 'visit:os', 'visit:source', 'visit:entry_page', 'event:page', 'visit:device']

async function ask(body: Record<string, unknown>) {
  const res = await fetch(`${server.url}/api/v2/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ site_id: 'example.lv', metrics: ['visits'], ...body }),
  })
  return { status: res.status, json: (await res.json()) as { results?: { dimensions: string[]; metrics: number[] }[]; error?: string } }
}

/** What the attacker learns about the 03:00 hour from each dimension asked alone. */
async function hourRecord(day: string): Promise<{ refused: string[]; record: Record<string, string[]> }> {
  const refused: string[] = []
  const record: Record<string, string[]> = {}
  for (const dim of DIMENSIONS) {
    const r = await ask({ date_range: [day, day], dimensions: ['time:hour', dim] })
    if (r.status === 400) {
      refused.push(dim)
      continue
    }
    expect(r.status).toBe(200)
    record[dim] = r.json.results!.filter((row) => row.dimensions[0] === `${day} 03:00:00`).map((row) => row.dimensions[1]!)
  }
  return { refused, record }
}

describe('the hour-join attack', () => {
  afterAll(async () => {
    await server?.stop()
  })

  it('rebuilds nothing of a visit once its day is closed, through the API or from the disk', async () => {
    server = await startInProcess({ dataDir: tempDir(), clock: () => now, timers: false, env: { TIMEZONE: 'UTC' } })
    // The victim, alone in the 03:00 hour: Firefox on Linux, from Google, to /pricing.
    now = at(yesterday, '03:10')
    const victim = { n: 'pageview', u: 'https://example.lv/pricing', d: 'example.lv', r: 'https://www.google.com/' }
    expect((await sendEvent(server.url, victim, { ip: '198.51.100.7', ua: FIREFOX_LINUX })).status).toBe(202)
    // Others, in other hours.
    for (const [i, hhmm] of ['09:00', '11:30', '15:45'].entries()) {
      now = at(yesterday, hhmm)
      await sendEvent(server.url, { n: 'pageview', u: 'https://example.lv/', d: 'example.lv' }, { ip: `198.51.100.${20 + i}`, ua: CHROME_WINDOWS })
    }
    await server.skaits.buffer.flush()

    // While the day is open (the live window), its hours per value are there for the owner.
    now = at(yesterday, '20:00')
    const live = await hourRecord(yesterday)
    expect(live.refused).toEqual([])
    expect(live.record).toEqual({
      'visit:browser': ['Firefox'],
      'visit:os': ['Linux'],
      'visit:source': ['Google'],
      'visit:entry_page': ['/pricing'],
      'event:page': ['/pricing'],
      'visit:device': ['Desktop'],
    })

    // Midnight passes and the day is rolled up.
    now = at(realToday, '00:10')
    expect((await server.skaits.maintenance.run()).rolledUp).toEqual([yesterday])
    const closed = await hourRecord(yesterday)
    expect(closed.refused).toEqual(DIMENSIONS)
    // Filtering on one value is the same question asked another way.
    const filtered = await ask({ date_range: [yesterday, yesterday], dimensions: ['time:hour'], filters: [['is', 'visit:browser', ['Firefox']]] })
    expect(filtered.status).toBe(400)
    expect(filtered.json.error).toMatch(/hours by visit:browser exist only for today/)
    // The day per value is still there, and the site total by hour.
    const byDay = await ask({ date_range: [yesterday, yesterday], dimensions: ['visit:browser'] })
    expect(byDay.json.results).toEqual([
      { dimensions: ['Chrome'], metrics: [3] },
      { dimensions: ['Firefox'], metrics: [1] },
    ])
    const hours = await ask({ date_range: [yesterday, yesterday], dimensions: ['time:hour'], metrics: ['visitors', 'visits'] })
    expect(hours.json.results!.find((r) => r.dimensions[0] === `${yesterday} 03:00:00`)?.metrics).toEqual([1, 1])

    // On disk: per value, one row for the whole day at its first hour; hours for the total alone.
    const perValueHours = await queryRows<{ dimension: string; h: string }>(
      server.db,
      `SELECT dimension, toString(hour) AS h FROM counts_hourly
       WHERE dimension != '' AND toDate(hour) = {d:Date} AND hour != toDateTime({d:Date})`,
      { d: yesterday },
    )
    expect(perValueHours).toEqual([])
    const uniqueHours = await queryRows(server.db, "SELECT dimension FROM visitors_hourly WHERE dimension != ''")
    expect(uniqueHours).toEqual([])
    const [totalHours] = await queryRows<{ n: number }>(server.db, "SELECT count() AS n FROM visitors_hourly FINAL WHERE dimension = '' AND toDate(hour) = {d:Date}", { d: yesterday })
    expect(Number(totalHours!.n)).toBe(4)
  })
})
