import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runningServer } from '../../server/cli/server-file.ts'
import { browserUA, sendEvent, spawnServer, tempDir, totals, type SpawnedSkaits } from '../helpers/skaits.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')
const FLUSH_INTERVAL_MS = 1000
const dataDir = tempDir()
const servers: SpawnedSkaits[] = []

afterAll(async () => {
  for (const s of servers) await s.stop('SIGKILL')
})

describe('kill -9 while events flow', () => {
  let accepted = 0
  const acceptedAt: number[] = []
  let killedAt = 0

  it('loses at most the events accepted in the last flush interval', async () => {
    const server = await spawnServer({ DATA_DIR: dataDir, FLUSH_INTERVAL_MS: String(FLUSH_INTERVAL_MS), INGEST_RATE_PER_MINUTE: '0' })
    servers.push(server)
    let stop = false
    const sender = async (n: number) => {
      for (let i = 0; !stop; i++) {
        try {
          const res = await sendEvent(server.url, { n: 'pageview', u: `https://example.lv/p${i % 5}`, d: 'example.lv' }, {
            ip: `198.51.100.${n}`,
            ua: browserUA(i),
          })
          await res.arrayBuffer()
          if (res.status === 202) {
            accepted++
            acceptedAt.push(performance.now())
          }
        } catch {
          return // the server is gone
        }
      }
    }
    // Warm up (JIT, the first insert) so the figure is the steady state's.
    for (let i = 0; i < 20; i++) await sendEvent(server.url, { n: 'pageview', u: 'https://example.lv/warm', d: 'example.lv' }, { ip: '192.0.2.1', ua: browserUA(5000 + i) })
    const until = Date.now() + 10_000
    while ((await totals(server.url, ['pageviews'], 'all')).pageviews < 20 && Date.now() < until) await new Promise((r) => setTimeout(r, 100))
    const senders = [1, 2, 3, 4].map(sender)
    // Not a multiple of the flush interval, so the kill lands somewhere inside one.
    await new Promise((r) => setTimeout(r, 2600 + Math.random() * FLUSH_INTERVAL_MS))
    killedAt = performance.now()
    await server.stop('SIGKILL')
    stop = true
    await Promise.all(senders)
    expect(accepted).toBeGreaterThan(200)
  })

  it('restarts cleanly on the same DATA_DIR; the stale server.json does not fool the CLI', async () => {
    // The killed server could not withdraw its file; its pid is dead, so the CLI opens the data itself.
    const file = path.join(dataDir, 'server.json')
    expect(existsSync(file)).toBe(true)
    const stale = JSON.parse(readFileSync(file, 'utf8')) as { pid: number }
    expect(runningServer(dataDir)).toBeUndefined()
    const cli = spawnSync(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', 'sites', 'list', '--json'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, ISP_LOOKUP: 'off' },
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(cli.status, cli.stderr).toBe(0)
    expect(JSON.parse(cli.stdout).map((s: { domain: string }) => s.domain)).toEqual(['example.lv'])

    const server = await spawnServer({ DATA_DIR: dataDir, FLUSH_INTERVAL_MS: '50' })
    servers.push(server)
    expect(runningServer(dataDir)).toBe(server.url)
    expect(server.proc.pid).not.toBe(stale.pid)
    const stored = (await totals(server.url, ['pageviews'], 'all')).pageviews - 20
    const lost = accepted - stored
    // Events are inserted in the order they were accepted: the lost ones are the newest. The
    // oldest of them had waited this long in memory when the process died.
    const lostFor = lost > 0 ? Math.round(killedAt - acceptedAt[stored]!) : 0
    const perSecond = acceptedAt.filter((t) => t >= killedAt - 1000).length
    console.log(JSON.stringify({ accepted, stored, lost, accepted_last_second: perSecond, oldest_lost_ms: lostFor, flush_interval_ms: FLUSH_INTERVAL_MS }))
    // Nothing counted twice (a request in flight at the kill may have been stored unanswered).
    expect(stored).toBeLessThanOrEqual(accepted + 4)
    // At most one flush interval, plus the insert that was running (slack for a loaded machine).
    expect(lostFor).toBeLessThanOrEqual(FLUSH_INTERVAL_MS + 750)

    // It counts on as before, and the next shutdown is clean.
    for (let i = 0; i < 5; i++) {
      const res = await sendEvent(server.url, { n: 'pageview', u: 'https://example.lv/after', d: 'example.lv' }, { ip: '203.0.113.9', ua: browserUA(1000 + i) })
      expect(res.status).toBe(202)
    }
    await new Promise((r) => setTimeout(r, 300))
    expect((await totals(server.url, ['pageviews'], 'all')).pageviews).toBe(20 + stored + 5)
    expect(await server.stop('SIGTERM')).toBe(0)
    expect(existsSync(file)).toBe(false)
  })
})
