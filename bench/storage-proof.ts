import { pino } from 'pino'
import { num, queryRows, type Db } from '../server/db/client.ts'
import { Enricher } from '../server/enrich/enricher.ts'
import { EventBuffer } from '../server/ingest/buffer.ts'
import { Ingestor } from '../server/ingest/ingestor.ts'
import { parseEvent } from '../server/ingest/schema.ts'
import { ClientAddress } from '../server/privacy/client-address.ts'
import { SaltStore } from '../server/privacy/salts.ts'
import { visitorHash } from '../server/privacy/visitor-hash.ts'
import { rollupDay } from '../server/rollup/rollup.ts'
import { Sessions } from '../server/sessions/sessions.ts'
import { Sites } from '../server/sites/sites.ts'
import { SUMS } from '../server/vocabulary/metrics.ts'
import type { Goal } from '../server/goals/goals.ts'
import * as benchGoals from './storage-goals.ts'
import * as model from './storage-model.ts'

/**
 * The equivalence proof of bench/storage.ts: a sample of the synthetic traffic goes through the
 * real Skaits pipeline (the Ingestor with its session map, salts, sites and section rules, the
 * real EventBuffer inserting into the real Null table and materialized views, then the real
 * rollup), and the same visits through the SQL derivation of storage-model.ts under another site
 * name. Every row of counts_hourly, visitors_daily, visitors_hourly and visitor_sketches must be
 * equal, the goal rows among them: the real site declares the goals of storage-goals.ts in its
 * settings (counted since the day before the sample), and purchases carry their revenue. Only
 * enrichment is skipped: a stub hands the Ingestor the visit's dimensions read from the raw
 * Plausible-style row (the same values the derivation reads), because parsing made-up
 * User-Agents, addresses and referrers back into them would test the fixture, not the counting.
 * The visitor hashes are the real ones (HMAC with the real daily salts); the derivation is given
 * the same hashes, so even the unique-count sketches must match exactly.
 */
const REAL = 'sample.lv'
const DERIVED = 'sample-sql.lv'
const SAMPLE_SITE_ID = 2
const IDLE_MS = 30 * 60_000
/** A real browser's User-Agent (made-up ones are dropped as bots); addresses tell visitors apart. */
const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'

/** The visit's dimensions, as enrichment would have fixed them, for the event being ingested. */
class PreEnriched extends Enricher {
  dims: [string, string][] = []
  constructor() {
    super(undefined, undefined)
  }
  override visitDimensions(): { dims: [string, string][] } {
    return { dims: this.dims }
  }
}

/** A documentation-range IPv6 address per (day's) visitor: distinct visitors, distinct hashes. */
function addressOf(uid: string): string {
  const hex = BigInt(uid).toString(16).padStart(16, '0')
  return `2001:db8:${hex.slice(0, 4)}:${hex.slice(4, 8)}:${hex.slice(8, 12)}:${hex.slice(12, 16)}::1`
}

export interface ProofResult {
  ok: boolean
  events: number
  visits: number
  /** how often the sample exercises each path of the session logic */
  coverage: Record<string, number>
  /** per table: rows on the real side, rows on the derived side, rows that differ (both ways) */
  tables: Record<string, Compared>
  /** the same for the goal rows alone (also among `tables`), which must exist */
  goals: Record<string, Compared>
  ms: number
}

interface Compared {
  real: number
  derived: number
  differ: number
}

export async function proveEquivalence(db: Db, o: { nowS: number; visitors: number; seed: number }): Promise<ProofResult> {
  const started = performance.now()
  const today = Math.floor(o.nowS / 86400) * 86400
  const gen: model.GenOptions = { seed: o.seed, fromS: today - 2 * 86400, days: 3, nowS: o.nowS, visitors: o.visitors }
  const params = { ...model.genParams(gen), siteId: SAMPLE_SITE_ID }
  const run = (query: string, extra: Record<string, unknown> = {}) => db.command({ query, query_params: { ...params, ...extra } })

  await run('DROP TABLE IF EXISTS bench_sample_visits')
  await run('DROP TABLE IF EXISTS bench_sample_raw')
  // The salts table's TTL (48 h, on the real clock) would drop the sample's first day's salt, which
  // the derivation needs to hash visitors as the pipeline did.
  await run('SYSTEM STOP TTL MERGES salts')
  await run(model.BENCH_VISITS_DDL('bench_sample_visits'))
  await run(`INSERT INTO bench_sample_visits ${model.GEN_VISITS_SQL}`)
  await run('CREATE TABLE bench_sample_raw AS plausible.events_v2')
  await run(model.rawEventsInsert('bench_sample_visits', 'bench_sample_raw'))

  // The real pipeline, fed the raw rows in time order.
  const events = await queryRows<{
    ts: number
    name: string
    path: string
    uid: string
    keys: string[]
    vals: string[]
    e: number
    sd: number
    minor: number
    currency: string
    dims: [string, string][]
  }>(
    db,
    `SELECT toUnixTimestamp(timestamp) AS ts, name, pathname AS path, toString(user_id) AS uid, \`meta.key\` AS keys,
       \`meta.value\` AS vals, engagement_time AS e, scroll_depth AS sd, ifNull(toInt64(revenue_source_amount * 100), 0) AS minor,
       toString(revenue_source_currency) AS currency, ${model.RAW_VISIT_DIMS} AS dims
     FROM bench_sample_raw ORDER BY timestamp, session_id`,
  )
  let now = events[0]!.ts * 1000
  const clock = () => now
  const log = pino({ level: 'silent' })
  const sites = new Sites(db)
  await sites.load()
  await sites.ensure([REAL], now)
  const goals = benchGoals.storageGoals((gen.fromS - 86400) * 1000)
  await sites.updateSettings(REAL, { sections: [], goals }, now)
  const salts = new SaltStore(db, 'UTC', clock, IDLE_MS)
  await salts.load()
  const sessions = new Sessions(IDLE_MS, 1_000_000)
  const buffer = new EventBuffer(db, { flushIntervalMs: 1000, batchMaxEvents: 5000, bufferMaxEvents: 10_000_000 }, log, clock)
  const enricher = new PreEnriched()
  const ingestor = new Ingestor({ sites, salts, sessions, buffer, respectGpc: true, clock, enricher })
  let n = 0
  for (const ev of events) {
    now = ev.ts * 1000
    const body: Record<string, unknown> = { n: ev.name, u: `https://${REAL}${ev.path}`, d: REAL }
    if (ev.keys.length) body.p = Object.fromEntries(ev.keys.map((k, i) => [k, ev.vals[i]]))
    if (ev.name === 'engagement') Object.assign(body, { e: ev.e, sd: ev.sd })
    // As Plausible's tracker sends revenue: `$`, the amount a decimal string.
    if (ev.minor) body.$ = { amount: (num(ev.minor) / 100).toFixed(2), currency: ev.currency }
    const parsed = parseEvent(body)
    if (!parsed.ok) throw new Error(`sample event refused: ${parsed.reason}`)
    enricher.dims = ev.dims
    const outcome = ingestor.ingest(parsed.event, { address: ClientAddress.fromPeer(addressOf(ev.uid)), userAgent: UA, header: () => undefined, gpc: false })
    if (outcome.status !== 'accepted') throw new Error(`sample event not accepted: ${JSON.stringify(outcome)}`)
    // The server flushes at least once a second; here every 2,000 events (a few dozen batches).
    if (++n % 2000 === 0) await buffer.flush()
  }
  await buffer.close()
  await salts.settle()

  // The same visits through the SQL derivation, with the visitor hashes the pipeline computed.
  const saltOf = new Map(
    (await queryRows<{ d: string; salt: string }>(db, 'SELECT toString(day) AS d, any(salt) AS salt FROM salts GROUP BY day')).map((r) => [r.d, Buffer.from(r.salt, 'hex')]),
  )
  const visitors = await queryRows<{ uid: string; d: string }>(
    db,
    "SELECT DISTINCT toString(uid) AS uid, toString(toDate(toDateTime(start, 'UTC'))) AS d FROM bench_sample_visits",
  )
  const uids = visitors.map((v) => BigInt(v.uid))
  const hashes = visitors.map((v) => {
    const salt = saltOf.get(v.d)
    if (!salt) throw new Error(`no salt for ${v.d}`)
    return visitorHash(salt, REAL, addressOf(v.uid), UA)
  })
  await run('DROP TABLE IF EXISTS bench_sample_hashed')
  await run(
    `CREATE TABLE bench_sample_hashed ENGINE = Memory AS
     SELECT * REPLACE (transform(uid, {uids:Array(UInt64)}, {hashes:Array(UInt64)}, toUInt64(0)) AS visitor) FROM bench_sample_visits`,
    { uids, hashes },
  )
  await run('SYSTEM START TTL MERGES salts')
  await deriveSkaits(db, 'bench_sample_hashed', DERIVED, goals)
  const coverage = await sampleCoverage(db)
  await dropWorkTables(db)

  for (const { d } of await queryRows<{ d: string }>(
    db,
    'SELECT DISTINCT toString(day) AS d FROM visitor_sketches WHERE day < {today:Date} ORDER BY d',
    { today: new Date(today * 1000).toISOString().slice(0, 10) },
  )) {
    await rollupDay(db, d, 'UTC')
  }
  for (const t of ['counts_hourly', 'visitor_sketches', 'visitors_daily', 'visitors_hourly']) await run(`OPTIMIZE TABLE ${t} FINAL`)

  const nonzero = SUMS.map((c) => `sum(${c}) != 0`).join(' OR ')
  const selects: Record<string, (site: string, where: string) => string> = {
    counts_hourly: (site, where) => `SELECT dimension, hour, value, ${SUMS.map((c) => `sum(${c})`).join(', ')} FROM counts_hourly
                 WHERE site = '${site}' AND ${where} GROUP BY dimension, hour, value HAVING ${nonzero}`,
    visitors_daily: (site, where) => `SELECT dimension, day, value, visitors FROM visitors_daily FINAL WHERE site = '${site}' AND ${where}`,
    visitors_hourly: (site, where) => `SELECT dimension, hour, value, visitors FROM visitors_hourly FINAL WHERE site = '${site}' AND ${where}`,
    visitor_sketches: (site, where) => `SELECT dimension, day, hour, value, uniqMerge(visitors) FROM visitor_sketches
                 WHERE site = '${site}' AND ${where} GROUP BY dimension, day, hour, value`,
  }
  const tables: ProofResult['tables'] = {}
  const goalTables: ProofResult['goals'] = {}
  for (const [name, select] of Object.entries(selects)) {
    tables[name] = await compare(db, (site) => select(site, '1'))
    // visitors_hourly keeps the site total alone: no goal row reaches it.
    if (name !== 'visitors_hourly') goalTables[name] = await compare(db, (site) => select(site, benchGoals.IS_GOAL_ROW))
  }
  const equal = (t: Compared) => t.differ === 0 && t.real === t.derived
  const ok =
    Object.entries(tables).every(([name, t]) => equal(t) && (t.real > 0 || name === 'visitor_sketches')) &&
    Object.entries(goalTables).every(([name, t]) => equal(t) && (t.real > 0 || name === 'visitor_sketches')) &&
    Object.values(coverage).every((n) => n > 0) &&
    coverage.goals_completed === goals.length
  await run('DROP TABLE IF EXISTS bench_sample_visits')
  await run('DROP TABLE IF EXISTS bench_sample_hashed')
  await run('DROP TABLE IF EXISTS bench_sample_raw')
  return { ok, events: events.length, visits: coverage.visits ?? 0, coverage, tables, goals: goalTables, ms: Math.round(performance.now() - started) }
}

/** Rows of each side and rows found on one side only. `select` builds the query for a site. */
async function compare(db: Db, select: (site: string) => string): Promise<Compared> {
  const [row] = await queryRows<{ real: number; derived: number; a: number; b: number }>(
    db,
    `SELECT
       (SELECT count() FROM (${select(REAL)})) AS real,
       (SELECT count() FROM (${select(DERIVED)})) AS derived,
       (SELECT count() FROM (${select(REAL)} EXCEPT DISTINCT ${select(DERIVED)})) AS a,
       (SELECT count() FROM (${select(DERIVED)} EXCEPT DISTINCT ${select(REAL)})) AS b`,
  )
  return { real: num(row!.real), derived: num(row!.derived), differ: num(row!.a) + num(row!.b) }
}

/**
 * Fills counts_hourly and visitor_sketches for the visits of `visits` the way storage-model.ts
 * derives them, and the rows of the declared `goals` the way storage-goals.ts does.
 */
export async function deriveSkaits(db: Db, visits: string, site: string, goals: Goal[], time?: (label: string, ms: number) => void): Promise<void> {
  const params = { site, sections: model.SECTIONS, pagePaths: model.pagePaths(), ...benchGoals.goalParams(goals) }
  const step = async (label: string, query: string) => {
    const t = performance.now()
    await db.command({ query, query_params: params })
    time?.(label, performance.now() - t)
  }
  await dropWorkTables(db)
  await step('events', model.BENCH_EVENTS_DDL)
  await step('events', model.benchEventsInsert(visits))
  await step('page hours', model.BENCH_PAGE_HOURS_CREATE)
  await step('visit hours', model.benchVisitHoursCreate(visits))
  await step('counts_hourly', model.skaitsCountsInsert())
  await step('visitor_sketches', model.skaitsSketchesInsert())
  for (const q of benchGoals.goalHitsCreate(visits)) await step('goal hits', q)
  await step('goal rows', benchGoals.GOAL_ROWS_CREATE)
  for (const q of benchGoals.GOAL_ROWS_INSERTS) await step('goal rows', q)
}

export async function dropWorkTables(db: Db): Promise<void> {
  for (const t of ['bench_events', 'bench_visit_hours', 'bench_page_hours', ...benchGoals.GOAL_WORK_TABLES]) {
    await db.command({ query: `DROP TABLE IF EXISTS ${t}` })
  }
}

/** How often the sample takes each path of sessions.ts; a path never taken would prove nothing. */
async function sampleCoverage(db: Db): Promise<Record<string, number>> {
  const [row] = await queryRows<Record<string, number>>(
    db,
    `SELECT
       uniqExact(vid) AS visits,
       countIf(kind = 0) AS pageviews,
       countIf(kind = 0 AND j = 1) AS visit_starts,
       countIf(kind = 0 AND j = 2) AS second_pageviews,
       countIf(kind = 1 AND ub) AS bounces_taken_back_by_custom_events,
       countIf(kind = 0 AND j >= 2 AND NOT pvFirst) AS pages_seen_again,
       countIf(kind = 0 AND j >= 2 AND P = X) AS same_page_twice_in_a_row,
       countIf(kind = 1) AS custom_events,
       countIf(kind = 1 AND ck != '') AS custom_with_props,
       countIf(kind = 2) AS engagements,
       countIf(kind = 2 AND NOT engFirst) AS engagements_again_on_a_page,
       countIf(kind = 2 AND prevMax >= 0 AND sdv > prevMax) AS deeper_scroll_later,
       countIf(kind = 2 AND prevMax = 0 AND sdv > 0) AS deeper_scroll_after_none,
       countIf(kind = 2 AND prevMax >= 0 AND sdv <= prevMax) AS shallower_scroll_later,
       (SELECT count() FROM (SELECT vid FROM bench_events GROUP BY vid HAVING uniqExact(hour) > 1)) AS visits_over_two_hours,
       (SELECT count() FROM (SELECT visitor FROM bench_events GROUP BY visitor HAVING uniqExact(vid) > 1)) AS visitors_with_two_visits,
       (SELECT count() FROM bench_goal_hits) AS goal_completions,
       (SELECT sum(conv) FROM bench_goal_hits) AS goal_conversions,
       (SELECT countIf(NOT conv) FROM bench_goal_hits) AS goal_completed_again_in_a_visit,
       (SELECT countIf(paid) FROM bench_goal_hits) AS goal_completions_with_revenue,
       (SELECT uniqExact(goal) FROM bench_goal_hits) AS goals_completed
     FROM bench_events`,
  )
  return Object.fromEntries(Object.entries(row!).map(([k, v]) => [k, num(v)]))
}
