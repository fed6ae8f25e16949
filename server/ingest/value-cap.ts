import { randomInt } from 'node:crypto'

/** What a value beyond the day's cap is counted as. */
export const OTHER = '(other)'

/** All of a site's property values share one cap, keyed by name and value. */
export const PROP_VALUES = 'event:props'
/** The property names of a site: a cap of their own (MAX_PROP_NAMES_PER_DAY). */
export const PROP_NAMES = 'event:props:(names)'

export interface ValueCapLimits {
  /** new distinct values per site, day and dimension (MAX_VALUES_PER_DAY) */
  values: number
  /** new distinct property names per site and day (MAX_PROP_NAMES_PER_DAY) */
  propNames: number
}

/**
 * Bounds how many distinct values one site can add to a dimension in a day: junk pages,
 * referrers or properties sent in bulk would otherwise make a row each, for as long as
 * counts are kept. Beyond the cap a new value counts as `(other)`; values seen before it
 * keep counting as themselves.
 *
 * Remembers a 53-bit hash of each value, never the value and nothing about the visitor, and
 * forgets everything when the day (in TIMEZONE) changes. The sets live in this process only:
 * a restarted process starts them empty, so the cap holds per process and day.
 */
export class ValueCap {
  readonly #limits: ValueCapLimits
  #day = ''
  /** `site \0 dimension` → hashes of the values seen today */
  readonly #seen = new Map<string, Set<number>>()
  /** values turned into `(other)`, by dimension (PROP_VALUES for every property) */
  readonly capped: Record<string, number> = {}
  // A seed per process: nobody can compute in advance which made-up values pass as seen ones.
  readonly #seed = randomInt(2 ** 31)

  constructor(limits: ValueCapLimits) {
    this.#limits = limits
  }

  /**
   * `value`, or `(other)` when the site has seen its cap of other values of `dimension` on
   * `day` (YYYY-MM-DD, so days compare as strings).
   */
  value(site: string, day: string, dimension: string, value: string, limit = this.#limits.values): string {
    if (day > this.#day) {
      this.#seen.clear()
      this.#day = day
    } else if (day < this.#day) {
      // A late answer about yesterday (an ISP lookup across midnight): its sets are gone.
      return value
    }
    const key = `${site}\u0000${dimension}`
    let seen = this.#seen.get(key)
    if (!seen) {
      seen = new Set()
      this.#seen.set(key, seen)
    }
    const h = hash53(value, this.#seed)
    if (seen.has(h)) return value
    if (seen.size >= limit) {
      this.capped[dimension] = (this.capped[dimension] ?? 0) + 1
      return OTHER
    }
    seen.add(h)
    return value
  }

  /** An event's properties, names and values capped. */
  props(site: string, day: string, props: ReadonlyArray<readonly [string, string]>): [string, string][] {
    return props.map(([name, value]) => {
      const n = this.value(site, day, PROP_NAMES, name, this.#limits.propNames)
      return [n, this.value(site, day, PROP_VALUES, `${n}\u0000${value}`) === OTHER ? OTHER : value]
    })
  }

  /** Distinct values remembered now, over all sites and dimensions (for tests and diagnostics). */
  get size(): number {
    let n = 0
    for (const s of this.#seen.values()) n += s.size
    return n
  }
}

/** cyrb53: a fast 53-bit string hash (a JavaScript number holds it exactly). */
function hash53(s: string, seed: number): number {
  let h1 = 0xdeadbeef ^ seed
  let h2 = 0x41c6ce57 ^ seed
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i)
    h1 = Math.imul(h1 ^ ch, 2654435761)
    h2 = Math.imul(h2 ^ ch, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  return 4294967296 * (2097151 & h2) + (h1 >>> 0)
}
