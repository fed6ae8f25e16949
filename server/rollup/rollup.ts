import { queryRows, type Db } from '../db/client.ts'
import { clusterOf, storedTable } from '../db/cluster.ts'
import type { EventBuffer } from '../ingest/buffer.ts'
import { errorText } from '../ingest/buffer.ts'
import type { Logger } from '../log.ts'
import type { SaltStore } from '../privacy/salts.ts'
import type { Sessions } from '../sessions/sessions.ts'
import { addDays, dayOf, isValidDay, startOfDay, type Clock } from '../time.ts'

/**
 * On a cluster, how long after a day ends before it is rolled up (every ingest node must have
 * inserted its last events of the day), and how long after the rollup its sketches are dropped
 * (any node that began the same rollup meanwhile must have finished reading them).
 */
export const CLUSTER_SETTLE_MS = 5 * 60_000

/**
 * Closes one day: its unique-visitor sketches become plain integers (per day for every
 * dimension, per hour for the site total alone), its per-dimension counts are coarsened to
 * one row per value for the whole day, then the sketches are dropped. Idempotent.
 */
export async function rollupDay(db: Db, day: string, tz: string): Promise<void> {
  await writeDayIntegers(db, day, tz)
  await dropDaySketches(db, day)
}

/**
 * Writes a day's unique counts as integers, coarsens its counts, and records the day as rolled up.
 * Hours survive for the site total alone: per value, an hour of a small site often holds one
 * visit, and the same hour asked by country, browser, source and page would rebuild that visit.
 */
export async function writeDayIntegers(db: Db, day: string, tz: string): Promise<void> {
  if (!isValidDay(day)) throw new Error(`not a day: ${day}`)
  const p = { day }
  await db.command({
    query: `INSERT INTO visitors_daily (site, dimension, day, value, visitors)
            SELECT site, dimension, day, value, uniqMerge(visitors)
            FROM visitor_sketches WHERE day = {day:Date}
            GROUP BY site, dimension, day, value`,
    query_params: p,
  })
  await db.command({
    query: `INSERT INTO visitors_hourly (site, dimension, hour, value, visitors)
            SELECT site, dimension, hour, value, uniqMerge(visitors)
            FROM visitor_sketches WHERE day = {day:Date} AND dimension = ''
            GROUP BY site, dimension, hour, value`,
    query_params: p,
  })
  await coarsenCounts(db, tz, startOfDay(day, tz), startOfDay(addDays(day, 1), tz))
  await db.command({
    query: 'INSERT INTO rolled_days (day, rolled_at) VALUES ({day:Date}, now())',
    query_params: p,
  })
}

/**
 * Moves every per-dimension count between `fromMs` and `toMs` to the first hour of its day in
 * `tz`: for each stored row, the same sums negated at its own hour and added at the day's
 * start. Sums stay exact at every instant; merges of the SummingMergeTree then drop the rows
 * that sum to zero, and OPTIMIZE makes them do so at once, so no hour per value stays on disk.
 * Idempotent: a second run finds only rows that already sum to zero outside the day's start.
 */
export async function coarsenCounts(db: Db, tz: string, fromMs: number, toMs: number): Promise<void> {
  const params = { tz, from: Math.floor(fromMs / 1000), to: Math.floor(toMs / 1000) }
  const sums = COUNT_COLUMNS.map((c) => `k * ${c}`).join(', ')
  const inRange = `dimension != '' AND hour >= toDateTime({from:UInt32}) AND hour < toDateTime({to:UInt32})
            AND hour != toDateTime(toStartOfDay(hour, {tz:String}), 'UTC')`
  const [found] = await queryRows<{ n: number }>(db, `SELECT count() AS n FROM (SELECT 1 FROM counts_hourly WHERE ${inRange} LIMIT 1)`, params)
  if (!Number(found?.n)) return
  const months = await queryRows<{ m: string }>(
    db,
    `SELECT DISTINCT toString(toYYYYMM(hour)) AS m FROM counts_hourly WHERE ${inRange}`,
    params,
  )
  await db.command({
    query: `INSERT INTO counts_hourly (site, dimension, hour, value, ${COUNT_COLUMNS.join(', ')})
            SELECT site, dimension, if(k = 1, toDateTime(toStartOfDay(hour, {tz:String}), 'UTC'), hour), value, ${sums}
            FROM counts_hourly ARRAY JOIN [-1, 1] AS k
            WHERE ${inRange}`,
    query_params: params,
  })
  const counts = await storedTable(db, 'counts_hourly')
  // Partition IDs take no query parameters; `m` is a YYYYMM number ClickHouse gave us.
  for (const { m } of months) {
    if (!/^\d{6}$/.test(m)) continue
    await db.command({ query: `OPTIMIZE TABLE ${counts.target} PARTITION ${m} FINAL`, clickhouse_settings: counts.settings })
  }
}

/** The sums of counts_hourly (migration 004). */
const COUNT_COLUMNS = ['pageviews', 'visits', 'bounces', 'duration', 'events', 'entries', 'exits', 'engaged_ms', 'engaged_n', 'scroll_sum', 'scroll_n']

/** Drops a day's unique-visitor sketches (on a cluster: on every shard and replica). */
export async function dropDaySketches(db: Db, day: string): Promise<void> {
  if (!isValidDay(day)) throw new Error(`not a day: ${day}`)
  const sketches = await storedTable(db, 'visitor_sketches')
  // Partition expressions take no query parameters; `day` was checked to be YYYY-MM-DD above.
  await db.command({ query: `ALTER TABLE ${sketches.target} DROP PARTITION '${day}'`, clickhouse_settings: sketches.settings })
}

/**
 * What keeps the privacy contract true over time: closes every past day (rollup, then the
 * sketches are gone), destroys salts no visit can need any more, and forgets idle visits.
 * Runs at start (catching up on every day an outage left open, however long) and every minute.
 * Each step runs even when another fails: a failed rollup must never keep a salt alive.
 */
export class Maintenance {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<MaintenanceReport> | undefined
  private historyCoarsened = false
  /** Runs that failed since start, and the last failure's reason (for /metrics and /healthz). */
  readonly health = { failures: 0, lastError: undefined as string | undefined, daysAwaitingRollup: 0 }

  constructor(
    private deps: { db: Db; salts: SaltStore; buffer: EventBuffer; sessions: Sessions; clock: Clock; tz: string; log: Logger },
  ) {}

  start(intervalMs = 60_000): void {
    // A failure was logged with its reason by run(); the next tick retries it.
    this.timer ??= setInterval(() => void this.run().catch(() => {}), intervalMs)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
  }

  run(): Promise<MaintenanceReport> {
    this.running ??= this.once().finally(() => {
      this.running = undefined
    })
    return this.running
  }

  /**
   * The run at start: tried `attempts` times with a doubling pause, each failure logged with its
   * reason. Resolves either way, so a ClickHouse hiccup does not keep the server from starting;
   * the minute timer goes on retrying, and a day left open is only closed later, never lost.
   */
  async runAtStart(attempts = 3, firstPauseMs = 1000): Promise<MaintenanceReport | undefined> {
    for (let i = 1; ; i++) {
      try {
        return await this.run()
      } catch {
        if (i >= attempts) {
          this.deps.log.error({ attempts, err: this.health.lastError }, 'start-up maintenance failed; retrying every minute')
          return undefined
        }
        await new Promise((r) => setTimeout(r, firstPauseMs * 2 ** (i - 1)))
      }
    }
  }

  private async once(): Promise<MaintenanceReport> {
    const { salts, sessions, clock, log } = this.deps
    const now = clock()
    const report: MaintenanceReport = { rolledUp: [], saltsDestroyed: [], visitsForgotten: 0 }
    const failed: string[] = []
    const step = async (name: string, work: () => Promise<void>) => {
      try {
        await work()
      } catch (err) {
        failed.push(`${name}: ${err instanceof MaintenanceError ? err.message : errorText(err)}`)
      }
    }
    await step('rollup', async () => {
      report.rolledUp = await this.closeDays(now)
    })
    if (!this.historyCoarsened) {
      // Days closed before hours were kept for the site total alone (migration 014), once per start.
      await step('coarsen', async () => {
        await coarsenCounts(this.deps.db, this.deps.tz, 0, startOfDay(addDays(dayOf(now, this.deps.tz), -1), this.deps.tz))
        this.historyCoarsened = true
      })
    }
    await step('salts', async () => {
      report.saltsDestroyed = await salts.destroyExpired()
      const replaced = await salts.refresh()
      if (replaced.length) log.warn({ days: replaced }, 'salt replaced by the one the other ingest nodes use')
    })
    report.visitsForgotten = sessions.sweep(now)
    if (report.rolledUp.length || report.saltsDestroyed.length) log.info(report, 'daily maintenance')
    if (failed.length) {
      this.health.failures++
      this.health.lastError = failed.join('; ')
      log.error({ err: this.health.lastError, rolledUp: report.rolledUp }, 'daily maintenance failed; retrying next minute')
      throw new Error(this.health.lastError)
    }
    this.health.lastError = undefined
    return report
  }

  /** Rolls up every past day that still has sketches, oldest first; one failing day does not hold back the others. */
  private async closeDays(now: number): Promise<string[]> {
    const { db, buffer, tz, log } = this.deps
    const open = (
      await queryRows<{ d: string }>(
        db,
        'SELECT DISTINCT toString(day) AS d FROM visitor_sketches WHERE day < {today:Date} ORDER BY d',
        { today: dayOf(now, tz) },
      )
    ).map((o) => o.d)
    this.health.daysAwaitingRollup = open.length
    if (!open.length) return []
    // Events of a closed day still in memory belong in its integers.
    await buffer.flush()
    if (clusterOf(db)) return this.closeDaysOnCluster(open, now)
    const rolledUp: string[] = []
    const failures: string[] = []
    for (const d of open) {
      try {
        await rollupDay(db, d, tz)
        rolledUp.push(d)
      } catch (err) {
        log.error({ day: d, err: errorText(err) }, 'rollup of a day failed; its sketches are kept for the next try')
        failures.push(`${d} (${errorText(err)})`)
      }
    }
    this.health.daysAwaitingRollup = failures.length
    if (failures.length) throw new MaintenanceError(`rollup failed for ${failures.join(', ')}`)
    return rolledUp
  }

  /**
   * Every ingest node of a cluster runs the maintenance. A day is rolled up once all nodes can
   * have inserted its last events, by whichever node comes first (another one racing it writes
   * the same integers, which replace each other); its sketches are dropped only a while after
   * the integers exist, so no node can compute integers from half-dropped sketches.
   */
  private async closeDaysOnCluster(days: string[], now: number): Promise<string[]> {
    const { db, tz } = this.deps
    if (!days.length) return []
    const rolled = new Map(
      (
        await queryRows<{ d: string; age_s: number }>(
          db,
          `SELECT toString(day) AS d, dateDiff('second', max(rolled_at), now()) AS age_s
           FROM rolled_days WHERE day IN {days:Array(Date)} GROUP BY day`,
          { days },
        )
      ).map((r) => [r.d, Number(r.age_s) * 1000]),
    )
    const rolledUp: string[] = []
    for (const d of days) {
      const age = rolled.get(d)
      if (age === undefined && now - startOfDay(addDays(d, 1), tz) >= CLUSTER_SETTLE_MS) {
        await writeDayIntegers(db, d, tz)
        rolledUp.push(d)
      } else if (age !== undefined && age >= CLUSTER_SETTLE_MS) {
        await dropDaySketches(db, d)
      }
    }
    return rolledUp
  }
}

/** A failure whose message already names its causes. */
class MaintenanceError extends Error {}

export interface MaintenanceReport {
  rolledUp: string[]
  saltsDestroyed: string[]
  visitsForgotten: number
}
