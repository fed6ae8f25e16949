import type { Db } from '../db/client.ts'
import { errorText, type Logger } from '../log.ts'
import { dayOf } from '../time.ts'

/** Why an event was not counted, as the filtered counts name it (docs/design.md, "Filtered"). */
export const FILTER_REASONS = ['bot', 'gpc', 'spam_referrer', 'excluded_address', 'excluded_page', 'hostname', 'rate_limited'] as const
export type FilterReason = (typeof FILTER_REASONS)[number]

/**
 * The site of a count that belongs to no site: a rate-limited request is refused before its body,
 * and so its site, is read (ingest/route.ts), and counts here, for the whole instance.
 */
export const INSTANCE = ''

/**
 * Counts of events not counted, per site, day and reason: numbers only, summed in memory and
 * inserted a few times a minute (one row per site, day and reason a flush), not once per event.
 * Table filtered_counts (migration 024), a SummingMergeTree that adds the rows up.
 */
export class FilteredCounts {
  private sums = new Map<string, number>()
  private timer: NodeJS.Timeout | undefined
  private flushing: Promise<void> = Promise.resolve()

  constructor(
    private deps: { db: Db; tz: string; clock: () => number; log: Logger; flushIntervalMs: number },
  ) {}

  /** One event of `site` (or INSTANCE) not counted for `reason`, on today's date. */
  add(site: string, reason: FilterReason, n = 1): void {
    const key = `${site}\u0000${dayOf(this.deps.clock(), this.deps.tz)}\u0000${reason}`
    this.sums.set(key, (this.sums.get(key) ?? 0) + n)
  }

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.deps.flushIntervalMs)
    this.timer.unref()
  }

  /** Inserts what was summed so far; a failed insert keeps its sums for the next flush. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.insert())
    return this.flushing
  }

  private async insert(): Promise<void> {
    if (!this.sums.size) return
    const sums = this.sums
    this.sums = new Map()
    const values = [...sums].map(([key, n]) => {
      const [site, day, reason] = key.split('\u0000')
      return { site, day, reason, events: n }
    })
    try {
      await this.deps.db.insert({ table: 'filtered_counts', values, format: 'JSONEachRow' }, 'none')
    } catch (err) {
      for (const [key, n] of sums) this.sums.set(key, (this.sums.get(key) ?? 0) + n)
      this.deps.log.error({ err: errorText(err), rows: values.length }, 'filtered counts not inserted; kept for the next flush')
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer)
    this.timer = undefined
    await this.flush()
  }
}
