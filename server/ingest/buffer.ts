import type { Db } from '../db/client.ts'
import type { Logger } from '../log.ts'
import type { Cell } from '../sessions/cells.ts'

/** One row of `events_in`, positional, in the column order below. */
export type EventRow = [
  site: string,
  ts: number,
  day: string,
  visitor: string,
  ...cells: (string | number)[][],
]

const COLUMNS = [
  'site',
  'ts',
  'day',
  'visitor',
  'cells.dimension',
  'cells.value',
  'cells.uniq',
  'cells.pageviews',
  'cells.visits',
  'cells.bounces',
  'cells.duration',
  'cells.events',
  'cells.entries',
  'cells.exits',
  'cells.engaged_ms',
  'cells.engaged_n',
  'cells.scroll_sum',
  'cells.scroll_n',
]

export function eventRow(site: string, tsMs: number, day: string, visitor: string, cells: Cell[]): EventRow {
  return [
    site,
    Math.floor(tsMs / 1000),
    day,
    visitor,
    cells.map((c) => c.dimension),
    cells.map((c) => c.value),
    cells.map((c) => c.uniq),
    cells.map((c) => c.pageviews),
    cells.map((c) => c.visits),
    cells.map((c) => c.bounces),
    cells.map((c) => c.duration),
    cells.map((c) => c.events),
    cells.map((c) => c.entries),
    cells.map((c) => c.exits),
    cells.map((c) => c.engaged_ms),
    cells.map((c) => c.engaged_n),
    cells.map((c) => c.scroll_sum),
    cells.map((c) => c.scroll_n),
  ]
}

export interface BufferOptions {
  flushIntervalMs: number
  batchMaxEvents: number
  bufferMaxEvents: number
}

export interface BufferStats {
  inserted: number
  insertErrors: number
  lastFlushMs: number
}

/**
 * Holds accepted events until they are inserted, in batches bounded in size and age.
 * A failed insert keeps its rows (first in line) and is retried with backoff; when the
 * buffer is full, `hasRoom()` turns false and ingest answers 503 instead of growing.
 */
export class EventBuffer {
  private rows: EventRow[] = []
  private inFlight = 0
  private timer: NodeJS.Timeout | undefined
  private flushing: Promise<void> | undefined
  private retryAt = 0
  private failures = 0
  readonly stats: BufferStats = { inserted: 0, insertErrors: 0, lastFlushMs: 0 }

  constructor(
    private db: Db,
    private options: BufferOptions,
    private log: Logger,
    private clock: () => number = Date.now,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.flush().catch(() => {}), this.options.flushIntervalMs)
    this.timer.unref()
  }

  get depth(): number {
    return this.rows.length + this.inFlight
  }

  hasRoom(): boolean {
    return this.depth < this.options.bufferMaxEvents
  }

  push(row: EventRow): void {
    this.rows.push(row)
    if (this.rows.length >= this.options.batchMaxEvents && !this.flushing) void this.flush().catch(() => {})
  }

  /** Inserts what is buffered now, batch by batch; concurrent calls share one run. */
  flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => {
      this.flushing = undefined
    })
    return this.flushing
  }

  private async drain(): Promise<void> {
    if (this.clock() < this.retryAt) return
    while (this.rows.length) {
      const batch = this.rows.splice(0, this.options.batchMaxEvents)
      this.inFlight = batch.length
      const started = performance.now()
      try {
        await this.db.insert({ table: 'events_in', values: batch, format: 'JSONCompactEachRow', columns: COLUMNS as [string, ...string[]] })
        this.stats.inserted += batch.length
        this.stats.lastFlushMs = performance.now() - started
        this.failures = 0
      } catch (err) {
        this.rows.unshift(...batch)
        this.stats.insertErrors++
        this.failures++
        const backoff = Math.min(30_000, 250 * 2 ** Math.min(this.failures, 7))
        this.retryAt = this.clock() + backoff
        this.log.error({ err: errorText(err), pending: this.rows.length, retryInMs: backoff }, 'insert failed; events kept for retry')
        throw err
      } finally {
        this.inFlight = 0
      }
    }
  }

  /** Stops the timer and inserts everything left, retrying until `deadlineMs` has passed. */
  async close(deadlineMs = 15_000): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
    const giveUpAt = Date.now() + deadlineMs
    while (this.depth > 0) {
      this.retryAt = 0
      try {
        await this.flush()
      } catch {
        if (Date.now() > giveUpAt) {
          this.log.error({ lost: this.depth }, 'could not insert buffered events before shutdown')
          return
        }
        await new Promise((r) => setTimeout(r, 500))
      }
    }
  }
}

/** An error's message without anything that could carry request data. */
export function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}`.slice(0, 500) : String(err).slice(0, 500)
}
