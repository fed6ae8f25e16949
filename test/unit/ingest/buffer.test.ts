import type { Readable } from 'node:stream'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import type { ClickHouseClient } from '@clickhouse/client'
import { Db } from '../../../server/db/client.ts'
import { EventBuffer, InsertTimeout, Tally } from '../../../server/ingest/buffer.ts'
import type { Cell } from '../../../server/sessions/cells.ts'

interface Attempt {
  token: string
  visitors: string[]
  settle: (ok: boolean) => void
}

async function text(values: Readable): Promise<string> {
  let body = ''
  for await (const chunk of values) body += String(chunk)
  return body
}

/** The visitor hashes of a TabSeparated body: the last column, `[1,2,…]`. */
function hashesOf(body: string): string[] {
  return body
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => line.split('\t').at(-1)!.slice(1, -1).split(',').filter(Boolean))
}

/** A client whose inserts wait until the test settles them; the rest answers at once. */
function fakeDb() {
  const attempts: Attempt[] = []
  const client = {
    query: async () => ({ json: async () => [] }),
    command: async () => ({}),
    insert: async (params: { table: string; values: Readable }) => {
      const token = /insert_deduplication_token = '([^']+)'/.exec(params.table)?.[1] ?? ''
      const visitors = hashesOf(await text(params.values))
      return new Promise<void>((resolve, reject) => {
        attempts.push({ token, visitors, settle: (ok) => (ok ? resolve() : reject(new Error('injected'))) })
      })
    },
  }
  return { db: new Db(client as unknown as ClickHouseClient), attempts }
}

const TS = 1_790_000_000_000
const DAY = '2026-09-21'
const cell = (over: Partial<Cell> = {}): Cell => ({
  dimension: '', value: '', uniq: 1,
  pageviews: 1, visits: 1, bounces: 1, duration: 0, events: 1, entries: 0, exits: 0,
  engaged_ms: 0, engaged_n: 0, scroll_sum: 0, scroll_n: 0, revenue: 0, revenue_n: 0,
  ...over,
})
const options = { flushIntervalMs: 1000, batchMaxEvents: 3, bufferMaxEvents: 5, insertTimeoutMs: 100 }
const tick = () => new Promise((r) => setTimeout(r, 0))

describe('EventBuffer', () => {
  it('resends a failed batch as it was, same rows and token, before any newer events', async () => {
    let now = 0
    const { db, attempts } = fakeDb()
    const buffer = new EventBuffer(db, options, pino({ level: 'silent' }), () => now)
    buffer.add('example.lv', TS, DAY, '1', [cell()])
    buffer.add('example.lv', TS, DAY, '2', [cell()])
    const first = buffer.flush()
    await tick()
    attempts[0]!.settle(false)
    await expect(first).rejects.toThrow('injected')
    buffer.add('example.lv', TS, DAY, '3', [cell()])
    buffer.add('example.lv', TS, DAY, '4', [cell()])
    expect(buffer.depth).toBe(4)
    now += 60_000 // past the backoff
    const second = buffer.flush()
    await tick()
    expect(attempts[1]).toMatchObject({ token: attempts[0]!.token, visitors: ['1', '2'] })
    attempts[1]!.settle(true)
    await tick()
    expect(attempts[2]!.visitors).toEqual(['3', '4'])
    expect(attempts[2]!.token).not.toBe(attempts[0]!.token)
    attempts[2]!.settle(true)
    await second
    expect(buffer.depth).toBe(0)
    expect(buffer.stats).toMatchObject({ inserted: 4, insertErrors: 1 })
  })

  it('gives up on an insert after insertTimeoutMs, keeps its events and refuses more when full', async () => {
    let now = 0
    const { db, attempts } = fakeDb()
    const buffer = new EventBuffer(db, { ...options, batchMaxEvents: 100 }, pino({ level: 'silent' }), () => now)
    for (const v of ['1', '2', '3', '4', '5']) buffer.add('example.lv', TS, DAY, v, [cell()])
    expect(buffer.hasRoom()).toBe(false)
    const started = performance.now()
    await expect(buffer.flush()).rejects.toBeInstanceOf(InsertTimeout)
    expect(performance.now() - started).toBeGreaterThanOrEqual(95)
    expect(performance.now() - started).toBeLessThan(1000)
    expect(buffer.depth).toBe(5)
    expect(buffer.hasRoom()).toBe(false)
    // The abandoned attempt answering late changes nothing: the batch is resent under its token.
    attempts[0]!.settle(true)
    now += 60_000
    const resent = buffer.flush()
    await tick()
    expect(attempts[1]).toMatchObject({ token: attempts[0]!.token, visitors: ['1', '2', '3', '4', '5'] })
    attempts[1]!.settle(true)
    await resent
    expect(attempts).toHaveLength(2)
    expect(buffer.stats.inserted).toBe(5)
  })

  it('sends a full tally without waiting for the timer', async () => {
    const { db, attempts } = fakeDb()
    const buffer = new EventBuffer(db, { ...options, bufferMaxEvents: 100 }, pino({ level: 'silent' }))
    for (const v of ['1', '2', '3']) buffer.add('example.lv', TS, DAY, v, [cell()])
    await tick()
    expect(attempts).toHaveLength(0)
    buffer.add('example.lv', TS, DAY, '4', [cell()]) // the tally held batchMaxEvents (3): it goes first
    await tick()
    expect(attempts.map((a) => a.visitors)).toEqual([['1', '2', '3']])
    expect(buffer.depth).toBe(4)
  })

  it('answers a flush asked during an insert with one more insert of what came since', async () => {
    const { db, attempts } = fakeDb()
    const buffer = new EventBuffer(db, { ...options, bufferMaxEvents: 100 }, pino({ level: 'silent' }))
    buffer.add('example.lv', TS, DAY, '1', [cell()])
    const first = buffer.flush()
    await tick()
    buffer.add('example.lv', TS, DAY, '2', [cell()])
    const second = buffer.flush()
    const third = buffer.flush()
    attempts[0]!.settle(true)
    await first
    await tick()
    expect(attempts.map((a) => a.visitors)).toEqual([['1'], ['2']])
    attempts[1]!.settle(true)
    await Promise.all([second, third])
    expect(buffer.depth).toBe(0)
    expect(attempts).toHaveLength(2)
  })

  it('writes unpaired surrogates as U+FFFD, so one event cannot make ClickHouse refuse a batch', () => {
    const tally = new Tally()
    tally.add('example.lv', TS, DAY, '1', [cell({ dimension: 'event:props:a\ud800', value: 'x\udc00y\ud83d\ude00' })])
    const encoded = tally.encode()
    const [, , , dimension, value] = encoded.body.split('\t')
    expect(dimension).toBe('event:props:a\ufffd')
    expect(value).toBe('x\ufffdy\ud83d\ude00')
    // The answer cache is told the row as it is stored, or it would read again a row that is not there.
    expect(encoded.rows).toEqual(new Map([['example.lv', new Map([['event:props:a\ufffd', new Set(['x\ufffdy\ud83d\ude00'])]])]]))
    expect(encoded.earliestHour).toBe(Math.floor(TS / 3_600_000) * 3600)
  })
})

describe('Tally', () => {
  it('sums a flush per (site, hour, day, dimension, value) and keeps each visitor hash once per row', () => {
    const tally = new Tally()
    tally.add('example.lv', TS, DAY, '11', [cell({ revenue: 1599, revenue_n: 1 }), cell({ dimension: 'event:page', value: '/a', uniq: 0, duration: 5 })])
    tally.add('example.lv', TS + 60_000, DAY, '11', [cell({ bounces: -1, visits: 0 })])
    tally.add('example.lv', TS + 120_000, DAY, '22', [cell({ dimension: 'event:page', value: '/a', uniq: 1 })])
    tally.add('example.lv', TS + 3_600_000, DAY, '22', [cell()]) // the next hour: its own row
    expect(tally.events).toBe(4)
    const hour = Math.floor(TS / 3_600_000) * 3600
    expect(tally.encode().body.split('\n').filter(Boolean).map((l) => l.split('\t'))).toEqual([
      ['example.lv', String(hour), DAY, '', '', '2', '1', '0', '0', '2', '0', '0', '0', '0', '0', '0', '1599', '1', '[11]'],
      ['example.lv', String(hour), DAY, 'event:page', '/a', '2', '2', '2', '5', '2', '0', '0', '0', '0', '0', '0', '0', '0', '[22]'],
      ['example.lv', String(hour + 3600), DAY, '', '', '1', '1', '1', '0', '1', '0', '0', '0', '0', '0', '0', '0', '0', '[22]'],
    ])
  })

  it('escapes tabs, newlines and backslashes, and keeps values that only differ in where a dimension ends apart', () => {
    const tally = new Tally()
    tally.add('example.lv', TS, DAY, '1', [cell({ dimension: 'event:props:a', value: '\u0000b\tc\nd\\e' })])
    tally.add('example.lv', TS, DAY, '1', [cell({ dimension: 'event:props:a\u0000', value: 'b\tc\nd\\e' })])
    expect(tally.size).toBe(2)
    const lines = tally.encode().body.split('\n').filter(Boolean)
    expect(lines).toHaveLength(2)
    expect(lines[0]).toContain('\tevent:props:a\t\\0b\\tc\\nd\\\\e\t')
    expect(lines[1]).toContain('\tevent:props:a\\0\tb\\tc\\nd\\\\e\t')
  })
})
