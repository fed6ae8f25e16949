import path from 'node:path'
import { pino } from 'pino'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { Access } from '../../server/auth/access.ts'
import { createDb, type Db } from '../../server/db/client.ts'
import { migrate } from '../../server/db/migrate.ts'
import { Partners } from '../../server/export/partners.ts'
import { tempDir } from '../helpers/skaits.ts'

// Two Access (and two Partners) instances over one client stand for two ingest nodes sharing
// one ClickHouse: what one node changes, the other must honour within its refresh interval.
// The embedded engine lets one process open a data directory, so both "nodes" live here.

const HOUR = 3_600_000
const REFRESH_MS = 100
/** the other node must refuse within a few refresh intervals (the production interval is 3 s) */
const WITHIN = { timeout: 20 * REFRESH_MS, interval: 20 }
const now = Date.now()
const clock = () => now

let db: Db
const logs: string[] = []
const log = pino({ level: 'info' }, new Writable({ write: (chunk, _e, cb) => (logs.push(String(chunk)), cb()) }))
const nodes: Access[] = []
const partnerNodes: Partners[] = []

async function accessNode(over: Db = db): Promise<Access> {
  const a = new Access(over, clock, 30 * 24 * HOUR)
  await a.load()
  a.startRefresh(log, REFRESH_MS)
  nodes.push(a)
  return a
}

async function partnersNode(): Promise<Partners> {
  const p = new Partners(db, clock)
  await p.load()
  p.startRefresh(log, REFRESH_MS)
  partnerNodes.push(p)
  return p
}

beforeAll(async () => {
  db = createDb({ clickhouse: { kind: 'embedded', path: path.join(tempDir(), 'clickhouse') } })
  await migrate(db)
})
afterAll(async () => {
  for (const n of nodes) await n.stopRefresh()
  for (const n of partnerNodes) await n.stopRefresh()
  await db?.close()
})

describe('access state across two nodes', () => {
  let a: Access
  let b: Access
  beforeAll(async () => {
    a = await accessNode()
    b = await accessNode()
  })

  it('a key revoked on one node is refused by the other', async () => {
    const { key, apiKey } = await a.createKey('reporting', [])
    await vi.waitFor(() => expect(b.keyByToken(key)?.id).toBe(apiKey.id), WITHIN)
    await a.revokeKey(apiKey.id)
    expect(a.keyByToken(key)).toBeUndefined()
    await vi.waitFor(() => expect(b.keyByToken(key)).toBeUndefined(), WITHIN)
    expect(b.listKeys().map((k) => k.id)).not.toContain(apiKey.id)
  })

  it('a logout on one node ends the session on the other', async () => {
    const owner = await a.createOwner('one@example.lv', 'first node passphrase')
    const { token } = await a.createSession(owner.id)
    await vi.waitFor(() => expect(b.sessionOwner(token)?.owner.id).toBe(owner.id), WITHIN)
    await a.revokeSession(token)
    await vi.waitFor(() => expect(b.sessionOwner(token)).toBeUndefined(), WITHIN)
  })

  it('a password changed on one node holds on the other, and its other sessions end there', async () => {
    const owner = await b.createOwner('two@example.lv', 'the old passphrase')
    await vi.waitFor(() => expect(a.ownerByEmail('two@example.lv')).toBeDefined(), WITHIN)
    const kept = await a.createSession(owner.id)
    const other = await b.createSession(owner.id)
    await vi.waitFor(() => expect(a.sessionOwner(other.token)).toBeDefined(), WITHIN)
    await a.changePassword(owner.id, 'the old passphrase', 'the new passphrase', a.sessionOwner(kept.token)!.sessionHash)
    await vi.waitFor(() => expect(b.sessionOwner(other.token)).toBeUndefined(), WITHIN)
    expect(b.sessionOwner(kept.token)?.owner.id).toBe(owner.id)
    expect(await b.verifyLogin('two@example.lv', 'the old passphrase')).toBeUndefined()
    expect((await b.verifyLogin('two@example.lv', 'the new passphrase'))?.id).toBe(owner.id)
  })

  it('a shared link revoked on one node is refused by the other, unlocked or not', async () => {
    const open = await a.createShare('example.lv', 'open', undefined)
    const locked = await a.createShare('example.lv', 'locked', 'a share passphrase')
    await vi.waitFor(() => expect(b.shareByToken(locked.token)).toBeDefined(), WITHIN)
    const unlocked = await b.unlockShare(locked.token, 'a share passphrase')
    expect(b.unlockedShare(unlocked!)?.id).toBe(locked.share.id)
    await a.revokeShare(open.share.id)
    await a.revokeShare(locked.share.id)
    await vi.waitFor(() => {
      expect(b.shareByToken(open.token)).toBeUndefined()
      expect(b.shareByToken(locked.token)).toBeUndefined()
      expect(b.unlockedShare(unlocked!)).toBeUndefined()
    }, WITHIN)
  })

  it('an owner removed on one node is logged out on the other', async () => {
    const owner = await a.createOwner('three@example.lv', 'third owner passphrase')
    const { token } = await a.createSession(owner.id)
    await vi.waitFor(() => expect(b.sessionOwner(token)).toBeDefined(), WITHIN)
    await b.removeOwner(owner.id)
    await vi.waitFor(() => {
      expect(a.sessionOwner(token)).toBeUndefined()
      expect(a.ownerByEmail('three@example.lv')).toBeUndefined()
    }, WITHIN)
  })

  it('a reset link used on one node cannot be used again through the other before it refreshes', async () => {
    const owner = await a.createOwner('four@example.lv', 'fourth owner passphrase')
    await vi.waitFor(() => expect(b.ownerById(owner.id)).toBeDefined(), WITHIN)
    const { token } = await a.issueReset(owner.id, 'admin')
    await vi.waitFor(() => expect(b.resetFor(token)).toEqual({ email: 'four@example.lv' }), WITHIN)
    await b.stopRefresh() // b still holds the link in memory
    await a.useReset(token, 'set on node a passphrase')
    expect(b.resetFor(token)).toBeDefined()
    await expect(b.useReset(token, 'set on node b passphrase')).rejects.toThrow(/not valid/)
    b.startRefresh(log, REFRESH_MS)
    await vi.waitFor(async () => expect((await b.verifyLogin('four@example.lv', 'set on node a passphrase'))?.id).toBe(owner.id), WITHIN)
  })

  it('keeps the last known state and logs when a refresh fails, then catches up', async () => {
    let down = false
    // Only reads fail: the writes below come from node a, on the healthy client.
    const flaky = new Proxy(db, {
      get(target, prop) {
        if (prop === 'query' && down) return () => Promise.reject(new Error('ClickHouse unreachable'))
        const v = Reflect.get(target, prop)
        return typeof v === 'function' ? v.bind(target) : v
      },
    })
    const c = await accessNode(flaky)
    const first = await a.createKey('first', [])
    const second = await a.createKey('second', [])
    await vi.waitFor(() => expect(c.keyByToken(second.key)).toBeDefined(), WITHIN)
    down = true
    await a.revokeKey(first.apiKey.id)
    await vi.waitFor(() => expect(logs.join('')).toContain('access refresh failed; keeping the last known state'), WITHIN)
    expect(c.keyByToken(second.key)).toBeDefined()
    down = false
    await vi.waitFor(() => expect(c.keyByToken(first.key)).toBeUndefined(), WITHIN)
    expect(c.keyByToken(second.key)).toBeDefined()
    expect(logs.join('')).not.toContain(first.key)
  })
})

describe('the partners ε ledger across two nodes', () => {
  let a: Partners
  let b: Partners
  beforeAll(async () => {
    a = await partnersNode()
    b = await partnersNode()
  })

  it('refuses on one node what the other already spent', async () => {
    const { token, share } = await a.create({ site: 'example.lv', epsilon: '1', budget: '2', dimensions: ['visit:country'] })
    await vi.waitFor(() => expect(b.byToken(token)?.id).toBe(share.id), WITHIN)
    await b.stopRefresh() // the ledger must be read at spend time, not by the refresh
    expect(await a.spend(share, ['month|2026-01-01|2026-01-31'])).toEqual({ ok: true })
    expect(await b.spend(share, ['month|2026-02-01|2026-02-28'])).toEqual({ ok: true })
    expect(await a.spend(share, ['month|2026-03-01|2026-03-31'])).toEqual({ ok: false, spentMicros: 2_000_000 })
    expect(await b.spend(share, ['month|2026-03-01|2026-03-31'])).toEqual({ ok: false, spentMicros: 2_000_000 })
    // Blocks released before, through either node, cost nothing again.
    expect(await b.spend(share, ['month|2026-01-01|2026-01-31'])).toEqual({ ok: true })
    expect(b.spentMicros(share.id)).toBe(2_000_000)
    b.startRefresh(log, REFRESH_MS)
  })

  it('lets only one of two downloads on one node spend the last ε', async () => {
    const { share } = await a.create({ site: 'example.lv', epsilon: '1', budget: '1', dimensions: ['visit:country'] })
    const results = await Promise.all([a.spend(share, ['month|2026-01-01|2026-01-31']), a.spend(share, ['month|2026-02-01|2026-02-28'])])
    expect(results.filter((r) => r.ok)).toHaveLength(1)
  })

  it('a partner share revoked on one node is refused by the other', async () => {
    const { token, share } = await a.create({ site: 'example.lv', dimensions: ['visit:country'] })
    await vi.waitFor(() => expect(b.byToken(token)).toBeDefined(), WITHIN)
    await a.revoke(share.id)
    await vi.waitFor(() => expect(b.byToken(token)).toBeUndefined(), WITHIN)
  })
})
