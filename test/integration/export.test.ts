import { Ajv } from 'ajv'
import { strFromU8, unzipSync } from 'fflate'
import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addDays } from '../../server/time.ts'
import { adminCall, API_KEY, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

// Two complete months before the current one: exports release only complete periods.
const now = new Date()
const monthStart = (back: number) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 1)).toISOString().slice(0, 10)
const M2 = monthStart(2)
const M1 = monthStart(1)
const END = addDays(monthStart(0), -1)
const dataDir = tempDir()
let server: RunningSkaits

/** Per day: sources with fixed visitors (one big, one mid, two tiny) and three pages. */
const SOURCES: [string, number][] = [
  ['Google', 30],
  ['Facebook', 12],
  ['tiny.lv', 3],
  ['rare.lv', 2],
]
const COUNTRIES: [string, number][] = [
  ['LV', 35],
  ['EE', 12],
]
const PAGES: [string, number][] = [
  ['/', 40],
  ['/pricing', 11],
  ['/secret-offer', 4],
]

async function seed() {
  const db = server.db
  const days: string[] = []
  for (let d = M2; d <= END; d = addDays(d, 1)) days.push(d)
  const counts: Record<string, unknown>[] = []
  const visitors: Record<string, unknown>[] = []
  const row = (day: string, dimension: string, value: string, v: number) => {
    visitors.push({ site: 'example.lv', dimension, day, value, visitors: v })
    counts.push({
      site: 'example.lv',
      dimension,
      hour: `${day} 12:00:00`,
      value,
      pageviews: v * 2,
      visits: v,
      bounces: Math.floor(v / 2),
      duration: v * 60,
      events: v * 2,
      entries: 0,
      exits: 0,
      engaged_ms: 0,
      engaged_n: 0,
      scroll_sum: 0,
      scroll_n: 0,
    })
  }
  for (const day of days) {
    const total = SOURCES.reduce((a, [, v]) => a + v, 0)
    row(day, '', '', total)
    for (const [s, v] of SOURCES) row(day, 'visit:source', s, v)
    for (const [p, v] of PAGES) row(day, 'event:page', p, v)
    for (const [c, v] of COUNTRIES) row(day, 'visit:country', c, v)
  }
  await db.insert({ table: 'counts_hourly', values: counts, format: 'JSONEachRow' })
  await db.insert({ table: 'visitors_daily', values: visitors, format: 'JSONEachRow' })
  await db.insert({ table: 'rolled_days', values: days.map((day) => ({ day, rolled_at: `${day} 23:59:59` })), format: 'JSONEachRow' })
}

const admin = (method: string, path: string, body?: unknown) => adminCall(server.url, method, path, body)

const download = (token: string, q: string) => fetch(`${server.url}/export/${token}?${q}`)

/** The JSON export's shape: days as periods, nothing but aggregate counts. */
const SCHEMA = {
  type: 'object',
  required: ['manifest', 'data'],
  additionalProperties: false,
  properties: {
    manifest: { type: 'object' },
    data: {
      type: 'object',
      additionalProperties: {
        type: 'array',
        items: {
          type: 'object',
          required: ['period', 'value'],
          additionalProperties: false,
          properties: {
            period: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
            value: { type: 'string', maxLength: 1024 },
            suppressed: { const: true },
            visitors: { type: 'integer', minimum: 0 },
            visits: { type: 'integer', minimum: 0 },
            pageviews: { type: 'integer', minimum: 0 },
            bounces: { type: 'integer', minimum: 0 },
            visit_duration: { type: 'integer', minimum: 0 },
          },
        },
      },
    },
  },
}

describe('partner exports', () => {
  beforeAll(async () => {
    server = await startInProcess({ dataDir, env: { TIMEZONE: 'UTC' } })
    await seed()
  })
  afterAll(async () => {
    await server?.stop()
  })

  let token = ''
  it('creates a partner share with k and dimensions, refusing k below 5', async () => {
    expect((await admin('POST', '/api/partners', { site: 'example.lv', k: 4 })).status).toBe(400)
    expect((await admin('POST', '/api/partners', { site: 'example.lv', dimensions: ['visit:city'] })).status).toBe(400)
    const created = await admin('POST', '/api/partners', { site: 'example.lv', name: 'Partner SIA', dimensions: ['visit:source', 'event:page'], k: 10 })
    expect(created.status).toBe(201)
    expect(created.json).toMatchObject({ k: 10, finest: 'day', coarsest: 'month', epsilon: null })
    expect(created.json.path).toBe(`/export/${created.json.token}`)
    token = created.json.token
  })

  it('publishes only cells of at least k visitors, and hides enough others that none can be recovered', async () => {
    const res = await download(token, `from=${M2}&to=${END}&granularity=day&format=json`)
    expect(res.status).toBe(200)
    const body = (await res.json()) as { manifest: any; data: Record<string, any[]> }
    const ajv = new Ajv({ strict: false })
    expect(ajv.validate(SCHEMA, body), JSON.stringify(ajv.errors)).toBe(true)
    const { manifest, data } = body
    expect(manifest).toMatchObject({ site: 'example.lv', k: 10, granularity: 'day', period: { from: M2, to: END }, epsilon: null })
    expect(manifest.files['data.json']).toBe(createHash('sha256').update(JSON.stringify(data)).digest('hex'))
    for (const cells of Object.values(data)) {
      for (const cell of cells) if (!cell.suppressed) expect(cell.visitors).toBeGreaterThanOrEqual(10)
    }
    // Per day: total 47 = 30 + 12 + 3 + 2. The tiny sources (5 together) are below k, so a
    // third source must go too, or the total minus the published ones would reveal them.
    const firstDay = data['visit:source']!.filter((c) => c.period === M2)
    expect(firstDay.filter((c) => c.suppressed).map((c) => c.value).sort()).toEqual(['Facebook', 'rare.lv', 'tiny.lv'])
    // The day's total may itself be hidden by the secondary suppression (which cells it picks
    // depends on how the month's weeks fall); then nothing can be subtracted from it.
    const total = data.total!.find((c) => c.period === M2)
    const published = firstDay.filter((c) => !c.suppressed).reduce((a, c) => a + c.visitors, 0)
    expect(published).toBe(30)
    if (!total.suppressed) {
      const hidden = total.visitors - published
      expect(hidden === 0 || hidden >= 10).toBe(true)
    }
    expect(manifest.suppressed_cells).toBe(Object.values(data).flat().filter((c) => c.suppressed).length)
  })

  it('answers the same bytes again, as CSV in Plausible\'s imported_* layout with a manifest of hashes', async () => {
    const q = `from=${M1}&to=${END}&granularity=month&format=csv`
    const a = new Uint8Array(await (await download(token, q)).arrayBuffer())
    const b = new Uint8Array(await (await download(token, q)).arrayBuffer())
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true)
    const files = unzipSync(a)
    const suffix = `${M1.replaceAll('-', '')}_${END.replaceAll('-', '')}`
    expect(Object.keys(files).sort()).toEqual(
      [`imported_pages_${suffix}.csv`, `imported_sources_${suffix}.csv`, `imported_visitors_${suffix}.csv`, 'manifest.json'].sort(),
    )
    const manifest = JSON.parse(strFromU8(files['manifest.json']!))
    for (const [name, hash] of Object.entries(manifest.files)) {
      expect(createHash('sha256').update(files[name]!).digest('hex')).toBe(hash)
    }
    const sources = strFromU8(files[`imported_sources_${suffix}.csv`]!).trim().split('\n')
    expect(sources[0]).toBe('date,source,referrer,utm_source,utm_medium,utm_campaign,utm_content,utm_term,pageviews,visitors,visits,visit_duration,bounces')
    const days = (Date.parse(END) - Date.parse(M1)) / 86_400_000 + 1
    expect(sources).toContain(`${M1},Google,,,,,,,${60 * days},${30 * days},${30 * days},${1800 * days},${15 * days}`)
    // Over a month even a small source has enough visitors to be published; its days stay
    // hidden, and the month minus the (no) published days reveals nothing below k.
    expect(sources).toContain(`${M1},tiny.lv,,,,,,,${6 * days},${3 * days},${3 * days},${180 * days},${days}`)
  })

  it('keeps a partner inside its share: granularity, dimensions, site; a revoked link is gone', async () => {
    expect((await download(token, `from=${M1}&to=${END}&granularity=year`)).status).toBe(403)
    expect((await download(token, `from=${M1}&to=${END}&dimensions=visit:country`)).status).toBe(403)
    expect((await download(token, `from=${END}&to=${M1}`)).status).toBe(400)
    expect((await download('px_not-a-token', `from=${M1}&to=${END}`)).status).toBe(404)
    // The link is no credential for anything else.
    const stats = await fetch(`${server.url}/api/v2/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ site_id: 'example.lv', metrics: ['visitors'], date_range: 'day' }),
    })
    expect(stats.status).toBe(401)
    const list = await admin('GET', '/api/partners')
    expect(JSON.stringify(list.json)).not.toContain(token)
    expect((await admin('DELETE', `/api/partners/${list.json[0].id}`)).status).toBe(200)
    expect((await download(token, `from=${M1}&to=${END}`)).status).toBe(404)
  })

  it('adds stable noise with differential privacy and refuses a download that would overspend', async () => {
    // A visitor-day can come from several sources a day: no ε covers them.
    const sources = await admin('POST', '/api/partners', { site: 'example.lv', dimensions: ['visit:source'], epsilon: '1', budget: '2' })
    expect(sources.status).toBe(400)
    expect(sources.json.error).toMatch(/visit:source.*epsilon/)
    const created = await admin('POST', '/api/partners', {
      site: 'example.lv',
      dimensions: ['visit:country'],
      k: 10,
      finest: 'month',
      coarsest: 'month',
      epsilon: '1',
      budget: '1.5',
    })
    expect(created.status).toBe(201)
    const dp = created.json.token
    const first = await download(dp, `from=${M2}&to=${addDays(M1, -1)}&granularity=month&format=json`)
    expect(first.status).toBe(200)
    const firstBody = await first.text()
    const again = await download(dp, `from=${M2}&to=${addDays(M1, -1)}&granularity=month&format=json`)
    expect(await again.text()).toBe(firstBody) // no new information, no new spending
    const { manifest, data } = JSON.parse(firstBody)
    expect(manifest).toMatchObject({ epsilon: '1', epsilon_spent: '1', epsilon_remaining: '0.5' })
    // One granularity (month) × (total + one country): two cells per visitor-day, ε/2 each.
    expect(manifest.differential_privacy).toMatchObject({
      unit: 'visitor-day',
      epsilon_per_download: '1',
      granularities: ['month'],
      cells_per_visitor_day: 2,
      epsilon_per_cell: '1/2',
      published_metrics: ['visitors'],
      withheld_metrics: ['visits', 'pageviews', 'bounces', 'visit_duration'],
    })
    expect(manifest.guarantee).toMatch(/differential privacy with epsilon 1 per download/)
    const lv = data['visit:country'].find((c: any) => c.value === 'LV')
    const days = (Date.parse(M1) - Date.parse(M2)) / 86_400_000
    expect(lv.visitors).not.toBeUndefined()
    expect(Math.abs(lv.visitors - 35 * days)).toBeLessThan(40) // noise, but not much at ε = 1
    // counts without a bound per visitor-day are not published under DP
    for (const m of ['visits', 'pageviews', 'bounces', 'visit_duration']) expect(lv[m]).toBeUndefined()
    // every two-letter code is a cell, with or without visitors: which cells exist tells nothing
    expect(data['visit:country'].length).toBe(26 * 26)
    const overspend = await download(dp, `from=${M1}&to=${END}&granularity=month&format=json`)
    expect(overspend.status).toBe(409)
    expect(((await overspend.json()) as { error: string }).error).toMatch(/budget/)
  })
})

describe('privacy notice', () => {
  afterAll(async () => {
    await server?.stop()
  })

  it('is written from the configuration, in Latvian and English, and follows it', async () => {
    const get = async (lang: string) => {
      const res = await fetch(`${server.url}/api/sites/example.lv/privacy-notice?lang=${lang}`, { headers: { authorization: `Bearer ${API_KEY}` } })
      expect(res.status).toBe(200)
      return res.text()
    }
    server = await startInProcess({ dataDir, env: { TIMEZONE: 'UTC', RETENTION_MONTHS: '13' } })
    const en = await get('en')
    const lv = await get('lv')
    expect(en).toContain('No cookies are used')
    expect(en).toContain('kept for 13 months')
    expect(en).toContain('Global Privacy Control')
    expect(lv).toContain('Netiek izmantotas sīkdatnes')
    expect(lv).toContain('glabāta 13 mēnešus')
    // The DP partner share made above is still active: the notice names it and its guarantee.
    expect(en).toMatch(/visitor numbers only, totals and countries.*ε = 1 per download.*shows at least 10 but may stand for fewer/s)
    expect(en).toContain('Numbers of visits and page views are not shared')
    expect(lv).toMatch(/ε = 1 vienai lejupielādei.*rāda vismaz 10, bet var aptvert mazāk/s)
    await server.stop()
    server = await startInProcess({ dataDir, env: { TIMEZONE: 'UTC', RETENTION_MONTHS: '25', RESPECT_GPC: 'false' } })
    const changed = await get('en')
    expect(changed).toContain('kept for 25 months')
    expect(changed).not.toContain('Global Privacy Control')
    expect((await fetch(`${server.url}/api/sites/example.lv/privacy-notice?lang=de`, { headers: { authorization: `Bearer ${API_KEY}` } })).status).toBe(400)
  })
})
