import { randomUUID } from 'node:crypto'
import type { Db } from '../db/client.ts'
import type { Logger } from '../log.ts'
import type { Cell } from '../sessions/cells.ts'
import { enableInsertDeduplication } from './dedup.ts'

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
    cells.map((c) => wellFormed(c.dimension)),
    cells.map((c) => wellFormed(c.value)),
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

const LONE_SURROGATE = /\p{Cs}/u

/**
 * ClickHouse refuses a whole insert over one unpaired surrogate (JSON `"\ud800"`), and a
 * refused batch would be retried forever, blocking every event behind it. Validation refuses
 * such text; this keeps anything that slipped through from poisoning a batch.
 */
function wellFormed(s: string): string {
  return LONE_SURROGATE.test(s) ? s.replace(/\p{Cs}/gu, '\ufffd') : s
}

export interface BufferOptions {
  flushIntervalMs: number
  batchMaxEvents: number
  bufferMaxEvents: number
  /** an insert not answered by then is abandoned and resent (default 10 s) */
  insertTimeoutMs?: number
}

export interface BufferStats {
  inserted: number
  insertErrors: number
  lastFlushMs: number
}

/** Rows sent together, under one deduplication token, and resent exactly so until inserted. */
interface Batch {
  token: string
  rows: EventRow[]
}

export class InsertTimeout extends Error {
  constructor(ms: number) {
    super(`insert not answered within ${ms} ms`)
    this.name = 'InsertTimeout'
  }
}

/**
 * Holds accepted events until they are inserted, in batches bounded in size and age.
 * When the buffer is full, `hasRoom()` turns false and ingest answers 503 instead of growing.
 *
 * Exactly once: every batch carries a random `insert_deduplication_token`. A batch whose
 * insert failed or timed out is first in line and resent with the same rows and token, with
 * backoff, until an insert succeeds. Whether the lost attempt was written or not (an insert
 * can commit after the client gave up on it, or commit into one view and fail in the other),
 * ClickHouse keeps each token's blocks once in every view's target table (see dedup.ts).
 */
export class EventBuffer {
  private rows: EventRow[] = []
  /** the batch being inserted, or whose insert failed and will be resent as is */
  private current: Batch | undefined
  private timer: NodeJS.Timeout | undefined
  private flushing: Promise<void> | undefined
  private retryAt = 0
  private failures = 0
  private deduplication: 'unknown' | 'on' | 'unavailable' = 'unknown'
  readonly stats: BufferStats = { inserted: 0, insertErrors: 0, lastFlushMs: 0 }

  constructor(
    private db: Db,
    private options: BufferOptions,
    private log: Logger,
    private clock: () => number = Date.now,
    /** told each flush's seconds, or that an insert failed */
    private observe: { flush(seconds: number): void; error(): void } = { flush() {}, error() {} },
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.flush().catch(() => {}), this.options.flushIntervalMs)
    this.timer.unref()
  }

  get depth(): number {
    return this.rows.length + (this.current?.rows.length ?? 0)
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
    while (this.current || this.rows.length) {
      const batch = (this.current ??= { token: randomUUID(), rows: this.rows.splice(0, this.options.batchMaxEvents) })
      const started = performance.now()
      try {
        await this.insert(batch)
        this.current = undefined
        this.stats.inserted += batch.rows.length
        this.stats.lastFlushMs = performance.now() - started
        this.observe.flush(this.stats.lastFlushMs / 1000)
        this.failures = 0
      } catch (err) {
        this.stats.insertErrors++
        this.observe.error()
        this.failures++
        const backoff = Math.min(30_000, 250 * 2 ** Math.min(this.failures, 7))
        this.retryAt = this.clock() + backoff
        this.log.error({ err: errorText(err), pending: this.depth, retryInMs: backoff }, 'insert failed; events kept for retry')
        throw err
      }
    }
  }

  /** One attempt, given up after the insert timeout; the attempt itself may still land later. */
  private async insert(batch: Batch): Promise<void> {
    const ms = this.options.insertTimeoutMs ?? 10_000
    const abort = new AbortController()
    const attempt = this.send(batch, abort.signal)
    attempt.catch(() => {}) // after a timeout nobody awaits it; its failure is already handled
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abort.abort()
        reject(new InsertTimeout(ms))
      }, ms)
    })
    try {
      await Promise.race([attempt, timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  private async send(batch: Batch, signal: AbortSignal): Promise<void> {
    if (this.deduplication === 'unknown') {
      try {
        await enableInsertDeduplication(this.db, signal)
        this.deduplication = 'on'
      } catch (err) {
        this.log.warn({ err: errorText(err) }, 'could not enable insert deduplication; a retried insert may count twice')
      }
    }
    signal.throwIfAborted()
    await this.db.insert({
      // The settings go into the statement rather than `clickhouse_settings`: the embedded
      // engine applies those as session-wide SETs, and a token left on the session would
      // make later, unrelated inserts look like repeats.
      table: `events_in (${COLUMNS.join(', ')}) SETTINGS insert_deduplicate = 1, deduplicate_blocks_in_dependent_materialized_views = 1, insert_deduplication_token = '${batch.token}'`,
      values: batch.rows,
      format: 'JSONCompactEachRow',
      abort_signal: signal,
    })
    // Deduplication could not be enabled although ClickHouse answers: not a passing fault.
    if (this.deduplication === 'unknown') this.deduplication = 'unavailable'
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
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
  // ClickHouse's parse errors quote the rejected input, and an event row holds the day's
  // visitor hash: a log line must not keep it after its salt is gone.
  return text
    .replace(/before: '[\s\S]*?'(?=: |$)/g, "before: '…'")
    .replace(/\d{12,}/g, '…')
    .slice(0, 500)
}
