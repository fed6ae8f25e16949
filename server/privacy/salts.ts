import { setTimeout as sleep } from 'node:timers/promises'
import { queryRows, type Db } from '../db/client.ts'
import { storedTable } from '../db/cluster.ts'
import type { Logger } from '../log.ts'
import { addDays, dayOf, startOfDay, type Clock } from '../time.ts'
import { SaltSeal } from './salt-key.ts'

export interface DailySalt {
  day: string
  salt: Buffer
}

export interface SaltStoreOptions {
  /**
   * Several ingest nodes share the salts table and must hash with the same salt each day.
   * On by default when the client speaks to a cluster (CLICKHOUSE_CLUSTER).
   */
  shared?: boolean
  /**
   * SALT_KEY_FILE's key: the table then holds seeds the salts are derived from with it
   * (salt-key.ts), useless to a copy of DATA_DIR alone. The server always gives one.
   */
  key?: Buffer
  /** where a salt made under another key is reported */
  log?: Logger
}

/** In shared mode, how long to wait before offering a salt for a day that has begun (see load()). */
const SHARED_RECHECK_MS = 2000

/**
 * One random 32-byte salt per calendar day of the instance time zone, kept in memory and, as
 * the seed it is derived from under SALT_KEY_FILE's key, in the `salts` table (so a restart
 * with the same key keeps counting the same visitors the same day; with another key the
 * stored seed is ignored and the day gets a new salt).
 * Yesterday's salt is kept only while a visit that began before midnight may still continue
 * (the session idle time), then destroyed in memory and on disk.
 *
 * Shared (several ingest nodes): each node may offer a candidate salt for a day, and every node
 * uses the smallest candidate in the table, so nodes that raced end with the same salt.
 * Tomorrow's salt is offered a day ahead and the table re-read every minute (refresh()), so
 * the nodes agree long before midnight, when they start hashing with it.
 */
export class SaltStore {
  private salts = new Map<string, Buffer>()
  /** the stored seed of each held salt */
  private seeds = new Map<string, Buffer>()
  private dayStart = 0
  private dayEnd = 0
  private today = ''
  private unpersisted = new Set<string>()
  /** days whose salt this node made itself and has not yet offered in the table (shared mode) */
  private candidates = new Set<string>()
  private writing: Promise<void> | undefined
  private readonly shared: boolean
  private readonly seal: SaltSeal
  private readonly log: Logger | undefined
  /** days already reported as having a seed made under another key */
  private foreignReported = new Set<string>()

  constructor(
    private db: Db,
    private tz: string,
    private clock: Clock,
    private graceMs: number,
    options: SaltStoreOptions = {},
  ) {
    this.shared = options.shared ?? db.cluster !== undefined
    this.seal = new SaltSeal(options.key)
    this.log = options.log
  }

  /** Loads today's and yesterday's salts, creating today's if missing. */
  async load(): Promise<void> {
    const now = this.clock()
    const today = dayOf(now, this.tz)
    for (const r of await this.stored(addDays(today, -1))) this.hold(r.day, r.seed, r.salt)
    if (this.shared && !this.salts.has(today)) {
      // Another node may be between emptying the table and writing the live salts back
      // (destroyExpired); look once more before offering a salt for a day already begun.
      await sleep(SHARED_RECHECK_MS)
      for (const r of await this.stored(today)) this.hold(r.day, r.seed, r.salt)
    }
    this.current(now)
    await this.settle()
    await this.refresh()
  }

  /**
   * Shared mode (a no-op on one node): offers tomorrow's salt ahead of time, then adopts for
   * today and later days the salt every node picks, the smallest candidate in the table.
   * Returns the days already in use whose salt this node had to change (a race lost; rare).
   */
  async refresh(): Promise<string[]> {
    if (!this.shared) return []
    this.current(this.clock())
    const tomorrow = addDays(this.today, 1)
    let stored = await this.stored(this.today)
    if (!this.salts.has(tomorrow) && !stored.some((r) => r.day === tomorrow)) {
      this.offer(tomorrow)
      await this.settle()
      stored = await this.stored(this.today)
    }
    const replaced: string[] = []
    const contested: string[] = []
    for (const r of stored) {
      const held = this.seeds.get(r.day)
      if (!held?.equals(r.seed)) {
        if (held && r.day <= this.today) replaced.push(r.day)
        this.hold(r.day, r.seed, r.salt)
      }
      if (r.candidates > 1) contested.push(r.day)
    }
    // ReplacingMergeTree keeps the last row written of a day's candidates. Writing the pick
    // again makes it the one a merge keeps, so a node reading after the merge picks it too.
    for (const day of contested) this.unpersisted.add(day)
    // A held salt with no seed of this key in the table (a merge kept a row written under
    // another key) is written again, so that the nodes sharing this key still find it.
    for (const day of this.salts.keys()) if (day >= this.today && !stored.some((r) => r.day === day)) this.unpersisted.add(day)
    await this.settle()
    return replaced
  }

  /**
   * Each stored day's salt from `from` on: of the seeds made under this node's key, the
   * smallest (the same pick on every node). Seeds made under another key are left out.
   */
  private async stored(from: string): Promise<{ day: string; seed: Buffer; salt: Buffer; candidates: number }[]> {
    const rows = await queryRows<{ day: string; seeds: string[] }>(
      this.db,
      'SELECT day, arraySort(groupUniqArray(salt)) AS seeds FROM salts WHERE day >= {from:Date} GROUP BY day',
      { from },
    )
    const picks = []
    for (const { day, seeds } of rows) {
      const ours = seeds.map((hex) => Buffer.from(hex, 'hex')).filter((seed) => this.seal.open(day, seed))
      if (ours.length < seeds.length) this.reportForeign(day)
      if (ours.length) picks.push({ day, seed: ours[0]!, salt: this.seal.open(day, ours[0]!)!, candidates: seeds.length })
    }
    return picks
  }

  /** Holds a day's salt and its seed, zeroing the salt it replaces. */
  private hold(day: string, seed: Buffer, salt: Buffer): void {
    this.salts.get(day)?.fill(0)
    this.salts.set(day, salt)
    this.seeds.set(day, seed)
  }

  private reportForeign(day: string): void {
    if (this.foreignReported.has(day)) return
    this.foreignReported.add(day)
    // A lost or replaced key file, or (on several nodes) a node with another key: counting goes
    // on with a salt of this key, so that day's visitors may count twice. No key or seed is logged.
    this.log?.warn({ day }, 'a stored salt was made under another SALT_KEY_FILE key; it is ignored (that day\'s visitors may count twice)')
  }

  private offer(day: string): void {
    const seed = this.seal.fresh(day)
    this.hold(day, seed, this.seal.open(day, seed)!)
    this.unpersisted.add(day)
    if (this.shared) this.candidates.add(day)
  }

  /** Today's salt; rotates synchronously at midnight (the hot path never awaits). */
  current(now: number): DailySalt {
    if (now >= this.dayEnd || now < this.dayStart) this.rotate(now)
    return { day: this.today, salt: this.salts.get(this.today)! }
  }

  /** Yesterday's salt while visits from before midnight may still continue, else undefined. */
  previous(now: number): DailySalt | undefined {
    this.current(now)
    if (now - this.dayStart >= this.graceMs) return undefined
    const day = addDays(this.today, -1)
    const salt = this.salts.get(day)
    return salt ? { day, salt } : undefined
  }

  private rotate(now: number): void {
    this.today = dayOf(now, this.tz)
    this.dayStart = startOfDay(this.today, this.tz)
    this.dayEnd = startOfDay(addDays(this.today, 1), this.tz)
    if (!this.salts.has(this.today)) {
      this.offer(this.today)
      // Not awaited: the hot path must not wait. A failed write stays queued for settle().
      this.settle().catch(() => {})
    }
  }

  /** Destroys every salt the visitor hash no longer needs. Returns the days destroyed. */
  async destroyExpired(): Promise<string[]> {
    const now = this.clock()
    this.current(now)
    const keepFrom = now - this.dayStart >= this.graceMs ? this.today : addDays(this.today, -1)
    const destroyed: string[] = []
    for (const day of this.salts.keys()) {
      if (day < keepFrom) {
        this.salts.get(day)!.fill(0)
        this.salts.delete(day)
        this.seeds.get(day)?.fill(0)
        this.seeds.delete(day)
        destroyed.push(day)
      }
    }
    const onDisk = await queryRows<{ n: number }>(
      this.db,
      'SELECT count() AS n FROM salts WHERE day < {keepFrom:Date}',
      { keepFrom },
    )
    if (Number(onDisk[0]?.n ?? 0) > 0) {
      // TRUNCATE removes the table's files at once; a DELETE mutation would leave the old
      // part (with the salt in it) on disk until ClickHouse's cleanup ran, tens of seconds later.
      // On a cluster it runs on every node and waits for every replica.
      const salts = await storedTable(this.db, 'salts')
      try {
        await this.db.command({ query: `TRUNCATE TABLE ${salts.target}`, clickhouse_settings: salts.settings }, 'none')
      } finally {
        // The salts still needed are written straight back, even when the TRUNCATE reported a
        // failure (a replica away) after emptying this node's table.
        for (const day of this.salts.keys()) this.unpersisted.add(day)
        await this.settle()
      }
    }
    return destroyed
  }

  /** Days whose salt is still held in memory (for tests and /metrics). */
  heldDays(): string[] {
    return [...this.salts.keys()].sort()
  }

  /** Writes salts not yet in the table; resolves once they are (throws if ClickHouse fails). */
  async settle(): Promise<void> {
    while (this.writing) await this.writing.catch(() => {})
    const days = [...this.unpersisted].filter((d) => this.salts.has(d))
    if (!days.length) return
    this.writing = this.write(days)
      .then(() => {
        for (const d of days) {
          this.unpersisted.delete(d)
          this.candidates.delete(d)
        }
      })
      .finally(() => {
        this.writing = undefined
      })
    await this.writing
  }

  private async write(days: string[]): Promise<void> {
    const row = (day: string) => ({ day, salt: this.seeds.get(day)!.toString('hex') })
    if (!this.shared) {
      await this.db.insert({ table: 'salts', values: days.map(row), format: 'JSONEachRow' }, 'none')
      return
    }
    // A candidate carries one token per day: on a replicated table Keeper then keeps only the
    // first node's (within its deduplication window), so a race usually leaves one candidate.
    // Rows written back after a TRUNCATE, or a pick written again, must not count as repeats.
    // Settings go in the SQL: the embedded engine would keep client settings for the session.
    // `day` is a YYYY-MM-DD made by this class.
    for (const day of days.filter((d) => this.candidates.has(d))) {
      await this.db.insert({
        table: `salts SETTINGS insert_deduplication_token = 'skaits-salt-${day}${this.seal.tokenSuffix}'`,
        values: [row(day)],
        format: 'JSONEachRow',
      }, 'none')
    }
    const again = days.filter((d) => !this.candidates.has(d))
    if (again.length) {
      await this.db.insert({ table: 'salts SETTINGS insert_deduplicate = 0', values: again.map(row), format: 'JSONEachRow' }, 'none')
    }
  }
}
