import { queryRows, type Db } from '../db/client.ts'
import type { EventBuffer } from '../ingest/buffer.ts'
import { errorText, type Logger } from '../log.ts'
import type { SaltStore } from '../privacy/salts.ts'
import type { Sessions } from '../sessions/sessions.ts'
import { addDays, dayOf, isValidDay, startOfDay, type Clock } from '../time.ts'
import { CLUSTER_SETTLE_MS, coarsenCounts, dropDaySketches, rollupDay, writeDayIntegers } from './rollup.ts'

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
    if (db.cluster) return this.closeDaysOnCluster(open, now)
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
