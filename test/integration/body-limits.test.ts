import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bodyLimitFor, DEFAULT_BODY_LIMIT } from '../../server/http/route-body-limit.ts'
import { API_KEY, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

let skaits: RunningSkaits
let port: number

beforeAll(async () => {
  skaits = await startInProcess({ dataDir: tempDir() })
  port = Number(new URL(skaits.url).port)
})
afterAll(async () => {
  await skaits?.stop()
})

/** Every route of the real app that may take a body, its parameters filled in. */
function bodyRoutes(): { method: string; path: string; limit: number }[] {
  const seen = new Set<string>()
  const routes = []
  for (const r of skaits.skaits.app.routes) {
    if (!['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method)) continue
    const path = r.path.replace(/:domain/g, 'example.lv').replace(/:token/g, 'sh_notatoken').replace(/:\w+/g, 'x')
    const limit = bodyLimitFor(r.method, path)
    if (limit === undefined || seen.has(`${r.method} ${path}`)) continue
    seen.add(`${r.method} ${path}`)
    routes.push({ method: r.method, path, limit })
  }
  return routes
}

/**
 * Raw HTTP: sends the head and `body` but never the rest the head announces, and returns what
 * the server sent before it closed the connection. An answer at all means the server did not
 * wait for the whole body.
 */
function sendPart(head: string, body: string): Promise<{ received: string; closed: boolean }> {
  return new Promise((resolve) => {
    let received = ''
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(head)
      socket.write(body)
    })
    // A server that waited for the whole body would never answer: give up well before the test's timeout.
    const timer = setTimeout(() => {
      socket.destroy()
      resolve({ received, closed: false })
    }, 3000)
    socket.on('data', (d) => (received += d))
    socket.on('error', () => {}) // ECONNRESET once the server has answered and closed
    socket.on('close', () => {
      clearTimeout(timer)
      resolve({ received, closed: true })
    })
  })
}

function expect413(answer: { received: string; closed: boolean }, route: string, limit: number) {
  expect(answer.received, route).toMatch(/^HTTP\/1\.1 413/)
  expect(answer.received, route).toMatch(/\r\nconnection: close\r\n/i)
  expect(answer.received, route).toContain(`"error":"the body is too large: ${limit / 1024} KiB at most here"`)
  expect(answer.closed, route).toBe(true)
}

describe('request body limits', () => {
  it('covers every route that takes a body, with larger limits only where the schema needs them', () => {
    const routes = bodyRoutes()
    const paths = routes.map((r) => `${r.method} ${r.path}`)
    expect(paths).toEqual(expect.arrayContaining(['POST /api/login', 'POST /api/setup', 'POST /api/password', 'POST /share/sh_notatoken/unlock', 'POST /api/invitations/sh_notatoken', 'POST /api/sites', 'PATCH /api/sites/example.lv', 'POST /api/keys', 'POST /api/owners', 'POST /api/shares', 'POST /api/partners', 'PUT /api/sites/example.lv/sections']))
    expect(paths).not.toContain('POST /api/event')
    expect(paths).not.toContain('POST /api/v2/query')
    for (const r of routes) expect(r.limit, `${r.method} ${r.path}`).toBeLessThanOrEqual(256 * 1024)
    expect(bodyLimitFor('POST', '/api/login')).toBe(DEFAULT_BODY_LIMIT)
    // The largest valid bodies fit under their limits.
    const sections = { rules: Array.from({ length: 200 }, () => ({ match: `/${'€'.repeat(299)}`, section: '€'.repeat(100) })) }
    expect(Buffer.byteLength(JSON.stringify(sections))).toBeLessThanOrEqual(bodyLimitFor('PUT', '/api/sites/example.lv/sections')!)
    const key = { name: '€'.repeat(100), sites: Array.from({ length: 1000 }, () => 'a'.repeat(253)), public: false, min_crowd: 100 }
    expect(Buffer.byteLength(JSON.stringify(key))).toBeLessThanOrEqual(bodyLimitFor('POST', '/api/keys')!)
    const password = { current: '€'.repeat(1024), next: '€'.repeat(1024) }
    expect(Buffer.byteLength(JSON.stringify(password))).toBeLessThanOrEqual(bodyLimitFor('POST', '/api/password')!)
  })

  it('answers 413 to an oversized Content-Length on every such route, before the body arrives', async () => {
    for (const { method, path, limit } of bodyRoutes()) {
      const head = `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${API_KEY}\r\nContent-Type: application/json\r\nContent-Length: ${64 * 1024 * 1024}\r\n\r\n`
      expect413(await sendPart(head, `{"pad":"${'x'.repeat(1024)}`), `${method} ${path}`, limit)
    }
  })

  it('answers 413 to a chunked body without Content-Length once it passes the limit, on every such route', async () => {
    const chunk = `4000\r\n${'x'.repeat(0x4000)}\r\n` // 16 KiB a chunk
    for (const { method, path, limit } of bodyRoutes()) {
      const head = `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${API_KEY}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`
      // One chunk past the limit and no final chunk: a server reading it all would still be waiting.
      const body = chunk.repeat(limit / 0x4000 + 1)
      expect413(await sendPart(head, body), `${method} ${path}`, limit)
    }
  })

  it('takes bodies up to the limit, streamed or not', async () => {
    const auth = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' }
    const atLimit = (n: number) => JSON.stringify({ pad: 'x'.repeat(n - 10) })
    expect(Buffer.byteLength(atLimit(DEFAULT_BODY_LIMIT))).toBe(DEFAULT_BODY_LIMIT)
    const login = await fetch(`${skaits.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: atLimit(DEFAULT_BODY_LIMIT) })
    expect(login.status).toBe(400)
    const tooBig = await fetch(`${skaits.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: atLimit(DEFAULT_BODY_LIMIT + 1) }).then(
      (r) => r.status,
      () => 'closed',
    )
    expect([413, 'closed']).toContain(tooBig)
    // Streamed (chunked) and within the limit: the route reads it as usual.
    const streamed = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"domain":'))
        controller.enqueue(new TextEncoder().encode('"chunked.lv"}'))
        controller.close()
      },
    })
    const added = await fetch(`${skaits.url}/api/sites`, { method: 'POST', headers: auth, body: streamed, duplex: 'half' } as RequestInit)
    expect(added.status).toBe(201)
    expect(skaits.skaits.sites.get('chunked.lv')).toBeDefined()
    const rules = { rules: Array.from({ length: 200 }, (_, i) => ({ match: `/r${i}/${'x'.repeat(290)}`, section: 's'.repeat(100) })) }
    const put = await fetch(`${skaits.url}/api/sites/example.lv/sections`, { method: 'PUT', headers: auth, body: JSON.stringify(rules) })
    expect(put.status).toBe(200)
  })
})
