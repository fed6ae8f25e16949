import { randomBytes, randomUUID } from 'node:crypto'
import { errorText, type Logger } from '../log.ts'
import { queryRows, type Db } from '../db/client.ts'
import { AccessError } from '../auth/access.ts'
import { newToken, tokenHash } from '../auth/tokens.ts'
import { Repeater, stampText, Versions } from '../db/versioned.ts'
import { EXPORTABLE } from '../vocabulary/dimensions.ts'
import { DP_DIMENSIONS } from './privacy.ts'
import type { Granularity } from './suppress/index.ts'

export const GRANULARITIES: Granularity[] = ['day', 'week', 'month']


export interface PartnerShare {
  id: string
  site: string
  name: string
  tokenHash: string
  dimensions: string[]
  finest: Granularity
  coarsest: Granularity
  k: number
  /** exact decimal text, '' without noise */
  epsilon: string
  budget: string
  noiseKey: Buffer
  createdAt: number
}

export interface PartnerShareInput {
  site: string
  name?: string
  dimensions?: string[]
  finest?: Granularity
  coarsest?: Granularity
  k?: number
  epsilon?: string
  budget?: string
}

/** How often every node reads back the partner shares changed since its last look. */
export const PARTNERS_REFRESH_MS = 3_000

/**
 * Partner shares and the epsilon they have spent, cached in memory. Shares changed through
 * another node arrive with `refresh` (every PARTNERS_REFRESH_MS); a share's ledger is read from
 * ClickHouse again right before it spends (`spend`).
 */
export class Partners {
  private byHash = new Map<string, PartnerShare>()
  /** per share: block → [epsilon charged with it ('' or '0' when free), first release time] */
  private spent = new Map<string, Map<string, [string, number]>>()
  private versions: Versions
  private refresher: Repeater | undefined
  /** per share: the spend in progress on this node, so two downloads here check one after the other */
  private spending = new Map<string, Promise<unknown>>()

  constructor(
    private db: Db,
    private clock: () => number,
  ) {
    this.versions = new Versions(() => Math.max(Date.now(), this.clock()))
  }

  async load(): Promise<void> {
    await this.refresh()
    // Aliases differ from column names: ClickHouse would read an alias inside the other aggregate.
    for (const r of await queryRows<{ share_id: string; block: string; charged: string; first_at: number }>(
      this.db,
      `SELECT share_id, block, argMin(epsilon, created_at) AS charged, toUnixTimestamp(min(created_at)) AS first_at
       FROM partner_releases GROUP BY share_id, block`,
    )) {
      this.releases(r.share_id).set(r.block, [r.charged, Number(r.first_at) * 1000])
    }
  }

  /** Reads the partner shares changed since the last look (all of them the first time). */
  async refresh(): Promise<void> {
    const rows = await queryRows<Record<string, any>>(
      this.db,
      `SELECT id, site, name, token_hash, dimensions, finest, coarsest, k, epsilon, budget, noise_key, revoked,
              toUnixTimestamp(created_at) AS created_s, toUnixTimestamp64Milli(updated_at) AS v
       FROM partner_shares WHERE updated_at > fromUnixTimestamp64Milli({since:Int64}) ORDER BY updated_at`,
      { since: this.versions.since() },
    )
    for (const r of rows) {
      if (!this.versions.accept(r.id, Number(r.v))) continue
      if (Number(r.revoked)) {
        this.byHash.delete(r.token_hash)
        continue
      }
      this.byHash.set(r.token_hash, {
        id: r.id,
        site: r.site,
        name: r.name,
        tokenHash: r.token_hash,
        dimensions: r.dimensions,
        finest: r.finest,
        coarsest: r.coarsest,
        k: Number(r.k),
        epsilon: r.epsilon,
        budget: r.budget,
        noiseKey: Buffer.from(r.noise_key, 'hex'),
        createdAt: Number(r.created_s) * 1000,
      })
    }
  }

  /** Refreshes every `everyMs` in the background; a failure is logged and retried, the last state kept. */
  startRefresh(log: Logger, everyMs = PARTNERS_REFRESH_MS): void {
    this.refresher ??= new Repeater(
      () => this.refresh(),
      (err) => log.warn({ err: errorText(err) }, 'partner shares refresh failed; keeping the last known state'),
    )
    this.refresher.start(everyMs)
  }

  async stopRefresh(): Promise<void> {
    await this.refresher?.stop()
  }

  /** Adds the stored ledger of a share (every node's releases) to what this node knows. */
  async readLedger(shareId: string): Promise<void> {
    const rows = await queryRows<{ block: string; charged: string; first_at: number }>(
      this.db,
      `SELECT block, argMin(epsilon, created_at) AS charged, toUnixTimestamp(min(created_at)) AS first_at
       FROM partner_releases WHERE share_id = {share:String} GROUP BY block`,
      { share: shareId },
    )
    const known = this.releases(shareId)
    for (const r of rows) known.set(r.block, [r.charged, Number(r.first_at) * 1000])
  }

  /**
   * Spends epsilon for a download of `blocks`, or refuses: checked against the stored ledger,
   * read right before, and recorded before any data is built, so the window in which another
   * node can spend the same budget is one ledger read and one insert long (milliseconds).
   * Downloads of one share through this node check one after the other.
   */
  async spend(share: PartnerShare, blocks: string[]): Promise<{ ok: true } | { ok: false; spentMicros: number }> {
    const before = this.spending.get(share.id) ?? Promise.resolve()
    const run = before.then(async () => {
      await this.readLedger(share.id)
      const eps = micros(share.epsilon)
      if (eps && this.fresh(share.id, blocks).length && this.spentMicros(share.id) + eps > micros(share.budget)) {
        return { ok: false as const, spentMicros: this.spentMicros(share.id) }
      }
      await this.recordReleases(share, blocks)
      return { ok: true as const }
    })
    const settled = run.catch(() => {})
    this.spending.set(share.id, settled)
    void settled.then(() => {
      if (this.spending.get(share.id) === settled) this.spending.delete(share.id)
    })
    return run
  }

  async create(input: PartnerShareInput): Promise<{ token: string; share: PartnerShare }> {
    const offered: readonly string[] = input.epsilon ? Object.keys(DP_DIMENSIONS) : EXPORTABLE
    const dimensions = input.dimensions?.length ? input.dimensions : offered
    // Goals only when asked for: the owner decides per share (converting visitors per goal and day).
    const allowed = [...EXPORTABLE, 'event:goal']
    for (const d of dimensions) {
      if (!allowed.includes(d)) throw new AccessError(`dimension ${d} cannot be exported; exportable: ${allowed.join(', ')}`)
      // A visitor-day can count under any number of these values, so no ε would hold for them.
      if (input.epsilon && !offered.includes(d)) {
        throw new AccessError(`dimension ${d} cannot be exported with epsilon (no bound on the values one visitor-day counts under); with epsilon: ${offered.join(', ') || 'the totals only'}`)
      }
    }
    const finest = input.finest ?? 'day'
    const coarsest = input.coarsest ?? 'month'
    if (GRANULARITIES.indexOf(finest) > GRANULARITIES.indexOf(coarsest)) throw new AccessError('finest must not be coarser than coarsest')
    const k = input.k ?? 10
    if (!Number.isInteger(k) || k < 5 || k > 1000) throw new AccessError('k must be a whole number from 5 to 1000')
    const epsilon = input.epsilon ?? ''
    const budget = input.budget ?? ''
    if (epsilon && !decimal(epsilon)) throw new AccessError('epsilon must be a decimal number above 0 and at most 10')
    if (epsilon && !decimal(budget)) throw new AccessError('a share with epsilon needs a total budget (a decimal number above 0)')
    if (!epsilon && budget) throw new AccessError('a budget needs an epsilon')
    if (epsilon && Number(budget) < Number(epsilon)) throw new AccessError('the budget must be at least one export (epsilon)')
    const token = newToken('px')
    const share: PartnerShare = {
      id: randomUUID(),
      site: input.site,
      name: input.name?.trim() || 'partner',
      tokenHash: tokenHash(token),
      dimensions: [...new Set(dimensions)],
      finest,
      coarsest,
      k,
      epsilon,
      budget,
      noiseKey: randomBytes(32),
      createdAt: this.clock(),
    }
    await this.write(share, 0)
    this.byHash.set(share.tokenHash, share)
    return { token, share }
  }

  byToken(token: string): PartnerShare | undefined {
    return this.byHash.get(tokenHash(token))
  }

  list(site?: string): PartnerShare[] {
    return [...this.byHash.values()].filter((s) => !site || s.site === site).sort((a, b) => a.createdAt - b.createdAt)
  }

  async revoke(id: string): Promise<PartnerShare> {
    const share = [...this.byHash.values()].find((s) => s.id === id)
    if (!share) throw new AccessError(`no partner share with id ${id}`, 404)
    this.byHash.delete(share.tokenHash)
    await this.write(share, 1)
    return share
  }

  /** Shares follow a renamed site: the owner renamed it, the agreement with the partner stands. */
  async renameSite(from: string, to: string): Promise<void> {
    for (const share of this.list(from)) {
      const moved = { ...share, site: to }
      this.byHash.set(share.tokenHash, moved)
      await this.write(moved, 0)
    }
  }

  /** Epsilon spent so far, in millionths (exact for decimals of up to 6 places). */
  spentMicros(shareId: string): number {
    let total = 0
    for (const [e] of this.releases(shareId).values()) total += micros(e)
    return total
  }

  /** The blocks of `blocks` not released to this share before. */
  fresh(shareId: string, blocks: string[]): string[] {
    return blocks.filter((b) => !this.releases(shareId).has(b))
  }

  /** When a block was first released (the data of a complete block never changes after that). */
  firstReleased(shareId: string, block: string): number | undefined {
    return this.releases(shareId).get(block)?.[1]
  }

  /**
   * Records blocks as released. A download that releases anything new spends epsilon once
   * (charged on its first new block); blocks released before are free: their noise is fixed.
   */
  async recordReleases(share: PartnerShare, blocks: string[]): Promise<void> {
    const fresh = this.fresh(share.id, blocks)
    if (!fresh.length) return
    const at = Math.floor(this.clock() / 1000)
    const rows = fresh.map((block, i) => ({ share_id: share.id, block, epsilon: i === 0 ? share.epsilon : '', created_at: at }))
    await this.db.insert({ table: 'partner_releases', values: rows, format: 'JSONEachRow' }, 'none')
    for (const r of rows) this.releases(share.id).set(r.block, [r.epsilon, at * 1000])
  }

  private releases(shareId: string): Map<string, [string, number]> {
    let m = this.spent.get(shareId)
    if (!m) this.spent.set(shareId, (m = new Map()))
    return m
  }

  private async write(s: PartnerShare, revoked: 0 | 1): Promise<void> {
    await this.db.insert({
      table: 'partner_shares',
      values: [
        {
          id: s.id,
          site: s.site,
          name: s.name,
          token_hash: s.tokenHash,
          dimensions: s.dimensions,
          finest: s.finest,
          coarsest: s.coarsest,
          k: s.k,
          epsilon: s.epsilon,
          budget: s.budget,
          noise_key: s.noiseKey.toString('hex'),
          created_at: Math.floor(s.createdAt / 1000),
          updated_at: stampText(this.versions.stamp(s.id)),
          revoked,
        },
      ],
      format: 'JSONEachRow',
    }, 'none')
  }
}

function decimal(s: string): boolean {
  return /^\d{1,2}(\.\d{1,6})?$/.test(s) && Number(s) > 0 && Number(s) <= 10
}

/** A decimal of up to 6 places as an exact integer of millionths. */
export function micros(s: string): number {
  if (!s) return 0
  const [whole, frac = ''] = s.split('.')
  return Number(whole) * 1_000_000 + Number(frac.padEnd(6, '0'))
}
