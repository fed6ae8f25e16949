import { randomBytes } from 'node:crypto'
import { queryRows, type Db } from '../db/client.ts'
import { addDays, dayOf, startOfDay, type Clock } from '../time.ts'

export interface DailySalt {
  day: string
  salt: Buffer
}

/**
 * One random 32-byte salt per calendar day of the instance time zone, kept in memory and in
 * the `salts` table (so a restart keeps counting the same visitors the same day).
 * Yesterday's salt is kept only while a visit that began before midnight may still continue
 * (the session idle time), then destroyed in memory and on disk.
 */
export class SaltStore {
  private salts = new Map<string, Buffer>()
  private dayStart = 0
  private dayEnd = 0
  private today = ''
  private unpersisted = new Set<string>()
  private writing: Promise<void> | undefined

  constructor(
    private db: Db,
    private tz: string,
    private clock: Clock,
    private graceMs: number,
  ) {}

  /** Loads today's and yesterday's salts, creating today's if missing. */
  async load(): Promise<void> {
    const now = this.clock()
    const today = dayOf(now, this.tz)
    const rows = await queryRows<{ day: string; salt: string }>(
      this.db,
      'SELECT day, any(salt) AS salt FROM salts WHERE day >= {from:Date} GROUP BY day',
      { from: addDays(today, -1) },
    )
    for (const r of rows) this.salts.set(r.day, Buffer.from(r.salt, 'hex'))
    this.current(now)
    await this.settle()
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
      const salt = randomBytes(32)
      this.salts.set(this.today, salt)
      this.unpersisted.add(this.today)
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
      // The salts still needed are written straight back.
      await this.db.command({ query: 'TRUNCATE TABLE salts' })
      for (const day of this.salts.keys()) this.unpersisted.add(day)
      await this.settle()
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
    this.writing = this.db
      .insert({
        table: 'salts',
        values: days.map((day) => ({ day, salt: this.salts.get(day)!.toString('hex') })),
        format: 'JSONEachRow',
      })
      .then(() => {
        for (const d of days) this.unpersisted.delete(d)
      })
      .finally(() => {
        this.writing = undefined
      })
    await this.writing
  }
}
