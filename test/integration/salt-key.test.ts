// A copy of DATA_DIR alone cannot link the unique-visitor sketches to an address: the salts
// table holds seeds, and the salt is derived from a seed with the key in SALT_KEY_FILE, which
// lives outside DATA_DIR. With the key file the server keeps counting the same visitor once.
import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import path from 'node:path'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { afterAll, describe, expect, it } from 'vitest'
import { createDb, queryRows, type Db } from '../../server/db/client.ts'
import { SaltStore } from '../../server/privacy/salts.ts'
import { visitorHash } from '../../server/privacy/visitor-hash.ts'
import { CHROME_UA, sendEvent, startInProcess, tempDir, totals, type RunningSkaits } from '../helpers/skaits.ts'

const SENTINEL = '203.0.113.77'
const dataDir = tempDir()
const keyFile = `${dataDir}.salt-key`
let server: RunningSkaits | undefined
let db: Db | undefined
let salt: Buffer

const visit = (s: RunningSkaits) =>
  sendEvent(s.url, { n: 'pageview', u: 'https://example.lv/', d: 'example.lv' }, { ip: SENTINEL, ua: CHROME_UA })

/** Files under `dir` whose bytes contain `needle`, as raw bytes or as hex text. */
function filesHolding(dir: string, needle: Buffer): string[] {
  // Any 8-byte piece, of the bytes or of their hex: ClickHouse writes parts LZ4-compressed, and
  // LZ4 replaces any 4 bytes it saw earlier in a block by a back-reference, so a whole value a
  // part holds may be in no file (see filesHoldingPieces in test/helpers/audit.ts).
  const pieces = [needle, Buffer.from(needle.toString('hex'))].flatMap((b) => Array.from({ length: Math.floor(b.length / 8) }, (_, i) => b.subarray(i * 8, i * 8 + 8)))
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .filter((f) => {
      const bytes = readFileSync(f)
      return pieces.some((p) => bytes.includes(p))
    })
}

/** Whether the site's sketches already hold the sentinel's visitor hash under `candidate`. */
async function sketchesHold(d: Db, candidate: Buffer): Promise<boolean> {
  const count = async (extra: string) =>
    Number(
      (
        await queryRows<{ n: number }>(
          d,
          `SELECT uniqMerge(v) AS n FROM (SELECT visitors AS v FROM visitor_sketches WHERE site = 'example.lv' AND dimension = '' ${extra})`,
          { h: visitorHash(candidate, 'example.lv', SENTINEL, CHROME_UA).toString() },
        )
      )[0]!.n,
    )
  return (await count('UNION ALL SELECT uniqState(toUInt64({h:String})) AS v')) === (await count(''))
}

describe('the salt key lives outside DATA_DIR', () => {
  afterAll(async () => {
    await server?.stop()
    await db?.close()
  })

  it('makes the key file beside DATA_DIR, readable by its owner only', async () => {
    server = await startInProcess({ dataDir })
    expect(statSync(keyFile).mode & 0o777).toBe(0o600)
    expect(readFileSync(keyFile, 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/)
    expect(server.logs.join('')).toContain('salt key made')
    expect((await visit(server)).status).toBe(202)
    await server.skaits.buffer.flush()
    salt = Buffer.from(server.skaits.salts.current(Date.now()).salt)
    expect(await totals(server.url, ['visitors', 'pageviews'])).toEqual({ visitors: 1, pageviews: 1 })
    await server.stop()
    server = undefined
  })

  it('a copy of DATA_DIR alone holds no value that reproduces the visitor hashes in the sketches', async () => {
    db = createDb({ clickhouse: { kind: 'embedded', path: path.join(dataDir, 'clickhouse') } })
    const stored = await queryRows<{ salt: string }>(db, 'SELECT salt FROM salts')
    expect(stored.length).toBeGreaterThan(0)
    // The check itself works: the real salt finds the sentinel in the sketches.
    expect(await sketchesHold(db, salt)).toBe(true)
    for (const { salt: value } of stored) {
      expect(value).not.toBe(salt.toString('hex'))
      for (const candidate of [Buffer.from(value, 'hex'), Buffer.from(value)]) expect(await sketchesHold(db, candidate)).toBe(false)
    }
    await db.close()
    db = undefined
    // The stored seed is on disk (so the search below can find a value); the salt is not, in any form.
    expect(filesHolding(dataDir, Buffer.from(stored[0]!.salt, 'hex')).length).toBeGreaterThan(0)
    expect(filesHolding(dataDir, salt)).toEqual([])
    expect(filesHolding(dataDir, readFileSync(keyFile).subarray(0, 64))).toEqual([])
  })

  it('restarted with the key file, counts the same visitor once the same day', async () => {
    server = await startInProcess({ dataDir })
    expect(server.skaits.salts.current(Date.now()).salt.equals(salt)).toBe(true)
    expect((await visit(server)).status).toBe(202)
    await server.skaits.buffer.flush()
    expect(await totals(server.url, ['visitors', 'pageviews'])).toEqual({ visitors: 1, pageviews: 2 })
    expect(server.logs.join('')).not.toContain('another SALT_KEY_FILE')
    await server.stop()
    server = undefined
  })

  it('restarted after the key file was lost, warns without secrets and starts a new salt', async () => {
    const oldKey = readFileSync(keyFile, 'utf8').trim()
    rmSync(keyFile)
    server = await startInProcess({ dataDir })
    const logs = server.logs.join('')
    expect(logs).toContain('a stored salt was made under another SALT_KEY_FILE key')
    for (const secret of [oldKey, readFileSync(keyFile, 'utf8').trim(), salt.toString('hex')]) expect(logs).not.toContain(secret)
    expect(server.skaits.salts.current(Date.now()).salt.equals(salt)).toBe(false)
    // The price, documented: the same person counts again that day.
    expect((await visit(server)).status).toBe(202)
    await server.skaits.buffer.flush()
    expect(await totals(server.url, ['visitors', 'pageviews'])).toEqual({ visitors: 2, pageviews: 3 })
  })

  it('ingest nodes sharing the salts table agree with the same key and ignore a node with another', async () => {
    await server?.stop()
    server = undefined
    db = createDb({ clickhouse: { kind: 'embedded', path: path.join(dataDir, 'clickhouse') } })
    await db.command({ query: 'TRUNCATE TABLE salts' })
    const lines: string[] = []
    const log = pino({ level: 'info' }, new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }))
    const key = randomBytes(32)
    const node = (k: Buffer) => new SaltStore(db!, 'UTC', Date.now, 30 * 60_000, { shared: true, key: k, log })
    const [a, b, stranger] = [node(key), node(key), node(randomBytes(32))]
    await Promise.all([a.load(), b.load(), stranger.load()])
    for (const n of [a, b, stranger, a, b, stranger]) await n.refresh()
    const today = (n: SaltStore) => n.current(Date.now()).salt.toString('hex')
    expect(today(a)).toBe(today(b))
    expect(today(stranger)).not.toBe(today(a))
    expect(lines.join('')).toContain('another SALT_KEY_FILE key')
    for (const secret of [key.toString('hex'), today(a), today(stranger)]) expect(lines.join('')).not.toContain(secret)
  })
})
