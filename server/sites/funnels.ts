import type { Db } from '../db/client.ts'
import { activeFunnels, resolveSteps, sameSteps, type Funnel, type FunnelInput } from '../goals/funnels.ts'
import { say } from '../http/messages.ts'
import { dayOf } from '../time.ts'
import { deleteDimensionRows } from './data.ts'
import { SiteError, type Site, type Sites } from './sites.ts'

/**
 * Declaring, changing and deleting a site's funnels (REST, the CLI and the dashboard come here).
 * A funnel is counted from the instant it is declared; new steps or dimensions are a new funnel
 * with a new id (a new series), the old one kept (readable, no longer counted) or deleted.
 */
export class FunnelService {
  constructor(private deps: { db: Db; sites: Sites; timezone: string; clock: () => number; maxFunnels: number }) {}

  list(site: Site): Funnel[] {
    return site.settings.funnels ?? []
  }

  async declare(site: Site, input: FunnelInput): Promise<Funnel> {
    const funnels = this.list(site)
    this.checkName(funnels, input.name)
    if (activeFunnels(funnels).length >= this.deps.maxFunnels) throw new SiteError(say('too_many_funnels', { max: this.deps.maxFunnels }), 409)
    const id = site.settings.funnelsNextId ?? 1
    const funnel: Funnel = { id, name: input.name, steps: this.steps(site, input), dimensions: [...new Set(input.dimensions)], since: this.deps.clock() }
    await this.save(site, [...funnels, funnel], id + 1)
    return funnel
  }

  /** Renames a funnel, or gives it new steps or dimensions: a new series, the old one kept until now (`keep`) or deleted. */
  async change(site: Site, id: number, input: FunnelInput, keep: boolean): Promise<Funnel> {
    const funnels = this.list(site)
    const current = this.find(funnels, id)
    if (current.until !== undefined) throw new SiteError(say('funnel_kept_series', { name: current.name }), 409)
    this.checkName(funnels, input.name, id)
    const steps = this.steps(site, input)
    const dimensions = [...new Set(input.dimensions)]
    if (sameSteps(steps, current.steps) && JSON.stringify(dimensions) === JSON.stringify(current.dimensions)) {
      const renamed = { ...current, name: input.name }
      await this.save(site, funnels.map((f) => (f.id === id ? renamed : f)))
      return renamed
    }
    const now = this.deps.clock()
    const nextId = site.settings.funnelsNextId ?? Math.max(0, ...funnels.map((f) => f.id)) + 1
    const funnel: Funnel = { id: nextId, name: input.name, steps, dimensions, since: now }
    const tz = this.deps.timezone
    const old = keep ? [{ ...current, name: `${current.name} (${dayOf(current.since, tz)} – ${dayOf(now, tz)})`, until: now }] : []
    await this.save(site, [...funnels.filter((f) => f.id !== id), ...old, funnel], nextId + 1)
    if (!keep) await deleteFunnelData(this.deps.db, site.domain, id)
    return funnel
  }

  async remove(site: Site, id: number): Promise<Funnel> {
    const funnels = this.list(site)
    const funnel = this.find(funnels, id)
    await this.save(site, funnels.filter((f) => f.id !== id))
    await deleteFunnelData(this.deps.db, site.domain, id)
    return funnel
  }

  private steps(site: Site, input: FunnelInput) {
    const steps = resolveSteps(input.steps, site.settings.goals ?? [])
    if ('unknownGoal' in steps) throw new SiteError(say('goal_unknown', { name: steps.unknownGoal, known: (site.settings.goals ?? []).map((g) => g.name).join(', ') || '—' }))
    return steps
  }

  private find(funnels: Funnel[], id: number): Funnel {
    const funnel = funnels.find((f) => f.id === id)
    if (!funnel) throw new SiteError(say('funnel_not_found', { id }), 404)
    return funnel
  }

  private checkName(funnels: Funnel[], name: string, except?: number): void {
    if (funnels.some((f) => f.name === name && f.id !== except)) throw new SiteError(say('funnel_name_taken', { name }), 409)
  }

  private async save(site: Site, funnels: Funnel[], nextId = site.settings.funnelsNextId): Promise<void> {
    await this.deps.sites.updateSettings(site.domain, { ...site.settings, funnels, funnelsNextId: nextId }, this.deps.clock())
  }
}

/** Deletes a funnel's counts from every table: its steps' rows and their rows by each dimension. */
export const deleteFunnelData = (db: Db, site: string, id: number) => deleteDimensionRows(db, site, { dimension: `funnel:${id}` }, `funnel:${id}:`)
