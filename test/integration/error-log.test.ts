import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { API_KEY, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

let skaits: RunningSkaits
const SENTINEL = 'sentinel-secret-7f3a9c'
const ADDRESS = '198.51.100.231'
const TOKEN = `ss_${'Sentinel0Token1'.repeat(3)}`

beforeAll(async () => {
  skaits = await startInProcess({ dataDir: tempDir() })
  // A route that fails the way a bug would, quoting what the request sent. Added before the
  // first request, while Hono still takes routes.
  skaits.skaits.app.post('/test/fail', async (c) => {
    const body = await c.req.text()
    throw new Error(`cannot use ${body} from ${c.req.header('x-forwarded-for')} with ${c.req.header('authorization')} and ${c.req.header('cookie')}`)
  })
})
afterAll(async () => {
  await skaits?.stop()
})

describe('the catch-all error handler', () => {
  it('answers 500 and logs the error without the body, tokens or the address', async () => {
    const res = await fetch(`${skaits.url}/test/fail`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-forwarded-for': ADDRESS,
        authorization: `Bearer ${API_KEY}`,
        cookie: `skaits_share=${TOKEN}; other=${SENTINEL}-cookie`,
      },
      body: JSON.stringify({ password: SENTINEL, note: `plain ${SENTINEL}` }),
    })
    expect(res.status).toBe(500)
    expect(await res.json()).toMatchObject({ error: 'internal error' })
    const line = skaits.logs.find((l) => l.includes('unhandled error'))
    expect(line).toBeDefined()
    expect(JSON.parse(line!)).toMatchObject({ level: 50, route: '/test/fail', err: expect.stringMatching(/^Error: cannot use/) })
    for (const secret of [SENTINEL, ADDRESS, '198.51', TOKEN, API_KEY, 'Sentinel0Token']) expect(line).not.toContain(secret)
  })
})
