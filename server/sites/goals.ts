import type { Db } from '../db/client.ts'
import { activeGoals, sameDefinition, type Goal, type GoalInput } from '../goals/goals.ts'
import { say } from '../http/messages.ts'
import { dayOf } from '../time.ts'
import { deleteDimensionRows } from './data.ts'
import { SiteError, type Site, type Sites } from './sites.ts'

/**
 * Declaring, changing and deleting a site's goals (REST, the Plausible Sites API, the CLI and
 * the dashboard all come here). A goal is counted from the instant it is declared; a changed
 * definition is a new goal with a new id (a new series), and the old series is kept (readable,
 * no longer counted) or deleted with its tallies, as the owner chooses.
 */
export class GoalService {
  constructor(
    private deps: { db: Db; sites: Sites; timezone: string; clock: () => number; maxGoals: number },
  ) {}

  list(site: Site): Goal[] {
    return site.settings.goals ?? []
  }

  /**
   * A goal counting what `input` defines: the one already declared if there is one (as
   * Plausible's `PUT /api/v1/sites/goals` finds or creates), else a new one. `created` says which.
   */
  async declare(site: Site, input: GoalInput): Promise<{ goal: Goal; created: boolean }> {
    const goals = this.list(site)
    const existing = activeGoals(goals).find((g) => sameDefinition(g, input))
    if (existing) return { goal: existing, created: false }
    if (input.event !== undefined) {
      const other = activeGoals(goals).find((g) => g.event === input.event)
      if (other) throw new SiteError(say('goal_event_currency', { event: input.event, currency: other.currency ?? '—' }), 409)
    }
    this.checkName(goals, input.name)
    if (activeGoals(goals).length >= this.deps.maxGoals) throw new SiteError(say('too_many_goals', { max: this.deps.maxGoals }), 409)
    const id = site.settings.goalsNextId ?? 1
    const goal = withoutUndefined({ id, name: input.name, event: input.event, page: input.page, currency: input.currency, since: this.deps.clock() })
    await this.save(site, [...goals, goal], id + 1)
    return { goal, created: true }
  }

  /**
   * Renames a goal, or changes what it counts: then a new goal takes its place and name, and the
   * old series is kept until now (`keep`) or deleted.
   */
  async change(site: Site, id: number, input: GoalInput, keep: boolean): Promise<Goal> {
    const goals = this.list(site)
    const current = this.find(goals, id)
    if (current.until !== undefined) throw new SiteError(say('goal_kept_series', { name: current.name }), 409)
    this.checkName(goals, input.name, id)
    if (sameDefinition(current, input)) {
      const renamed = { ...current, name: input.name }
      await this.save(site, goals.map((g) => (g.id === id ? renamed : g)))
      return renamed
    }
    const now = this.deps.clock()
    const nextId = site.settings.goalsNextId ?? Math.max(0, ...goals.map((g) => g.id)) + 1
    const goal = withoutUndefined({ id: nextId, name: input.name, event: input.event, page: input.page, currency: input.currency, since: now })
    const old = keep ? [{ ...current, name: `${current.name} (${dayOf(current.since, this.deps.timezone)} – ${dayOf(now, this.deps.timezone)})`, until: now }] : []
    await this.save(site, [...goals.filter((g) => g.id !== id), ...old, goal], nextId + 1)
    if (!keep) await deleteGoalData(this.deps.db, site.domain, id)
    return goal
  }

  /** Forgets a goal and deletes its tallies. */
  async remove(site: Site, id: number): Promise<Goal> {
    const goals = this.list(site)
    const goal = this.find(goals, id)
    await this.save(site, goals.filter((g) => g.id !== id))
    await deleteGoalData(this.deps.db, site.domain, id)
    return goal
  }

  private find(goals: Goal[], id: number): Goal {
    const goal = goals.find((g) => g.id === id)
    if (!goal) throw new SiteError(say('goal_not_found', { id }), 404)
    return goal
  }

  private checkName(goals: Goal[], name: string, except?: number): void {
    if (goals.some((g) => g.name === name && g.id !== except)) throw new SiteError(say('goal_name_taken', { name }), 409)
  }

  private async save(site: Site, goals: Goal[], nextId = site.settings.goalsNextId): Promise<void> {
    await this.deps.sites.updateSettings(site.domain, { ...site.settings, goals, goalsNextId: nextId }, this.deps.clock())
  }
}

/** Deletes a goal's tallies from every table: its own rows and its rows by each dimension. */
export const deleteGoalData = (db: Db, site: string, id: number) => deleteDimensionRows(db, site, { dimension: 'event:goal', value: String(id) }, `goal:${id}|`)

function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T
}
