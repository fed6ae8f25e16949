// Each URL has one owner (docs/design.md, Layout): no two handlers answer the same method and
// path, so the order routes are mounted in never decides who answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

let running: RunningSkaits
beforeAll(async () => {
  running = await startInProcess({ dataDir: tempDir(), timers: false })
}, 60_000)
afterAll(() => running?.stop())

describe('URL owners', () => {
  it('no method and path has two handlers', () => {
    // app.use() middleware is registered for ALL methods; handlers are the rest. A route with
    // inline middleware (`app.post(path, check, handler)`) is one run of entries in a row.
    const entries = running.skaits.app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`)
    const handlers = entries.filter((h, i) => h !== entries[i - 1])
    expect(handlers.length).toBeGreaterThan(40)
    const twice = handlers.filter((h, i) => handlers.indexOf(h) !== i)
    expect(twice, `registered twice: ${twice.join(', ')}`).toEqual([])
    for (const page of ['GET /', 'GET /settings', 'GET /share/:token', 'POST /share/:token/unlock', 'POST /api/event', 'POST /api/v2/query', 'GET /api/sites']) {
      expect(handlers).toContain(page)
    }
  })

  it('every management path asks for a manager before its handler runs', async () => {
    // A shared link's reader or a key is not a manager; no credential at all is refused first.
    for (const [method, path] of [
      ['GET', '/api/sites'],
      ['POST', '/api/keys'],
      ['GET', '/api/owners'],
      ['GET', '/api/sites/example.lv/sections'],
      ['PUT', '/api/sites/example.lv/hostnames'],
      ['GET', '/api/sites/example.lv/min-crowd'],
      ['GET', '/api/sessions'],
    ] as const) {
      const res = await fetch(`${running.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: method === 'GET' ? undefined : '{}' })
      expect(res.status, `${method} ${path}`).toBe(401)
    }
  })
})
