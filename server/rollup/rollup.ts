import { queryRows, type Db } from '../db/client.ts'
import type { EventBuffer } from '../ingest/buffer.ts'
import { errorText } from '../ingest/buffer.ts'
import type { Logger } from '../log.ts'
import type { SaltStore } from '../privacy/salts.ts'
import type { Sessions } from '../sessions/sessions.ts'
import { dayOf, isValidDay, type Clock } from '../time.ts'

/**
 * Turns one closed day's unique-visitor sketches into plain integers (per day and per hour),
 * then drops the sketches. Idempotent: the integer tables replace rows with equal keys.
 */
export async function rollupDay(db: Db, day: string): Promise<void> {
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
            FROM visitor_sketches WHERE day = {day:Date}
            GROUP BY site, dimension, hour, value`,
    query_params: p,
  })
  await db.command({
    query: 'INSERT INTO rolled_days (day, rolled_at) VALUES ({day:Date}, now())',
    query_params: p,
  })
  // Partition expressions take no query parameters; `day` was checked to be YYYY-MM-DD above.
  await db.command({ query: `ALTER TABLE visitor_sketches DROP PARTITION '${day}'` })
}

/**
 * What keeps the privacy contract true over time: closes every past day (rollup, then the
 * sketches are gone), destroys salts no visit can need any more, and forgets idle visits.
 * Runs at start (catching up on any missed day) and every minute.
 */
export class Maintenance {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<MaintenanceReport> | undefined

  constructor(
    private deps: { db: Db; salts: SaltStore; buffer: EventBuffer; sessions: Sessions; clock: Clock; tz: string; log: Logger },
  ) {}

  start(intervalMs = 60_000): void {
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

  private async once(): Promise<MaintenanceReport> {
    const { db, salts, buffer, sessions, clock, tz, log } = this.deps
    const now = clock()
    const today = dayOf(now, tz)
    const report: MaintenanceReport = { rolledUp: [], saltsDestroyed: [], visitsForgotten: 0 }
    try {
      const open = await queryRows<{ d: string }>(
        db,
        'SELECT DISTINCT toString(day) AS d FROM visitor_sketches WHERE day < {today:Date} ORDER BY d',
        { today },
      )
      if (open.length) await buffer.flush()
      for (const { d } of open) {
        await rollupDay(db, d)
        report.rolledUp.push(d)
      }
      report.saltsDestroyed = await salts.destroyExpired()
      report.visitsForgotten = sessions.sweep(now)
      if (report.rolledUp.length || report.saltsDestroyed.length) log.info(report, 'daily maintenance')
    } catch (err) {
      log.error({ err: errorText(err) }, 'daily maintenance failed; retrying next minute')
      throw err
    }
    return report
  }
}

export interface MaintenanceReport {
  rolledUp: string[]
  saltsDestroyed: string[]
  visitsForgotten: number
}
