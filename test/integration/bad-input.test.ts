import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { query, sendEvent, spawnServer, tempDir, totals, type SpawnedSkaits } from '../helpers/skaits.ts'

let server: SpawnedSkaits
const ok = { n: 'pageview', u: 'https://example.lv/ok', d: 'example.lv' }
const big = 'x'.repeat(10 * 1024)

/** [case, body (object or raw text), expected status, extra headers] */
const CASES: [string, unknown, number, Record<string, string>?][] = [
  ['malformed JSON', '{"n":"pageview",', 400],
  ['empty body', '', 400],
  ['JSON array', '[1,2,3]', 400],
  ['JSON string', '"pageview"', 400],
  ['JSON null', 'null', 400],
  ['name is a number', { ...ok, n: 5 }, 400],
  ['url is an object', { ...ok, u: { href: 'https://example.lv/' } }, 400],
  ['screen width is text', { ...ok, w: 'wide' }, 400],
  ['screen width negative', { ...ok, w: -1 }, 400],
  ['engaged time negative', { ...ok, n: 'engagement', e: -5 }, 400],
  ['engaged time fractional', { ...ok, n: 'engagement', e: 1.5 }, 400],
  ['scroll depth over 100', { ...ok, n: 'engagement', sd: 101 }, 400],
  ['props is an array', { ...ok, p: [1, 2] }, 400],
  ['props value is an object', { ...ok, p: { a: { b: 1 } } }, 400],
  ['31 props', { ...ok, p: Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`k${i}`, 'v'])) }, 400],
  ['missing name', { u: ok.u, d: ok.d }, 400],
  ['missing url', { n: 'pageview', d: ok.d }, 400],
  ['missing domain', { n: 'pageview', u: ok.u }, 400],
  ['empty domain', { ...ok, d: ' , ' }, 400],
  ['javascript: URL', { ...ok, u: 'javascript:alert(1)' }, 400],
  ['ftp URL', { ...ok, u: 'ftp://example.lv/file' }, 400],
  ['file URL', { ...ok, u: 'file:///etc/passwd' }, 400],
  ['data URL', { ...ok, u: 'data:text/html,<b>x</b>' }, 400],
  ['not a URL', { ...ok, u: 'example.lv/page' }, 400],
  ['NUL in name', { ...ok, n: 'page\u0000view' }, 400],
  ['BEL in url', { ...ok, u: 'https://example.lv/a\u0007b' }, 400],
  ['ESC in referrer', { ...ok, r: 'https://x.lv/\u001b[31m' }, 400],
  ['C1 control in prop', { ...ok, p: { a: 'x\u0085y' } }, 400],
  ['name over 120 characters', { ...ok, n: 'n'.repeat(121) }, 400],
  ['10 KB name', { ...ok, n: big }, 413],
  ['10 KB url', { ...ok, u: `https://example.lv/${big}` }, 413],
  ['1 MB body', { ...ok, p: { a: 'x'.repeat(1024 * 1024) } }, 413],
  ['form-encoded body', 'n=pageview', 415, { 'content-type': 'application/x-www-form-urlencoded' }],
  ['unknown site', { ...ok, d: 'not-a-site.lv' }, 400],
]

describe('bad input', () => {
  beforeAll(async () => {
    server = await spawnServer({ DATA_DIR: tempDir(), FLUSH_INTERVAL_MS: '50' })
  })
  afterAll(async () => {
    await server?.stop()
  })

  it.each(CASES.map(([name, body, status, headers]) => ({ name, body, status, headers })))('$name → $status', async ({ body, status, headers }) => {
    const res = await sendEvent(server.url, body, { headers })
    expect(res.status).toBe(status)
    const json = (await res.json()) as { error?: string; message?: string }
    expect(json.error).toEqual(expect.any(String))
    expect(json.message?.length ?? 0).toBeGreaterThan(5)
  })

  it('a body streamed without Content-Length is cut off at the limit', async () => {
    // Raw HTTP: the server answers 413 and closes while we are still sending, which a
    // fetch() client reports as a write error before it reads the answer.
    const { port } = new URL(server.url)
    const answer = await new Promise<string>((resolve) => {
      let received = ''
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write('POST /api/event HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n')
        const chunk = `400\r\n${'x'.repeat(1024)}\r\n`
        for (let i = 0; i < 64; i++) socket.write(chunk)
        socket.write('0\r\n\r\n')
      })
      socket.on('data', (d) => (received += d))
      socket.on('error', () => {}) // EPIPE/ECONNRESET once the server has answered and closed
      socket.on('close', () => resolve(received))
    })
    expect(answer).toMatch(/^HTTP\/1\.1 413/)
  })

  it('answers CORS preflights on the ingest route only', async () => {
    const pre = await fetch(`${server.url}/api/event`, {
      method: 'OPTIONS',
      headers: { origin: 'https://example.lv', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    })
    expect(pre.status).toBe(204)
    expect(pre.headers.get('access-control-allow-origin')).toBe('*')
    const stats = await fetch(`${server.url}/api/v2/query`, { method: 'OPTIONS', headers: { origin: 'https://evil.example' } })
    expect(stats.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('stays alive, keeps counting good events, and stored nothing from the bad ones', async () => {
    const health = await fetch(`${server.url}/healthz`)
    expect(health.status).toBe(200)
    expect((await sendEvent(server.url, ok)).status).toBe(202)
    await new Promise((r) => setTimeout(r, 300))
    expect(await totals(server.url, ['pageviews', 'events', 'visitors'])).toEqual({ pageviews: 1, events: 1, visitors: 1 })
    const pages = await query(server.url, { metrics: ['pageviews'], date_range: 'day', dimensions: ['event:page'] })
    expect(pages.json.results).toEqual([{ metrics: [1], dimensions: ['/ok'] }])
    expect(server.proc.exitCode).toBeNull()
    expect(server.output()).not.toMatch(/"level":50/) // no error logged for bad input
  })

  it('refuses bad Stats API requests with a clear 4xx', async () => {
    const bad: [Record<string, unknown>, number, RegExp][] = [
      [{ metrics: ['visitors'], date_range: 'fortnight' }, 400, /date_range/],
      [{ metrics: ['nonsense'], date_range: 'day' }, 400, /metrics/],
      [{ metrics: ['visitors'], date_range: ['2026-02-30', '2026-03-01'] }, 400, /date/],
      [{ metrics: ['visitors'], date_range: 'day', dimensions: ['event:page', 'visit:entry_page'] }, 400, /cross-tabulation/],
      [{ metrics: ['pageviews'], date_range: 'day', dimensions: ['event:page'], filters: [['is', 'visit:entry_page', ['/']]] }, 400, /cross-tabulation/],
      [{ metrics: ['visitors'], date_range: 'day', filters: [['contains', 'event:page', ['/']]] }, 400, /more than once/],
      [{ metrics: ['visitors'], date_range: 'day', dimensions: ['visit:exit_page'] }, 400, /exit/],
      [{ metrics: ['pageviews'], date_range: 'day', filters: [['matches', 'event:page', ['^(']]] }, 400, /regular expression/],
      [{ metrics: ['visitors'], date_range: 'day', dimensions: ['visit:nonsense'] }, 400, /unknown dimension/],
      [{ metrics: ['visitors'], date_range: 'day', site_id: 'nope.lv' }, 404, /does not exist/],
    ]
    for (const [body, status, message] of bad) {
      const res = await query(server.url, body)
      expect(res.status, JSON.stringify(body)).toBe(status)
      expect(res.json.error).toMatch(message)
    }
    const unauthorised = await fetch(`${server.url}/api/v2/query`, {
      method: 'POST',
      headers: { authorization: 'Bearer wrong', 'content-type': 'application/json' },
      body: JSON.stringify({ site_id: 'example.lv', metrics: ['visitors'], date_range: 'day' }),
    })
    expect(unauthorised.status).toBe(401)
  })
})
