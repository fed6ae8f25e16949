import type { ClientAddress } from '../privacy/client-address.ts'

export interface RateLimitOptions {
  /** requests a network may make per minute, in bursts of up to a minute's worth */
  perMinute: number
  /** networks remembered at most; the least recently seen are forgotten first */
  maxKeys?: number
  clock?: () => number
}

interface Bucket {
  tokens: number
  at: number
}

/**
 * A token bucket per network (IPv4 /24, IPv6 /48), never per address: the key is the
 * address prefix, so nothing kept here identifies a visitor (docs/design.md, privacy
 * contract rule 2). A forgotten network starts again with a full bucket, so the memory bound can only
 * make the limit more lenient, never refuse someone wrongly.
 */
export class IngestRateLimiter {
  readonly #perMs: number
  readonly #capacity: number
  readonly #maxKeys: number
  readonly #clock: () => number
  readonly #buckets = new Map<string, Bucket>()

  constructor({ perMinute, maxKeys = 100_000, clock = Date.now }: RateLimitOptions) {
    if (!Number.isSafeInteger(perMinute) || perMinute < 1) throw new RangeError('IngestRateLimiter: perMinute must be a positive integer')
    this.#perMs = perMinute / 60_000
    this.#capacity = perMinute
    this.#maxKeys = maxKeys
    this.#clock = clock
  }

  /** Takes one request from the address's network: 0 when allowed, else milliseconds to wait. */
  take(address: ClientAddress | undefined): number {
    const key = address?.prefix() ?? '(none)'
    const now = this.#clock()
    const bucket = this.#buckets.get(key)
    let tokens = this.#capacity
    if (bucket) {
      tokens = Math.min(this.#capacity, bucket.tokens + Math.max(0, now - bucket.at) * this.#perMs)
      this.#buckets.delete(key) // re-inserted below: the Map's order is least recently seen first
    }
    const allowed = tokens >= 1
    this.#buckets.set(key, { tokens: allowed ? tokens - 1 : tokens, at: now })
    if (this.#buckets.size > this.#maxKeys) this.#buckets.delete(this.#buckets.keys().next().value!)
    return allowed ? 0 : Math.ceil((1 - tokens) / this.#perMs)
  }

  /** The networks remembered, as prefixes (for tests and diagnostics). */
  networks(): string[] {
    return [...this.#buckets.keys()]
  }
}
