// Imports of a site's history through the real server on the real embedded engine: Plausible's
// CSV export (the fixtures of test/fixtures/imports, days moved to weeks before today), answered
// by the Stats API with the numbers worked out by hand from the fixtures; the same file twice
// never counted twice; days that already hold counts refused, left out or merged; a deletion
// takes back everything; bad input is a 4xx that leaves the rest as it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addDays, dayOf } from '../../server/time.ts'
import { Enricher } from '../../server/enrich/enricher.ts'
import { ImportService } from '../../server/imports/service.ts'
import { importView } from '../../server/imports/route.ts'
import { parseSource } from '../../server/imports/sources.ts'
import { ImportStore, newImportId, type ImportInfo } from '../../server/imports/store.ts'
import { stageRows, VISITORS_OF, writeImport } from '../../server/imports/writer.ts'
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

    // "All time" begins with the imported history, not with the site's creation today.
    const [all] = await stats({ metrics: ['visitors', 'pageviews'], date_range: 'all' })
    expect(all!.metrics).toEqual([15, 38])
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

    // Into another site that holds the two days already: "skip" leaves the days taken out,
    // "merge" adds to them.
    expect((await uploadImport(server.url, 'second.lv', plausibleZip(DAYS), { source: 'plausible', file: 'a.zip' })).status).toBe(201)
    const D0 = addDays(D1, -1)
    const visitorsOnly = plausibleZip({ '2025-03-01': D0, '2025-03-02': D2 }, (f) => f.includes('visitors'))
    const skipped = await uploadImport(server.url, 'second.lv', visitorsOnly, { source: 'plausible', file: 'b.zip', overlap: 'skip' })
    expect(skipped.status, JSON.stringify(skipped.json)).toBe(201)
    expect(skipped.json.import).toMatchObject({ days: 1, periods: [[D0, D0]], overlapping: [[D2, D2]] })
    const [d0] = await stats({ metrics: ['visitors', 'pageviews'], date_range: [D0, D0] }, 'second.lv')
    expect(d0!.metrics).toEqual([10, 30])
    const [d2] = await stats({ metrics: ['visitors', 'pageviews'], date_range: [D2, D2] }, 'second.lv')
    expect(d2!.metrics).toEqual([5, 8])
    const pagesOnly = plausibleZip(DAYS, (f) => f.includes('_pages_'))
    const merged = await uploadImport(server.url, 'second.lv', pagesOnly, { source: 'plausible', file: 'c.zip', overlap: 'merge' })
    expect(merged.status, JSON.stringify(merged.json)).toBe(201)
    expect(merged.json.import).toMatchObject({ days: 2, overlapping: [] })
    const pages = byValue(await stats({ metrics: ['visitors', 'pageviews'], date_range: [D1, D2], dimensions: ['event:page'] }, 'second.lv'))
    expect(pages).toEqual({ '/': [22, 40], '/blog': [6, 8] })
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

  it('an import the process stopped in the middle of is taken back at the next start', async () => {
    const D3 = addDays(TODAY, -30)
    const store = new ImportStore(server.db, Date.now)
    const info: ImportInfo = {
      id: newImportId(),
      site: SITE,
      name: 'interrupted',
      source: 'plausible',
      files: [{ name: 'x.zip', bytes: 1, sha256: 'x', head: 'x', consumed: 1 }],
      overlap: 'refuse',
      atomic: 'file',
      status: 'writing',
      days: [D3],
      overlapping: [],
      read: 1,
      skipped: {},
      errors: [],
      written: { counts: false, daily: false, hourly: false },
      createdAt: Date.now(),
    }
    const hour = Math.floor(Date.parse(`${D3}T00:00:00Z`) / 1000)
    await stageRows(server.db, SITE, info.id, 0, [{ day: D3, hour, dimension: '', value: '', sums: { pageviews: 7, visits: 3 }, visitors: 2, visitorsOf: VISITORS_OF.both }])
    await store.save(info)
    // The counts are written and recorded; then the process stops before the visitors.
    await expect(
      writeImport(server.db, info, async () => {
        await store.save(info)
        throw new Error('the process stopped')
      }),
    ).rejects.toThrow('stopped')
    const [half] = await stats({ metrics: ['pageviews'], date_range: [D3, D3] })
    expect(half!.metrics).toEqual([7])
    const service = new ImportService({ db: server.db, store, parse: parseSource, enricher: new Enricher(undefined, undefined), tz: 'UTC', retentionMonths: 25, sessionIdleMs: 1_800_000, sessionMax: 1000, clock: Date.now })
    expect(await service.recover()).toBe(1)
    const empty = await stats({ metrics: ['pageviews'], date_range: [D3, D3] }, 'fourth.lv')
    expect(await stats({ metrics: ['pageviews'], date_range: [D3, D3] })).toEqual(empty)
    // (As the next start's store reads it: the running server's keeps its list a while.)
    expect(importView((await store.get(SITE, info.id))!)).toMatchObject({ status: 'failed', error: expect.stringContaining('the server stopped during this import'), error_code: 'import_interrupted' })
    // And it can be deleted, which takes back nothing more.
    expect((await service.delete(SITE, info.id)).status).toBe('deleted')
    expect(await stats({ metrics: ['pageviews'], date_range: [D3, D3] })).toEqual(empty)
  })
})

