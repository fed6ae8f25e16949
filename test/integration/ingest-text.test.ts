import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { breakdown, sendEvent, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

/**
 * The buffer writes its rows as TabSeparated text: whatever a page, property name or value
 * holds must come back from ClickHouse exactly as sent, escapes included.
 */
const VALUES = [
  'back\\slash',
  '\\t not a tab',
  '\\N',
  "it's \"quoted\"",
  '[1,2]',
  'ends with \\',
  'sadaļa ūdens 日本 🙂',
  'comma, and; semicolon',
]

let server: RunningSkaits

describe('text through the buffer', () => {
  beforeAll(async () => {
    server = await startInProcess({ dataDir: tempDir() })
    for (const [i, value] of VALUES.entries()) {
      const res = await sendEvent(
        server.url,
        { n: 'Signup', u: `https://example.lv/p/${encodeURIComponent(value)}`, d: 'example.lv', p: { [`k\\${i}`]: value } },
        { ip: `198.51.100.${i + 1}` },
      )
      expect(res.status).toBe(202)
    }
    await server.skaits.buffer.flush()
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('stores property names, values and pages exactly as sent', async () => {
    for (const [i, value] of VALUES.entries()) {
      expect(await breakdown(server.url, `event:props:k\\${i}`, ['events'])).toEqual({ [value]: { events: 1 } })
    }
    const pages = Object.keys(await breakdown(server.url, 'event:page', ['events'])).sort()
    expect(pages).toEqual(VALUES.map((v) => `/p/${v}`).sort())
  })
})
