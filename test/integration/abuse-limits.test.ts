import { connect, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { API_KEY, sendEvent, spawnServer, tempDir, type SpawnedSkaits } from '../helpers/skaits.ts'

/** The real server (`server/main.ts`) with small limits, so each can be hit quickly. */
const LIMITS = {
  MAX_HEADER_BYTES: '4096',
  HEADERS_TIMEOUT_MS: '1000',
  REQUEST_TIMEOUT_MS: '2000',
  KEEP_ALIVE_TIMEOUT_MS: '500',
  MAX_CONNECTIONS: '20',
  INGEST_RATE_PER_MINUTE: '5',
}
let server: SpawnedSkaits
let port: number

beforeAll(async () => {
  server = await spawnServer({ DATA_DIR: tempDir(), FLUSH_INTERVAL_MS: '50', ...LIMITS })
  port = Number(new URL(server.url).port)
})
afterAll(async () => {
  await server?.stop()
})

interface RawClient {
  socket: Socket
  /** everything the server sent, once it closed the connection; and when that was */
  closed: Promise<{ received: string; afterMs: number }>
}

function raw(): Promise<RawClient> {
  return new Promise((resolve) => {
    const started = performance.now()
    let received = ''
    const socket = connect(port, '127.0.0.1')
    socket.on('data', (d) => (received += d))
    socket.on('error', () => {})
    const closed = new Promise<{ received: string; afterMs: number }>((r) =>
      socket.on('close', () => r({ received, afterMs: performance.now() - started })),
    )
    socket.on('connect', () => resolve({ socket, closed }))
  })
}

/** Another client is served promptly while a slow one holds its connection. */
async function othersAreServed(): Promise<void> {
  const started = performance.now()
  const res = await fetch(`${server.url}/healthz`)
  expect(res.status).toBe(200)
  expect(performance.now() - started).toBeLessThan(500)
}

describe('limits against slow, large and numerous clients', () => {
  it('answers 431 to headers over MAX_HEADER_BYTES, and serves normal ones', async () => {
    expect((await fetch(`${server.url}/healthz`, { headers: { 'x-pad': 'a'.repeat(2000) } })).status).toBe(200)
    const big = await fetch(`${server.url}/healthz`, { headers: { 'x-pad': 'a'.repeat(6000) } }).then(
      (r) => r.status,
      () => 'closed',
    )
    expect([431, 'closed']).toContain(big)
    const c = await raw()
    c.socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(6000)}\r\n\r\n`)
    expect((await c.closed).received).toMatch(/^HTTP\/1\.1 431/)
  })

  it('cuts off a client sending its headers a byte at a time, within HEADERS_TIMEOUT_MS', async () => {
    const c = await raw()
    const request = 'POST /api/event HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nX-Slow: ' + 'z'.repeat(100)
    let i = 0
    const drip = setInterval(() => {
      if (!c.socket.destroyed) c.socket.write(request[i++ % request.length]!)
    }, 100)
    await othersAreServed()
    const { received, afterMs } = await c.closed
    clearInterval(drip)
    expect(received).toMatch(/^HTTP\/1\.1 408/)
    expect(afterMs).toBeGreaterThan(900)
    expect(afterMs).toBeLessThan(2500)
  })

  it('cuts off a client that never finishes its body, within REQUEST_TIMEOUT_MS', async () => {
    const c = await raw()
    c.socket.write('POST /api/event HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n{"n":"page')
    await othersAreServed()
    const { received, afterMs } = await c.closed
    expect(received).toMatch(/^HTTP\/1\.1 408/)
    expect(afterMs).toBeGreaterThan(1900)
    expect(afterMs).toBeLessThan(3500)
  })

  it('closes a connection that sends nothing, and an idle keep-alive connection after KEEP_ALIVE_TIMEOUT_MS', async () => {
    const silent = await raw()
    const idle = await raw()
    idle.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
    const [s, k] = await Promise.all([silent.closed, idle.closed])
    expect(s.afterMs).toBeLessThan(2500)
    expect(k.received).toMatch(/^HTTP\/1\.1 200/)
    expect(k.afterMs).toBeGreaterThan(400)
    // Node keeps a keep-alive socket up to 1 s longer than the timeout it announces (keepAliveTimeoutBuffer).
    expect(k.afterMs).toBeLessThan(2200)
  })

  it('refuses connections beyond MAX_CONNECTIONS and serves again once they go', async () => {
    await new Promise((r) => setTimeout(r, 700)) // earlier keep-alive connections time out
    const held = await Promise.all(Array.from({ length: 20 }, () => raw()))
    const refused = await raw()
    const { afterMs } = await refused.closed
    expect(afterMs).toBeLessThan(500)
    for (const c of held) c.socket.destroy()
    await new Promise((r) => setTimeout(r, 100))
    await othersAreServed()
  })

  it('limits events per network: 429 with Retry-After beyond INGEST_RATE_PER_MINUTE, counted as dropped', async () => {
    const event = { n: 'pageview', u: 'https://example.lv/', d: 'example.lv' }
    const statuses: number[] = []
    for (let i = 1; i <= 6; i++) statuses.push((await sendEvent(server.url, event, { ip: `198.18.7.${i}` })).status)
    expect(statuses).toEqual([202, 202, 202, 202, 202, 429])
    const refused = await sendEvent(server.url, event, { ip: '198.18.7.200' })
    expect(refused.status).toBe(429)
    expect(await refused.json()).toMatchObject({ error: 'rate_limited' })
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(12)
    // Another network is not affected.
    expect((await sendEvent(server.url, event, { ip: '198.18.8.1' })).status).toBe(202)
    const metrics = await (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${API_KEY}` } })).text()
    expect(metrics).toMatch(/skaits_events_dropped_total\{reason="rate_limited"\} 2/)
  })
})
