import { queryRows, type Db } from '../db/client.ts'
import { normalizeDomain } from '../ingest/schema.ts'

export interface Site {
  domain: string
  createdAt: number
}

/** The sites whose events are counted, cached in memory for the ingest hot path. */
export class Sites {
  private byDomain = new Map<string, Site>()

  constructor(private db: Db) {}

  async load(): Promise<void> {
    const rows = await queryRows<{ domain: string; created_at: number }>(
      this.db,
      `SELECT domain, toUnixTimestamp(created_at) AS created_at FROM sites FINAL WHERE deleted = 0`,
    )
    this.byDomain = new Map(rows.map((r) => [r.domain, { domain: r.domain, createdAt: Number(r.created_at) * 1000 }]))
  }

  /** Adds the domains that are not sites yet (used for SKAITS_SITES at start). */
  async ensure(domains: string[], now = Date.now()): Promise<string[]> {
    const added = [...new Set(domains.map(normalizeDomain))].filter((d) => d && !this.byDomain.has(d))
    if (!added.length) return []
    await this.db.insert({
      table: 'sites',
      values: added.map((domain) => ({
        domain,
        created_at: Math.floor(now / 1000),
        updated_at: new Date(now).toISOString().replace('T', ' ').replace('Z', ''),
        deleted: 0,
      })),
      format: 'JSONEachRow',
    })
    for (const domain of added) this.byDomain.set(domain, { domain, createdAt: now })
    return added
  }

  get(domain: string): Site | undefined {
    return this.byDomain.get(domain)
  }

  list(): Site[] {
    return [...this.byDomain.values()]
  }
}
