import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createDb } from '../../server/db/client.ts'
import { browserUA, sendEvent, spawnServer, tempDir, type SpawnedSkaits } from '../helpers/skaits.ts'

const dataDir = tempDir()
let server: SpawnedSkaits | undefined

describe('SIGTERM', () => {
  afterAll(async () => {
    await server?.stop('SIGKILL')
  })

  it('loses no event that got a 202 while events were flowing', async () => {
    // A long flush interval keeps most events in the buffer until the shutdown flush.
    server = await spawnServer({ DATA_DIR: dataDir, FLUSH_INTERVAL_MS: '5000' })
    const url = server.url
    let accepted = 0
    let refused = 0
    let stop = false
    const sender = async (n: number) => {
      for (let i = 0; !stop && i < 5000; i++) {
        try {
          const res = await sendEvent(url, { n: 'pageview', u: `https://example.lv/p${i % 5}`, d: 'example.lv' }, { ip: `198.51.100.${n}`, ua: browserUA(i % 50) })
          if (res.status === 202) accepted++
          else refused++
          await res.arrayBuffer()
        } catch {
          refused++ // connection refused or reset once the server is gone
          if (server!.proc.exitCode !== null) return
        }
      }
    }
    const senders = [1, 2, 3, 4].map(sender)
    // SIGTERM once enough events are in flight and accepted (a fixed wait found too few on a busy machine)
    for (const started = Date.now(); accepted <= 60 && Date.now() - started < 30_000; ) await new Promise((r) => setTimeout(r, 20))
    const exitCode = server.stop('SIGTERM')
    expect(await exitCode).toBe(0)
    stop = true
    await Promise.all(senders)
    expect(accepted).toBeGreaterThan(50)

    const db = createDb({ clickhouse: { kind: 'embedded', path: path.join(dataDir, 'clickhouse') } })
    const rs = await db.query({ query: "SELECT sum(pageviews) AS p FROM counts_hourly WHERE dimension = ''", format: 'JSONEachRow' })
    const stored = Number((await rs.json<{ p: number }>())[0]!.p)
    await db.close()
    expect(stored).toBe(accepted)
  })

  it('exits on SIGTERM when whoever read its stdout is gone (EPIPE)', async () => {
    // A supervisor that died, or `npm start | head`. With nothing to flush the shutdown is quick,
    // and its last line ('stopped') used to be written at exit, where pino's stream retried the
    // broken pipe for ever: the server hung on every try.
    const piped = await spawnServer({ DATA_DIR: tempDir() })
    try {
      piped.proc.stdout.destroy()
      const code = await Promise.race([piped.stop('SIGTERM'), new Promise((r) => setTimeout(() => r('still running after 20 s'), 20_000))])
      expect(code).toBe(0)
    } finally {
      await piped.stop('SIGKILL')
    }
  })
})
