import { z } from 'zod'
import type { Funnel, FunnelStep } from '../goals/funnels.ts'
import type { Site } from '../sites/sites.ts'
import { dayOf } from '../time.ts'
import { funnelDimension, funnelStepDimension } from '../vocabulary/dimensions.ts'
import type { Metric } from '../vocabulary/metrics.ts'
import type { DayRange } from './date-range.ts'
import { plan, PlanError } from './plan.ts'
import type { QueryRequest } from './request.ts'
import type { RunPlan } from './goals.ts'

/** `POST /api/v2/funnel`: Skaits' own shape (Plausible's Stats API has no funnels). */
export const funnelRequest = z
  .object({
    site_id: z.string().min(1).max(1000),
    funnel: z.string().min(1).max(120),
    date_range: z.union([z.string().regex(/^(day|today|yesterday|month|year|all|\d{1,4}d|\d{1,3}mo)$/), z.tuple([z.string(), z.string()])]),
    /** one of the funnel's dimensions: each step by its values */
    dimension: z.string().max(400).optional(),
  })
  .strict()
export type FunnelRequest = z.infer<typeof funnelRequest>

export interface StepAnswer {
  step: number
  /** what completes the step: a page pattern or an event name */
  page?: string
  event?: string
  visitors: number
  visits: number
  /** % of the first step's visitors, one decimal */
  conversion_rate: number
  /** % of the previous step's visitors, one decimal */
  conversion_rate_step: number
  /** visitors of the previous step who did not reach this one */
  dropoff: number
  /** average seconds from the first step to this one */
  average_time: number
}

export interface FunnelAnswer {
  funnel: { name: string; steps: FunnelStep[]; dimensions: string[]; since: string; until: string | null }
  date_range: [string, string]
  steps: StepAnswer[]
  /** with `dimension`: the steps of each value */
  by?: { dimension: string; values: { value: string; steps: StepAnswer[] }[] }
}

const METRICS: Metric[] = ['visitors', 'visits', 'visit_duration']

/**
 * A funnel's steps over a range (docs/design.md, "Funnels"): one plan over the funnel's own rows
 * (a row per step), and with a dimension a plan per step over that step's rows by it; each runs
 * as any other query (the answer cache, the reader's minimum crowd, the limits). Counting began
 * at the declaration: a range starting before its day is a 400, never zeros.
 */
export async function funnelQuery(site: Site, funnel: Funnel, range: DayRange, dimension: string | undefined, run: RunPlan, tz: string): Promise<FunnelAnswer> {
  const since = dayOf(funnel.since, tz)
  if (range.from < since) throw new PlanError('funnel_since', { name: funnel.name, since })
  if (dimension !== undefined && !funnel.dimensions.includes(dimension)) {
    throw new PlanError('funnel_dimension', { name: funnel.name, dim: dimension, dims: funnel.dimensions.join(', ') || '—' })
  }
  const ask = async (stored: string) => {
    const req: QueryRequest = {
      site_id: site.domain,
      metrics: METRICS,
      date_range: [range.from, range.to],
      dimensions: [stored],
      filters: [],
      include: {},
      pagination: { limit: 10_000, offset: 0 },
    }
    const answer = await run(plan(req, site, range), req)
    return answer.results.map((r) => ({ value: r.dimensions[0]!, visitors: r.metrics[0] ?? 0, visits: r.metrics[1] ?? 0, time: r.metrics[2] ?? 0 }))
  }
  const own = new Map((await ask(funnelDimension(funnel.id))).map((r) => [Number(r.value), r]))
  const answer: FunnelAnswer = {
    funnel: {
      name: funnel.name,
      steps: funnel.steps,
      dimensions: funnel.dimensions,
      since: new Date(funnel.since).toISOString(),
      until: funnel.until === undefined ? null : new Date(funnel.until).toISOString(),
    },
    date_range: [range.from, range.to],
    steps: steps(funnel, (n) => own.get(n)),
  }
  if (dimension !== undefined) {
    const byValue = new Map<string, Map<number, { visitors: number; visits: number; time: number }>>()
    for (let n = 1; n <= funnel.steps.length; n++) {
      for (const r of await ask(funnelStepDimension(funnel.id, n, dimension))) {
        let m = byValue.get(r.value)
        if (!m) byValue.set(r.value, (m = new Map()))
        m.set(n, r)
      }
    }
    const values = [...byValue].map(([value, m]) => ({ value, steps: steps(funnel, (n) => m.get(n)) }))
    values.sort((a, b) => b.steps[0]!.visitors - a.steps[0]!.visitors || (a.value < b.value ? -1 : 1))
    answer.by = { dimension, values }
  }
  return answer
}

function steps(funnel: Funnel, of: (n: number) => { visitors: number; visits: number; time: number } | undefined): StepAnswer[] {
  const out: StepAnswer[] = []
  for (let n = 1; n <= funnel.steps.length; n++) {
    const r = of(n)
    const visitors = r?.visitors ?? 0
    const first = out[0]?.visitors ?? visitors
    const previous = out[n - 2]?.visitors ?? visitors
    out.push({
      step: n,
      ...funnel.steps[n - 1]!,
      visitors,
      visits: r?.visits ?? 0,
      conversion_rate: percent(visitors, first),
      conversion_rate_step: percent(visitors, previous),
      dropoff: Math.max(0, previous - visitors),
      average_time: r?.time ?? 0,
    })
  }
  return out
}

const percent = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 1000) / 10 : 0)
