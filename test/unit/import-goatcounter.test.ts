// GoatCounter's CSV export (version 2) → hit records. Fixture: test/fixtures/imports/goatcounter-v2.csv
// (README.md there says which lines of arp242/goatcounter export.go and tpl/help/export.md it follows).
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { Readable } from 'node:stream'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { parseGoatCounterCsv, type GoatCounterHit } from '../../server/imports/goatcounter.ts'
import { ImportInputError, type ReadCounts } from '../../server/imports/types.ts'

const FIXTURE = readFileSync(path.resolve(import.meta.dirname, '../fixtures/imports/goatcounter-v2.csv'))
const newCounts = (): ReadCounts => ({ read: 0, skipped: {}, errors: [] })

async function parse(bytes: Buffer, counts = newCounts()): Promise<GoatCounterHit[]> {
  const out: GoatCounterHit[] = []
  for await (const hit of parseGoatCounterCsv(Readable.from([bytes]), 'gc.csv', counts)) out.push(hit)
  return out
}

const SESSION = '0f1e2d3c4b5a69788796a5b4c3d2e1f0'

describe('GoatCounter export → hit records', () => {
  it('reads pageviews and events with their sessions, referrers, sizes and countries; bots and bad rows left out', async () => {
    const counts = newCounts()
    const hits = await parse(FIXTURE, counts)
    expect(hits).toEqual([
      {
        time: Date.UTC(2025, 2, 1, 10, 0, 0),
        path: '/',
        userAgent: '',
        referrer: 'https://news.ycombinator.com/item?id=1',
        session: SESSION,
        screenWidth: 1920,
        country: 'NL',
        browser: 'Firefox',
        browserVersion: '120',
        os: 'Windows',
        osVersion: '10',
      },
      {
        time: Date.UTC(2025, 2, 1, 10, 1, 30),
        path: '/about',
        userAgent: '',
        session: SESSION,
        screenWidth: 412,
        country: 'US',
        browser: 'Samsung Internet',
        browserVersion: '23',
        os: 'Android',
        osVersion: '14',
      },
      // an event: its path is its name, and it was sent on no page GoatCounter kept
      {
        time: Date.UTC(2025, 2, 1, 10, 2, 0),
        path: '',
        event: 'signup',
        userAgent: '',
        session: SESSION,
        country: 'US',
        browser: 'Samsung Internet',
        browserVersion: '23',
        os: 'Android',
        osVersion: '14',
      },
      // a group name (scheme g) is a source tag, not a URL; a SQLite date is UTC
      {
        time: Date.UTC(2025, 2, 1, 12, 0, 0),
        path: '/?ref=Hacker%20News',
        userAgent: '',
        session: '22222222222222222222222222222222',
        screenWidth: 390,
        country: 'DE',
        browser: 'Safari',
        browserVersion: '17',
        os: 'iOS',
        osVersion: '17',
      },
      // a campaign value (scheme c) too; the offset is kept
      { time: Date.UTC(2025, 2, 1, 10, 30, 0), path: '/x?ref=spring-newsletter', userAgent: '', session: '33333333333333333333333333333333' },
      // an app (scheme o), and Event as SQLite writes it (1)
      {
        time: Date.UTC(2025, 2, 2, 0, 0, 0, 500),
        path: '',
        event: 'y',
        userAgent: '',
        referrer: 'android-app://com.google.android.gm',
        session: '44444444444444444444444444444444',
      },
    ])
    expect(counts.read).toBe(9)
    expect(counts.skipped).toEqual({ bot: 1, malformed: 2 })
    expect(counts.errors).toEqual([
      { file: 'gc.csv', line: 9, message: 'column Event: not true or false' },
      { file: 'gc.csv', line: 10, message: 'column Date: not an RFC 3339 time' },
    ])
  })

  it('reads the gzipped export as GoatCounter hands it out, found by its magic bytes', async () => {
    expect(await parse(gzipSync(FIXTURE))).toEqual(await parse(FIXTURE))
  })

  it('refuses another version or header, and a truncated gzip, with the file and line', async () => {
    const v1 = '1Path,Title,Event,Bot,Session,FirstVisit,Referrer,Referrer scheme,Browser,Screen size,Location,Date\n/,,false,0,1,true,,,,,,2020-01-01T00:00:00Z\n'
    const e = await parse(Buffer.from(v1)).catch((x: unknown) => x)
    expect(e).toBeInstanceOf(ImportInputError)
    expect((e as ImportInputError).line).toBe(1)
    expect((e as ImportInputError).message).toMatch(/^gc\.csv, line 1: not a GoatCounter export \(version 2\): header "1Path,Title/)
    const empty = await parse(Buffer.alloc(0)).catch((x: unknown) => x)
    expect(empty).toBeInstanceOf(ImportInputError)
    const gz = gzipSync(FIXTURE)
    const cut = await parse(gz.subarray(0, gz.length - 30)).catch((x: unknown) => x)
    expect(cut).toBeInstanceOf(ImportInputError)
    expect((cut as ImportInputError).file).toBe('gc.csv')
  })

  it('a row with the wrong number of fields is malformed, not fatal', async () => {
    const text = `${FIXTURE.toString().split('\n')[0]}\n/,Home,false\n`
    const counts = newCounts()
    expect(await parse(Buffer.from(text), counts)).toEqual([])
    expect(counts.errors).toEqual([{ file: 'gc.csv', line: 2, message: '3 fields where the header has 14' }])
  })
})
