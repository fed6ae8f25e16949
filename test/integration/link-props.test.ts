// A link's query string, fragment and credentials never reach storage, whatever client posts them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { filesContaining, findInAnyColumn } from '../helpers/audit.ts'
import { breakdown, sendEvent, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

const dataDir = tempDir()
let server: RunningSkaits
const SECRETS = ['token=abc', 'tok3n-s3cr3t', 'frag-s3cr3t', 'anna:pw', 'pw-s3cr3t', 'anna@example.org']

const link = (n: string, p: unknown) => sendEvent(server.url, { n, u: 'https://example.lv/docs', d: 'example.lv', p }, { ip: '203.0.113.9' })

describe('link events store scheme, host and path only', () => {
  beforeAll(async () => {
    server = await startInProcess({ dataDir })
    expect((await sendEvent(server.url, { n: 'pageview', u: 'https://example.lv/docs', d: 'example.lv' }, { ip: '203.0.113.9' })).status).toBe(202)
    expect((await link('File Download', { url: 'https://x.lv/file.pdf?token=abc#f' })).status).toBe(202)
    expect((await link('File Download', JSON.stringify({ url: 'https://x.lv/file.pdf?token=tok3n-s3cr3t#frag-s3cr3t' }))).status).toBe(202)
    expect((await link('Outbound Link: Click', { url: 'https://anna:pw-s3cr3t@other.lv/in?email=anna@example.org#frag-s3cr3t' })).status).toBe(202)
    // Another property holding a URL, on a link event.
    expect((await link('Outbound Link: Click', { url: 'https://other.lv/in', via: 'https://t.lv/r?u=anna@example.org' })).status).toBe(202)
    await server.skaits.buffer.flush()
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('counts the links under their reduced URLs', async () => {
    expect(await breakdown(server.url, 'event:props:url', ['events'])).toEqual({
      'https://x.lv/file.pdf': { events: 2 },
      'https://other.lv/in': { events: 2 },
    })
    expect(await breakdown(server.url, 'event:props:via', ['events'])).toEqual({ 'https://t.lv/r': { events: 1 } })
  })

  it('no column of any table and no file under DATA_DIR holds a query, fragment or credential', async () => {
    for (const s of SECRETS) expect(await findInAnyColumn(server.db, s), s).toEqual([])
    await server.stop()
    for (const s of SECRETS) expect(filesContaining(dataDir, s), s).toBe('')
  })
})
