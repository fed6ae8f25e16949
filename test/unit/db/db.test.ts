import type { ClickHouseClient } from '@clickhouse/client'
import { describe, expect, it } from 'vitest'
import { Db } from '../../../server/db/client.ts'

/** A client whose writes wait until the test lets them end. */
function fakeClient() {
  const pending: (() => void)[] = []
  const write = () => new Promise<object>((resolve) => pending.push(() => resolve({})))
  const client = { insert: write, command: write, exec: write, query: async () => ({ json: async () => [] }) }
  return { client: client as unknown as ClickHouseClient, endWrites: () => pending.splice(0).forEach((end) => end()) }
}

const path = () => `/tmp/skaits-db-test-${Math.random()}`

describe('Db', () => {
  it('counts every write of the embedded engine as it starts and as it ends, once per data directory', async () => {
    const { client, endWrites } = fakeClient()
    const dir = path()
    const db = new Db(client, { embeddedPath: dir })
    const same = new Db(client, { embeddedPath: `${dir}/.` })
    expect(db.writes).toBe(0)
    const writes = [db.insert({ table: 't', values: [] }), same.command({ query: 'x' }), db.exec({ query: 'y' })]
    expect(db.writes).toBe(3)
    endWrites()
    await Promise.all(writes)
    expect(db.writes).toBe(6)
    expect(same.writes).toBe(6)
    await db.query({ query: 'SELECT 1' })
    expect(db.writes).toBe(6)
    expect(new Db(client).writes).toBeUndefined()
  })

  it("counts the writes that may change a closed day's statistics, a batch of today's known when it ends", async () => {
    const { client, endWrites } = fakeClient()
    const db = new Db(client, { embeddedPath: path() })
    expect(db.historyWrites).toBe(0)
    let wroteClosedDays = false
    const writes = [
      db.insert({ table: 'salts', values: [] }, 'none'),
      db.insert({ table: 'cells_in', values: [] }, () => (wroteClosedDays ? 'all' : 'today')),
    ]
    expect(db.historyWrites).toBe(0)
    endWrites()
    await Promise.all(writes)
    expect(db.historyWrites).toBe(0)
    expect(db.writes).toBe(4)
    // A batch that turned out, when it ended, to hold a day closed meanwhile (midnight passed).
    const late = db.insert({ table: 'cells_in', values: [] }, () => (wroteClosedDays ? 'all' : 'today'))
    wroteClosedDays = true
    endWrites()
    await late
    expect(db.historyWrites).toBe(1)
    // Unsaid: any day's, at its start and its end.
    const rollup = db.command({ query: 'INSERT INTO visitors_daily …' })
    expect(db.historyWrites).toBe(2)
    endWrites()
    await rollup
    expect(db.historyWrites).toBe(3)
    expect(new Db(client).historyWrites).toBeUndefined()
  })

  it('keeps an answer until a write or the time is up, forgets a failure, and keeps nothing uncounted', async () => {
    const { client, endWrites } = fakeClient()
    const db = new Db(client, { embeddedPath: path() })
    let loads = 0
    const load = async () => ++loads
    expect(await db.keptUntilWrite('k', 60_000, load)).toBe(1)
    expect(await db.keptUntilWrite('k', 60_000, load)).toBe(1)
    expect(await db.keptUntilWrite('other', 60_000, load)).toBe(2)
    expect(await db.keptUntilWrite('k', 0, load)).toBe(3)
    const write = db.insert({ table: 't', values: [] })
    expect(await db.keptUntilWrite('k', 60_000, load)).toBe(4)
    endWrites()
    await write
    expect(await db.keptUntilWrite('k', 60_000, load)).toBe(5)

    await expect(db.keptUntilWrite('f', 60_000, () => Promise.reject(new Error('no access')))).rejects.toThrow('no access')
    await Promise.resolve()
    expect(await db.keptUntilWrite('f', 60_000, load)).toBe(6)

    const server = new Db(client)
    expect(await server.keptUntilWrite('k', 60_000, load)).toBe(7)
    expect(await server.keptUntilWrite('k', 60_000, load)).toBe(8)
  })

  it('reads the cluster schema once, and has none on one node', async () => {
    const { client } = fakeClient()
    const db = new Db(client, { cluster: { cluster: 'skaits', database: 'analytics' } })
    const schema = db.clusterSchema()
    expect(db.clusterSchema()).toBe(schema)
    expect((await schema).placementOf('visitors_daily')).toBe('sharded')
    await expect(new Db(client).clusterSchema()).rejects.toThrow(/one node/)
  })

  it('works through a Proxy, as tests wrap it', async () => {
    const { client, endWrites } = fakeClient()
    const db = new Db(client, { embeddedPath: path() })
    const proxy = new Proxy(db, {
      get(target, prop) {
        const value: unknown = Reflect.get(target, prop)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    const write = proxy.insert({ table: 't', values: [] })
    expect(proxy.writes).toBe(1)
    endWrites()
    await write
    expect(await proxy.keptUntilWrite('k', 60_000, async () => 'x')).toBe('x')
    expect(proxy.writes).toBe(2)
  })
})
