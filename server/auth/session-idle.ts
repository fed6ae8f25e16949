/**
 * When each owner session was last used, to end sessions left idle for SESSION_IDLE_DAYS
 * besides the SESSION_DAYS cap. Kept in memory, keyed by the session's hash: no write per
 * request. A session this process has not seen yet (made on another node, or before a
 * restart) counts from its first use here, so a restart gives every session a fresh idle
 * period; one found idle is revoked in storage, so that no restart revives it.
 */
export class IdleSessions {
  readonly #lastSeen = new Map<string, number>()
  #sweptAt: number

  constructor(
    private readonly idleMs: number,
    /** entries older than this belong to sessions past their cap anyway */
    private readonly forgetAfterMs: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.#sweptAt = clock()
  }

  /** Records a use now; false when the session had been idle too long (the caller revokes it). */
  touch(sessionHash: string): boolean {
    const now = this.clock()
    this.#sweep(now)
    const last = this.#lastSeen.get(sessionHash)
    if (last !== undefined && now - last > this.idleMs) {
      this.#lastSeen.delete(sessionHash)
      return false
    }
    this.#lastSeen.set(sessionHash, now)
    return true
  }

  #sweep(now: number): void {
    if (now - this.#sweptAt < 3_600_000) return
    this.#sweptAt = now
    for (const [hash, last] of this.#lastSeen) if (now - last > this.forgetAfterMs) this.#lastSeen.delete(hash)
  }
}
