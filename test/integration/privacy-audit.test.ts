import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDb, type Db } from '../../server/db/client.ts'
import { filesContaining, findInAnyColumn, tables, ttlHours } from '../helpers/audit.ts'
import { adminCall, browserUA, sendEvent, spawnServer, tempDir, type SpawnedSkaits } from '../helpers/skaits.ts'
import { dimension, goalBreakdown } from '../../server/vocabulary/dimensions.ts'

const SENTINELS = ['203.0.113.77', '2001:db8:abcd:12:3456::77']
/** Other spellings of the same addresses that a careless log or column could hold. */
const SPELLINGS = [...SENTINELS, '::ffff:203.0.113.77', '2001:0db8:abcd:0012:3456:0000:0000:0077']
const dataDir = tempDir()
let server: SpawnedSkaits
let db: Db
let output = ''

describe('privacy audit', () => {
  beforeAll(async () => {
    server = await spawnServer({ DATA_DIR: dataDir, LOG_LEVEL: 'debug' })
    // Goals too: their tallies are counts like the rest, by one dimension at a time.
    expect((await adminCall(server.url, 'PUT', '/api/sites/example.lv/goals', { event: 'Signup', currency: 'EUR' })).status).toBe(201)
    expect((await adminCall(server.url, 'PUT', '/api/sites/example.lv/goals', { page: '/a' })).status).toBe(201)
    const funnel = { name: 'Path', steps: [{ page: '/' }, { page: '/a' }, { event: 'Signup' }], dimensions: ['visit:source', 'visit:browser'] }
    expect((await adminCall(server.url, 'POST', '/api/sites/example.lv/funnels', funnel)).status).toBe(201)
    const pages = ['/', '/a', '/b']
    for (const ip of SENTINELS) {
      for (const [i, page] of pages.entries()) {
        const who = { ip, ua: browserUA(i % 2) }
        expect((await sendEvent(server.url, { n: 'pageview', u: `https://example.lv${page}?ip=${ip}`, d: 'example.lv', r: `https://ref.example/${ip}` }, who)).status).toBe(202)
        await sendEvent(server.url, { n: 'engagement', u: `https://example.lv${page}`, d: 'example.lv', e: 1000, sd: 50 }, who)
        await sendEvent(server.url, { n: 'Signup', u: `https://example.lv${page}`, d: 'example.lv', p: { plan: 'x' }, $: { amount: '9.99', currency: 'EUR' } }, who)
      }
      // Error paths too: bad JSON, an unknown site, a bad field, a wrong type, GPC.
      await sendEvent(server.url, '{"n":', { ip })
      await sendEvent(server.url, { n: 'pageview', u: 'https://other.lv/', d: 'other.lv' }, { ip })
      await sendEvent(server.url, { n: 'pageview', u: 'ftp://x', d: 'example.lv' }, { ip })
      await sendEvent(server.url, { n: 'pageview', u: 'https://example.lv/', d: 'example.lv' }, { ip, headers: { 'content-type': 'text/html' } })
      await sendEvent(server.url, { n: 'pageview', u: 'https://example.lv/', d: 'example.lv' }, { ip, headers: { 'sec-gpc': '1' } })
    }
    // Let at least one flush and the shutdown happen, then open the data directory ourselves.
    await new Promise((r) => setTimeout(r, 1500))
    expect(await server.stop('SIGTERM')).toBe(0)
    output = server.output()
    db = createDb({ clickhouse: { kind: 'embedded', path: path.join(dataDir, 'clickhouse') } })
  })
  afterAll(async () => {
    await server?.stop()
    await db?.close()
  })

  it('counted the sentinel traffic (so the audit looks at real data)', async () => {
    const rows = await db.query({ query: "SELECT sum(pageviews) AS p FROM counts_hourly WHERE dimension = ''", format: 'JSONEachRow' })
    expect(Number((await rows.json<{ p: number }>())[0]!.p)).toBe(6)
    expect(output).toContain('"msg":"stopped"')
  })

  it('no column of any table contains a sentinel address', async () => {
    for (const s of SPELLINGS) expect(await findInAnyColumn(db, s), s).toEqual([])
  })

  it('no file under DATA_DIR contains a sentinel address', () => {
    for (const s of SPELLINGS) expect(filesContaining(dataDir, s), s).toBe('')
  })

  it('no log line contains a sentinel address', () => {
    expect(output.length).toBeGreaterThan(200)
    for (const s of SPELLINGS) expect(output.includes(s), s).toBe(false)
  })

  it('every table has a TTL; the salts that link sketches to addresses live at most 48 h', async () => {
    const all = await tables(db)
    for (const t of all) {
      if (t.engine === 'Null' || t.engine === 'MaterializedView') continue
      // The list of applied migration files holds nothing about visitors; it must outlive them all.
      if (t.name === 'schema_migrations') continue
      expect(ttlHours(t.create_table_query), `${t.name} has no TTL`).toBeDefined()
    }
    // Sketches wait for their day's rollup however long an outage lasts (test/integration/outage.test.ts
    // shows them dropped by it); the salt that could link one to an address never waits.
    const salts = all.find((t) => t.name === 'salts')!
    expect(ttlHours(salts.create_table_query)).toBeLessThanOrEqual(48)
    const sketches = all.find((t) => t.name === 'visitor_sketches')!
    expect(sketches.create_table_query).toContain('PARTITION BY day')
  })

  it('no stored row holds two dimensions together: each is one dimension, or one goal or funnel step and one dimension', async () => {
    let goalRows = 0
    let funnelRows = 0
    for (const table of ['counts_hourly', 'visitor_sketches', 'visitors_daily', 'visitors_hourly']) {
      const rows = await db.query({ query: `SELECT DISTINCT dimension FROM ${table}`, format: 'JSONEachRow' })
      for (const { dimension: d } of await rows.json<{ dimension: string }>()) {
        if (d === '') continue
        expect(dimension(d), `${table}: ${d}`).toBeDefined()
        if (d.startsWith('goal:')) {
          goalRows++
          expect(goalBreakdown(d), d).toBeDefined()
        }
        if (d.startsWith('funnel:')) funnelRows++
      }
    }
    expect(goalRows).toBeGreaterThan(0)
    expect(funnelRows).toBeGreaterThan(0)
  })

  it('no stored column holds a visitor hash', async () => {
    const cols = await db.query({
      query: `SELECT c.table AS t, c.name AS n, c.type AS ty FROM system.columns c
              JOIN system.tables t ON t.database = c.database AND t.name = c.table
              WHERE c.database = currentDatabase() AND t.engine NOT IN ('Null', 'MaterializedView')`,
      format: 'JSONEachRow',
    })
    for (const c of await cols.json<{ t: string; n: string; ty: string }>()) {
      // Owners' credentials are stored as hashes in the access tables; nothing else may hold a hash.
      const credentialHash = ['owners', 'owner_sessions', 'api_keys', 'shares', 'invitations', 'partner_shares', 'password_resets'].includes(c.t) && /^(password|token|key)_hash$/.test(c.n)
      if (!credentialHash) expect(c.n, `${c.t}.${c.n}`).not.toMatch(/hash|visitor$|user_id|session/)
      // 64-bit hashes can only hide in a sketch, and only in the 48 h sketch table.
      if (c.ty.startsWith('AggregateFunction')) expect(c.t).toBe('visitor_sketches')
    }
  })
})
