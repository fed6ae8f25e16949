import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import type { Db } from '../../../server/db/client.ts'
import { EventBuffer, eventRow, InsertTimeout, type EventRow } from '../../../server/ingest/buffer.ts'
import type { Cell } from '../../../server/sessions/cells.ts'

interface Attempt {
  token: string
  visitors: string[]
  settle: (ok: boolean) => void
}

/** A client whose inserts wait until the test settles them; the rest answers at once. */
function fakeDb() {
  const attempts: Attempt[] = []
  const db = {
    query: async () => ({ json: async () => [] }),
    command: async () => ({}),
    insert: (params: { table: string; values: EventRow[] }) =>
      new Promise<void>((resolve, reject) => {
        const token = /insert_deduplication_token = '([^']+)'/.exec(params.table)?.[1] ?? ''
        attempts.push({ token, visitors: params.values.map((r) => r[3]), settle: (ok) => (ok ? resolve() : reject(new Error('injected'))) })
      }),
  }
  return { db: db as unknown as Db, attempts }
}

const row = (visitor: string, cells: Cell[] = []) => eventRow('example.lv', 1_790_000_000_000, '2026-09-21', visitor, cells)
const options = { flushIntervalMs: 1000, batchMaxEvents: 3, bufferMaxEvents: 5, insertTimeoutMs: 100 }
const tick = () => new Promise((r) => setTimeout(r, 0))

describe('EventBuffer', () => {
  it('resends a failed batch as it was, same rows and token, before any newer events', async () => {
    let now = 0
    const { db, attempts } = fakeDb()
    const buffer = new EventBuffer(db, options, pino({ level: 'silent' }), () => now)
    buffer.push(row('1'))
    buffer.push(row('2'))
    const first = buffer.flush()
    await tick()
    attempts[0]!.settle(false)
    await expect(first).rejects.toThrow('injected')
    buffer.push(row('3'))
    buffer.push(row('4'))
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
    const buffer = new EventBuffer(db, options, pino({ level: 'silent' }), () => now)
    for (const v of ['1', '2', '3', '4', '5']) buffer.push(row(v))
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
    expect(attempts[1]).toMatchObject({ token: attempts[0]!.token, visitors: ['1', '2', '3'] })
    attempts[1]!.settle(true)
    await tick()
    attempts[2]!.settle(true)
    await resent
    expect(buffer.stats.inserted).toBe(5)
  })

  it('writes unpaired surrogates as U+FFFD, so one event cannot make ClickHouse refuse a batch', () => {
    const cell = { dimension: 'event:props:a\ud800', value: 'x\udc00y\ud83d\ude00', uniq: 1 } as Cell
    const r = row('1', [cell])
    expect(r[4]).toEqual(['event:props:a\ufffd'])
    expect(r[5]).toEqual(['x\ufffdy\ud83d\ude00'])
  })
})
