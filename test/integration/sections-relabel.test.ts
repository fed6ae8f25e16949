import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queryRows, type Db } from '../../server/db/client.ts'
import { relabelSections } from '../../server/sections/relabel.ts'
import { compileSections, type SectionRule } from '../../server/sections/rules.ts'
import { addDays, dayOf } from '../../server/time.ts'
import { seedSectionHistory as seed, SUMS } from '../helpers/section-history.ts'
import { API_KEY, query, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

/**
 * Saving section rules answers at once and relabels the history in the background, in short
 * statements with pauses between them, so that the dashboard's queries asked meanwhile are
 * answered as fast as ever; checked on a year of hourly rows of 200 pages, against what the
 * relabel that ran inside the request (one ALTER … DELETE, then INSERTs) wrote.
 */
const TODAY = dayOf(Date.now(), 'UTC')
const DAYS = 365
const PAGES = 200
const SITE = 'example.lv'
const dataDir = tempDir()
/**
 * A dashboard's queries, asked without a break for the whole relabel, are more than the
 * default rate limit lets through; and no answers kept in memory, so that each one is timed
 * in the engine, beside the relabel's statements.
 */
const ENV = { TIMEZONE: 'UTC', STATS_RATE_PER_MINUTE: '100000', STATS_CACHE_MB: '0' }
let server: RunningSkaits
/** What the settings API said saving would take, in seconds. */
let estimate = 0

/**
 * What the relabel that ran inside the request wrote for every complete hour: the section
 * rows rebuilt from the page rows (its INSERT's SELECT, after its DELETE of every section row).
 */
async function sectionsFromPages(db: Db, site: string, rules: SectionRule[], cutoffS: number) {
  const pages = (await queryRows<{ value: string }>(db, `SELECT DISTINCT value FROM counts_hourly WHERE site = {site:String} AND dimension = 'event:page'`, { site })).map((r) => r.value)
  const sectionOf = compileSections(rules)
  return queryRows(
    db,
    `SELECT toString(hour) AS h, section, sum(pageviews) AS pageviews, 0 AS visits, sum(bounces) AS bounces, 0 AS duration, sum(events) AS events,
            sum(entries) AS entries, sum(exits) AS exits, sum(engaged_ms) AS engaged_ms, sum(engaged_n) AS engaged_n,
            sum(scroll_sum) AS scroll_sum, sum(scroll_n) AS scroll_n
     FROM counts_hourly
     WHERE site = {site:String} AND dimension = 'event:page' AND hour < toDateTime({cutoff:UInt32})
     GROUP BY hour, transform(value, {from:Array(String)}, {to:Array(String)}, '') AS section
     ORDER BY h, section`,
    { site, cutoff: cutoffS, from: pages, to: pages.map(sectionOf) },
  )
}

/** The section rows as stored: summed per (hour, section), rows that sum to nothing left out. */
async function storedSections(db: Db, site: string, cutoffS: number) {
  return queryRows(
    db,
    `SELECT toString(hour) AS h, value AS section, ${SUMS.map((c) => `sum(${c}) AS ${c}`).join(', ')}
     FROM counts_hourly
     WHERE site = {site:String} AND dimension = 'event:section' AND hour < toDateTime({cutoff:UInt32})
     GROUP BY hour, value
     HAVING ${SUMS.map((c) => `${c} != 0`).join(' OR ')}
     ORDER BY h, section`,
    { site, cutoff: cutoffS },
  )
}

async function visitorRows(db: Db, site: string): Promise<Record<string, number>> {
  const rows = await queryRows<{ dimension: string; n: number }>(
    db,
    'SELECT dimension, count() AS n FROM visitors_daily FINAL WHERE site = {site:String} GROUP BY dimension',
    { site },
  )
  return Object.fromEntries(rows.map((r) => [r.dimension, Number(r.n)]))
}

/** What a dashboard asks: totals, the chart, pages, sections over a year, months, a filtered view. */
const SHAPES: Record<string, unknown>[] = [
  { metrics: ['visitors', 'visits', 'pageviews', 'bounce_rate', 'visit_duration'], date_range: '30d' },
  { metrics: ['visitors', 'pageviews'], date_range: '30d', dimensions: ['time:day'] },
  { metrics: ['visitors', 'pageviews'], date_range: '30d', dimensions: ['event:page'], pagination: { limit: 10, offset: 0 } },
  { metrics: ['pageviews', 'time_on_page'], date_range: '12mo', dimensions: ['event:section'] },
  { metrics: ['visitors', 'pageviews'], date_range: '12mo', dimensions: ['time:month'] },
  { metrics: ['pageviews'], date_range: '7d', dimensions: ['event:page'], filters: [['contains', 'event:page', ['/s3']]] },
]

/** Asks the shapes over and over, two at a time as a dashboard's panels do, until `until` resolves; answers each one's time in ms. */
async function timeQueries(until: Promise<unknown>): Promise<number[]> {
  let stop = false
  void until.finally(() => (stop = true))
  const times: number[] = []
  const asker = async (first: number) => {
    for (let i = first; !stop; i += 2) {
      const t = performance.now()
      const res = await query(server.url, SHAPES[i % SHAPES.length]!)
      expect(res.status, JSON.stringify(res.json)).toBe(200)
      times.push(performance.now() - t)
    }
  }
  await Promise.all([asker(0), asker(1)])
  return times
}

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}/api/sites/${SITE}/sections${path}`, {
    method,
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: res.status, json: (await res.json()) as any }
}

/** Polls the relabel's status until it is no longer running; answers every `done` seen and the last status. */
async function untilFinished(): Promise<{ seen: number[]; status: any }> {
  const seen: number[] = []
  for (const deadline = Date.now() + 300_000; Date.now() < deadline; ) {
    const { json } = await call('GET', '/relabel')
    seen.push(json.relabel.done)
    if (json.relabel.state !== 'running') return { seen, status: json.relabel }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error('the relabel did not finish in 5 minutes')
}

const max = (xs: number[]) => Math.round(Math.max(...xs))
const p50 = (xs: number[]) => Math.round([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!)

describe('relabeling sections in the background', () => {
  beforeAll(async () => {
    server = await startInProcess({ dataDir, env: ENV })
    await seed(server.db, SITE, DAYS, PAGES)
  }, 300_000)
  afterAll(async () => {
    await server?.stop()
  })

  it('says beforehand from which day and about how long', async () => {
    const { status, json } = await call('GET', '')
    expect(status).toBe(200)
    expect(json).toMatchObject({ rules: [], since: null, relabel: null, next: { since: addDays(dayOf(Date.now(), 'UTC'), 1) } })
    expect(json.next.rows).toBe(DAYS * 24 * (PAGES + 10))
    expect(json.next.seconds).toBeGreaterThanOrEqual(1)
    expect(json.next.seconds).toBeLessThan(120)
    estimate = json.next.seconds
  })

  it('answers at once, refuses a second save meanwhile, reports progress to the end, and keeps queries under 2 s', async () => {
    const idle = await timeQueries(new Promise((r) => setTimeout(r, 3000)))
    const rules = [{ match: '/s1/**', section: 'One' }, { match: '/s2/p2', section: 'Two' }]
    const t = performance.now()
    const save = await call('PUT', '', { rules })
    const answeredMs = performance.now() - t
    expect(save.status, JSON.stringify(save.json)).toBe(200)
    expect(save.json).toMatchObject({ rules, since: addDays(dayOf(Date.now(), 'UTC'), 1), relabel: { state: 'running', error: null } })
    expect(save.json.relabel.total).toBeGreaterThan(10)
    const cutoffS = Date.parse(save.json.relabel.before) / 1000
    expect(cutoffS % 3600).toBe(0)

    const again = await call('PUT', '', { rules: [] })
    expect(again.status).toBe(409)
    expect(again.json.error).toMatch(/still being relabeled/)
    expect(again.json.relabel.state).toBe('running')

    const finished = untilFinished()
    const during = await timeQueries(finished)
    const { seen, status } = await finished
    const jobMs = Date.parse(status.finished_at) - Date.parse(status.started_at)
    console.log(
      `save answered in ${Math.round(answeredMs)} ms; relabel ${jobMs} ms in ${status.total} steps (estimated ${estimate} s); queries idle p50 ${p50(idle)} max ${max(idle)} ms (${idle.length}), ` +
        `during the relabel p50 ${p50(during)} max ${max(during)} ms (${during.length})`,
    )
    expect(answeredMs).toBeLessThan(2000)
    expect(status).toMatchObject({ state: 'done', error: null, pages: PAGES })
    expect(status.done).toBe(status.total)
    expect(seen.some((d) => d > 0 && d < status.total), `progress seen: ${seen}`).toBe(true)
    expect(seen).toEqual([...seen].sort((a, b) => a - b))
    expect(during.length).toBeGreaterThan(10)
    expect(max(during)).toBeLessThan(2000)

    // The same section rows as the relabel inside the request wrote; per-section visitors gone.
    expect(await storedSections(server.db, SITE, cutoffS)).toEqual(await sectionsFromPages(server.db, SITE, rules, cutoffS))
    expect(await visitorRows(server.db, SITE)).toEqual({ '': DAYS, 'event:page': DAYS * PAGES })
    const sections = await query(server.url, { metrics: ['pageviews'], date_range: '12mo', dimensions: ['event:section'] })
    expect(sections.json.results.map((r: any) => r.dimensions[0]).sort()).toEqual(['One', 'Two', 's0', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9'])
    expect((await call('POST', '/relabel')).status).toBe(409)
  }, 600_000)

  it('ends, after a stop part way and a start, as if it had run uninterrupted', async () => {
    const rules = [{ match: '/s3/**', section: 'Three' }]
    const save = await call('PUT', '', { rules })
    expect(save.status).toBe(200)
    const cutoffS = Date.parse(save.json.relabel.before) / 1000
    for (let done = 0; done < 3; done = (await call('GET', '/relabel')).json.relabel.done) await new Promise((r) => setTimeout(r, 50))
    await server.stop()
    server = await startInProcess({ dataDir, env: ENV })
    const { status } = await untilFinished()
    expect(status).toMatchObject({ state: 'done', error: null })
    expect(await storedSections(server.db, SITE, cutoffS)).toEqual(await sectionsFromPages(server.db, SITE, rules, cutoffS))
    expect((await call('GET', '')).json).toMatchObject({ rules, relabel: { state: 'done' } })
  }, 600_000)

  it('leaves history part relabeled when stopped, span by span, and a second run completes it', async () => {
    const site = 'b.lv'
    await seed(server.db, site, 40, 30)
    const rules = [{ match: '/s4/**', section: 'Four' }]
    const cutoffS = Math.floor(Date.now() / 3_600_000) * 3600
    const byHour = async (rows: Promise<Record<string, unknown>[]>) => {
      const hours = new Map<string, Record<string, unknown>[]>()
      for (const r of await rows) hours.set(r.h as string, [...(hours.get(r.h as string) ?? []), r])
      return hours
    }
    const old = await byHour(storedSections(server.db, site, cutoffS))
    const stop = new AbortController()
    const run = relabelSections(server.db, site, compileSections(rules), cutoffS, addDays(TODAY, 1), 'UTC', {
      signal: stop.signal,
      onProgress: (p) => p.done >= 1 && stop.abort(new Error('stopped by the test')),
    })
    await expect(run).rejects.toThrow(/stopped by the test/)
    const expected = await sectionsFromPages(server.db, site, rules, cutoffS)
    // Each hour holds its old sections or its new ones, never a mixture; some hours the new.
    const part = await byHour(storedSections(server.db, site, cutoffS))
    let relabeled = 0
    for (const [h, rows] of await byHour(Promise.resolve(expected))) {
      const isNew = part.get(h)?.some((r) => r.section === 'Four') ?? false
      if (isNew) relabeled++
      expect(part.get(h), h).toEqual(isNew ? rows : old.get(h))
    }
    expect(relabeled).toBeGreaterThan(0)
    expect(relabeled).toBeLessThan(part.size)
    await relabelSections(server.db, site, compileSections(rules), cutoffS, addDays(TODAY, 1), 'UTC')
    expect(await storedSections(server.db, site, cutoffS)).toEqual(expected)
  }, 300_000)
})
