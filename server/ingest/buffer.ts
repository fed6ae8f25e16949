import { randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import type { Db } from '../db/client.ts'
import { errorText, type Logger } from '../log.ts'
import { wellFormed } from '../text.ts'
import { dayOf, startOfDay } from '../time.ts'
import { INCREMENT_KEYS, type Cell, type CellSink, type Increments } from '../sessions/cells.ts'
import { enableInsertDeduplication } from './dedup.ts'

/**
 * One flush's events, summed per aggregate row: (site, hour, day, dimension, value) → the
 * increments, plus the visitor hashes that count towards the row's unique visitors. ClickHouse
 * then receives a few hundred rows a second instead of some twenty per new visit, and the sums
 * are the same: every aggregate is a plain sum (docs/design.md, "Data flow").
 */
export class Tally {
  /** (site, hour, day) → dimension → value → row */
  private scopes = new Map<string, Map<string, Map<string, Row>>>()
  private rowCount = 0
  /** each distinct visitor hash of this tally gets a small number; rows list those numbers */
  private visitorIds = new Map<string, number>()
  private visitorHashes: string[] = []
  /** events added; what backpressure and the metrics count */
  events = 0

  get size(): number {
    return this.rowCount
  }

  /**
   * Where one event's increments go: a sink bound to the event's row scope and visitor hash.
   * Valid until the next call; the event counts once.
   */
  event(site: string, tsMs: number, day: string, visitor: string): CellSink {
    const hour = Math.floor(tsMs / 3_600_000) * 3600
    const scopeKey = `${site}\u0000${hour}\u0000${day}`
    let dims = this.scopes.get(scopeKey)
    if (!dims) {
      dims = new Map()
      this.scopes.set(scopeKey, dims)
    }
    let id = this.visitorIds.get(visitor)
    if (id === undefined) {
      id = this.visitorHashes.push(visitor) - 1
      this.visitorIds.set(visitor, id)
    }
    this.events++
    const cursor = this.cursor
    cursor.site = site
    cursor.hour = hour
    cursor.day = day
    cursor.visitor = id
    cursor.dims = dims
    return cursor
  }

  /** Adds one event's cells (made elsewhere, e.g. a late ISP answer). */
  add(site: string, tsMs: number, day: string, visitor: string, cells: readonly Cell[]): void {
    const sink = this.event(site, tsMs, day, visitor)
    for (const c of cells) sink.add(c.dimension, c.value, c, c.uniq === 1)
  }

  private cursor = new (class Cursor implements CellSink {
    site = ''
    hour = 0
    day = ''
    visitor = 0
    dims = new Map<string, Map<string, Row>>()
    constructor(private tally: Tally) {}

    add(dimension: string, value: string, inc: Partial<Increments>, uniq = false): void {
      let values = this.dims.get(dimension)
      if (!values) {
        values = new Map()
        this.dims.set(dimension, values)
      }
      let row = values.get(value)
      if (!row) {
        row = { site: this.site, hour: this.hour, day: this.day, dimension, value, sums: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], visitors: undefined, last: -1 }
        values.set(value, row)
        this.tally.rowCount++
      }
      // Unrolled over INCREMENT_KEYS (the encode order): this runs some twenty times an event.
      const s = row.sums
      if (inc.pageviews) s[0]! += inc.pageviews
      if (inc.visits) s[1]! += inc.visits
      if (inc.bounces) s[2]! += inc.bounces
      if (inc.duration) s[3]! += inc.duration
      if (inc.events) s[4]! += inc.events
      if (inc.entries) s[5]! += inc.entries
      if (inc.exits) s[6]! += inc.exits
      if (inc.engaged_ms) s[7]! += inc.engaged_ms
      if (inc.engaged_n) s[8]! += inc.engaged_n
      if (inc.scroll_sum) s[9]! += inc.scroll_sum
      if (inc.scroll_n) s[10]! += inc.scroll_n
      if (inc.revenue) s[11]! += inc.revenue
      if (inc.revenue_n) s[12]! += inc.revenue_n
      // A number pushed, not a hash added to a Set: a measured 5 µs an event less. Repeats are
      // removed when the tally is encoded.
      if (uniq && row.last !== this.visitor) {
        ;(row.visitors ??= []).push(this.visitor)
        row.last = this.visitor
      }
    }
  })(this)

  /** A row's visitors as their decimal hashes, each once. */
  private hashList(visitors: number[]): string {
    const ids = Int32Array.from(visitors).sort()
    let out = this.visitorHashes[ids[0]!]!
    for (let i = 1; i < ids.length; i++) if (ids[i] !== ids[i - 1]) out += `,${this.visitorHashes[ids[i]!]}`
    return out
  }

  /**
   * Every row as it stands: its scope, sums (in INCREMENT_KEYS order) and the tally's numbers of
   * its visitors (possibly repeated; one number per distinct hash across the whole tally). For
   * imports (imports/replay.ts), which make a closed day's rows from a tally instead of sending it.
   */
  *rows(): Generator<Readonly<Pick<Row, 'site' | 'hour' | 'day' | 'dimension' | 'value' | 'sums' | 'visitors'>>> {
    for (const dims of this.scopes.values()) for (const values of dims.values()) yield* values.values()
  }

  /**
   * The rows as TabSeparated lines, in the column order of COLUMNS, with what the answer cache
   * is told of them once written: the earliest hour (Unix seconds) of any row, and each row's
   * key (site → dimension → value, as stored).
   */
  encode(): Pick<Batch, 'body' | 'earliestHour' | 'rows'> {
    let body = ''
    let earliestHour = Infinity
    const rows: WrittenRows = new Map()
    for (const dims of this.scopes.values()) {
      for (const values of dims.values()) {
        for (const r of values.values()) {
          const dimension = wellFormed(r.dimension)
          const value = wellFormed(r.value)
          body += `${tsv(r.site)}\t${r.hour}\t${r.day}\t${tsv(dimension)}\t${tsv(value)}\t${r.sums.join('\t')}\t[${r.visitors ? this.hashList(r.visitors) : ''}]\n`
          if (r.hour < earliestHour) earliestHour = r.hour
          let bySite = rows.get(r.site)
          if (!bySite) rows.set(r.site, (bySite = new Map()))
          let set = bySite.get(dimension)
          if (!set) bySite.set(dimension, (set = new Set()))
          set.add(value)
        }
      }
    }
    return { body, earliestHour, rows }
  }
}

interface Row {
  site: string
  /** Unix seconds of the UTC hour */
  hour: number
  day: string
  dimension: string
  value: string
  /** in INCREMENT_KEYS order */
  sums: number[]
  /** the tally's numbers of the visitors counted here, possibly repeated */
  visitors: number[] | undefined
  /** the last number pushed to `visitors` */
  last: number
}

const COLUMNS = ['site', 'hour', 'day', 'dimension', 'value', ...INCREMENT_KEYS, 'hashes']

const TSV_SPECIAL = /[\\\t\n\r\0\b\f]/
const TSV_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0', '\b': '\\b', '\f': '\\f' }

/** A string as a TabSeparated field. */
function tsv(s: string): string {
  return TSV_SPECIAL.test(s) ? s.replace(/[\\\t\n\r\0\b\f]/g, (ch) => TSV_ESCAPES[ch]!) : s
}


export interface BufferOptions {
  flushIntervalMs: number
  batchMaxEvents: number
  bufferMaxEvents: number
  /** an insert not answered by then is abandoned and resent (default 10 s) */
  insertTimeoutMs?: number
  /**
   * The reporting time zone: a batch whose rows are all of its current day is said to change
   * today's statistics alone (Db's StatsScope), which leaves answers about closed days kept.
   * Without it every batch may change any day.
   */
  timezone?: string
}

export interface BufferStats {
  inserted: number
  insertErrors: number
  lastFlushMs: number
}

/** A tally frozen for sending: one insert under one deduplication token, resent exactly so until inserted. */
interface Batch {
  token: string
  body: string
  events: number
  /** the earliest hour (Unix seconds) of its rows */
  earliestHour: number
  /** the keys of its rows */
  rows: WrittenRows
}

/** The rows a batch wrote: site → dimension → values (of any hour). */
export type WrittenRows = Map<string, Map<string, Set<string>>>

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
  private tally = new Tally()
  /** the batch being inserted, or whose insert failed and will be resent as is */
  private current: Batch | undefined
  private timer: NodeJS.Timeout | undefined
  private flushing: Promise<void> | undefined
  private again: Promise<void> | undefined
  private retryAt = 0
  private failures = 0
  private deduplication: 'unknown' | 'on' | 'unavailable' = 'unknown'
  readonly stats: BufferStats = { inserted: 0, insertErrors: 0, lastFlushMs: 0 }
  private readonly listeners: ((rows: WrittenRows) => void)[] = []

  constructor(
    private db: Db,
    private options: BufferOptions,
    private log: Logger,
    private clock: () => number = Date.now,
    /** told each flush's seconds, or that an insert failed */
    private observe: { flush(seconds: number): void; error(): void } = { flush() {}, error() {} },
  ) {}

  /**
   * Told the rows of each batch once it is written: what today's answers kept in memory read
   * again (stats/answer-cache.ts). A batch abandoned after its insert timed out may land
   * before its resend; it is told when the resend succeeds.
   */
  onWritten(listener: (rows: WrittenRows) => void): void {
    this.listeners.push(listener)
  }

  private tell(rows: WrittenRows): void {
    for (const listener of this.listeners) {
      try {
        listener(rows)
      } catch (err) {
        this.log.error({ err: errorText(err) }, 'a listener of written rows failed')
      }
    }
  }

  start(): void {
    this.timer ??= setInterval(() => void this.flush().catch(() => {}), this.options.flushIntervalMs)
    this.timer.unref()
  }

  get depth(): number {
    return this.tally.events + (this.current?.events ?? 0)
  }

  hasRoom(): boolean {
    return this.depth < this.options.bufferMaxEvents
  }

  /** Adds one event's cells; `visitor` is its decimal visitor hash, kept only for the sketches. */
  add(site: string, tsMs: number, day: string, visitor: string, cells: readonly Cell[]): void {
    this.added()
    this.tally.add(site, tsMs, day, visitor, cells)
  }

  /**
   * A sink for one event's increments, written straight into the tally (no cell objects on
   * the hot path). Valid until the next `event` or `add` call; the event counts at once.
   */
  event(site: string, tsMs: number, day: string, visitor: string): CellSink {
    // Checked before, not after: a flush freezes the tally at once, and this event's
    // increments are still to come.
    this.added()
    return this.tally.event(site, tsMs, day, visitor)
  }

  /** A full tally goes out without waiting for the timer. */
  private added(): void {
    if (this.tally.events >= this.options.batchMaxEvents && !this.flushing) void this.flush().catch(() => {})
  }

  /**
   * Inserts what is buffered now. A run freezes the tally when it starts, so a call during a
   * run is answered by one more run after it (shared by all such calls), which also fails
   * when the run before it did.
   */
  flush(): Promise<void> {
    if (!this.flushing) {
      this.flushing = this.drain().finally(() => {
        this.flushing = undefined
      })
      return this.flushing
    }
    this.again ??= this.flushing.then(
      () => {
        this.again = undefined
        return this.flush()
      },
      (err: unknown) => {
        this.again = undefined
        throw err
      },
    )
    return this.again
  }

  private async drain(): Promise<void> {
    if (this.clock() < this.retryAt) return
    // A failed batch first, then what was tallied until now. Events arriving meanwhile wait for
    // the next flush: fewer, larger inserts sum more in memory and make fewer parts to merge.
    let frozen = false
    while (this.current || (!frozen && this.tally.events)) {
      if (!this.current) frozen = true
      const batch = (this.current ??= this.freeze())
      const started = performance.now()
      try {
        await this.insert(batch)
        this.current = undefined
        this.tell(batch.rows)
        this.stats.inserted += batch.events
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

  /** The tally so far becomes the next batch; new events start a fresh one. */
  private freeze(): Batch {
    const tally = this.tally
    this.tally = new Tally()
    return { token: randomUUID(), events: tally.events, ...tally.encode() }
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
      table: `cells_in (${COLUMNS.join(', ')}) SETTINGS insert_deduplicate = 1, deduplicate_blocks_in_dependent_materialized_views = 1, insert_deduplication_token = '${batch.token}'`,
      values: Readable.from([batch.body], { objectMode: false }),
      format: 'TabSeparated',
      abort_signal: signal,
    }, () => this.scopeOf(batch))
    // Deduplication could not be enabled although ClickHouse answers: not a passing fault.
    if (this.deduplication === 'unknown') this.deduplication = 'unavailable'
  }

  /** Whether a batch, now that it is written, wrote only the current day (Db's StatsScope). */
  private scopeOf(batch: Batch): 'today' | 'all' {
    const tz = this.options.timezone
    if (!tz) return 'all'
    return batch.earliestHour * 1000 >= startOfDay(dayOf(this.clock(), tz), tz) ? 'today' : 'all'
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

