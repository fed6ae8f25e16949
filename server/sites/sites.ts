import { queryRows, type Db } from '../db/client.ts'
import { normalizeDomain } from '../ingest/schema.ts'
import { compileSections, sectionRules, type SectionOf, type SectionRule } from '../sections/rules.ts'

/** Per-site settings, kept as JSON in the site's row. */
export interface SiteSettings {
  sections: SectionRule[]
  /** first day whose per-section visits and visitors follow the current rules */
  sectionsSince?: string
}

export interface Site {
  domain: string
  createdAt: number
  settings: SiteSettings
  sectionOf: SectionOf
}

const DEFAULTS: SiteSettings = { sections: [] }

/** The sites whose events are counted, cached in memory for the ingest hot path. */
export class Sites {
  private byDomain = new Map<string, Site>()

  constructor(private db: Db) {}

  async load(): Promise<void> {
    const rows = await queryRows<{ domain: string; created_at: number; settings: string }>(
      this.db,
      `SELECT domain, toUnixTimestamp(created_at) AS created_at, settings FROM sites FINAL WHERE deleted = 0`,
    )
    this.byDomain = new Map(rows.map((r) => [r.domain, site(r.domain, Number(r.created_at) * 1000, parseSettings(r.settings))]))
  }

  /** Adds the domains that are not sites yet (used for SKAITS_SITES at start). */
  async ensure(domains: string[], now = Date.now()): Promise<string[]> {
    const added = [...new Set(domains.map(normalizeDomain))].filter((d) => d && !this.byDomain.has(d))
    for (const domain of added) await this.write(site(domain, now, DEFAULTS), now)
    return added
  }

  async updateSettings(domain: string, settings: SiteSettings, now = Date.now()): Promise<Site> {
    const current = this.byDomain.get(domain)
    if (!current) throw new Error(`no site ${domain}`)
    const updated = site(domain, current.createdAt, settings)
    await this.write(updated, now)
    return updated
  }

  private async write(s: Site, now: number): Promise<void> {
    await this.db.insert({
      table: 'sites',
      values: [
        {
          domain: s.domain,
          created_at: Math.floor(s.createdAt / 1000),
          updated_at: new Date(now).toISOString().replace('T', ' ').replace('Z', ''),
          deleted: 0,
          settings: JSON.stringify(s.settings),
        },
      ],
      format: 'JSONEachRow',
    })
    this.byDomain.set(s.domain, s)
  }

  get(domain: string): Site | undefined {
    return this.byDomain.get(domain)
  }

  list(): Site[] {
    return [...this.byDomain.values()]
  }
}

function site(domain: string, createdAt: number, settings: SiteSettings): Site {
  return { domain, createdAt, settings, sectionOf: compileSections(settings.sections) }
}

function parseSettings(json: string): SiteSettings {
  try {
    const raw = JSON.parse(json || '{}') as Partial<SiteSettings>
    const sections = sectionRules.safeParse(raw.sections ?? [])
    return { ...raw, sections: sections.success ? sections.data : [] }
  } catch {
    return DEFAULTS
  }
}
