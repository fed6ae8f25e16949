export interface FailureLimiterOptions {
  /** Failures allowed per window; the next attempt is refused until the window ends. */
  max: number
  windowMs: number
  /** Keys remembered at most; beyond it the oldest window is forgotten. */
  maxKeys: number
  clock?: () => number
}

interface Window {
  start: number
  failures: number
}

/**
 * Counts failures (bad passwords, bad tokens) per key in fixed windows that start at a key's
 * first failure. Keys are chosen by the caller and must never be a full client address: use
 * an address prefix (`203.0.113.0/24`, see privacy/prefix.ts) or `account:<email>`, so
 * nothing here identifies a visitor (docs/design.md, privacy contract rule 2). Check every key a
 * request touches before doing the work, and record a failure on each of them afterwards.
 *
 * Memory holds at most `maxKeys` windows, kept in the order they started: the oldest is the
 * first to expire, so it is the one dropped when room is needed.
 */
export class FailureLimiter {
  readonly #max: number
  readonly #windowMs: number
  readonly #maxKeys: number
  readonly #clock: () => number
  readonly #windows = new Map<string, Window>()

  constructor({ max, windowMs, maxKeys, clock = Date.now }: FailureLimiterOptions) {
    for (const [name, value] of Object.entries({ max, windowMs, maxKeys })) {
      if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`FailureLimiter: ${name} must be a positive integer`)
    }
    this.#max = max
    this.#windowMs = windowMs
    this.#maxKeys = maxKeys
    this.#clock = clock
  }

  /** Milliseconds until `key` may try again; 0 when it may try now. */
  retryAfterMs(key: string): number {
    const window = this.#current(key, this.#clock())
    if (!window || window.failures < this.#max) return 0
    return window.start + this.#windowMs - this.#clock()
  }

  fail(key: string): void {
    const now = this.#clock()
    this.#dropExpired(now)
    const window = this.#current(key, now)
    if (window) {
      window.failures++
      return
    }
    this.#windows.set(key, { start: now, failures: 1 })
    if (this.#windows.size > this.#maxKeys) {
      const oldest = this.#windows.keys().next().value
      if (oldest !== undefined) this.#windows.delete(oldest)
    }
  }

  reset(key: string): void {
    this.#windows.delete(key)
  }

  /** Number of keys remembered (for tests and metrics). */
  get size(): number {
    return this.#windows.size
  }

  #current(key: string, now: number): Window | undefined {
    const window = this.#windows.get(key)
    if (window && now - window.start >= this.#windowMs) {
      this.#windows.delete(key)
      return undefined
    }
    return window
  }

  #dropExpired(now: number): void {
    for (const [key, window] of this.#windows) {
      if (now - window.start < this.#windowMs) return
      this.#windows.delete(key)
    }
  }
}
