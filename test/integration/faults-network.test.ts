import { createServer, type Server, type Socket } from 'node:net'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDb } from '../../server/db/client.ts'
import { EventBuffer, InsertTimeout } from '../../server/ingest/buffer.ts'
import { spawnServer } from '../helpers/skaits.ts'

/**
 * A CLICKHOUSE_URL that misbehaves at the TCP level, from listeners on 127.0.0.1: a closed
 * port (refused), one that resets every connection, one that accepts and never answers.
 */
interface Listener {
  url: string
  sockets: Set<Socket>
  server?: Server
}

async function listener(onSocket: (s: Socket) => void): Promise<Listener> {
  const sockets = new Set<Socket>()
  const server = createServer((s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => {})
    onSocket(s)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as { port: number }
  return { url: `http://127.0.0.1:${port}`, sockets, server }
}

async function closedPort(): Promise<Listener> {
  const l = await listener(() => {})
  await new Promise((r) => l.server!.close(r))
  return { url: l.url, sockets: l.sockets }
}

let refusing: Listener
let resetting: Listener
let silent: Listener

beforeAll(async () => {
  refusing = await closedPort()
  resetting = await listener((s) => s.resetAndDestroy())
  silent = await listener((s) => s.resume()) // reads the request, never writes a byte
})

afterAll(async () => {
  for (const l of [resetting, silent]) {
    for (const s of l.sockets) s.destroy()
    await new Promise((r) => l.server!.close(r))
  }
})

describe('a CLICKHOUSE_URL that refuses, resets or never answers', () => {
  it('stops the server at start with exit code 3 and a message naming the URL, never its password', async () => {
    const cases = { refused: refusing, reset: resetting, silent }
    const outcomes = await Promise.all(
      Object.entries(cases).map(async ([name, l]) => {
        const withPassword = l.url.replace('http://', 'http://skaits:hunter2secret@')
        const started = Date.now()
        const error = await spawnServer({ CLICKHOUSE_URL: withPassword, CLICKHOUSE_WAIT_MS: '1500' }).then(
          async (s) => {
            await s.stop('SIGKILL')
            return new Error(`${name}: started without ClickHouse`)
          },
          (err: Error) => err,
        )
        return { name, l, message: error.message, ms: Date.now() - started }
      }),
    )
    for (const { name, l, message, ms } of outcomes) {
      expect(message, name).toMatch(/^server exited with 3:/)
      expect(message, name).toMatch(/ClickHouse did not answer; not starting/)
      expect(message, name).toContain(`"clickhouse":"${l.url}/"`)
      expect(message, name).not.toContain('hunter2secret')
      expect(ms, name).toBeLessThan(20_000)
    }
  })

  it.each(['refused', 'reset', 'silent'] as const)(
    'an insert that is %s fails within INSERT_TIMEOUT_MS, keeps its events, and retries',
    async (name) => {
      const l = { refused: refusing, reset: resetting, silent }[name]
      const db = createDb({ clickhouse: { kind: 'server', url: l.url, username: 'default', password: '', database: 'default' } })
      const buffer = new EventBuffer(
        db,
        { flushIntervalMs: 50, batchMaxEvents: 10, bufferMaxEvents: 30, insertTimeoutMs: 300 },
        pino({ level: 'silent' }),
      )
      for (let i = 0; i < 30; i++) buffer.add('example.lv', Date.now(), '2026-01-01', String(i), [])
      expect(buffer.hasRoom()).toBe(false)
      const started = Date.now()
      const failure = await buffer.flush().then(() => undefined, (err: unknown) => err)
      expect(failure).toBeInstanceOf(Error)
      if (name === 'silent') expect(failure).toBeInstanceOf(InsertTimeout)
      expect(Date.now() - started).toBeLessThan(2000)
      expect(buffer.depth).toBe(30)
      expect(buffer.stats).toMatchObject({ inserted: 0, insertErrors: 1 })
      // The abandoned request's connection is closed rather than left open.
      if (name === 'silent') {
        const until = Date.now() + 2000
        while (l.sockets.size && Date.now() < until) await new Promise((r) => setTimeout(r, 20))
        expect(l.sockets.size).toBe(0)
      }
      await db.close()
    },
  )
})
