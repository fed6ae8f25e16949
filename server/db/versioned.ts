/**
 * Versioned rows (ReplacingMergeTree(updated_at)) read incrementally by several nodes.
 *
 * Each node writes its rows with a version stamp from its own clock and reads back, every few
 * seconds, the rows whose version is newer than the newest it has seen, minus `OVERLAP_MS`:
 * a row stamped by a node whose clock lags, or made visible late by replication, still falls
 * inside the window. A row read back replaces what the node holds only when its version is
 * newer than the one the node holds for that key, which is also what the merge keeps.
 */
export const OVERLAP_MS = 60_000

export class Versions {
  private byKey = new Map<string, number>()
  private last = 0
  /** the newest version read back so far */
  private newest = 0

  constructor(private now: () => number = Date.now) {}

  /** The version for a write of `key`: strictly increasing, even within one millisecond. */
  stamp(key: string): number {
    this.last = Math.max(this.last + 1, this.now())
    this.byKey.set(key, this.last)
    return this.last
  }

  /** Whether a row read back is newer than what this node holds for its key (then it is held). */
  accept(key: string, version: number): boolean {
    this.newest = Math.max(this.newest, version)
    if ((this.byKey.get(key) ?? -1) >= version) return false
    this.byKey.set(key, version)
    return true
  }

  /** Read rows with versions above this (ms since the epoch); 0 before the first read. */
  since(): number {
    return this.newest ? Math.max(0, this.newest - OVERLAP_MS) : 0
  }
}

/** A version as DateTime64(3) text for an insert. */
export function stampText(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '')
}

/** Runs `work` every `everyMs` until stopped; a failure goes to `onError` and the next run retries. */
export class Repeater {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined

  constructor(
    private work: () => Promise<void>,
    private onError: (err: unknown) => void,
  ) {}

  start(everyMs: number): void {
    if (this.timer) return
    const tick = () => {
      this.running = this.work().catch(this.onError).finally(() => {
        this.running = undefined
        if (this.timer) this.timer = setTimeout(tick, everyMs).unref()
      })
    }
    this.timer = setTimeout(tick, everyMs).unref()
  }

  /** Stops the timer and waits for a run in progress. */
  async stop(): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    await this.running
  }
}
