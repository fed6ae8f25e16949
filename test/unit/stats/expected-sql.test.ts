// The SQL the Stats API sends ClickHouse for typical requests, checked in beside this file
// (expected-sql/*.sql) so that a reader can see it and a change to it shows in review. Each
// request goes through the real schema, date range and planner, and the queries run.ts would
// ask are built by queries.ts; only the clock and what system.parts would list are fixed here.
// UPDATE_EXPECTED_SQL=1 rewrites the files instead of comparing (expected-sql/README.md).
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { resolveDateRange } from '../../../server/stats/date-range.ts'
import { plan, type Plan } from '../../../server/stats/plan.ts'
import { leadingValues, unionQuery, uniquesQuery, type BuiltQuery, type KnownVisitors } from '../../../server/stats/queries.ts'
import { queryRequest } from '../../../server/stats/request.ts'
import { visitorStorageOf, type VisitorPart, type VisitorStorage } from '../../../server/stats/visitor-pieces.ts'

const DIR = path.join(import.meta.dirname, 'expected-sql')
const UPDATE = process.env.UPDATE_EXPECTED_SQL === '1'

/** A Sunday morning: 12:00 in Riga (UTC+2 in November), 10:00 in UTC. */
const NOW = '2026-11-22T10:00:00Z'
const SITE = { domain: 'example.lv', settings: { sections: [] } }
const SITE_CREATED = Date.parse('2024-03-04T00:00:00Z')

/**
 * The parts of the visitors' tables as system.parts would list them on one node
 * (VISITOR_PARTS_SQL): each month of `visitors_daily` up to October merged into one part,
 * November's days rolled up one by one, 2026-11-20 twice (the rollup ran again after a
 * restart, before a merge), so November is read with FINAL; today (2026-11-22) in the sketches.
 */
const daily = (lo: string, hi: string): VisitorPart => ({ table: 'visitors_daily', month: `${lo.slice(0, 7)}-01`, lo, hi })
const PARTS: VisitorPart[] = [
  ...Array.from({ length: 11 }, (_, i) => {
    const first = new Date(Date.UTC(2025, 11 + i, 1)).toISOString().slice(0, 10)
    const last = new Date(Date.UTC(2025, 12 + i, 0)).toISOString().slice(0, 10)
    return daily(first, last)
  }),
  daily('2026-11-01', '2026-11-19'),
  daily('2026-11-20', '2026-11-20'),
  daily('2026-11-20', '2026-11-20'),
  daily('2026-11-21', '2026-11-21'),
  { table: 'visitor_sketches', month: '2026-11-01', lo: '2026-11-22', hi: '2026-11-22' },
]

interface Case {
  /** the file's name, without .sql */
  name: string
  title: string
  tz: string
  body: Record<string, unknown>
  /** for a breakdown answered in two steps: what the first step found */
  known?: KnownVisitors
}

const TOP_METRICS = ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration', 'time_on_page']

const CASES: Case[] = [
  {
    name: 'overview-30d',
    title: "The dashboard's 30-day overview: the site total by day, with the top metrics.",
    tz: 'Europe/Riga',
    body: { metrics: TOP_METRICS, date_range: '30d', dimensions: ['time:day'], include: { time_labels: true } },
  },
  {
    name: 'top-pages-30d',
    title: 'The top pages of 30 days by visitors: the leading pages by visitors, then the counts of those pages alone.',
    tz: 'Europe/Riga',
    body: { metrics: ['visitors', 'pageviews', 'time_on_page', 'scroll_depth'], date_range: '30d', dimensions: ['event:page'], pagination: { limit: 9, offset: 0 } },
    known: {
      values: ['/', '/blog/', '/pricing', '/docs/', '/blog/clickhouse-aggregates', '/about', '/docs/install', '/contact', '/blog/privacy'],
      visitors: [4210, 1980, 1204, 987, 640, 512, 433, 310, 296],
    },
  },
  {
    name: 'sources-one-source-30d-utc',
    title: 'The sources list of 30 days filtered to one source, on an instance that reports in UTC.',
    tz: 'UTC',
    body: {
      metrics: ['visitors', 'visits', 'bounce_rate'],
      date_range: '30d',
      dimensions: ['visit:source'],
      filters: [['is', 'visit:source', ['Google']]],
      pagination: { limit: 9, offset: 0 },
    },
  },
  {
    name: 'isps-12mo',
    title: 'The ISPs of 12 months: whole months, weeks and days from their sums, the hours at the edges.',
    tz: 'Europe/Riga',
    body: { metrics: ['visitors', 'visits', 'visit_duration'], date_range: '12mo', dimensions: ['visit:isp'], pagination: { limit: 9, offset: 0 } },
  },
  {
    name: 'today-by-hour',
    title: "Today by hour: the site total's chart.",
    tz: 'Europe/Riga',
    body: { metrics: ['visitors', 'visits', 'pageviews'], date_range: 'day', dimensions: ['time:hour'], include: { time_labels: true } },
  },
]

interface Step {
  call: string
  query: BuiltQuery
}

/** The queries answerRows (run.ts) asks for a plan, in order, the first step's answer being `known`. */
function queriesAsRun(p: Plan, c: Case, storage: VisitorStorage): Step[] {
  const tz = `'${c.tz}'`
  if (!p.metrics.includes('visitors')) {
    return [{ call: `unionQuery(plan, ${tz}, no visitors)`, query: unionQuery(p, c.tz, { cleanMonths: new Set(), sketches: false }) }]
  }
  const leading = leadingValues(p)
  if (leading === undefined) return [{ call: `unionQuery(plan, ${tz}, storage)`, query: unionQuery(p, c.tz, storage) }]
  if (!c.known || c.known.values.length !== leading) throw new Error(`${c.name}: two steps, and the first one's ${leading} values are needed`)
  return [
    { call: `uniquesQuery(plan, ${tz}, storage, ${leading})`, query: uniquesQuery(p, c.tz, storage, leading) },
    { call: `unionQuery(plan, ${tz}, storage, known: the first step's answer)`, query: unionQuery(p, c.tz, storage, c.known) },
  ]
}

/** A parameter as it is bound; instants (UTC seconds) also as dates, for the reader. */
function param(name: string, value: unknown): string {
  const instant = typeof value === 'number' && value >= 1e9 ? `  -- ${new Date(value * 1000).toISOString().replace('.000Z', 'Z')}` : ''
  return `--   ${name}: ${JSON.stringify(value)}${instant}`
}

/** A case's plan, as the route makes it at NOW. */
function planOf(c: Case): Plan {
  const req = queryRequest.parse({ site_id: SITE.domain, ...c.body })
  const range = resolveDateRange(req.date_range, Date.parse(NOW), c.tz, SITE_CREATED)
  if ('error' in range) throw new Error(range.error)
  return plan(req, SITE, range)
}

/** The file for a case: what was asked, and each query with its parameters. */
function render(c: Case): string {
  const p = planOf(c)
  const { range } = p
  const storage = visitorStorageOf(PARTS, range.from, range.to)
  const head = [
    `-- ${c.title}`,
    '-- Written by test/unit/stats/expected-sql.test.ts: UPDATE_EXPECTED_SQL=1 rewrites it.',
    `-- POST /api/v2/query ${JSON.stringify({ site_id: SITE.domain, ...c.body })}`,
    `-- time zone ${c.tz}, now ${NOW}: ${range.from} … ${range.to}`,
    `-- visitors_daily months summed without FINAL: ${[...storage.cleanMonths].join(', ') || 'none'}; sketches read: ${storage.sketches ? 'yes' : 'no'}`,
  ]
  const steps = queriesAsRun(p, c, storage).map((s, i, all) =>
    [
      '',
      `-- ${all.length > 1 ? `${i + 1}. ` : ''}${s.call}`,
      '-- params:',
      ...Object.entries(s.query.params).map(([k, v]) => param(k, v)),
      `${s.query.sql};`,
    ].join('\n'),
  )
  return `${[...head, ...steps].join('\n')}\n`
}

describe('the SQL of typical requests (test/unit/stats/expected-sql/)', () => {
  if (UPDATE) mkdirSync(DIR, { recursive: true })

  it.each(CASES.map((c) => [c.name, c] as const))('%s.sql', (name, c) => {
    const file = path.join(DIR, `${name}.sql`)
    const text = render(c)
    if (UPDATE) writeFileSync(file, text)
    else expect(text, `${file} differs: if the change is meant, UPDATE_EXPECTED_SQL=1 rewrites it`).toBe(readFileSync(file, 'utf8'))
  })

  it('holds a file for each case and no other', () => {
    const names = new Set(CASES.map((c) => `${c.name}.sql`))
    const stale = readdirSync(DIR).filter((f) => f.endsWith('.sql') && !names.has(f))
    if (UPDATE) for (const f of stale) rmSync(path.join(DIR, f))
    else expect(stale, 'files of no case here').toEqual([])
  })

  it('answers the top pages in two steps, the others in one query', () => {
    expect(CASES.map((c) => [c.name, leadingValues(planOf(c))])).toEqual([
      ['overview-30d', undefined],
      ['top-pages-30d', 9],
      ['sources-one-source-30d-utc', undefined],
      ['isps-12mo', undefined],
      ['today-by-hour', undefined],
    ])
  })
})
