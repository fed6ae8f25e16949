// `skaits import log --follow` against the real server: a live access log's lines counted as
// live traffic as they are written, across a rotation done as logrotate does it (rename, then a
// new file; the web server writes on into the old one until it reopens its log), none lost,
// none twice; and the addresses of its lines are nowhere in the data directory or the logs.
import { closeSync, openSync, renameSync, writeFileSync, writeSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { followToServer, importsCommand } from '../../server/cli/imports.ts'
import { loadConfig } from '../../server/config.ts'
import { addDays, dayOf, startOfDay } from '../../server/time.ts'
import { filesContaining, findInAnyColumn } from '../helpers/audit.ts'
import { API_KEY, browserUA, CHROME_UA, query, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

const TZ = 'UTC'
const dataDir = tempDir()
let server: RunningSkaits
/** Every client address written into a log by this file (documentation network, RFC 5737). */
const written = new Set<string>()

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** An nginx `combined` line at `ms` (UTC). */
function line(ms: number, address: string, target: string, ua = CHROME_UA, status = 200): string {
  written.add(address)
  const d = new Date(ms)
  const two = (n: number) => String(n).padStart(2, '0')
  const time = `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`
  return `${address} - - [${time}] "GET ${target} HTTP/1.1" ${status} 512 "-" "${ua}"\n`
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function pageviews(site: string, dateRange: unknown = 'day'): Promise<{ pageviews: number; visitors: number }> {
  const { status, json } = await query(server.url, { site_id: site, metrics: ['pageviews', 'visitors'], date_range: dateRange })
  expect(status, JSON.stringify(json)).toBe(200)
  const [pv = 0, v = 0] = json.results[0]?.metrics ?? []
  return { pageviews: pv, visitors: v }
}

/** Waits (bounded) until the site's pageviews today reach `n`. */
async function waitForPageviews(site: string, n: number, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms
  let seen = 0
  while ((seen = (await pageviews(site)).pageviews) < n) {
    if (Date.now() > deadline) throw new Error(`${site}: ${seen} pageviews counted of ${n} written`)
    await sleep(100)
  }
}

/**
 * A web server's log as a test writes it: an open descriptor appended to line by line (as
 * nginx does, O_APPEND), rotated as logrotate does: the file renamed, the writer on in the old
 * one for a while, then a new file created and written to (nginx reopens on USR1).
 */
class Writer {
  private fd: number
  pages = 0
  constructor(readonly file: string) {
    this.fd = openSync(file, 'a')
  }
  write(text: string): void {
    writeSync(this.fd, text)
  }
  /** A page view and, as a browser would fetch them, two assets and a crawler's visit now and then. */
  page(i: number): void {
    const address = `203.0.113.${1 + (i % 7)}`
    const now = Date.now()
    this.write(line(now, address, `/p/${i % 5}`, browserUA(i % 7)))
    this.write(line(now, address, '/style.css', browserUA(i % 7)))
    if (i % 4 === 0) this.write(line(now, '203.0.113.200', `/p/${i % 5}`, 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)'))
    this.pages++
  }
  renamed(to: string): void {
    renameSync(this.file, to)
  }
  reopen(): void {
    const old = this.fd
    this.fd = openSync(this.file, 'a')
    closeSync(old)
  }
  close(): void {
    closeSync(this.fd)
  }
}

describe('following an access log (import log --follow)', () => {
  beforeAll(async () => {
    // Every line is written with the time it is written at and counted on today: a run that
    // would cross midnight (UTC) waits for it first.
    const untilMidnight = startOfDay(addDays(dayOf(Date.now(), TZ), 1), TZ) - Date.now()
    if (untilMidnight < 90_000) await sleep(untilMidnight + 1000)
    server = await startInProcess({ dataDir, env: { TIMEZONE: TZ, SKAITS_SITES: 'follow.test,grow.test,hold.test' } })
  }, 240_000)
  afterAll(async () => {
    await server?.stop()
  })

  it('counts every line written across a rotation once', async () => {
    const dir = tempDir('skaits-follow-')
    const log = path.join(dir, 'access.log')
    writeFileSync(log, '')
    const writer = new Writer(log)
    const stop = new AbortController()
    const warnings: string[] = []
    const following = followToServer({ url: server.url, token: API_KEY }, 'follow.test', log, 0, 'combined', stop.signal, (m) => warnings.push(m))
    // Lines come in bursts while the follower runs; the rotation happens between two of them
    // and in the middle of the writing: the old file gets lines after its rename.
    let i = 0
    for (; i < 40; i++) {
      writer.page(i)
      if (i % 5 === 0) await sleep(30)
    }
    await sleep(300)
    writer.renamed(path.join(dir, 'access.log.1'))
    for (; i < 55; i++) writer.page(i)
    await sleep(150)
    for (; i < 60; i++) writer.page(i)
    writer.reopen()
    for (; i < 100; i++) {
      writer.page(i)
      if (i % 5 === 0) await sleep(30)
    }
    writer.close()
    const total = writer.pages
    await waitForPageviews('follow.test', total)
    stop.abort()
    const counted = await following
    expect(warnings).toEqual([])
    expect(counted).toBe(total)
    // Nothing more comes later (a line sent twice would).
    await sleep(1500)
    expect(await pageviews('follow.test')).toEqual({ pageviews: total, visitors: 7 })
  })

  it('holds the lines while the server does not answer, and sends them once it does: none lost', async () => {
    // A proxy in front of the server that answers 503 to the first requests, as a server
    // restarting would, then passes them on.
    let refuse = 3
    const proxy = http.createServer((req, res) => {
      if (refuse > 0) {
        refuse--
        req.resume()
        res.writeHead(503).end()
        return
      }
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        void fetch(server.url + req.url, { method: req.method, headers: { authorization: req.headers.authorization!, 'content-type': 'text/plain' }, body: Buffer.concat(chunks) }).then(async (r) => {
          res.writeHead(r.status, { 'content-type': 'application/json' }).end(await r.text())
        })
      })
    })
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r))
    const dir = tempDir('skaits-follow-')
    const log = path.join(dir, 'access.log')
    writeFileSync(log, '')
    const writer = new Writer(log)
    const stop = new AbortController()
    const warnings: string[] = []
    const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
    const following = followToServer({ url, token: API_KEY }, 'hold.test', log, 0, 'combined', stop.signal, (m) => warnings.push(m), 100)
    for (let i = 0; i < 30; i++) {
      writer.page(i)
      await sleep(20)
    }
    writer.close()
    await waitForPageviews('hold.test', 30)
    stop.abort()
    expect(await following).toBe(30)
    expect(refuse).toBe(0)
    expect(warnings[0]).toMatch(/does not take the lines now \(503\)/)
    expect(warnings.at(-1)).toBe('the server takes the lines again')
    await sleep(500)
    expect((await pageviews('hold.test')).pageviews).toBe(30)
    proxy.close()
  })

  it('imports a log as it grows, then follows it from where the import stopped: no line twice', async () => {
    const dir = tempDir('skaits-follow-')
    const log = path.join(dir, 'access.log')
    // What the log held before: a visit yesterday (a closed day: written by the import) and
    // one earlier today (counted live by the import, as --follow asks).
    const today = dayOf(Date.now(), TZ)
    const yesterdayNoon = startOfDay(addDays(today, -1), TZ) + 12 * 3_600_000
    const earlierToday = Math.max(startOfDay(today, TZ), Date.now() - 10 * 60_000)
    writeFileSync(
      log,
      [
        line(yesterdayNoon, '203.0.113.50', '/'),
        line(yesterdayNoon + 20_000, '203.0.113.50', '/about'),
        line(yesterdayNoon + 30_000, '203.0.113.50', '/style.css'),
        line(earlierToday, '203.0.113.51', '/'),
        line(earlierToday + 1000, '203.0.113.51', '/p/1'),
      ].join(''),
    )
    const writer = new Writer(log)
    // The web server goes on writing while the import reads: a line written then is the
    // import's or the follower's, never both.
    let writing = true
    const wrote = (async () => {
      for (let i = 0; writing; i++) {
        writer.page(i)
        await sleep(3)
      }
    })()
    const stop = new AbortController()
    const config = loadConfig({ DATA_DIR: dataDir })
    const command = importsCommand(['import', 'log', log], { site: 'grow.test', follow: true, json: true }, config, { url: server.url, token: API_KEY }, stop.signal)
    const result = (await Promise.race([command, sleep(1500).then(() => undefined)])) as undefined
    expect(result, 'the follow goes on until stopped').toBeUndefined()
    writing = false
    await wrote
    writer.close()
    const total = 2 + writer.pages
    await waitForPageviews('grow.test', total)
    await sleep(1500)
    stop.abort()
    const imported = (await command) as { status: string; from: string; days: number; skipped: Record<string, number> }
    expect(imported).toMatchObject({ status: 'done', from: addDays(today, -1), days: 1 })
    expect(imported.skipped.open_day).toBeUndefined()
    expect(await pageviews('grow.test', [addDays(today, -1), addDays(today, -1)])).toEqual({ pageviews: 2, visitors: 1 })
    expect((await pageviews('grow.test')).pageviews).toBe(total)
  })

  it('no address of the logs is in any file under DATA_DIR, in any column or in the server log', async () => {
    expect(written.size).toBeGreaterThan(5)
    // Let a flush run, so what the server holds is on disk.
    await sleep(500)
    // The documentation network as a whole: any address of it, in any file. (Parts are
    // LZ4-compressed: a repeated string may be a back-reference in a file, so the engine is
    // asked too, column by column, where every value is whole.)
    // The scan looks at real data: the pages of those lines are there.
    expect(await findInAnyColumn(server.db, '/p/3')).not.toEqual([])
    expect(filesContaining(dataDir, '203.0.113.')).toBe('')
    for (const address of written) {
      expect(filesContaining(dataDir, address), address).toBe('')
      expect(await findInAnyColumn(server.db, address), address).toEqual([])
    }
    const logs = server.logs.join('')
    expect(logs.length).toBeGreaterThan(0)
    for (const address of written) expect(logs.includes(address), address).toBe(false)
  })
})
