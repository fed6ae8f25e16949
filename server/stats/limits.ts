import type { Principal } from '../auth/principal.ts'

export interface QueryLimitOptions {
  /** queries of one credential running at once */
  concurrency: number
  /** queries of one credential waiting for a turn at most; beyond it they are refused */
  queue: number
  /** queries per credential per minute, in bursts of up to a minute's worth; 0: no limit */
  ratePerMinute: number
  /** credentials remembered at most; the least recently seen are forgotten first */
  maxKeys?: number
  clock?: () => number
}

export type Admission =
  | { ok: true; release: () => void }
  | { ok: false; reason: 'rate_limited'; retryAfterMs: number }
  | { ok: false; reason: 'busy' }

interface Bucket {
  tokens: number
  at: number
}

/** The key a credential's queries are limited under: one per API key, owner, shared link or admin credential. */
export function credentialOf(principal: Principal): string {
  switch (principal.kind) {
    case 'admin':
      return `admin:${principal.via}`
    case 'owner':
      return `owner:${principal.owner.id}`
    case 'key':
      return `key:${principal.key.id}`
    case 'share':
      return `share:${principal.share.id}`
  }
}

/**
 * What one credential may ask of ClickHouse: a token bucket of queries per minute, and a
 * few queries at a time. A dashboard asks a dozen questions at once, so those beyond the
 * concurrency wait in a short queue instead of being refused; a client asking many more at
 * once than a dashboard does is told to slow down (`busy`).
 */
export class QueryLimits {
  readonly #options: Required<QueryLimitOptions>
  readonly #running = new Map<string, number>()
  readonly #waiting = new Map<string, (() => void)[]>()
  readonly #buckets = new Map<string, Bucket>()
  /** refusals by reason, for /metrics */
  readonly refused: Record<'rate_limited' | 'busy', number> = { rate_limited: 0, busy: 0 }

  constructor(options: QueryLimitOptions) {
    this.#options = { maxKeys: 10_000, clock: Date.now, ...options }
  }

  /** A turn to run one query (call `release` when it is answered), or why not. */
  async admit(credential: string): Promise<Admission> {
    const running = this.#running.get(credential) ?? 0
    const queue = this.#waiting.get(credential) ?? []
    if (running >= this.#options.concurrency && queue.length >= this.#options.queue) {
      this.refused.busy++
      return { ok: false, reason: 'busy' }
    }
    const wait = this.#take(credential)
    if (wait) {
      this.refused.rate_limited++
      return { ok: false, reason: 'rate_limited', retryAfterMs: wait }
    }
    if (running < this.#options.concurrency) {
      this.#running.set(credential, running + 1)
    } else {
      // A finished query hands its turn straight to the first one waiting (release below).
      await new Promise<void>((resolve) => {
        queue.push(resolve)
        this.#waiting.set(credential, queue)
      })
    }
    let released = false
    return {
      ok: true,
      release: () => {
        if (released) return
        released = true
        this.#release(credential)
      },
    }
  }

  /** Queries running now for a credential (for tests). */
  running(credential: string): number {
    return this.#running.get(credential) ?? 0
  }

  #release(credential: string): void {
    const queue = this.#waiting.get(credential)
    const next = queue?.shift()
    if (queue && !queue.length) this.#waiting.delete(credential)
    if (next) return next()
    const n = (this.#running.get(credential) ?? 1) - 1
    if (n > 0) this.#running.set(credential, n)
    else this.#running.delete(credential)
  }

  /** Takes one query from the credential's bucket: 0 when allowed, else milliseconds to wait. */
  #take(credential: string): number {
    const perMinute = this.#options.ratePerMinute
    if (!perMinute) return 0
    const perMs = perMinute / 60_000
    const now = this.#options.clock()
    const bucket = this.#buckets.get(credential)
    let tokens = perMinute
    if (bucket) {
      tokens = Math.min(perMinute, bucket.tokens + Math.max(0, now - bucket.at) * perMs)
      this.#buckets.delete(credential) // re-inserted below: the Map's order is least recently seen first
    }
    const allowed = tokens >= 1
    this.#buckets.set(credential, { tokens: allowed ? tokens - 1 : tokens, at: now })
    if (this.#buckets.size > this.#options.maxKeys) this.#buckets.delete(this.#buckets.keys().next().value!)
    return allowed ? 0 : Math.ceil((1 - tokens) / perMs)
  }
}
