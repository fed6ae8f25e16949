// Plausible's CSV export → day rows. Fixtures: test/fixtures/imports/plausible/ (README.md there
// says which lines of plausible/analytics lib/plausible/exports.ex each follows); the expected
// rows below are worked out by hand from their numbers.
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { Readable } from 'node:stream'
import { strToU8, zipSync } from 'fflate'
import { describe, expect, it } from 'vitest'
import { csvFiles, zip, type ExportCell } from '../../server/export/build.ts'
import {
  isSkaitsExport,
  mergeDayRows,
  openPlausibleExport,
  parsePlausibleFiles,
  plausibleRange,
  readPlausibleExport,
} from '../../server/imports/plausible.ts'
import { ImportInputError, type DayRow, type ReadCounts } from '../../server/imports/types.ts'

const DIR = path.resolve(import.meta.dirname, '../fixtures/imports/plausible')
const FIXTURES: Record<string, string> = Object.fromEntries(readdirSync(DIR).map((f) => [f, readFileSync(path.join(DIR, f), 'utf8')]))

const newCounts = (): ReadCounts => ({ read: 0, skipped: {}, errors: [] })

function zipOf(files: Record<string, string>, level: 0 | 6 = 6): Uint8Array {
  return zipSync(Object.fromEntries(Object.entries(files).map(([n, t]) => [n, [strToU8(t), { level }]])))
}

/**
 * A zip as Plausible's Zstream writes it (lib/zstream/protocol.ex, Coder.Stored): entries stored,
 * the data-descriptor flag set and sizes 0 in the local headers; only the central directory has them.
 */
function zstreamLikeZip(files: Record<string, string>): Buffer {
  const parts: Buffer[] = []
  const central: Buffer[] = []
  let offset = 0
  for (const [name, text] of Object.entries(files)) {
    const data = Buffer.from(text)
    const n = Buffer.from(name)
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4)
    local.writeUInt16LE(0x0808, 6)
    local.writeUInt16LE(n.length, 26)
    const descriptor = Buffer.alloc(16)
    descriptor.writeUInt32LE(0x08074b50, 0)
    descriptor.writeUInt32LE(data.length, 8)
    descriptor.writeUInt32LE(data.length, 12)
    const entry = Buffer.alloc(46)
    entry.writeUInt32LE(0x02014b50, 0)
    entry.writeUInt16LE(0x0808, 8)
    entry.writeUInt32LE(data.length, 20)
    entry.writeUInt32LE(data.length, 24)
    entry.writeUInt16LE(n.length, 28)
    entry.writeUInt32LE(offset, 42)
    central.push(entry, n)
    parts.push(local, n, data, descriptor)
    offset += 30 + n.length + data.length + 16
  }
  const cd = Buffer.concat(central)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(Object.keys(files).length, 8)
  end.writeUInt16LE(Object.keys(files).length, 10)
  end.writeUInt32LE(cd.length, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...parts, cd, end])
}

async function collect(rows: AsyncIterable<DayRow>): Promise<DayRow[]> {
  const out: DayRow[] = []
  for await (const r of rows) out.push(r)
  return out
}

async function readAll(input: Parameters<typeof readPlausibleExport>[0], counts = newCounts()) {
  const rows = mergeDayRows(await collect(readPlausibleExport(input, counts, 'export.zip')))
  const find = (day: string, dimension: string, value: string) => rows.find((r) => r.day === day && r.dimension === dimension && r.value === value)
  return { rows, counts, find }
}

/** One CSV text as a parser input. */
const csv = (name: string, text: string) => ({ name, data: Readable.from([Buffer.from(text)]) })

async function parseOne(name: string, text: string, counts = newCounts()) {
  return mergeDayRows(await collect(parsePlausibleFiles([csv(name, text)], { counts })))
}

async function errorOf(p: Promise<unknown>): Promise<ImportInputError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  )
  expect(e).toBeInstanceOf(ImportInputError)
  return e as ImportInputError
}

describe('Plausible export: every file', () => {
  it('reads a zip of every table into one row per dimension value', async () => {
    const { rows, counts, find } = await readAll(zipOf(FIXTURES))
    expect(counts.errors).toEqual([])
    expect(counts.read).toBe(25)
    expect(counts.skipped).toEqual({ unsupported: 2 }) // the engagement event, the ZZ country

    // imported_visitors; the site total also gains the custom events (3 + 2 + 1) and engagement of imported_pages
    expect(find('2025-03-01', '', '')).toEqual({
      day: '2025-03-01',
      dimension: '',
      value: '',
      sums: { visits: 12, pageviews: 30, bounces: 4, duration: 600, events: 30 + 6, engaged_ms: 240_000, engaged_n: 6, scroll_sum: 300, scroll_n: 5 },
      visitors: 10,
    })
    expect(find('2025-03-02', '', '')).toEqual({
      day: '2025-03-02',
      dimension: '',
      value: '',
      sums: { visits: 6, pageviews: 8, bounces: 2, duration: 120, events: 8, engaged_ms: 60_000, engaged_n: 3, scroll_sum: 100, scroll_n: 2 },
      visitors: 5,
    })
    expect(find('2025-03-01', 'event:name', 'pageview')).toMatchObject({ sums: { events: 30 }, visitors: 10 })

    // imported_sources: two Google rows add up; the source, referrer host and each utm_* apart
    const google = { visits: 7, pageviews: 15, bounces: 2, duration: 400, events: 15 }
    expect(find('2025-03-01', 'visit:source', 'Google')).toMatchObject({ sums: google, visitors: 6 })
    expect(find('2025-03-01', 'visit:referrer', 'google.com')).toMatchObject({ sums: google, visitors: 6 })
    expect(find('2025-03-01', 'visit:source', 'Direct / None')).toMatchObject({ sums: { visits: 4, pageviews: 9, bounces: 2, duration: 150 }, visitors: 3 })
    const letter = { sums: { visits: 1, pageviews: 6, duration: 50, events: 6 }, visitors: 1 }
    expect(find('2025-03-01', 'visit:source', 'Newsletter')).toMatchObject(letter)
    expect(find('2025-03-01', 'visit:utm_source', 'newsletter')).toMatchObject(letter)
    expect(find('2025-03-01', 'visit:utm_medium', 'email')).toMatchObject(letter)
    expect(find('2025-03-01', 'visit:utm_campaign', 'spring')).toMatchObject(letter)
    expect(find('2025-03-01', 'visit:utm_content', 'a,b')).toMatchObject(letter)
    expect(find('2025-03-01', 'visit:utm_term', '=x')).toMatchObject(letter) // Skaits' formula guard taken off
    expect(find('2025-03-01', 'visit:channel', 'Organic Search')).toMatchObject({ sums: google, visitors: 6 })
    expect(find('2025-03-01', 'visit:channel', 'Direct')).toMatchObject({ visitors: 3 })
    expect(find('2025-03-01', 'visit:channel', 'Email')).toMatchObject(letter)

    // imported_pages + imported_entry_pages + imported_exit_pages on event:page
    expect(find('2025-03-01', 'event:page', '/')).toEqual({
      day: '2025-03-01',
      dimension: 'event:page',
      value: '/',
      sums: { pageviews: 12, visits: 8, events: 12, scroll_sum: 300, scroll_n: 5, engaged_ms: 240_000, engaged_n: 6, entries: 7, bounces: 3 },
      visitors: 7,
    })
    expect(find('2025-03-01', 'event:page', '/blog')).toEqual({
      day: '2025-03-01',
      dimension: 'event:page',
      value: '/blog',
      sums: { pageviews: 4, visits: 3, events: 4, exits: 4 },
      visitors: 3,
    })
    expect(find('2025-03-01', 'visit:entry_page', '/')).toEqual({
      day: '2025-03-01',
      dimension: 'visit:entry_page',
      value: '/',
      sums: { visits: 7, pageviews: 20, bounces: 3, duration: 500, events: 20 },
      visitors: 6,
    })
    expect(find('2025-03-01', 'visit:exit_page', '/blog')).toEqual({
      day: '2025-03-01',
      dimension: 'visit:exit_page',
      value: '/blog',
      sums: { visits: 4, pageviews: 9, bounces: 1, duration: 200, events: 9 },
    })

    // imported_custom_events
    expect(find('2025-03-01', 'event:name', 'Signup')).toEqual({ day: '2025-03-01', dimension: 'event:name', value: 'Signup', sums: { events: 3 }, visitors: 2 })
    expect(find('2025-03-01', 'event:name', 'Outbound Link: Click')).toMatchObject({ sums: { events: 2 }, visitors: 1 })
    expect(find('2025-03-01', 'event:props:url', 'https://other.example/x')).toMatchObject({ sums: { events: 2 }, visitors: 1 })
    expect(find('2025-03-01', 'event:props:path', '/missing')).toMatchObject({ sums: { events: 1 }, visitors: 1 })
    expect(find('2025-03-01', 'event:name', 'engagement')).toBeUndefined()

    // imported_locations: regions and cities add up into the country; ZZ (unknown) left out
    expect(find('2025-03-01', 'visit:country', 'LV')).toMatchObject({ sums: { visits: 7, pageviews: 16, bounces: 3, duration: 310, events: 16 }, visitors: 6 })
    expect(rows.filter((r) => r.dimension === 'visit:country')).toHaveLength(1)

    // devices, browsers and versions (major only), systems (macOS 10.15 is a frozen UA value: unknown)
    expect(find('2025-03-01', 'visit:device', 'Desktop')).toMatchObject({ sums: { visits: 5 }, visitors: 4 })
    expect(find('2025-03-01', 'visit:device', '(unknown)')).toMatchObject({ sums: { visits: 1 }, visitors: 1 })
    expect(find('2025-03-01', 'visit:browser', 'Chrome')).toMatchObject({ sums: { visits: 5, pageviews: 9, bounces: 1, duration: 150 }, visitors: 5 })
    expect(find('2025-03-01', 'visit:browser_version', '120')).toMatchObject({ sums: { visits: 4, pageviews: 6, bounces: 2, duration: 110 }, visitors: 4 })
    expect(find('2025-03-01', 'visit:browser_version', '121')).toMatchObject({ sums: { visits: 2 }, visitors: 2 })
    expect(find('2025-03-01', 'visit:os_version', '(unknown)')).toMatchObject({ sums: { visits: 2 }, visitors: 2 })
    expect(find('2025-03-01', 'visit:os_version', '11')).toMatchObject({ sums: { visits: 1 }, visitors: 1 })

    // nothing else: every row is one of a known dimension
    expect(new Set(rows.map((r) => r.dimension))).toEqual(
      new Set([
        '', 'event:name', 'visit:source', 'visit:referrer', 'visit:utm_source', 'visit:utm_medium', 'visit:utm_campaign', 'visit:utm_content',
        'visit:utm_term', 'visit:channel', 'event:page', 'visit:entry_page', 'visit:exit_page', 'event:props:url', 'event:props:path',
        'visit:country', 'visit:device', 'visit:browser', 'visit:browser_version', 'visit:os', 'visit:os_version',
      ]),
    )
  })

  it('reads the same from a stored zip, a zip as Zstream writes it, a list of CSV paths and an upload stream', async () => {
    const fromZip = (await readAll(zipOf(FIXTURES))).rows
    const sorted = (rows: DayRow[]) => [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))
    expect(sorted((await readAll(zipOf(FIXTURES, 0))).rows)).toEqual(sorted(fromZip))
    expect(sorted((await readAll(zstreamLikeZip(FIXTURES))).rows)).toEqual(sorted(fromZip))
    expect(sorted((await readAll(readdirSync(DIR).map((f) => path.join(DIR, f)))).rows)).toEqual(sorted(fromZip))
    expect(sorted((await readAll(Readable.from([Buffer.from(zipOf(FIXTURES))]))).rows)).toEqual(sorted(fromZip))
  })

  it('names the range from the file names and tells a Skaits export from the manifest or a skaits_ file', async () => {
    const opened = await openPlausibleExport(zipOf(FIXTURES))
    await opened.close()
    expect(plausibleRange(opened.names)).toEqual({ from: '2025-03-01', to: '2025-03-02' })
    expect(plausibleRange(['imported_visitors_20240101_20240131.csv', 'visitors_20240201_20240229.csv', 'notes.txt'])).toEqual({ from: '2024-01-01', to: '2024-02-29' })
    expect(plausibleRange(['notes.txt'])).toBeUndefined()
    expect(isSkaitsExport(opened.names)).toBe(false)
    expect(isSkaitsExport(['imported_visitors_20240101_20240131.csv', 'manifest.json'])).toBe(true)
    expect(isSkaitsExport(['skaits_channel_20240101_20240131.csv'])).toBe(true)
  })

  it('accepts file names without the imported_ prefix, and older columns', async () => {
    const counts = newCounts()
    const old = [
      'date,hostname,page,visitors,pageviews,exits,time_on_page,scroll_depth,pageleave_visitors',
      '2024-01-01,example.com,/a,2,3,1,50,40,2',
      '2024-01-01,example.com,/b,1,1,1,0,\\N,0',
    ].join('\n')
    const rows = await parseOne('pages_20240101_20240131.csv', old, counts)
    expect(rows).toEqual([
      { day: '2024-01-01', dimension: 'event:page', value: '/a', sums: { pageviews: 3, events: 3, scroll_sum: 80, scroll_n: 2 }, visitors: 2 },
      { day: '2024-01-01', dimension: '', value: '', sums: { scroll_sum: 80, scroll_n: 2 } },
      { day: '2024-01-01', dimension: 'event:page', value: '/b', sums: { pageviews: 1, events: 1 }, visitors: 1 },
    ])
    const browsers = await parseOne('imported_browsers.csv', 'date,browser,visitors,visits,visit_duration,bounces\n2024-01-01,Firefox,1,1,5,0\n')
    expect(browsers).toEqual([{ day: '2024-01-01', dimension: 'visit:browser', value: 'Firefox', sums: { visits: 1, duration: 5 }, visitors: 1 }])
  })

  it('leaves an unknown file out with a note, and reads the rest', async () => {
    const { counts, find } = await readAll(zipOf({ 'README.txt': 'hello', 'imported_visitors_20250301_20250302.csv': FIXTURES['imported_visitors_20250301_20250302.csv']! }))
    expect(counts.errors).toEqual([{ file: 'export.zip:README.txt', line: 0, message: 'not a file of a Plausible export: left out' }])
    expect(find('2025-03-01', '', '')?.visitors).toBe(10)
  })
})

describe('Plausible export: what is refused, with file and line', () => {
  it('a missing key column or date', async () => {
    const e = await errorOf(parseOne('imported_sources_20250301_20250302.csv', 'date,referrer,visitors\n2025-03-01,x.com,1\n'))
    expect(e.file).toBe('imported_sources_20250301_20250302.csv')
    expect(e.line).toBe(1)
    expect(e.message).toContain('missing column source')
    expect((await errorOf(parseOne('imported_visitors.csv', 'day,visitors\n2025-03-01,1\n'))).message).toContain('missing column date')
  })

  it('a count that is no non-negative integer', async () => {
    for (const bad of ['1e3', '-1', '12.5', 'x', ' 7']) {
      const e = await errorOf(parseOne('imported_visitors.csv', `date,visitors,visits\n2025-03-01,1,1\n2025-03-02,${bad},1\n`))
      expect(e.line).toBe(3)
      expect(e.message).toBe(`imported_visitors.csv, line 3: column visitors: not a count: ${JSON.stringify(bad)}`)
    }
  })

  it('a date that is no day, or outside the range in the file name', async () => {
    const bad = await errorOf(parseOne('imported_visitors.csv', 'date,visitors\n2025-02-30,1\n'))
    expect([bad.line, bad.message]).toEqual([2, 'imported_visitors.csv, line 2: column date: not a day (YYYY-MM-DD): "2025-02-30"'])
    const outside = await errorOf(parseOne('imported_visitors_20250301_20250302.csv', 'date,visitors\n2025-03-01,1\n\n2025-03-03,1\n'))
    expect(outside.line).toBe(4)
    expect(outside.message).toContain('outside the file')
  })

  it('a record with more or fewer fields than the header', async () => {
    const e = await errorOf(parseOne('imported_visitors.csv', 'date,visitors\n2025-03-01,1,2\n'))
    expect([e.line, e.message]).toEqual([2, 'imported_visitors.csv, line 2: 3 fields where the header has 2'])
  })

  it('a truncated zip, a file that is no zip, and binary garbage in a CSV', async () => {
    const whole = zipOf(FIXTURES)
    const truncated = await errorOf(readAll(whole.subarray(0, whole.length - 200)))
    expect(truncated.file).toBe('export.zip')
    expect(truncated.message).toMatch(/truncated|damaged/)
    // the central directory intact, an entry's data cut short
    const cut = await errorOf(readAll(Readable.from([Buffer.concat([Buffer.from(whole.subarray(0, 40)), Buffer.alloc(200)])])))
    expect(cut.message).toMatch(/truncated|damaged/)
    const notZip = await errorOf(readAll(Buffer.from('date,visitors\n2025-03-01,1\n')))
    expect(notZip.message).toBe('export.zip: not a zip file')
    const garbage = Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 7919) % 256))
    const g = await errorOf(readAll(zipOf({ 'imported_visitors_20250301_20250302.csv': garbage.toString('latin1') })))
    expect(g.file).toBe('export.zip:imported_visitors_20250301_20250302.csv')
  })

  it('an entry that inflates to more than the directory says', async () => {
    const z = Buffer.from(zipOf({ 'imported_visitors.csv': FIXTURES['imported_visitors_20250301_20250302.csv']! }))
    // lower the declared uncompressed size in the central directory (offset 24 of its header)
    const cd = z.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]))
    z.writeUInt32LE(10, cd + 24)
    expect((await errorOf(readAll(z))).message).toContain('larger than declared')
  })

  it('a Skaits export by week', async () => {
    const e = await errorOf(readAll(zipOf({ 'imported_visitors.csv': 'date,visitors\n2025-03-03,1\n', 'manifest.json': '{"granularity":"week"}' })))
    expect(e.message).toContain('holds no days')
  })
})

describe('Skaits partner export → import: the same numbers', () => {
  it('reads back every published cell of csvFiles() with its counts', async () => {
    const c = (period: string, dimension: string, value: string, visitors: number, visits: number, pageviews: number, bounces: number, visit_duration: number): ExportCell => ({
      period,
      dimension,
      value,
      suppressed: false,
      metrics: { visitors, visits, pageviews, bounces, visit_duration },
    })
    const cells: ExportCell[] = [
      c('2025-04-01', '', '', 40, 50, 120, 20, 3000),
      c('2025-04-02', '', '', 30, 35, 70, 15, 2000),
      c('2025-04-01', 'visit:source', 'Direct / None', 20, 25, 60, 10, 1500),
      c('2025-04-01', 'visit:source', 'Google', 20, 25, 60, 10, 1500),
      c('2025-04-01', 'visit:referrer', 'news.ycombinator.com', 5, 5, 9, 2, 100),
      c('2025-04-01', 'visit:channel', 'Organic Search', 20, 25, 60, 10, 1500),
      c('2025-04-01', 'visit:utm_campaign', '=HYPERLINK("x")', 6, 6, 6, 6, 0),
      c('2025-04-01', 'visit:utm_source', 'news,letter', 3, 3, 4, 1, 10),
      c('2025-04-01', 'visit:utm_medium', '-email', 3, 3, 4, 1, 10),
      c('2025-04-01', 'event:page', '/', 30, 32, 80, 0, 0),
      c('2025-04-01', 'event:page', '/a "quoted" page', 10, 10, 40, 0, 0),
      c('2025-04-01', 'event:section', '/blog', 10, 10, 40, 5, 100),
      c('2025-04-01', 'visit:entry_page', '/', 25, 30, 90, 12, 2500),
      c('2025-04-01', 'visit:country', 'LV', 35, 45, 110, 18, 2900),
      c('2025-04-01', 'visit:device', 'Laptop', 12, 14, 30, 6, 700),
      c('2025-04-01', 'visit:browser', 'Samsung Browser', 3, 3, 3, 3, 0),
      c('2025-04-01', 'visit:os', '(unknown)', 2, 2, 2, 2, 0),
      c('2025-04-01', 'visit:isp', 'example-isp.lv', 7, 8, 9, 1, 60),
      { period: '2025-04-02', dimension: 'visit:country', value: 'EE', suppressed: true, metrics: {} },
    ]
    const files = csvFiles('example.com', cells, { from: '2025-04-01', to: '2025-04-02' })
    const manifest = JSON.stringify({ granularity: 'day', files: Object.keys(files) })
    const archive = zip({ ...files, 'manifest.json': manifest }, new Date(Date.UTC(2025, 3, 3)))
    const { rows, counts } = await readAll(archive)
    expect(counts.errors).toEqual([])

    // What each table carries: imported_pages has no bounces or duration columns.
    const carried = (dimension: string) => (dimension === 'event:page' ? (['visitors', 'visits', 'pageviews'] as const) : (['visitors', 'visits', 'pageviews', 'bounces', 'visit_duration'] as const))
    const published = cells
      .filter((x) => !x.suppressed)
      .map((x) => ({ day: x.period, dimension: x.dimension, value: x.value, counts: Object.fromEntries(carried(x.dimension).map((m) => [m, x.metrics[m]])) }))
    const read = rows
      .filter((r) => cells.some((x) => x.dimension === r.dimension && x.value === r.value && x.period === r.day))
      .map((r) => ({
        day: r.day,
        dimension: r.dimension,
        value: r.value,
        counts: Object.fromEntries(
          carried(r.dimension).map((m) => [m, m === 'visitors' ? r.visitors : (r.sums[m === 'visit_duration' ? 'duration' : m] ?? 0)]),
        ),
      }))
    const key = (x: { day: string; dimension: string; value: string }) => `${x.day}|${x.dimension}|${x.value}`
    expect(read.sort((a, b) => key(a).localeCompare(key(b)))).toEqual(published.sort((a, b) => key(a).localeCompare(key(b))))

    // Nothing is made up but what Skaits itself would count from the same visits: a page's entries
    // and bounces (from its entry rows) and pageviews as events. No channel from the sources: it has its own file.
    const extra = rows.filter((r) => !cells.some((x) => x.dimension === r.dimension && x.value === r.value && x.period === r.day))
    expect(extra.map(key).sort()).toEqual(['2025-04-01|event:name|pageview', '2025-04-02|event:name|pageview'])
    expect(rows.filter((r) => r.dimension === 'visit:channel')).toHaveLength(1)
    expect(rows.find((r) => r.dimension === 'event:page' && r.value === '/')?.sums).toMatchObject({ entries: 30, bounces: 12 })
  })
})
