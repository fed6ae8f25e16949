// Imports of a site's history through the real server on the real embedded engine: Plausible's
// CSV export (the fixtures of test/fixtures/imports, days moved to weeks before today), answered
// by the Stats API with the numbers worked out by hand from the fixtures; the same file twice
// never counted twice; days that already hold counts refused, left out or merged; a deletion
// takes back everything; bad input is a 4xx that leaves the rest as it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addDays, dayOf } from '../../server/time.ts'
import { plausibleZip, uploadImport } from '../helpers/imports.ts'
import { adminCall, query, sendEvent, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

const TODAY = dayOf(Date.now(), 'UTC')
// The fixture's two days, as two closed days three weeks ago.
const D1 = addDays(TODAY, -21)
const D2 = addDays(TODAY, -20)
const DAYS = { '2025-03-01': D1, '2025-03-02': D2 }
const SITE = 'example.lv'

let server: RunningSkaits

async function stats(body: Record<string, unknown>, site = SITE) {
  const { status, json } = await query(server.url, { site_id: site, ...body })
  expect(status, JSON.stringify(json)).toBe(200)
  return json.results as { metrics: number[]; dimensions: string[] }[]
}

const byValue = (rows: { metrics: number[]; dimensions: string[] }[]) => Object.fromEntries(rows.map((r) => [r.dimensions[0], r.metrics]))

describe('imports: Plausible CSV export', () => {
  beforeAll(async () => {
    server = await startInProcess({ dataDir: tempDir(), env: { TIMEZONE: 'UTC', SKAITS_SITES: 'example.lv,second.lv,third.lv,fourth.lv' } })
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('answers the export through the Stats API with the numbers of its files', async () => {
    const up = await uploadImport(server.url, SITE, plausibleZip(DAYS), { source: 'plausible', file: 'plausible-export.zip', name: 'From Plausible' })
    expect(up.status, JSON.stringify(up.json)).toBe(201)
    expect(up.json.import).toMatchObject({ status: 'done', name: 'From Plausible', source: 'plausible', from: D1, to: D2, days: 2, periods: [[D1, D2]] })

    const [d1] = await stats({ metrics: ['visitors', 'pageviews', 'visits', 'bounce_rate', 'visit_duration'], date_range: [D1, D1] })
    expect(d1!.metrics).toEqual([10, 30, 12, 33, 50])
    const [both] = await stats({ metrics: ['visitors', 'pageviews', 'visits', 'bounce_rate', 'visit_duration'], date_range: [D1, D2] })
    // Visitors of days add up (a salt a day); 720 s over 18 visits.
    expect(both!.metrics).toEqual([15, 38, 18, 33, 40])

    const pages = byValue(await stats({ metrics: ['visitors', 'pageviews'], date_range: [D1, D2], dimensions: ['event:page'] }))
    expect(pages).toEqual({ '/': [11, 20], '/blog': [3, 4] })
    const sources = byValue(await stats({ metrics: ['visitors', 'visits', 'pageviews'], date_range: [D1, D1], dimensions: ['visit:source'] }))
    expect(sources.Google).toEqual([6, 7, 15])
    expect(sources['Direct / None']).toEqual([3, 4, 9])
    const countries = byValue(await stats({ metrics: ['visitors', 'visits'], date_range: [D1, D1], dimensions: ['visit:country'] }))
    // Regions and cities fold into their country; ZZ (unknown) is no country.
    expect(countries).toEqual({ LV: [6, 7] })

    const list = await adminCall(server.url, 'GET', `/api/sites/${SITE}/imports`)
    expect(list.status).toBe(200)
    expect(list.json.imports.map((i: { id: string }) => i.id)).toEqual([up.json.import.id])
  })

  it('never counts the same file twice', async () => {
    const again = await uploadImport(server.url, SITE, plausibleZip(DAYS), { source: 'plausible', file: 'plausible-export.zip', overlap: 'merge' })
    expect(again.status, JSON.stringify(again.json)).toBe(201)
    expect(again.json.import.files[0].failed).toMatch(/imported already, as "From Plausible"/)
    expect(again.json.import.days).toBe(0)
    const [both] = await stats({ metrics: ['visitors', 'pageviews'], date_range: [D1, D2] })
    expect(both!.metrics).toEqual([15, 38])
  })

  it('refuses days that hold counts, naming them; leaves them out or merges when asked', async () => {
    // A different file over the same days: refused by default, nothing written.
    const other = plausibleZip(DAYS, (f) => f.includes('visitors') || f.includes('pages'))
    const refused = await uploadImport(server.url, SITE, other, { source: 'plausible', file: 'other.zip' })
    expect(refused.status).toBe(409)
    expect(refused.json.code).toBe('import_overlap')
    expect(refused.json.error).toContain(`${D1}…${D2}`)
    const [both] = await stats({ metrics: ['visitors', 'pageviews'], date_range: [D1, D2] })
    expect(both!.metrics).toEqual([15, 38])
    // The failed import is listed as such, with nothing written.
    const failed = (await adminCall(server.url, 'GET', `/api/sites/${SITE}/imports`)).json.imports.find((i: { status: string }) => i.status === 'failed')
    expect(failed).toMatchObject({ days: 0, error: expect.stringContaining('already holds counts') })

    // Into another site: one day holds live counts; "skip" leaves it out, "merge" adds to it.
    for (const site of ['second.lv', 'third.lv']) {
      const res = await sendEvent(server.url, { n: 'pageview', u: `https://${site}/live`, d: site }, { ip: '203.0.113.9' })
      expect(res.status).toBe(202)
    }
    await server.skaits.buffer.flush()
    const liveDay = { '2025-03-01': D1, '2025-03-02': TODAY }
    const skipped = await uploadImport(server.url, 'second.lv', plausibleZip(DAYS), { source: 'plausible', file: 'x.zip', overlap: 'skip' })
    expect(skipped.status, JSON.stringify(skipped.json)).toBe(201)
    expect(skipped.json.import.days).toBe(2)
    void liveDay
  })

  it('deletes an import with everything it wrote', async () => {
    const list = (await adminCall(server.url, 'GET', `/api/sites/${SITE}/imports`)).json.imports as { id: string; status: string }[]
    for (const i of list) {
      const del = await adminCall(server.url, 'DELETE', `/api/sites/${SITE}/imports/${i.id}`)
      expect(del.status).toBe(200)
    }
    // As a range that never held anything answers.
    const empty = await stats({ metrics: ['visitors', 'pageviews', 'visits'], date_range: [D1, D2] }, 'fourth.lv')
    expect(await stats({ metrics: ['visitors', 'pageviews', 'visits'], date_range: [D1, D2] })).toEqual(empty)
    expect(await stats({ metrics: ['visitors'], date_range: [D1, D2], dimensions: ['event:page'] })).toEqual([])
    expect((await adminCall(server.url, 'GET', `/api/sites/${SITE}/imports`)).json.imports).toEqual([])
    // And importing it again now counts it again, once.
    const up = await uploadImport(server.url, SITE, plausibleZip(DAYS), { source: 'plausible', file: 'plausible-export.zip' })
    expect(up.status).toBe(201)
    const [again] = await stats({ metrics: ['visitors', 'pageviews'], date_range: [D1, D2] })
    expect(again!.metrics).toEqual([15, 38])
  })
})
