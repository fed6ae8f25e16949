// A partner share follows its site through a rename: the old domain, added again later, is
// another site, and the partner's link must not export it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addDays, dayOf } from '../../server/time.ts'
import { adminCall, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

const DAY = addDays(dayOf(Date.now(), 'UTC'), -1)
const dataDir = tempDir()
let server: RunningSkaits

const admin = (method: string, path: string, body?: unknown) => adminCall(server.url, method, path, body)

/** A closed day of one source with `visitors` visitors. */
async function closedDay(site: string, source: string, visitors: number): Promise<void> {
  await server.db.insert({ table: 'visitors_daily', values: [{ site, dimension: '', day: DAY, value: '', visitors }, { site, dimension: 'visit:source', day: DAY, value: source, visitors }], format: 'JSONEachRow' })
  const zero = { duration: 0, events: visitors, entries: 0, exits: 0, engaged_ms: 0, engaged_n: 0, scroll_sum: 0, scroll_n: 0, bounces: 0 }
  await server.db.insert({
    table: 'counts_hourly',
    values: [
      { site, dimension: '', hour: `${DAY} 12:00:00`, value: '', pageviews: visitors, visits: visitors, ...zero },
      { site, dimension: 'visit:source', hour: `${DAY} 12:00:00`, value: source, pageviews: visitors, visits: visitors, ...zero },
    ],
    format: 'JSONEachRow',
  })
  await server.db.insert({ table: 'rolled_days', values: [{ day: DAY, rolled_at: `${DAY} 23:59:59` }], format: 'JSONEachRow' })
}

async function exported(token: string): Promise<{ status: number; site?: string; sources?: string[] }> {
  const res = await fetch(`${server.url}/export/${token}?from=${DAY}&to=${DAY}&granularity=day&format=json`)
  if (res.status !== 200) return { status: res.status }
  const body = (await res.json()) as { manifest: { site: string }; data: Record<string, { value: string }[]> }
  return { status: 200, site: body.manifest.site, sources: (body.data['visit:source'] ?? []).map((c) => c.value) }
}

describe('partner shares and site renames', () => {
  beforeAll(async () => {
    server = await startInProcess({ dataDir, env: { TIMEZONE: 'UTC' } })
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('moves a share to the new domain; the old domain added again is not exported through it', async () => {
    const created = await admin('POST', '/api/partners', { site: 'example.lv', name: 'Partner SIA', dimensions: ['visit:source'], finest: 'day', coarsest: 'day', k: 5 })
    expect(created.status).toBe(201)
    const token: string = created.json.token

    const renamed = await admin('PATCH', '/api/sites/example.lv', { domain: 'example.com' })
    expect(renamed.status).toBe(200)
    expect((await admin('GET', '/api/partners')).json.map((p: { site: string; name: string }) => [p.site, p.name])).toEqual([['example.com', 'Partner SIA']])
    expect((await admin('GET', '/api/partners?site=example.com')).json).toHaveLength(1)

    expect((await admin('POST', '/api/sites', { domain: 'example.lv' })).status).toBe(201)
    await closedDay('example.com', 'renamed-site-source', 20)
    await closedDay('example.lv', 'someone-elses-source', 30)
    expect(await exported(token)).toEqual({ status: 200, site: 'example.com', sources: ['renamed-site-source'] })

    // The move is stored: a restarted server reads the share back under the new domain.
    await server.stop()
    server = await startInProcess({ dataDir, env: { TIMEZONE: 'UTC' } })
    expect((await admin('GET', '/api/partners')).json.map((p: { site: string }) => p.site)).toEqual(['example.com'])
    expect(await exported(token)).toEqual({ status: 200, site: 'example.com', sources: ['renamed-site-source'] })
  })
})
