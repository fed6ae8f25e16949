import type { Db } from '../server/db/client.ts'
import { queryRows } from '../server/db/client.ts'

/**
 * Synthetic aggregates for one site, written straight into the tables the rollup and the
 * materialized views fill (`counts_hourly`, `visitors_daily`, `visitors_hourly`, `rolled_days`),
 * with ClickHouse doing the work (INSERT … SELECT over numbers()), so a year takes seconds.
 *
 * Shapes: a daily cycle (quiet nights, an afternoon peak), quieter weekends, slow growth over the
 * year, a little noise; pages, sources, ISPs and most other values follow Zipf's law. Counts
 * are rounded stochastically, so the long tail shows up as sparse rows, as real traffic does.
 */
export interface SeedOptions {
  site: string
  /** the first day seeded; the last is `days` later, exclusive */
  from: string
  days: number
  pageviewsPerDay: number
  /**
   * Hours of the live day after the last seeded day, as the ingest leaves them before the
   * rollup: hourly counts and unique-visitor sketches, no daily or hourly integers (the
   * dashboard's ranges that end today read those sketches, as on a live server).
   */
  liveHours?: number
}

interface DimValue {
  dim: string
  value: string
  weight: number
  kind: 'total' | 'page' | 'visit' | 'event'
}

function zipf(n: number, s: number): number[] {
  const raw = Array.from({ length: n }, (_, i) => 1 / (i + 1) ** s)
  const sum = raw.reduce((a, b) => a + b, 0)
  return raw.map((w) => w / sum)
}

const SECTIONS = ['/', 'blog', 'veikals', 'produkti', 'par-mums', 'kontakti', 'jaunumi', 'atbalsts', 'karjera', 'cenas', 'akcijas', 'dokumenti']
const NAMED_SOURCES = ['Direct / None', 'Google', 'Facebook', 'Bing', 'inbox.lv', 'DuckDuckGo', 'Instagram', 'draugiem.lv', 'delfi.lv', 'tvnet.lv', 'LinkedIn', 'YouTube', 'ss.com', 'salidzini.lv', 'X (Twitter)', 'Yandex', 'Reddit', 'ChatGPT']
const ISPS = ['tet.lv', 'lmt.lv', 'bite.lv', 'tele2.lv', 'balticom.lv', 'baltcom.lv', 'telia.lt', 'elisa.ee', 'vodafone.de', 'telekom.de']
// Latvia first, its neighbours, then the rest of the world as a Zipf tail.
const COUNTRIES = (
  'LV LT EE DE GB US FI SE NO PL IE NL FR ES IT UA DK BE AT CH CZ IS CA AU JP IN BR PT GR RO ' +
  'HU SK SI HR BG RS BY RU KZ GE AM AZ MD TR IL AE SA EG MA ZA NG KE CN KR TW HK SG MY TH VN ' +
  'ID PH NZ MX AR CL CO PE VE UY EC BO PY CR PA DO CU GT HN SV NI JM TT PR LU MT CY AL MK BA ME ' +
  'XK LI MC AD SM VA FO GL TN DZ LY SD ET GH CI SN CM UG TZ ZW ZM AO MZ MG MU PK BD LK NP MM KH LA MN'
).split(' ')

function list(dim: string, kind: DimValue['kind'], values: string[], weights: number[], share = 1): DimValue[] {
  return values.map((value, i) => ({ dim, value, kind, weight: weights[i]! * share }))
}

function fixed(dim: string, pairs: [string, number][]): DimValue[] {
  const sum = pairs.reduce((a, [, w]) => a + w, 0)
  return pairs.map(([value, w]) => ({ dim, value, kind: 'visit' as const, weight: w / sum }))
}

/**
 * How many distinct values a dimension has grows with traffic, as on real sites: a site with
 * 1,000 pageviews a day has about 150 pages (some 120 seen in a day, 20 in an hour), one with
 * 1,000,000 about 21,000 (some 20,000 seen every day, 6,000 in an average hour); referrers,
 * sources and ISP domains grow likewise, more slowly.
 */
export function catalogue(pageviewsPerDay: number) {
  const grow = (exponent: number, min: number) => Math.max(min, Math.round(pageviewsPerDay ** exponent))
  return {
    pages: grow(0.72, 50),
    sources: grow(0.45, NAMED_SOURCES.length + 2),
    referrers: grow(0.5, 20),
    isps: grow(0.5, ISPS.length + 2),
    countries: Math.min(COUNTRIES.length, grow(0.32, 30)),
    utm: grow(0.27, 8),
  }
}

/** Every (dimension, value) a visit or a pageview lands on, with its share of the traffic. */
export function dimensionValues(pageviewsPerDay = 100_000): DimValue[] {
  const n = catalogue(pageviewsPerDay)
  const pages = Array.from({ length: n.pages }, (_, i) => (i === 0 ? '/' : `/${SECTIONS[(i % 11) + 1]}/${(i * 2654435761) % 1e6 | 0}-raksts-${i}`))
  const landing = pages.slice(0, Math.ceil(n.pages / 2))
  const sources = [...NAMED_SOURCES, ...Array.from({ length: n.sources - NAMED_SOURCES.length }, (_, i) => `partneris-${i + 1}.lv`)]
  const namedReferrers = ['google.com', 'm.facebook.com', 'facebook.com', 'bing.com', 'inbox.lv', 'duckduckgo.com', 'l.instagram.com']
  const referrers = [...namedReferrers, ...Array.from({ length: n.referrers - namedReferrers.length }, (_, i) => `www.vietne-${i + 1}.lv`)]
  const isps = [...ISPS, ...Array.from({ length: n.isps - ISPS.length }, (_, i) => `isp-${i + 1}.lv`)]
  const countries = COUNTRIES.slice(0, n.countries)
  const utm = (name: string) => list(`visit:${name}`, 'visit', Array.from({ length: n.utm }, (_, i) => `${name.slice(4)}-${i + 1}`), zipf(n.utm, 1.2), 0.15)
  return [
    { dim: '', value: '', kind: 'total', weight: 1 },
    ...list('event:page', 'page', pages, zipf(pages.length, 1.1)),
    ...list('event:section', 'page', SECTIONS, zipf(SECTIONS.length, 1.1)),
    ...list('visit:entry_page', 'visit', landing, zipf(landing.length, 1.2)),
    ...list('visit:exit_page', 'visit', landing, zipf(landing.length, 1.1)),
    ...list('visit:source', 'visit', sources, zipf(sources.length, 1.3)),
    ...list('visit:referrer', 'visit', referrers, zipf(referrers.length, 1.2), 0.55),
    ...fixed('visit:channel', [['Direct', 35], ['Organic Search', 38], ['Referral', 10], ['Organic Social', 9], ['Email', 4], ['Paid Search', 3], ['Organic Video', 0.6], ['AI Assistants', 0.4]]),
    ...['utm_source', 'utm_medium', 'utm_campaign', 'utm_content', 'utm_term'].flatMap(utm),
    ...fixed('visit:browser', [['Chrome', 55], ['Safari', 20], ['Edge', 10], ['Firefox', 8], ['Samsung Internet', 4], ['Opera', 2], ['Yandex Browser', 1]]),
    ...list('visit:browser_version', 'visit', Array.from({ length: 40 }, (_, i) => String(131 - i)), zipf(40, 1.4)),
    ...fixed('visit:os', [['Windows', 38], ['Android', 30], ['iOS', 17], ['Mac', 10], ['GNU/Linux', 4], ['Chrome OS', 1]]),
    ...list('visit:os_version', 'visit', Array.from({ length: 30 }, (_, i) => String(18 - (i % 18)) + (i >= 18 ? '.1' : '')), zipf(30, 1.3)),
    ...fixed('visit:device', [['Mobile', 52], ['Desktop', 25], ['Laptop', 19], ['Tablet', 4]]),
    { dim: 'visit:country', value: 'LV', kind: 'visit', weight: 0.72 },
    ...list('visit:country', 'visit', countries.slice(1), zipf(countries.length - 1, 1.3), 0.28),
    { dim: 'visit:isp', value: '(unknown)', kind: 'visit', weight: 0.08 },
    ...list('visit:isp', 'visit', isps, zipf(isps.length, 1.1), 0.92),
    { dim: 'event:name', value: 'pageview', kind: 'event', weight: 1 },
    ...list('event:name', 'event', ['Outbound Link: Click', 'File Download', 'Signup', 'Purchase'], [0.02, 0.008, 0.003, 0.001]),
  ]
}

/** Share of a day's traffic in each hour (UTC): quiet nights, a mid-day and evening peak. */
export function hourWeights(): number[] {
  const raw = Array.from({ length: 24 }, (_, h) => 0.08 + Math.exp(-((h - 12) ** 2) / 18) + 0.7 * Math.exp(-((h - 20) ** 2) / 6))
  const sum = raw.reduce((a, b) => a + b, 0)
  return raw.map((w) => w / sum)
}

export interface SeedResult {
  counts_hourly: number
  visitors_daily: number
  visitors_hourly: number
  pageviews: number
}

/** How many of the last days are written one at a time, as the rollup writes them (rollUpStaged). */
const ROLLED_ONE_BY_ONE = 30

const toDay = (s: number) => new Date(s * 1000).toISOString().slice(0, 10)

/** Dimensions with more values than this are the long tail (pages, sources, referrers, ISPs). */
const TAIL = 60

export async function seedYear(db: Db, o: SeedOptions): Promise<SeedResult> {
  const dims = dimensionValues(o.pageviewsPerDay)
  const perDim = new Map<string, number>()
  for (const d of dims) perDim.set(d.dim, (perDim.get(d.dim) ?? 0) + 1)
  const start = Date.parse(`${o.from}T00:00:00Z`) / 1000
  const liveFrom = start + o.days * 86_400
  const p = { site: o.site, liveFrom }
  await db.command({ query: 'DROP TABLE IF EXISTS bench_dims' })
  await db.command({ query: 'DROP TABLE IF EXISTS bench_hours' })
  await db.command({ query: 'CREATE TABLE bench_dims (dim String, value String, weight Float64, kind String, tail Bool) ENGINE = Memory' })
  await db.insert({ table: 'bench_dims', values: dims.map((d) => ({ ...d, tail: perDim.get(d.dim)! > TAIL })), format: 'JSONEachRow' })
  // Each hour's pageviews: the daily cycle, quieter weekends (Sat, Sun), +20 % over the year, ±4 % noise.
  await db.command({ query: "CREATE TABLE bench_hours (n UInt32, hour DateTime('UTC'), pv Float64) ENGINE = Memory" })
  await db.command({
    query: `INSERT INTO bench_hours
      SELECT number AS n, toDateTime({start:UInt32}, 'UTC') + number * 3600 AS hour,
        {perDay:Float64} * {hw:Array(Float64)}[toHour(hour) + 1] * if(toDayOfWeek(hour) >= 6, 0.75, 1.1)
          * (0.9 + 0.2 * number / {hours:Float64}) * (0.96 + (cityHash64(number) % 1000) / 12500) AS pv
      FROM numbers({hours:UInt32})`,
    query_params: { start, perDay: o.pageviewsPerDay, hw: hourWeights(), hours: o.days * 24 + (o.liveHours ?? 0) },
  })
  // Where the rows come from, as the rollup leaves them (migration 014): the site total hour by
  // hour; every other dimension one row per value and closed day, at the day's first hour, and
  // hour by hour in the live day only.
  const sources = [
    `(SELECT * FROM bench_hours) AS h CROSS JOIN (SELECT * FROM bench_dims WHERE dim = '') AS d`,
    `(SELECT * FROM bench_hours WHERE hour >= toDateTime({liveFrom:UInt32})) AS h CROSS JOIN (SELECT * FROM bench_dims WHERE dim != '') AS d`,
    `(SELECT n, day AS hour, pv FROM (SELECT min(n) AS n, toDateTime(toDate(hour)) AS day, sum(pv) AS pv
      FROM bench_hours WHERE hour < toDateTime({liveFrom:UInt32}) GROUP BY day)) AS h
     CROSS JOIN (SELECT * FROM bench_dims WHERE dim != '') AS d`,
  ]
  // Per (hour, value): a share of the hour's pageviews, visits (2.4 pageviews each), bounces,
  // duration, entries and exits, engaged time and scroll depth, by the kind of dimension.
  const dither = '(cityHash64(h.n, d.dim, d.value) % 10000) / 10000'
  // Large insert blocks: a few parts a month, about what merges leave of a year of inserts.
  const big = 'optimize_on_insert = 0, min_insert_block_size_rows = 5000000, min_insert_block_size_bytes = 2000000000'
  for (const from of sources) {
    await db.command({
      query: `INSERT INTO counts_hourly (site, dimension, hour, value, pageviews, visits, bounces, duration, events, entries, exits,
          engaged_n, engaged_ms, scroll_n, scroll_sum)
        SELECT {site:String} AS site, d.dim AS dimension, h.hour AS hour, d.value AS value,
          toInt64(if(d.kind = 'event', 0, floor(h.pv * d.weight + ${dither}))) AS pageviews,
          toInt64(multiIf(d.kind = 'event', 0, d.kind = 'page', floor(h.pv / 2.4 * 1.25 * d.weight + ${dither}), floor(h.pv / 2.4 * d.weight + ${dither}))) AS visits,
          toInt64(floor(visits * 0.46 + ${dither})) AS bounces,
          toInt64(if(d.kind IN ('visit', 'total'), floor(visits * 140 + ${dither}), 0)) AS duration,
          toInt64(if(d.kind = 'event', floor(h.pv * d.weight + ${dither}), floor(pageviews * 1.03 + ${dither}))) AS events,
          toInt64(if(d.kind = 'page', floor(h.pv / 2.4 * d.weight + ${dither}), 0)) AS entries,
          entries AS exits,
          toInt64(if(d.kind IN ('page', 'total'), floor(pageviews * 0.7 + ${dither}), 0)) AS engaged_n,
          engaged_n * 45000 AS engaged_ms,
          toInt64(if(d.kind IN ('page', 'total'), floor(pageviews * 0.65 + ${dither}), 0)) AS scroll_n,
          scroll_n * 55 AS scroll_sum
        FROM ${from}
        WHERE pageviews + visits + events > 0
        -- Every (site, dimension, hour, value) is written once: nothing to sum or replace on insert.
        SETTINGS ${big}`,
      query_params: p,
    })
  }
  // Unique visitors as the rollup leaves them: integers per day and per hour.
  const visitorsOf = (pv: string) =>
    `multiIf(d.kind = 'event', ${pv} * d.weight * 0.33, d.kind = 'page', ${pv} / 2.4 * 1.15 * d.weight, ${pv} / 2.4 * d.weight) * 0.86`
  // Daily unique visitors wait in a staging table: the rollup writes a day for all sites at
  // once, and rollUpStaged() does the same once every site is seeded.
  await db.command({ query: 'CREATE TABLE IF NOT EXISTS bench_visitors_daily AS visitors_daily ENGINE = MergeTree ORDER BY (day, site, dimension, value)' })
  await db.command({
    query: `INSERT INTO bench_visitors_daily (site, dimension, day, value, visitors)
      SELECT {site:String}, d.dim, day, d.value, toUInt64(floor(${visitorsOf('pv')} + (cityHash64(day, d.dim, d.value) % 10000) / 10000)) AS visitors
      FROM (SELECT toDate(hour) AS day, sum(pv) AS pv FROM bench_hours WHERE hour < toDateTime({liveFrom:UInt32}) GROUP BY day) AS h CROSS JOIN bench_dims AS d
      WHERE visitors > 0
      SETTINGS ${big}`,
    query_params: p,
  })
  // Hourly unique visitors: the site total's alone, as the rollup writes them.
  for (const from of sources.slice(0, 1)) {
    await db.command({
      query: `INSERT INTO visitors_hourly (site, dimension, hour, value, visitors)
        SELECT {site:String}, d.dim, h.hour, d.value, toUInt64(floor(${visitorsOf('h.pv')} * 1.1 + ${dither})) AS visitors
        FROM ${from}
        WHERE visitors > 0 AND h.hour < toDateTime({liveFrom:UInt32})
        SETTINGS ${big}`,
      query_params: p,
    })
  }
  // The live day's unique visitors: a sketch per hour and value, of that many visitor numbers.
  if (o.liveHours) {
    await db.command({
      query: `INSERT INTO visitor_sketches (site, day, hour, dimension, value, visitors)
        SELECT {site:String}, toDate(hour), hour, dim, value, uniqState(cityHash64(n, dim, value, k))
        FROM (
          SELECT h.n AS n, h.hour AS hour, d.dim AS dim, d.value AS value, toUInt32(floor(${visitorsOf('h.pv')} * 1.1 + ${dither})) AS visitors
          FROM (SELECT * FROM bench_hours WHERE hour >= toDateTime({liveFrom:UInt32})) AS h CROSS JOIN bench_dims AS d
        )
        ARRAY JOIN range(visitors) AS k
        GROUP BY hour, dim, value`,
      query_params: p,
    })
  }
  await db.command({
    query: `INSERT INTO rolled_days (day, rolled_at) SELECT toDate({start:UInt32}) + number, now() FROM numbers({days:UInt32})`,
    query_params: { start, days: o.days },
  })
  await db.command({ query: 'DROP TABLE bench_dims' })
  await db.command({ query: 'DROP TABLE bench_hours' })
  return countRows(db, o.site)
}

/**
 * Writes the staged daily unique visitors of every seeded site as the rollup leaves them: the
 * last `ROLLED_ONE_BY_ONE` days one insert a day (all sites together), each earlier month in
 * one insert, as merges would have joined its days.
 */
export async function rollUpStaged(db: Db): Promise<void> {
  const [staged] = await queryRows<{ n: number }>(db, "SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name = 'bench_visitors_daily'")
  if (!Number(staged!.n)) return
  const [range] = await queryRows<{ first: string; last: string }>(db, 'SELECT toString(min(day)) AS first, toString(max(day)) AS last FROM bench_visitors_daily')
  if (!range || range.first === '1970-01-01') return
  const oneByOne = toDay(Date.parse(`${range.last}T00:00:00Z`) / 1000 - (ROLLED_ONE_BY_ONE - 1) * 86_400)
  // One block, so one part, per insert: a month's part covers its days once, as a merge's would.
  const move = (where: string, params: Record<string, unknown>) =>
    db.command({
      query: `INSERT INTO visitors_daily (site, dimension, day, value, visitors)
        SELECT site, dimension, day, value, visitors FROM bench_visitors_daily WHERE ${where}
        SETTINGS max_threads = 1, max_insert_threads = 1, min_insert_block_size_rows = 10000000, min_insert_block_size_bytes = 4000000000,
          max_block_size = 10000000, preferred_block_size_bytes = 4000000000`,
      query_params: params,
    })
  const months = await queryRows<{ m: string }>(
    db,
    'SELECT DISTINCT toString(toStartOfMonth(day)) AS m FROM bench_visitors_daily WHERE day < {d:Date} ORDER BY m',
    { d: oneByOne },
  )
  for (const { m } of months) await move('toStartOfMonth(day) = {m:Date} AND day < {d:Date}', { m, d: oneByOne })
  for (let d = oneByOne; d <= range.last; d = toDay(Date.parse(`${d}T00:00:00Z`) / 1000 + 86_400)) await move('day = {d:Date}', { d })
  await db.command({ query: 'DROP TABLE bench_visitors_daily' })
}

/** What a site holds in the aggregate tables. */
export async function countRows(db: Db, site: string): Promise<SeedResult> {
  const o = { site }
  const count = async (table: string) =>
    Number((await queryRows<{ n: number }>(db, `SELECT count() AS n FROM ${table} WHERE site = {site:String}`, { site: o.site }))[0]!.n)
  const pv = await queryRows<{ n: number }>(db, "SELECT sum(pageviews) AS n FROM counts_hourly WHERE site = {site:String} AND dimension = ''", { site: o.site })
  return {
    counts_hourly: await count('counts_hourly'),
    visitors_daily: await count('visitors_daily'),
    visitors_hourly: await count('visitors_hourly'),
    pageviews: Number(pv[0]!.n),
  }
}
