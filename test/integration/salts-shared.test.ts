import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDb, queryRows, type Db } from '../../server/db/client.ts'
import { migrate } from '../../server/db/migrate.ts'
import { SaltStore } from '../../server/privacy/salts.ts'
import { addDays } from '../../server/time.ts'
import { filesHoldingPieces } from '../helpers/audit.ts'
import { tempDir } from '../helpers/skaits.ts'

// Two SaltStores on one client stand for two ingest nodes sharing one ClickHouse. The days
// are real ones: ClickHouse applies the salts table's TTL against the real clock.
const today = new Date().toISOString().slice(0, 10)
const tomorrow = addDays(today, 1)
const at = (day: string, hhmm: string) => Date.parse(`${day}T${hhmm}:00Z`)
const GRACE = 30 * 60_000
const dataDir = tempDir()
let db: Db
let now = at(today, '10:00')

const node = (options = { shared: true }) => new SaltStore(db, 'UTC', () => now, GRACE, options)
const hex = (store: SaltStore, day = today) => {
  if (store.current(now).day === day) return store.current(now).salt.toString('hex')
  return store.previous(now)?.day === day ? store.previous(now)!.salt.toString('hex') : undefined
}

async function candidates(day: string): Promise<string[]> {
  const rows = await queryRows<{ salt: string }>(db, 'SELECT DISTINCT salt FROM salts WHERE day = {day:Date} ORDER BY salt', { day })
  return rows.map((r) => r.salt)
}

/** What the maintenance timer does on every node each minute. */
async function minute(...nodes: SaltStore[]): Promise<void> {
  for (const n of nodes) await n.refresh()
}

/** Waits until the salt is on disk only in the salts table's live parts, none merged away. */
async function waitForOnlyLiveCopies(salt: string): Promise<void> {
  for (let i = 0; i < 120; i++) {
    const live = await queryRows<{ path: string }>(
      db,
      "SELECT path FROM system.parts WHERE database = currentDatabase() AND table = 'salts' AND active",
    )
    const files = filesHoldingPieces(dataDir, salt).split('\n').filter(Boolean)
    if (files.every((f) => live.some((p) => f.startsWith(p.path)))) return
    await new Promise((r) => setTimeout(r, 1000))
  }
  throw new Error('merged-away parts of salts still on disk after 2 minutes')
}


describe('salts shared by several ingest nodes', () => {
  beforeAll(async () => {
    db = createDb({ clickhouse: { kind: 'embedded', path: path.join(dataDir, 'clickhouse') } })
    await migrate(db)
  })
  afterAll(async () => {
    await db?.close()
  })

  it('two nodes that each made a salt for the same day end with the same one, the smallest', async () => {
    const a = node()
    const b = node()
    // Both start the day at once with no salt anywhere: each makes its own candidate.
    const madeByA = a.current(now).salt.toString('hex')
    const madeByB = b.current(now).salt.toString('hex')
    expect(madeByA).not.toBe(madeByB)
    await Promise.all([a.settle(), b.settle()])
    expect(await candidates(today)).toEqual([madeByA, madeByB].sort())

    await minute(a, b)
    expect(hex(a)).toBe([madeByA, madeByB].sort()[0])
    expect(hex(b)).toBe(hex(a))
    // Tomorrow's salt was offered ahead by both; one more minute and they agree on it too.
    await minute(a, b)
    expect(a.heldDays()).toEqual([today, tomorrow])
    const [pickedTomorrow] = await candidates(tomorrow)
    now = at(tomorrow, '00:00')
    expect(hex(a, tomorrow)).toBe(pickedTomorrow)
    expect(hex(b, tomorrow)).toBe(pickedTomorrow)
    now = at(today, '10:00')

    // A merge keeps the last row written of a day: the pick, written again by the nodes.
    await db.command({ query: 'OPTIMIZE TABLE salts FINAL' })
    expect(await candidates(today)).toEqual([hex(a)])
    const c = node()
    await c.load()
    expect(hex(c)).toBe(hex(a))
  })

  it('converges however two nodes starting together interleave', async () => {
    await db.command({ query: 'TRUNCATE TABLE salts' })
    for (let round = 0; round < 3; round++) {
      if (round) await db.command({ query: 'TRUNCATE TABLE salts' })
      const a = node()
      const b = node()
      await Promise.all([a.load(), b.load()])
      await minute(a, b)
      expect(hex(a)).toBe(hex(b))
      expect(hex(a)).toBe((await candidates(today))[0])
      now = at(tomorrow, '00:01')
      expect(hex(a, tomorrow)).toBe(hex(b, tomorrow))
      now = at(today, '10:00')
    }
  })

  it('agrees on tomorrow before midnight, hashes with it after, and destroys the old salt on disk everywhere', { timeout: 180_000 }, async () => {
    await db.command({ query: 'TRUNCATE TABLE salts' })
    now = at(today, '23:50')
    const a = node()
    const b = node()
    await a.load()
    await b.load()
    await minute(a, b)
    const oldSalt = hex(a)!
    const [agreed] = await candidates(tomorrow)
    const offered = (await candidates(tomorrow)).length

    now = at(tomorrow, '00:00') + 30_000
    expect(a.current(now)).toMatchObject({ day: tomorrow })
    expect(hex(a, tomorrow)).toBe(agreed)
    expect(hex(b, tomorrow)).toBe(agreed)
    await minute(a, b)
    expect(hex(a, tomorrow)).toBe(agreed)
    expect((await candidates(tomorrow)).length).toBe(offered) // no node made another one at midnight
    expect(hex(a, today)).toBe(oldSalt) // visits crossing midnight still continue

    // Half an hour passes. ClickHouse removes parts merged away ~40 s after the merge (in the
    // test everything above happened within a second); wait for that as the half hour would.
    await waitForOnlyLiveCopies(oldSalt)
    now = at(tomorrow, '00:31')
    expect(filesHoldingPieces(dataDir, oldSalt)).not.toBe('')
    expect(await a.destroyExpired()).toEqual([today])
    expect(await b.destroyExpired()).toEqual([today])
    expect(a.heldDays()).toEqual([tomorrow, addDays(tomorrow, 1)])
    expect(b.heldDays()).toEqual(a.heldDays())
    expect(await candidates(today)).toEqual([])
    expect(filesHoldingPieces(dataDir, oldSalt)).toBe('')
    // The salts still in use were written back, and a node starting now reads them.
    const c = node()
    await c.load()
    expect(hex(c, tomorrow)).toBe(agreed)
  })

  it('on one node (not shared) keeps no salt ahead of its day', async () => {
    await db.command({ query: 'TRUNCATE TABLE salts' })
    now = at(today, '10:00')
    const single = node({ shared: false })
    await single.load()
    expect(single.heldDays()).toEqual([today])
    expect(await single.refresh()).toEqual([])
    expect(await candidates(tomorrow)).toEqual([])
    expect(await candidates(today)).toEqual([hex(single)])
  })
})
