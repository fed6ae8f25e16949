import { num, queryRows, type Db } from '../server/db/client.ts'
import { compileGoals, type Goal } from '../server/goals/goals.ts'
import * as model from './storage-model.ts'

/**
 * Goals in bench/storage.ts ("the storage bench reports the bytes goals add per million
 * pageviews"): the goals the benchmark's site declares, the rows Skaits writes for them
 * (sessions.ts `complete`) derived in SQL from the same events as every other row, and the
 * bytes those rows take once copied apart.
 *
 * Five goals, as a shop or a news site would declare them: three custom-event goals on events the
 * model sends (Purchase with EUR revenue, Signup, File Download: together about 1.35 % of pageviews
 * carry one) and two page goals (the most-visited contacts page, and a glob over ten
 * promotion pages: about 2.6 % and 1 % of pageviews). No goal counts revenue in another currency, so
 * the `goal:<id>|revenue:currency` rows are not exercised.
 */
export function storageGoals(since: number): Goal[] {
  const paths = model.pagePaths()
  return [
    { id: 1, name: model.REVENUE.event, event: model.REVENUE.event, currency: model.REVENUE.currency, since },
    { id: 2, name: 'Signup', event: 'Signup', since },
    { id: 3, name: 'File Download', event: 'File Download', since },
    { id: 4, name: 'Kontakti', page: paths[4]!, since },
    { id: 5, name: 'Akcijas', page: '/akcijas/raksts-2*', since },
  ]
}

/**
 * The goals as lookups the SQL reads, made by the real matcher (server/goals/goals.ts): the
 * goals each page rank completes, and those each custom event name completes.
 */
export function goalParams(goals: Goal[]): Record<string, unknown> {
  const matcher = compileGoals(goals)
  const names = [...new Set(goals.flatMap((g) => (g.event === undefined ? [] : [g.event])))]
  return {
    goalPages: model.pagePaths().map((p) => matcher.pageview(p).map((g) => g.id)),
    goalEventNames: names,
    goalEventIds: names.map((n) => matcher.custom(n).map((g) => g.id)),
    revenueGoals: goals.filter((g) => g.currency === model.REVENUE.currency).map((g) => g.id),
  }
}

/** A row of a goal's tallies: the goal's own (`event:goal`) or the goal by one dimension. */
export const IS_GOAL_ROW = "(dimension = 'event:goal' OR startsWith(dimension, 'goal:'))"

/**
 * One row per goal an event of `bench_events` completes, with whether it is the visit's first
 * completion of that goal (`conv`, a conversion) and the revenue counted in the goal's currency
 * (`paid`, `revenue` in minor units). Then the same with the visit's dimensions alongside
 * (`bench_goal_hits`), joined once for the few visits that complete a goal.
 */
export const goalHitsCreate = (visits: string): string[] => [
  `CREATE TABLE bench_goal_events ENGINE = Memory AS
SELECT vid, visitor, hour, goal, P, E,
  toInt64(at = min(at) OVER (PARTITION BY vid, goal)) AS conv,
  has({revenueGoals:Array(UInt32)}, goal) AND kind = 1 AND cn = '${model.REVENUE.event}' AS paid,
  toInt64(if(paid, ${model.REVENUE.minor}, 0)) AS revenue
FROM bench_events
ARRAY JOIN if(kind = 0, {goalPages:Array(Array(UInt32))}[P + 1],
  {goalEventIds:Array(Array(UInt32))}[indexOf({goalEventNames:Array(String)}, cn)]) AS goal
WHERE kind != 2`,
  `CREATE TABLE bench_goal_hits ENGINE = Memory AS
SELECT * FROM bench_goal_events
INNER JOIN (
  SELECT vid, ${model.VISIT_DIMS.map(([, c]) => c).join(', ')} FROM ${visits} WHERE vid IN (SELECT vid FROM bench_goal_events)
) AS v USING vid`,
]

/**
 * Where each completion counts: the goal's own row, and the goal by the page, section and entry
 * page and by each of the visit's dimensions (never two together), as (dimension, value
 * expression, key to group by). Keyed by the LowCardinality columns themselves, as the visit
 * cells of storage-model.ts are: grouping by one string built per completion and dimension took
 * 1.5–2.3 times as long (0.9–2.5 s against 0.6–1.4 s for a third of the month's visitors, the
 * same rows, on a busy machine).
 */
const GOAL_CELLS: [string, string, string][] = [
  ['', 'toString(goal)', "''"],
  ['event:page', model.pageOf('P'), 'P'],
  ['event:section', model.sectionOfId('sid'), `${model.sectionId('P')} AS sid`],
  ['visit:entry_page', model.pageOf('E'), 'E'],
  ...model.VISIT_DIMS.map(([d, c]): [string, string, string] => [d, `toString(${c})`, c]),
]

/**
 * Each completion counts conversions in `visits` (the visit's first of the goal), completions
 * in `events`, revenue and how many amounts, and the visitor in the hour's sketch; summed per
 * (dimension, hour, value) once, then written to counts_hourly and visitor_sketches.
 */
export const GOAL_ROWS_CREATE = `
CREATE TABLE bench_goal_rows ENGINE = Memory AS
${GOAL_CELLS.map(
  ([dim, value, key]) => `SELECT ${dim ? `concat('goal:', toString(goal), '|${dim}')` : "'event:goal'"} AS dimension, hour, ${value} AS value,
  sum(conv) AS visits, toInt64(count()) AS events, sum(revenue) AS revenue, toInt64(countIf(paid)) AS revenue_n, uniqState(visitor) AS visitors
FROM bench_goal_hits ${model.VISIT_DIMS.some(([, c]) => c === key) ? `WHERE ${key} != ''` : ''} GROUP BY goal, hour, ${key}`,
).join('\nUNION ALL\n')}`

export const GOAL_ROWS_INSERTS = [
  `INSERT INTO counts_hourly (site, dimension, hour, value, visits, events, revenue, revenue_n)
   SELECT {site:String}, dimension, hour, value, visits, events, revenue, revenue_n FROM bench_goal_rows ${model.ONE_BLOCK}`,
  `INSERT INTO visitor_sketches (site, day, hour, dimension, value, visitors)
   SELECT {site:String}, toDate(hour), hour, dimension, value, visitors FROM bench_goal_rows ${model.ONE_BLOCK}`,
]

export const GOAL_WORK_TABLES = ['bench_goal_events', 'bench_goal_hits', 'bench_goal_rows']

/** The tables whose goal rows outlive the day (today's sketches are measured apart, as for every row). */
const MEASURED = ['counts_hourly', 'visitors_daily', 'visitors_hourly']

export interface GoalStorage {
  declared: number
  /** visits that completed a goal, counted once per goal (the `event:goal` rows' visits) */
  conversions: number
  completions: number
  /** in the revenue goal's currency, minor units */
  revenue: number
  rows: Record<string, number>
  bytes: Record<string, number>
  totalBytes: number
}

/**
 * The bytes of the goal rows alone: copied into tables made `AS` the real ones (columns, codecs,
 * projections, ORDER BY, partitions), one part per partition as after OPTIMIZE FINAL. Their
 * rows sort together in the real tables too (by dimension first, after the site), so the copy
 * compresses as they do there.
 */
export async function measureGoalRows(db: Db, declared: number): Promise<GoalStorage> {
  const rows: Record<string, number> = {}
  const bytes: Record<string, number> = {}
  for (const table of MEASURED) {
    const copy = `bench_goals_${table}`
    await db.command({ query: `DROP TABLE IF EXISTS ${copy}` })
    await db.command({ query: `CREATE TABLE ${copy} AS ${table}` })
    await db.command({ query: `INSERT INTO ${copy} SELECT * FROM ${table} WHERE ${IS_GOAL_ROW} ${model.ONE_BLOCK}` })
    await db.command({ query: `OPTIMIZE TABLE ${copy} FINAL` })
    const [size] = await queryRows<{ rows: number; bytes: number }>(
      db,
      `SELECT sum(rows) AS rows, sum(bytes_on_disk) AS bytes FROM system.parts WHERE active AND database = 'default' AND table = {copy:String}`,
      { copy },
    )
    rows[table] = num(size?.rows)
    bytes[table] = num(size?.bytes)
    await db.command({ query: `DROP TABLE ${copy}` })
  }
  const [totals] = await queryRows<{ conversions: number; completions: number; revenue: number }>(
    db,
    `SELECT sum(visits) AS conversions, sum(events) AS completions, sum(revenue) AS revenue FROM counts_hourly WHERE dimension = 'event:goal'`,
  )
  return {
    declared,
    conversions: num(totals?.conversions),
    completions: num(totals?.completions),
    revenue: num(totals?.revenue),
    rows,
    bytes,
    totalBytes: Object.values(bytes).reduce((a, b) => a + b, 0),
  }
}
