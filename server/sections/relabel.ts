import { setTimeout as sleep } from 'node:timers/promises'
import { queryRows, type Db } from '../db/client.ts'
import { storedTable } from '../db/cluster.ts'
import type { SectionOf } from './rules.ts'
import { SUMS } from '../vocabulary/metrics.ts'

/**
 * Relabels the history of a site's sections after its rules changed, where the data allows
 * it: every complete hour before `cutoff` gets its section rows rebuilt from its page rows,
 * which carry every additive page metric (pageviews, events, entries, exits, bounces,
 * engaged time, scroll). Visits and unique visitors per section cannot be rebuilt from pages
 * (a visit or visitor seen on two pages of one section would count twice), so the old ones
 * are removed and the API refuses them for the relabeled days.
 *
 * It runs beside the dashboard, on an engine that answers one statement at a time (chdb): a
 * year of a 200-page site as one `ALTER … DELETE` with `mutations_sync` and three more held
 * the engine 13 s, and a dashboard query asked meanwhile waited 9.8 s. So the work is cut into
 * short statements, each followed by a pause as long as it took (a Pacer), and nothing waits
 * inside the engine:
 *
 * - counts: spans of hours of at most ROWS_PER_STATEMENT page and section rows, never across
 *   a month (one partition, so one part: a span's statement is written whole or not at all).
 *   Each span is one INSERT of the negated section rows it holds (counts_hourly is a
 *   SummingMergeTree: they cancel the old labels exactly, as the rollup's coarsenCounts does)
 *   and of its pages' sums under their new sections; rows where the two cancel are not
 *   written. A span with more than PAGES_PER_STATEMENT pages adds the rest in more INSERTs.
 * - visitors: one `ALTER … DELETE IN PARTITION` per month holding per-section visitors before
 *   the first new day, sent without waiting (mutations_sync 0): the engine rewrites the parts
 *   in the background, outside the one-statement-at-a-time lock, and we ask system.mutations
 *   between the counts' statements when it is done. On a cluster the statements wait for
 *   every replica, as storedTable says: a server runs other queries beside them.
 *
 * Every step rebuilds from the page rows as they are when it runs, so the whole is idempotent:
 * run again after a failure or a restart, it ends as one uninterrupted run would.
 */
export async function relabelSections(
  db: Db,
  site: string,
  sectionOf: SectionOf,
  cutoffS: number,
  firstNewDay: string,
  tz: string,
  run: RelabelRun = {},
): Promise<{ pages: number }> {
  const plan = run.plan ?? (await planRelabel(db, site, cutoffS, firstNewDay, tz))
  const pace = run.pacer ?? new Pacer()
  const signal = run.signal
  const pages = new Set<string>()
  let spansDone = 0
  let mutationsDone = 0
  const report = () => run.onProgress?.({ done: spansDone + mutationsDone, total: stepsOf(plan), pages: pages.size })
  let submitted = 0
  for (const part of plan.visitorPartitions) {
    signal?.throwIfAborted()
    await pace.run(() => dropSectionVisitors(db, site, part, firstNewDay, tz))
    submitted++
  }
  const checkMutations = async () => {
    const pending = await pace.run(() => sectionVisitorDeletesPending(db, site, plan.visitorPartitions))
    mutationsDone = Math.max(0, submitted - pending)
    report()
    return pending
  }
  for (const span of plan.spans) {
    signal?.throwIfAborted()
    for (const page of await relabelSpan(db, site, sectionOf, span, pace, signal)) pages.add(page)
    spansDone++
    if (mutationsDone < submitted) await checkMutations()
    else report()
  }
  while (submitted && (await checkMutations()) > 0) {
    signal?.throwIfAborted()
    await sleep(MUTATION_POLL_MS, undefined, { signal })
  }
  report()
  return { pages: pages.size }
}

/** What a relabel runner may pass in: the plan if made already, a shared Pacer, progress, a stop. */
export interface RelabelRun {
  plan?: RelabelPlan
  pacer?: Pacer
  signal?: AbortSignal
  onProgress?: (p: { done: number; total: number; pages: number }) => void
}

/** Hours `from` ≤ hour < `to` (Unix seconds) of one month, and the page and section rows in them. */
export interface HourSpan {
  from: number
  to: number
  rows: number
}

/** A month (partition ID YYYYMM) of a visitors table with per-section rows to delete. */
export interface VisitorPartition {
  table: (typeof VISITOR_TABLES)[number]['table']
  partition: string
}

export interface RelabelPlan {
  spans: HourSpan[]
  visitorPartitions: VisitorPartition[]
  /** the page and section rows of counts_hourly the spans read */
  rows: number
}

/**
 * Rows of counts_hourly one statement reads at most (a single hour may hold more: its pages
 * are then cut by PAGES_PER_STATEMENT). A span of 150,000 took 60–160 ms on a two-core machine.
 */
const ROWS_PER_STATEMENT = 100_000
/** Pages mapped to sections in one statement, passed as two arrays of parameters. */
const PAGES_PER_STATEMENT = 2_000
const MUTATION_POLL_MS = 200

/** The statements a relabel will run, from the hours holding the site's page and section rows. */
export async function planRelabel(db: Db, site: string, cutoffS: number, firstNewDay: string, tz: string): Promise<RelabelPlan> {
  const hours = await queryRows<{ h: number; rows: number }>(
    db,
    `SELECT toUnixTimestamp(hour) AS h, count() AS rows FROM counts_hourly
     WHERE site = {site:String} AND dimension IN ('event:page', 'event:section') AND hour < toDateTime({cutoff:UInt32})
     GROUP BY h ORDER BY h`,
    { site, cutoff: cutoffS },
  )
  const spans: HourSpan[] = []
  let span: HourSpan | undefined
  for (const h of hours) {
    const hour = Number(h.h)
    const rows = Number(h.rows)
    if (!span || monthOf(span.from) !== monthOf(hour) || span.rows + rows > ROWS_PER_STATEMENT) {
      span = { from: hour, to: hour + 3600, rows: 0 }
      spans.push(span)
    }
    span.to = hour + 3600
    span.rows += rows
  }
  const visitorPartitions: VisitorPartition[] = []
  for (const { table, day } of VISITOR_TABLES) {
    const found = await queryRows<{ partition: string }>(
      db,
      // The table and column come from the fixed list below.
      `SELECT DISTINCT toString(toYYYYMM(${day === 'day' ? 'day' : 'hour'})) AS partition FROM ${table}
       WHERE site = {site:String} AND dimension = 'event:section' AND ${day} < {day:Date} ORDER BY partition`,
      { site, day: firstNewDay, tz },
    )
    for (const { partition } of found) if (/^\d{6}$/.test(partition)) visitorPartitions.push({ table, partition })
  }
  return { spans, visitorPartitions, rows: spans.reduce((n, s) => n + s.rows, 0) }
}

export const stepsOf = (plan: RelabelPlan): number => plan.spans.length + plan.visitorPartitions.length

/**
 * About how long a relabel takes, in seconds, its pauses included. Measured on a year of a
 * 200-page site (1.8 M rows, 25 spans, 13 months of visitors) on a shared two-core machine:
 * 7–15 s; each span about 150 ms of statements and pauses, plus 2 µs a row; the deletes of
 * visitors, which the engine runs in the background meanwhile, 5–15 s whatever their size.
 */
export function estimateSeconds(plan: RelabelPlan): number {
  const counts = plan.spans.length * 0.15 + plan.rows * 2e-6
  const visitors = plan.visitorPartitions.length ? 10 : 0
  return Math.max(1, Math.ceil(Math.max(counts, visitors)))
}

const monthOf = (s: number) => new Date(s * 1000).toISOString().slice(0, 7)

/** The sums a section gets from its pages: visits and visit duration cannot be carried (see above). */
const FROM_PAGES = SUMS.map((c) => (c === 'visits' || c === 'duration' ? `0 AS ${c}` : c)).join(', ')

/** The section rows of one span negated, and its pages' sums under their new sections; what cancels is left out. */
const REPLACE_SPAN = `INSERT INTO counts_hourly (site, dimension, hour, value, ${SUMS.join(', ')})
  SELECT {site:String}, 'event:section', hour, section, ${SUMS.map((c) => `sum(${c}) AS ${c}`).join(', ')}
  FROM (
    SELECT hour, value AS section, ${SUMS.map((c) => `-${c} AS ${c}`).join(', ')}
    FROM counts_hourly
    WHERE site = {site:String} AND dimension = 'event:section' AND hour >= toDateTime({from:UInt32}) AND hour < toDateTime({to:UInt32})
    UNION ALL
    SELECT hour, transform(value, {pages:Array(String)}, {sections:Array(String)}, '') AS section, ${FROM_PAGES}
    FROM counts_hourly
    WHERE site = {site:String} AND dimension = 'event:page' AND hour >= toDateTime({from:UInt32}) AND hour < toDateTime({to:UInt32})
      AND value IN {pages:Array(String)}
  )
  GROUP BY hour, section
  HAVING ${SUMS.map((c) => `${c} != 0`).join(' OR ')}`

/** More pages of a span under their new sections, for a span with more than PAGES_PER_STATEMENT. */
const ADD_PAGES = `INSERT INTO counts_hourly (site, dimension, hour, value, ${SUMS.join(', ')})
  SELECT {site:String}, 'event:section', hour, transform(value, {pages:Array(String)}, {sections:Array(String)}, '') AS section,
         ${SUMS.map((c) => (c === 'visits' || c === 'duration' ? `0 AS ${c}` : `sum(${c}) AS ${c}`)).join(', ')}
  FROM counts_hourly
  WHERE site = {site:String} AND dimension = 'event:page' AND hour >= toDateTime({from:UInt32}) AND hour < toDateTime({to:UInt32})
    AND value IN {pages:Array(String)}
  GROUP BY hour, section`

/** Rebuilds one span's section rows from its pages; answers the pages it read. */
async function relabelSpan(db: Db, site: string, sectionOf: SectionOf, span: HourSpan, pace: Pacer, signal?: AbortSignal): Promise<string[]> {
  const p = { site, from: span.from, to: span.to }
  const pages = (
    await pace.run(() =>
      queryRows<{ value: string }>(
        db,
        `SELECT DISTINCT value FROM counts_hourly
         WHERE site = {site:String} AND dimension = 'event:page' AND hour >= toDateTime({from:UInt32}) AND hour < toDateTime({to:UInt32})`,
        p,
      ),
    )
  ).map((r) => r.value)
  for (let i = 0; i === 0 || i < pages.length; i += PAGES_PER_STATEMENT) {
    signal?.throwIfAborted()
    const chunk = pages.slice(i, i + PAGES_PER_STATEMENT)
    await pace.run(() => db.command({ query: i === 0 ? REPLACE_SPAN : ADD_PAGES, query_params: { ...p, pages: chunk, sections: chunk.map(sectionOf) } }))
  }
  return pages
}

const VISITOR_TABLES = [
  { table: 'visitors_daily', day: 'day' },
  { table: 'visitors_hourly', day: 'toDate(hour, {tz:String})' },
] as const

/** Sends the delete of one month's per-section visitors before `firstNewDay`; on one node it runs in the background. */
async function dropSectionVisitors(db: Db, site: string, part: VisitorPartition, firstNewDay: string, tz: string): Promise<void> {
  const { day } = VISITOR_TABLES.find((t) => t.table === part.table)!
  const stored = await storedTable(db, part.table)
  await db.command({
    // Table and column names come from the fixed list above; a partition ID takes no query
    // parameter, and this one is six digits ClickHouse gave us (planRelabel checks).
    query: `ALTER TABLE ${stored.target} DELETE IN PARTITION ${part.partition}
            WHERE site = {site:String} AND dimension = 'event:section' AND ${day} < {day:Date}`,
    query_params: { site, day: firstNewDay, tz },
    clickhouse_settings: stored.settings ?? { mutations_sync: '0' },
  })
}

/** How many deletes of per-section visitors the engine has still to run (none on a cluster: they waited). */
async function sectionVisitorDeletesPending(db: Db, site: string, parts: VisitorPartition[]): Promise<number> {
  if (db.cluster) return 0
  const [row] = await queryRows<{ n: number; failure: string }>(
    db,
    `SELECT count() AS n, max(latest_fail_reason) AS failure FROM system.mutations
     WHERE database = currentDatabase() AND table IN {tables:Array(String)} AND NOT is_done
       AND position(command, 'DELETE IN PARTITION') > 0 AND position(command, 'event:section') > 0
       AND position(command, {quoted:String}) > 0`,
    { tables: [...new Set(parts.map((p) => p.table))], quoted: `'${site}'` },
  )
  if (row?.failure) throw new Error(`deleting per-section visitors failed: ${row.failure}`)
  return Math.min(Number(row?.n ?? 0), parts.length)
}

/**
 * Lets other queries through between a background job's statements: each statement waits for
 * the previous one's pause, and is followed by a pause as long as it took (MIN_PAUSE_MS at
 * least), so the job holds the engine at most half the time and a dashboard's query waits at
 * most one short statement. One Pacer shared by every job keeps that true for all of them.
 */
export class Pacer {
  static readonly MIN_PAUSE_MS = 50
  private free: Promise<void> = Promise.resolve()

  run<T>(work: () => Promise<T>): Promise<T> {
    const turn = this.free.then(async () => {
      const start = performance.now()
      try {
        return await work()
      } finally {
        await sleep(Math.max(Pacer.MIN_PAUSE_MS, performance.now() - start))
      }
    })
    this.free = turn.then(
      () => undefined,
      () => undefined,
    )
    return turn
  }
}
