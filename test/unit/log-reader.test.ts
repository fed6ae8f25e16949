// Fixtures: test/fixtures/logs/ (README.md there says which documentation each line comes from).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { gzipSync } from 'node:zlib'
import { afterAll, describe, expect, it } from 'vitest'
import { readLogFile, type LogItem, type LogReadOptions } from '../../server/imports/logs/reader.ts'
import { ImportInputError } from '../../server/imports/types.ts'

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/logs')
const dir = mkdtempSync(path.join(tmpdir(), 'skaits-log-reader-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const fixture = (name: string) => readFileSync(path.join(FIXTURES, name))
function write(name: string, content: string | Buffer): string {
  const file = path.join(dir, name)
  writeFileSync(file, content)
  return file
}

async function readAll(input: string | Readable, options?: LogReadOptions) {
  const reader = readLogFile(input, options)
  const items: LogItem[] = []
  let error: unknown
  try {
    for await (const item of reader) items.push(item)
  } catch (err) {
    error = err
  }
  return { items, counts: reader.counts, error }
}

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0'
const pageLine = (i: number, time = '10/Oct/2000:13:55:36 -0700') => `203.0.113.${i % 250} - - [${time}] "GET /page/${i} HTTP/1.1" 200 100 "-" "${BROWSER}"`

describe('readLogFile', () => {
  it('reads the combined fixture: records of page views, a numbered skip for the rest', async () => {
    const { items, counts, error } = await readAll(path.join(FIXTURES, 'combined.log'))
    expect(error).toBeUndefined()
    expect(items.map((i) => ('record' in i ? i.record.path : `${i.skip}@${i.line}`))).toEqual([
      'static@1',
      '/blog/a?utm_source=news',
      '/',
      '/search?q="quoted"',
      '/apache-escaped',
      'bot@6',
      'static@7',
      'method@8',
      'status@9',
      'status@10',
      'method@11',
      'bot@12',
    ])
    expect(items[1]).toEqual({ record: { time: Date.parse('2000-10-10T22:55:36+02:00'), path: '/blog/a?utm_source=news', referrer: 'https://news.example.org/', userAgent: BROWSER, address: '198.51.100.7' } })
    expect(counts).toMatchObject({ read: 12, skipped: { static: 2, bot: 2, method: 2, status: 2 }, errors: [], format: 'combined' })
    expect(counts.bytes).toBe(fixture('combined.log').length)
    expect(counts.totalBytes).toBe(counts.bytes)
  })

  it('keeps the host of a vhost or Caddy log in the record', async () => {
    const caddy = await readAll(path.join(FIXTURES, 'caddy.log'))
    expect(caddy.counts.format).toBe('caddy')
    expect(caddy.items).toEqual([
      { skip: 'bot', line: 1 }, // curl
      { record: { time: 1646861402250, path: '/docs/?page=2', host: 'www.example.com', referrer: 'https://search.example.net/?q=skaits', userAgent: BROWSER, address: '2001:db8::77' } },
    ])
    const vhost = await readAll(path.join(FIXTURES, 'vhost_combined.log'))
    expect(vhost.items[1]).toMatchObject({ record: { host: 'blog.example.com', path: '/post/1' } })
  })

  it('reads gzip by its magic bytes, whatever the name, counting compressed bytes', async () => {
    const plain = fixture('combined.log')
    const gz = gzipSync(plain)
    const file = write('access.log', gz) // no .gz in the name
    const { items, counts } = await readAll(file)
    const fromPlain = await readAll(path.join(FIXTURES, 'combined.log'))
    expect(items).toEqual(fromPlain.items)
    expect(counts.bytes).toBe(gz.length)
    expect(counts.totalBytes).toBe(gz.length)
  })

  it('a truncated gzip: the lines before it, then an ImportInputError with the file name', async () => {
    const text = Array.from({ length: 20_000 }, (_, i) => pageLine(i)).join('\n') + '\n'
    const gz = gzipSync(text)
    const file = write('cut.log.gz', gz.subarray(0, Math.floor(gz.length / 2)))
    const { items, error } = await readAll(file, { format: 'combined' })
    expect(error).toBeInstanceOf(ImportInputError)
    expect((error as ImportInputError).file).toBe('cut.log.gz')
    expect((error as Error).message).toBe('cut.log.gz: the gzip file ends early (truncated?)')
    expect(items.length).toBeGreaterThan(100)
    // every line it gave is a whole one, in order
    items.forEach((item, i) => expect(item).toMatchObject({ record: { path: `/page/${i}` } }))
  })

  it('garbage, invalid UTF-8, control characters and a line over 64 KiB are numbered malformed skips', async () => {
    const content = Buffer.concat([
      Buffer.from(`${pageLine(1)}\n${pageLine(2)}\nnot a log line at all\n`),
      Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x0a]), // line 4: not UTF-8
      Buffer.from(`${pageLine(5).replace('/page/5', '/page/\u0001x')}\n`), // line 5: a raw control character
      Buffer.from(`${'x'.repeat(70 * 1024)}\n`), // line 6
      Buffer.from(`${pageLine(7).replace('/page/7', `/${'é'.repeat(30_000)}`)}\n`), // line 7: 60,000 bytes of é, fine
      Buffer.from(`${pageLine(8).replace('/page/8', `/${'é'.repeat(34_000)}`)}\r\n`), // line 8: 68,000 bytes
      Buffer.from(`\n${pageLine(10)}`), // an empty line 9, then a last line without newline
    ])
    const { items, counts, error } = await readAll(write('garbage.log', content))
    expect(error).toBeUndefined()
    expect(items.map((i) => ('record' in i ? i.record.path.slice(0, 8) : `${i.skip}@${i.line}`))).toEqual([
      '/page/1',
      '/page/2',
      'malformed@3',
      'malformed@4',
      'malformed@5',
      'malformed@6',
      '/ééééééé',
      'malformed@8',
      '/page/10',
    ])
    expect(counts.errors).toEqual([
      { file: 'garbage.log', line: 3, message: "not a line of a combined log (field 4 %t: no '[' before it)" },
      { file: 'garbage.log', line: 4, message: 'not UTF-8 text' },
      { file: 'garbage.log', line: 5, message: 'binary data' },
      { file: 'garbage.log', line: 6, message: 'longer than 64 KiB' },
      { file: 'garbage.log', line: 8, message: 'longer than 64 KiB' },
    ])
    expect(counts.read).toBe(9)
  })

  it('never puts a line or an address in an error, and keeps only the first 10', async () => {
    const bad = (i: number) => `198.51.100.${i} - - [10/Oct/2000:13:55:36 -0700] "GET /x HTTP/1.1" 20${i}x 5 "-" "${BROWSER}"`
    const { counts } = await readAll(write('bad.log', Array.from({ length: 30 }, (_, i) => bad(i % 10)).join('\n')), { format: 'combined' })
    expect(counts.skipped.malformed).toBe(30)
    expect(counts.errors).toHaveLength(10)
    for (const e of counts.errors) {
      expect(e.message).toBe('not a line of a combined log (field 6 %>s: not a status)')
      expect(e.message).not.toMatch(/198\.51/)
    }
  })

  it('splits lines across chunk boundaries, even inside a multi-byte character, from any Readable', async () => {
    const text = Buffer.from(Array.from({ length: 50 }, (_, i) => pageLine(i).replace(`/page/${i}`, `/p/${i}/ü€`)).join('\n') + '\n')
    const chunks = Array.from({ length: Math.ceil(text.length / 7) }, (_, i) => text.subarray(i * 7, i * 7 + 7))
    const { items, counts } = await readAll(Readable.from(chunks), { format: 'combined' })
    expect(items.map((i) => 'record' in i && i.record.path)).toEqual(Array.from({ length: 50 }, (_, i) => `/p/${i}/ü€`))
    expect(counts.totalBytes).toBeUndefined()
    expect(counts.bytes).toBe(text.length)
  })

  it('a custom format and filter options', async () => {
    const line = '2000-10-10T22:55:36+02:00 www.example.com 192.0.2.9 "GET /old HTTP/1.1" 301 "' + BROWSER + '"'
    const { items } = await readAll(write('custom.log', line + '\n'), { format: { custom: '$time_iso8601 $host $remote_addr "$request" $status "$http_user_agent"' }, filter: { statuses: '200-399' } })
    expect(items).toEqual([{ record: { time: Date.UTC(2000, 9, 10, 20, 55, 36), path: '/old', host: 'www.example.com', referrer: '', userAgent: BROWSER, address: '192.0.2.9' } }])
  })

  it('a file that is no access log is refused whole, with its name', async () => {
    const { items, error } = await readAll(write('notes.txt', 'dear diary\ntoday I wrote a log parser\n'))
    expect(items).toEqual([])
    expect(error).toBeInstanceOf(ImportInputError)
    expect((error as Error).message).toMatch(/^notes\.txt: not an access log Skaits knows/)
  })

  it('an empty file yields nothing', async () => {
    const { items, counts, error } = await readAll(write('empty.log', ''))
    expect([items, counts.read, error]).toEqual([[], 0, undefined])
  })

  it('memory stays flat in the file size (400,000 lines streamed)', async () => {
    // What the reader holds, not what garbage collection has yet to take: measured right after a
    // full collection every 50,000 lines (the peak of heapUsed between collections is noise).
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const file = path.join(dir, 'big.log')
    const block = Array.from({ length: 1000 }, (_, i) => pageLine(i)).join('\n') + '\n'
    writeFileSync(file, block.repeat(400))
    const size = block.length * 400
    gc()
    const before = process.memoryUsage().heapUsed
    let held = 0
    let n = 0
    for await (const item of readLogFile(file, { format: 'combined' })) {
      if ('record' in item) n++
      if (n % 50_000 === 0) {
        gc()
        held = Math.max(held, process.memoryUsage().heapUsed - before)
      }
    }
    expect(n).toBe(400_000)
    // A whole-file read would hold it all, as UTF-16 twice over: over 120 MB here.
    expect(held).toBeLessThan(size / 8)
    rmSync(file)
  })
})
