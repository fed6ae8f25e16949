import { z } from 'zod'
import { globMatcher } from '../sections/rules.ts'
import { FUNNEL_BREAKDOWNS, MAX_FUNNEL_DIMENSIONS, MAX_FUNNEL_STEPS } from '../vocabulary/dimensions.ts'
import { boundedText, remembered, type Goal } from './goals.ts'

/**
 * A funnel a site's owner declares: 2–8 ordered steps, each a page pattern (the section globs)
 * or a custom event (by name, or a goal's event or page). A visit reaches step n when it has
 * completed steps 1…n in that order, other pages and events between allowed; its progress lives
 * in the visit's memory and is forgotten with it (sessions/sessions.ts). Counted from the
 * declaration on (docs/design.md, "Funnels").
 */
export interface Funnel {
  /** a number unique within the site among funnels, never reused: new steps are a new series */
  id: number
  name: string
  steps: FunnelStep[]
  /** up to 3 visit dimensions each step is also counted by, one at a time */
  dimensions: string[]
  /** when counting began (Unix ms) */
  since: number
  /** a funnel whose steps changed and whose counts were kept: counted until then (Unix ms), not since */
  until?: number
}

export type FunnelStep = { page: string } | { event: string }

export const DEFAULT_MAX_FUNNELS = 20

/** What an owner sends: steps as `{page}`, `{event}` or `{goal}` (a goal's name, resolved to its definition now). */
export const funnelInput = z
  .object({
    name: boundedText(120, 'name'),
    steps: z
      .array(
        z.union([
          z.object({ page: boundedText(300, 'page').refine((p) => p.startsWith('/'), 'page: a path pattern starting with /') }).strict(),
          z.object({ event: boundedText(120, 'event') }).strict(),
          z.object({ goal: boundedText(120, 'goal') }).strict(),
        ]),
      )
      .min(2, 'steps: at least 2')
      .max(MAX_FUNNEL_STEPS, `steps: at most ${MAX_FUNNEL_STEPS}`),
    dimensions: z
      .array(z.string().refine((d) => (FUNNEL_BREAKDOWNS as readonly string[]).includes(d), `dimensions: one of ${FUNNEL_BREAKDOWNS.join(', ')}`))
      .max(MAX_FUNNEL_DIMENSIONS, `dimensions: at most ${MAX_FUNNEL_DIMENSIONS}`)
      .default([]),
  })
  .strict()
export type FunnelInput = z.output<typeof funnelInput>

/** The steps with goals replaced by what they count; a name no goal has is undefined. */
export function resolveSteps(steps: FunnelInput['steps'], goals: readonly Goal[]): FunnelStep[] | { unknownGoal: string } {
  const out: FunnelStep[] = []
  for (const s of steps) {
    if ('goal' in s) {
      const g = goals.find((x) => x.name === s.goal && x.until === undefined)
      if (!g) return { unknownGoal: s.goal }
      out.push(g.event !== undefined ? { event: g.event } : { page: g.page! })
    } else out.push(s)
  }
  return out
}

export const sameSteps = (a: FunnelStep[], b: FunnelStep[]) => JSON.stringify(a) === JSON.stringify(b)

/** The funnels counted now (not the kept series of changed ones). */
export const activeFunnels = (funnels: readonly Funnel[] | undefined): Funnel[] => (funnels ?? []).filter((f) => f.until === undefined)

/** Which steps of which funnels one event matches, as the session map advances them (sessions.ts `FunnelHit`). */
export interface FunnelMatch {
  id: number
  /** the 1-based steps the event matches */
  steps: number[]
  dimensions: readonly string[]
}

export interface FunnelMatcher {
  readonly any: boolean
  pageview(page: string): FunnelMatch[] | undefined
  custom(name: string): FunnelMatch[] | undefined
}

export function compileFunnels(funnels: readonly Funnel[] | undefined): FunnelMatcher {
  const active = activeFunnels(funnels)
  if (!active.length) return { any: false, pageview: () => undefined, custom: () => undefined }
  type Step = { page: (path: string) => boolean } | { event: string }
  const compiled = active.map((f) => ({
    f,
    steps: f.steps.map((s): Step => ('page' in s ? { page: globMatcher(s.page) } : { event: s.event })),
  }))
  const match = (test: (s: Step) => boolean): FunnelMatch[] | undefined => {
    const out: FunnelMatch[] = []
    for (const { f, steps } of compiled) {
      const hit: number[] = []
      steps.forEach((s, i) => test(s) && hit.push(i + 1))
      if (hit.length) out.push({ id: f.id, steps: hit, dimensions: f.dimensions })
    }
    return out.length ? out : undefined
  }
  return {
    any: true,
    pageview: remembered((page) => {
      const path = page.split('#')[0] || '/'
      return match((s) => 'page' in s && s.page(path))
    }),
    custom: (name) => match((s) => 'event' in s && s.event === name),
  }
}
