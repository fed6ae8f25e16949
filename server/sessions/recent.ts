/**
 * How many of each site's visits were last seen in each second of the last few minutes, kept
 * up to date as visits move (the session map tells it). The realtime figure is then a sum
 * over a few hundred counters, whatever the number of visits in memory.
 */
export class RecentVisits {
  readonly #size: number
  readonly #bySite = new Map<string, { seconds: Float64Array; counts: Int32Array }>()

  /** `windowMs`: the longest window `count` is asked about. */
  constructor(readonly windowMs: number) {
    this.#size = Math.ceil(windowMs / 1000) + 1
  }

  /** A visit of `site` last seen at `lastMs` is now in the map. */
  add(site: string, lastMs: number): void {
    let ring = this.#bySite.get(site)
    if (!ring) {
      ring = { seconds: new Float64Array(this.#size).fill(-1), counts: new Int32Array(this.#size) }
      this.#bySite.set(site, ring)
    }
    const second = Math.floor(lastMs / 1000)
    const i = second % this.#size
    if (ring.seconds[i] !== second) {
      ring.seconds[i] = second
      ring.counts[i] = 0
    }
    ring.counts[i]!++
  }

  /** A visit added with `lastMs` left the map (or is about to move). */
  remove(site: string, lastMs: number): void {
    const ring = this.#bySite.get(site)
    if (!ring) return
    const second = Math.floor(lastMs / 1000)
    const i = second % this.#size
    // A second that has left the window was already reset for a newer one: nothing to take back.
    if (ring.seconds[i] === second && ring.counts[i]! > 0) ring.counts[i]!--
  }

  /** Visits of `site` last seen within `windowMs` (at most the constructor's) of `now`, to the second. */
  count(site: string, now: number, windowMs: number): number {
    const ring = this.#bySite.get(site)
    if (!ring) return 0
    // No upper bound: a visit seen after `now` (a clock that stepped back) is current, as it
    // was when every visit was walked (`now - last <= windowMs`).
    const from = Math.floor((now - Math.min(windowMs, this.windowMs)) / 1000)
    let n = 0
    for (let i = 0; i < this.#size; i++) {
      const s = ring.seconds[i]!
      if (s >= from) n += ring.counts[i]!
    }
    return n
  }
}
