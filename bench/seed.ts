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

function list(dim: string, kind: DimValue['kind'], values: string[], weights: number[], share = 1): DimValue[] {
  return values.map((value, i) => ({ dim, value, kind, weight: weights[i]! * share }))
}

function fixed(dim: string, pairs: [string, number][]): DimValue[] {
  const sum = pairs.reduce((a, [, w]) => a + w, 0)
  return pairs.map(([value, w]) => ({ dim, value, kind: 'visit' as const, weight: w / sum }))
}

/** Every (dimension, value) a visit or a pageview lands on, with its share of the traffic. */
export function dimensionValues(): DimValue[] {
  const pages = Array.from({ length: 1500 }, (_, i) => (i === 0 ? '/' : `/${SECTIONS[(i % 11) + 1]}/${(i * 2654435761) % 1e6 | 0}-raksts-${i}`))
  const sources = [...NAMED_SOURCES, ...Array.from({ length: 62 }, (_, i) => `partneris-${i + 1}.lv`)]
  const referrers = ['google.com', 'm.facebook.com', 'facebook.com', 'bing.com', 'inbox.lv', 'duckduckgo.com', 'l.instagram.com', ...Array.from({ length: 143 }, (_, i) => `www.vietne-${i + 1}.lv`)]
  const isps = [...ISPS, ...Array.from({ length: 290 }, (_, i) => `isp-${i + 1}.lv`)]
  const countries = ['LV', 'LT', 'EE', 'DE', 'GB', 'US', 'FI', 'SE', 'NO', 'PL', 'IE', 'NL', 'FR', 'ES', 'IT', 'UA', 'DK', 'BE', 'AT', 'CH', 'CZ', 'IS', 'CA', 'AU', 'JP', 'IN', 'BR', 'PT', 'GR', 'RO']
  const utm = (name: string) => list(`visit:${name}`, 'visit', Array.from({ length: 25 }, (_, i) => `${name.slice(4)}-${i + 1}`), zipf(25, 1.2), 0.15)
  return [
    { dim: '', value: '', kind: 'total', weight: 1 },
    ...list('event:page', 'page', pages, zipf(pages.length, 1.05)),
    ...list('event:section', 'page', SECTIONS, zipf(SECTIONS.length, 1.1)),
    ...list('visit:entry_page', 'visit', pages.slice(0, 800), zipf(800, 1.2)),
    ...list('visit:exit_page', 'visit', pages.slice(0, 800), zipf(800, 1.1)),
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

export async function seedYear(db: Db, o: SeedOptions): Promise<SeedResult> {
  const dims = dimensionValues()
  await db.command({ query: 'DROP TABLE IF EXISTS bench_dims' })
  await db.command({ query: 'DROP TABLE IF EXISTS bench_hours' })
  await db.command({ query: "CREATE TABLE bench_dims (dim String, value String, weight Float64, kind String) ENGINE = Memory" })
  await db.insert({ table: 'bench_dims', values: dims, format: 'JSONEachRow' })
  // Each hour's pageviews: the daily cycle, quieter weekends (Sat, Sun), +20 % over the year, ±4 % noise.
  await db.command({ query: 'CREATE TABLE bench_hours (n UInt32, hour DateTime(\'UTC\'), pv Float64) ENGINE = Memory' })
  await db.command({
    query: `INSERT INTO bench_hours
      SELECT number AS n, toDateTime({start:UInt32}, 'UTC') + number * 3600 AS hour,
        {perDay:Float64} * {hw:Array(Float64)}[toHour(hour) + 1] * if(toDayOfWeek(hour) >= 6, 0.75, 1.1)
          * (0.9 + 0.2 * number / {hours:Float64}) * (0.96 + (cityHash64(number) % 1000) / 12500) AS pv
      FROM numbers({hours:UInt32})`,
    query_params: { start: Date.parse(`${o.from}T00:00:00Z`) / 1000, perDay: o.pageviewsPerDay, hw: hourWeights(), hours: o.days * 24 },
  })
  // Per (hour, value): a share of the hour's pageviews, visits (2.4 pageviews each), bounces,
  // duration, entries and exits, engaged time and scroll depth, by the kind of dimension.
  const dither = '(cityHash64(h.n, d.dim, d.value) % 10000) / 10000'
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
      FROM bench_hours AS h CROSS JOIN bench_dims AS d
      WHERE pageviews + visits + events > 0
      -- Every (site, dimension, hour, value) is written once: nothing to sum or replace on insert.
      SETTINGS optimize_on_insert = 0`,
    query_params: { site: o.site },
  })
  // Unique visitors as the rollup leaves them: integers per day and per hour.
  const visitorsOf = (pv: string) =>
    `multiIf(d.kind = 'event', ${pv} * d.weight * 0.33, d.kind = 'page', ${pv} / 2.4 * 1.15 * d.weight, ${pv} / 2.4 * d.weight) * 0.86`
  await db.command({
    query: `INSERT INTO visitors_daily (site, dimension, day, value, visitors)
      SELECT {site:String}, d.dim, day, d.value, toUInt64(floor(${visitorsOf('pv')} + (cityHash64(day, d.dim, d.value) % 10000) / 10000)) AS visitors
      FROM (SELECT toDate(hour) AS day, sum(pv) AS pv FROM bench_hours GROUP BY day) AS h CROSS JOIN bench_dims AS d
      WHERE visitors > 0`,
    query_params: { site: o.site },
  })
  await db.command({
    query: `INSERT INTO visitors_hourly (site, dimension, hour, value, visitors)
      SELECT {site:String}, d.dim, h.hour, d.value, toUInt64(floor(${visitorsOf('h.pv')} * 1.1 + ${dither})) AS visitors
      FROM bench_hours AS h CROSS JOIN bench_dims AS d
      WHERE visitors > 0
      SETTINGS optimize_on_insert = 0`,
    query_params: { site: o.site },
  })
  await db.command({
    query: `INSERT INTO rolled_days (day, rolled_at) SELECT toDate({start:UInt32}) + number, now() FROM numbers({days:UInt32})`,
    query_params: { start: Date.parse(`${o.from}T00:00:00Z`) / 1000, days: o.days },
  })
  await db.command({ query: 'DROP TABLE bench_dims' })
  await db.command({ query: 'DROP TABLE bench_hours' })
  return countRows(db, o.site)
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
