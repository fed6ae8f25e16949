// Imports from every source through the real server on the real embedded engine, answered by
// the Stats API with numbers worked out by hand: GoatCounter's export (the fixture, days moved
// before today), an access log (written here with times from the clock), Skaits' own partner
// export imported back into another site (the round trip is exact), and bad input (a 4xx with
// the file and line, the server and the other data untouched). Dates come from the clock.
import { readFileSync } from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { strToU8, zipSync } from 'fflate'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addDays, dayOf } from '../../server/time.ts'
import { queryRows } from '../../server/db/client.ts'
import { findInAnyColumn } from '../helpers/audit.ts'
import { FIXTURES, moveDays, plausibleZip, uploadImport } from '../helpers/imports.ts'
import { adminCall, API_KEY, browserUA, query, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

const DAY_MS = 86_400_000
const TODAY = dayOf(Date.now(), 'UTC')
const D1 = addDays(TODAY, -12)
const D2 = addDays(TODAY, -11)

let server: RunningSkaits

async function stats(site: string, body: Record<string, unknown>) {
  const { status, json } = await query(server.url, { site_id: site, ...body })
  expect(status, JSON.stringify(json)).toBe(200)
  return json.results as { metrics: number[]; dimensions: string[] }[]
}
const byValue = (rows: { metrics: number[]; dimensions: string[] }[]) => Object.fromEntries(rows.map((r) => [r.dimensions[0], r.metrics]))
const TOTALS = ['visitors', 'visits', 'pageviews', 'bounce_rate', 'visit_duration']

/** A combined log line, as nginx writes it, at `ms` (UTC). */
function line(ip: string, ms: number, request: string, status: number, referrer: string, ua: string): string {
  const d = new Date(ms)
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()]
  const p = (n: number) => String(n).padStart(2, '0')
  const t = `${p(d.getUTCDate())}/${mon}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`
  return `${ip} - - [${t}] "${request}" ${status} 512 "${referrer || '-'}" "${ua}"`
}

describe('imports: GoatCounter, access logs, round trip, bad input', () => {
  beforeAll(async () => {
    server = await startInProcess({ dataDir: tempDir(), env: { TIMEZONE: 'UTC', SKAITS_SITES: 'gc.lv,logs.lv,bad.lv,live.lv', IMPORT_MAX_MB: '1' } })
  })
  afterAll(async () => {
    await server?.stop()
  })

  it("GoatCounter's export: its sessions replayed into visits as live traffic is counted", async () => {
    const csv = moveDays(readFileSync(path.join(FIXTURES, 'goatcounter-v2.csv'), 'utf8'), { '2025-03-01': D1, '2025-03-02': D2 })
    const up = await uploadImport(server.url, 'gc.lv', csv, { source: 'goatcounter', file: 'goatcounter.csv' })
    expect(up.status, JSON.stringify(up.json)).toBe(201)
    // Nine rows: a bot, a row whose Event is neither true nor false, a row without a date.
    expect(up.json.import).toMatchObject({ status: 'done', from: D1, to: D2, read: 9, skipped: { bot: 1, malformed: 2 } })
    // D1: session 0f1e… views / and /about and signs up (not a bounce); sessions 2222… and
    // 3333… view one page each (bounces). 4 pageviews, 3 visits, 3 visitors; the first visit
    // lasts from 10:00:00 to its event at 10:02:00.
    const [d1] = await stats('gc.lv', { metrics: TOTALS, date_range: [D1, D1] })
    expect(d1!.metrics).toEqual([3, 3, 4, 67, 40])
    expect(byValue(await stats('gc.lv', { metrics: ['visitors', 'pageviews'], date_range: [D1, D1], dimensions: ['event:page'] }))).toEqual({ '/': [2, 2], '/about': [1, 1], '/x': [1, 1] })
    expect(byValue(await stats('gc.lv', { metrics: ['visitors', 'events'], date_range: [D1, D2], dimensions: ['event:name'] })).signup).toEqual([1, 1])
    // The visit's country is its first pageview's (NL), as for live visits; GoatCounter's browser names.
    expect(byValue(await stats('gc.lv', { metrics: ['visitors'], date_range: [D1, D1], dimensions: ['visit:country'] }))).toEqual({ NL: [1], DE: [1] })
    expect(byValue(await stats('gc.lv', { metrics: ['visitors'], date_range: [D1, D1], dimensions: ['visit:browser'] }))).toMatchObject({ Firefox: [1], Safari: [1] })
    // The same export again: its days were written by it already, nothing twice.
    const again = await uploadImport(server.url, 'gc.lv', csv, { source: 'goatcounter', file: 'goatcounter.csv' })
    expect(again.status, JSON.stringify(again.json)).toBe(201)
    expect(again.json.import).toMatchObject({ days: 0, overlapping: [[D1, D2]] })
    const [same] = await stats('gc.lv', { metrics: TOTALS, date_range: [D1, D1] })
    expect(same!.metrics).toEqual(d1!.metrics)
  })

  it('an access log: pages counted, assets, posts, errors and bots left out, today left for the live count', async () => {
    const chrome = browserUA(1)
    const firefox = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0'
    const t1 = Date.parse(`${D1}T10:00:00Z`)
    const log = [
      line('203.0.113.5', t1, 'GET / HTTP/1.1', 200, '', chrome),
      line('203.0.113.5', t1 + 1000, 'GET /style.css HTTP/1.1', 200, 'https://logs.lv/', chrome),
      line('203.0.113.5', t1 + 60_000, 'GET /blog HTTP/1.1', 200, 'https://logs.lv/', chrome),
      line('203.0.113.5', t1 + 120_000, 'POST /contact HTTP/1.1', 200, 'https://logs.lv/blog', chrome),
      line('203.0.113.5', t1 + 180_000, 'GET /missing HTTP/1.1', 404, 'https://logs.lv/blog', chrome),
      line('198.51.100.7', t1 + 3_600_000, 'GET /blog?utm_source=news HTTP/1.1', 200, 'https://www.google.com/', firefox),
      line('192.0.2.1', t1 + 7_200_000, 'GET / HTTP/1.1', 200, '', 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'),
      line('203.0.113.5', t1 + DAY_MS - 3_600_000, 'GET /blog HTTP/1.1', 200, '', chrome),
      line('198.51.100.8', Date.now() - 60_000, 'GET /today HTTP/1.1', 200, '', firefox),
    ].join('\n')
    const up = await uploadImport(server.url, 'logs.lv', `${log}\n`, { source: 'log', file: 'access.log', format: 'combined' })
    expect(up.status, JSON.stringify(up.json)).toBe(201)
    expect(up.json.import).toMatchObject({ status: 'done', from: D1, to: D2, read: 9, skipped: { static: 1, method: 1, status: 1, bot: 1, open_day: 1 } })
    // D1: 203.0.113.5 views / and /blog (one visit); 198.51.100.7 one page from Google (a bounce).
    const [d1] = await stats('logs.lv', { metrics: TOTALS, date_range: [D1, D1] })
    expect(d1!.metrics).toEqual([2, 2, 3, 50, 30])
    expect(byValue(await stats('logs.lv', { metrics: ['visitors', 'pageviews'], date_range: [D1, D1], dimensions: ['event:page'] }))).toEqual({ '/': [1, 1], '/blog': [2, 2] })
    // utm_source names the source before the referrer does, as in Plausible.
    expect(byValue(await stats('logs.lv', { metrics: ['visitors'], date_range: [D1, D1], dimensions: ['visit:source'] }))).toEqual({ news: [1], 'Direct / None': [1] })
    expect(byValue(await stats('logs.lv', { metrics: ['visitors'], date_range: [D1, D1], dimensions: ['visit:utm_source'] }))).toEqual({ news: [1] })
    // The same visitor on the next day is another visitor (a salt per imported day).
    const [both] = await stats('logs.lv', { metrics: ['visitors', 'pageviews'], date_range: [D1, D2] })
    expect(both!.metrics).toEqual([3, 4])
    // The addresses of the log were used in memory only: in no column, no log line, no error;
    // the import's salts were never stored (the salts table holds the live days' alone).
    for (const ip of ['203.0.113.5', '198.51.100.7', '192.0.2.1']) {
      expect(await findInAnyColumn(server.db, ip), ip).toEqual([])
      expect(server.logs.join('\n')).not.toContain(ip)
    }
    expect(JSON.stringify(up.json)).not.toMatch(/203\.0\.113|198\.51\.100|192\.0\.2/)
    const salted = await queryRows<{ d: string }>(server.db, 'SELECT toString(day) AS d FROM salts')
    expect(salted.map((r) => r.d).filter((d) => d < addDays(TODAY, -1))).toEqual([])
    // Today's line, with live=1, is counted as live traffic (a followed log's first import).
    const live = await uploadImport(server.url, 'live.lv', `${log}\n`, { source: 'log', file: 'access.log', format: 'combined', live: '1' })
    expect(live.status, JSON.stringify(live.json)).toBe(201)
    expect(live.json.import.skipped.open_day).toBeUndefined()
    await server.skaits.buffer.flush()
    const [today] = await stats('live.lv', { metrics: ['visitors', 'pageviews'], date_range: 'day' })
    expect(today!.metrics).toEqual([1, 1])
  })

  it('bad input: a 4xx naming the file and line; the server and the other data untouched', async () => {
    const [before] = await stats('logs.lv', { metrics: ['visitors', 'pageviews'], date_range: [D1, D2] })
    const zip = plausibleZip({ '2025-03-01': D1, '2025-03-02': D2 })
    // A truncated zip.
    const cut = await uploadImport(server.url, 'bad.lv', zip.subarray(0, Math.floor(zip.length / 2)), { source: 'plausible', file: 'cut.zip' })
    expect(cut.status).toBe(400)
    expect(cut.json.code).toBe('import_input')
    expect(cut.json.error).toContain('cut.zip')
    // A wrong header in a CSV of the zip: named with its file and line, nothing written.
    const wrong = zipSync({ [`imported_visitors_${D1.replaceAll('-', '')}_${D1.replaceAll('-', '')}.csv`]: strToU8(`day,people\n${D1},3\n`) })
    const refused = await uploadImport(server.url, 'bad.lv', wrong, { source: 'plausible', file: 'wrong.zip' })
    expect(refused.status, JSON.stringify(refused.json)).toBe(400)
    expect(refused.json.error).toMatch(/wrong\.zip:imported_visitors_\d+_\d+\.csv, line 1: missing column/)
    const listed = (await adminCall(server.url, 'GET', '/api/sites/bad.lv/imports')).json.imports
    expect(listed.every((i: { days: number }) => i.days === 0)).toBe(true)
    // A line of binary garbage in a log: skipped as malformed with its line number, the rest counted.
    const t = Date.parse(`${D1}T08:00:00Z`)
    const garbage = [line('203.0.113.77', t, 'GET /ok HTTP/1.1', 200, '', browserUA(3)), '\u0000\u0001\u00ff\u00fe binary', line('203.0.113.78', t + 1000, 'GET /ok2 HTTP/1.1', 200, '', browserUA(4))].join('\n')
    const g = await uploadImport(server.url, 'bad.lv', garbage, { source: 'log', file: 'garbage.log', format: 'combined' })
    expect(g.status, JSON.stringify(g.json)).toBe(201)
    expect(g.json.import.skipped.malformed).toBe(1)
    expect(g.json.import.errors[0]).toMatchObject({ file: 'garbage.log', line: 2 })
    expect(JSON.stringify(g.json)).not.toContain('203.0.113.7')
    // on_error=abort: the same file writes nothing, the refusal names the line.
    const strict = await uploadImport(server.url, 'bad.lv', garbage.replaceAll('/ok', '/strict'), { source: 'log', file: 'garbage.log', format: 'combined', on_error: 'abort' })
    expect(strict.status, JSON.stringify(strict.json)).toBe(400)
    expect(strict.json.error).toContain('garbage.log, line 2')
    // An unknown source, a file too old for the retention, an empty body.
    expect((await uploadImport(server.url, 'bad.lv', 'x', { source: 'matomo' })).json.code).toBe('import_option')
    expect((await uploadImport(server.url, 'bad.lv', '', { source: 'log' })).json.code).toBe('import_no_file')
    const old = addDays(TODAY, -800)
    const tooOld = await uploadImport(server.url, 'bad.lv', plausibleZip({ '2025-03-01': old, '2025-03-02': addDays(old, 1) }), { source: 'plausible', file: 'old.zip' })
    expect(tooOld.status, JSON.stringify(tooOld.json)).toBe(400)
    expect(tooOld.json).toMatchObject({ code: 'import_too_old', params: { months: 25 } })
    expect(tooOld.json.error).toContain('older than RETENTION_MONTHS (25 months)')
    // Partly too old: the rest is written, the note says what was left out.
    const half = await uploadImport(server.url, 'bad.lv', plausibleZip({ '2025-03-01': old, '2025-03-02': D2 }), { source: 'plausible', file: 'half.zip' })
    expect(half.status, JSON.stringify(half.json)).toBe(201)
    expect(half.json.import).toMatchObject({ days: 1, periods: [[D2, D2]] })
    expect(half.json.import.errors[0].message).toContain('older than RETENTION_MONTHS')
    // Larger than IMPORT_MAX_MB: refused before a byte is read, and while streaming without a length.
    // (The length says 1.5 MB; the answer comes before the body, which is never sent.)
    const tooBig = await new Promise<{ status: number; json: any }>((resolve, reject) => {
      const req = http.request(`${server.url}/api/sites/bad.lv/imports?source=log&file=big.log`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-length': String(1.5 * 2 ** 20) },
      })
      req.on('response', (res) => {
        let body = ''
        res.on('data', (d) => (body += d))
        res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(body) }))
      })
      req.on('error', reject)
      req.write('x')
    })
    expect(tooBig.status).toBe(413)
    expect(tooBig.json.code).toBe('import_too_large')
    const big = 'x'.repeat(1.5 * 2 ** 20)
    const chunked = await fetch(`${server.url}/api/sites/bad.lv/imports?source=log&file=big.log`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/octet-stream' },
      body: new Blob([big]).stream(),
      duplex: 'half',
    } as RequestInit)
    expect(chunked.status).toBe(413)
    expect((await chunked.json()).error).toContain('larger than 1 MB')
    // Nothing else moved, and the server still answers.
    const [after] = await stats('logs.lv', { metrics: ['visitors', 'pageviews'], date_range: [D1, D2] })
    expect(after).toEqual(before)
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
  })
})
