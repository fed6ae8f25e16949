import { z } from 'zod'
import { globMatcher } from '../sections/rules.ts'
import { hasControlChars } from '../text.ts'
import { isCurrency } from './money.ts'

/**
 * A goal a site's owner declares: a custom event by name, or a page pattern (the globs section
 * rules use). From its declaration on, ingest keeps its tallies (docs/design.md, "Goals"):
 * per hour, then per day, the conversions, completions, converting visitors and revenue, for the
 * goal alone and for the goal × one visit dimension at a time.
 */
export interface Goal {
  /** a number unique within the site, never reused: a changed definition is a new goal */
  id: number
  /** the name shown and asked by (`event:goal`), unique within the site */
  name: string
  event?: string
  page?: string
  /** event goals only: the currency revenue is counted in */
  currency?: string
  /** when counting began (Unix ms) */
  since: number
  /** a goal whose definition changed and whose tallies were kept: counted until then (Unix ms), not since */
  until?: number
}

/** Goals per site unless GOALS_PER_SITE says otherwise. */
export const DEFAULT_MAX_GOALS = 50

/** A trimmed, non-empty text of at most `max` characters without control characters, named `what` in refusals. */
export const boundedText = (max: number, what: string) =>
  z
    .string()
    .trim()
    .min(1, `${what}: empty`)
    .max(max, `${what}: at most ${max} characters`)
    .refine((s) => !hasControlChars(s), `${what}: no control characters`)

/** What an owner sends to declare or change a goal (REST, CLI, the Plausible Sites API's names too). */
export const goalInput = z
  .object({
    name: boundedText(120, 'name').optional(),
    display_name: boundedText(120, 'display_name').optional(),
    event: boundedText(120, 'event').optional(),
    event_name: boundedText(120, 'event_name').optional(),
    page: boundedText(300, 'page').refine((p) => p.startsWith('/'), 'page: a path pattern starting with /').optional(),
    page_path: boundedText(300, 'page_path').optional(),
    goal_type: z.enum(['event', 'page']).optional(),
    currency: z
      .string()
      .refine(isCurrency, 'currency: an ISO 4217 code such as EUR or USD')
      .optional(),
  })
  .transform((g, ctx) => {
    const event = g.event ?? g.event_name
    const rawPage = g.page ?? g.page_path
    const page = rawPage === undefined ? undefined : rawPage.startsWith('/') ? rawPage : `/${rawPage}`
    if ((event === undefined) === (page === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give either event (a custom event name) or page (a path pattern)' })
      return z.NEVER
    }
    if (g.goal_type && (g.goal_type === 'event') !== (event !== undefined)) {
      ctx.addIssue({ code: 'custom', message: `goal_type ${g.goal_type} needs ${g.goal_type === 'event' ? 'event_name' : 'page_path'}` })
      return z.NEVER
    }
    if (page !== undefined && g.currency) {
      ctx.addIssue({ code: 'custom', message: 'currency: only event goals carry revenue' })
      return z.NEVER
    }
    const name = g.name ?? g.display_name ?? (event ?? `Visit ${page}`)
    return { name, event, page, currency: g.currency }
  })
export type GoalInput = z.output<typeof goalInput>

/** Whether two goals count the same thing (their series can continue). */
export function sameDefinition(a: Pick<Goal, 'event' | 'page' | 'currency'>, b: Pick<Goal, 'event' | 'page' | 'currency'>): boolean {
  return a.event === b.event && a.page === b.page && (a.currency ?? '') === (b.currency ?? '')
}

/** The goals counted now (not the kept series of changed ones). */
export const activeGoals = (goals: readonly Goal[] | undefined): Goal[] => (goals ?? []).filter((g) => g.until === undefined)

/** The site's goals compiled for the ingest path: which an event completes. */
export interface GoalMatcher {
  /** none → an empty array, the same one each time */
  readonly any: boolean
  pageview(page: string): readonly Goal[]
  custom(name: string): readonly Goal[]
}

const NONE: readonly Goal[] = Object.freeze([])

export function compileGoals(goals: readonly Goal[] | undefined): GoalMatcher {
  const active = activeGoals(goals)
  if (!active.length) return { any: false, pageview: () => NONE, custom: () => NONE }
  const byEvent = new Map<string, Goal[]>()
  const pages: { goal: Goal; matches: (path: string) => boolean }[] = []
  for (const g of active) {
    if (g.event !== undefined) byEvent.set(g.event, [...(byEvent.get(g.event) ?? []), g])
    else if (g.page !== undefined) pages.push({ goal: g, matches: globMatcher(g.page) })
  }
  return {
    any: true,
    custom: (name) => byEvent.get(name) ?? NONE,
    pageview: remembered((page) => {
      if (!pages.length) return NONE
      const path = page.split('#')[0] || '/'
      const hit = pages.filter((p) => p.matches(path)).map((p) => p.goal)
      return hit.length ? hit : NONE
    }),
  }
}

/** Paths whose answer a matcher remembers; past it, it starts again (a site's pages repeat). */
const REMEMBERED_PATHS = 5000

/**
 * `f` answering each argument from memory after the first time: matching a path against a
 * site's page globs runs on every pageview, and a site's pageviews are mostly of a few hundred
 * paths. The answers must not be changed by callers.
 */
export function remembered<T>(f: (key: string) => T): (key: string) => T {
  const known = new Map<string, T>()
  return (key) => {
    if (known.has(key)) return known.get(key) as T
    if (known.size >= REMEMBERED_PATHS) known.clear()
    const answer = f(key)
    known.set(key, answer)
    return answer
  }
}
