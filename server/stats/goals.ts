import type { Goal } from '../goals/goals.ts'
import { money, type Money } from '../goals/money.ts'
import { say } from '../http/messages.ts'
import type { Site } from '../sites/sites.ts'
import { addDays, dayOf } from '../time.ts'
import { GOAL_BREAKDOWNS, goalDimension, OTHER_CURRENCY } from '../vocabulary/dimensions.ts'
import { isRateMetric, type ApiMetric, type Metric } from '../vocabulary/metrics.ts'
import { autoGranularity, timeLabels, type DayRange, type Granularity } from './date-range.ts'
import { plan, PlanError, type Plan } from './plan.ts'
import type { Filter, QueryRequest } from './request.ts'
import type { QueryResponse } from './run.ts'

/** Runs one plan over stored rows (the route's: with the reader's minimum crowd, the cache, the limits). */
export type RunPlan = (plan: Plan, req: QueryRequest) => Promise<QueryResponse>

const GOAL = 'event:goal'
/** What a goal's rows hold: converting visitors, conversions (visits), completions (events), revenue. */
const STORED: readonly Metric[] = ['visitors', 'visits', 'events', 'total_revenue', 'average_revenue']
const REVENUE: readonly ApiMetric[] = ['total_revenue', 'average_revenue']

type Cell = number | null | Money
interface Row {
  dims: string[]
  metrics: Cell[]
}

export interface GoalMeta {
  /** per goal asked, the instant its tallies began (ISO): conversions, revenue and breakdowns exist from then */
  goals_counted_since?: Record<string, string>
  metric_warnings?: Record<string, { code: string; warning: string }>
  revenue_other_currencies?: Record<string, Money[]>
  /** goals left out of a list by a filtered dimension: declared after the range began, so not counted by it then */
  goals_without_breakdown?: string[]
}

/** Whether the request is about goals: a goal dimension or filter, or a metric only goals have. */
export function asksGoals(req: QueryRequest): boolean {
  return (
    req.dimensions.includes(GOAL) ||
    req.filters.some((f) => leafDims(f).includes(GOAL)) ||
    req.metrics.some((m) => isRateMetric(m) || REVENUE.includes(m))
  )
}

/**
 * A Stats API request about goals, answered from their tallies (docs/design.md, "Goals"): the goal
 * axis plus at most one other dimension, as filter or breakdown, never two. The answer is made
 * from plain plans over stored rows (`event:goal` by goal, `goal:<id>|<dimension>` by value) and,
 * for the rates, the site's or the value's visitors; each plan runs as any other (cache, crowd).
 */
export async function goalQuery(req: QueryRequest, site: Site, range: DayRange, run: RunPlan, tz: string): Promise<QueryResponse> {
  const goals = site.settings.goals ?? []
  const time = req.dimensions.filter((d) => d === 'time' || d.startsWith('time:'))
  const other = req.dimensions.filter((d) => !time.includes(d))
  const goalFilters = req.filters.filter((f) => leafDims(f).includes(GOAL))
  const rest = req.filters.filter((f) => !goalFilters.includes(f))
  if (!other.includes(GOAL) && !goalFilters.length) {
    const metric = req.metrics.find((m) => isRateMetric(m) || REVENUE.includes(m))!
    throw new PlanError('goal_metric_needs_goal', { metric })
  }
  for (const f of goalFilters) {
    if (f[0] !== 'is' || f[1] !== GOAL) throw new PlanError('goal_filter_is', {})
  }
  const names = goalFilters.length ? intersect(goalFilters.map((f) => f[2] as string[])) : undefined
  const chosen = names ? names.map((n) => goalNamed(goals, n)) : goals
  const bad = req.metrics.filter((m) => !isRateMetric(m) && !STORED.includes(m as Metric))
  if (bad.length) throw new PlanError('goal_metric_unavailable', { metrics: bad.join(', '), allowed: [...STORED, 'conversion_rate', 'group_conversion_rate'].join(', ') })
  const restDims = [...new Set(rest.flatMap(leafDims))]
  const by = other.find((d) => d !== GOAL)
  const axis = by ?? restDims[0]
  if (other.length > 1 && other.includes(GOAL)) throw new PlanError('cross_tab_breakdown', { why: ONE_AXIS, a: GOAL, b: by! })
  if (restDims.length > 1 || (by && restDims[0] && restDims[0] !== by)) {
    throw new PlanError('cross_tab_filters', { why: ONE_AXIS, a: restDims[0] ?? by!, b: restDims.find((d) => d !== (restDims[0] ?? by)) ?? restDims[0]! })
  }
  if (axis && !(GOAL_BREAKDOWNS as readonly string[]).includes(axis)) throw new PlanError('goal_breakdown_unknown', { dim: axis })
  const ctx: Ctx = { req, site, range, run, tz, time, rest, axis }
  const meta: GoalMeta = { goals_counted_since: Object.fromEntries(chosen.map((g) => [g.name, new Date(g.since).toISOString()])) }
  let rows: Row[]
  if (other.includes(GOAL) && !axis) {
    rows = await listing(ctx, chosen, meta)
  } else if (other.includes(GOAL)) {
    // Under a filter on one dimension, each goal's rows by that dimension: a plan per goal. A goal
    // declared after the range began has none for it; it is named apart, not shown as zero.
    rows = []
    for (const g of chosen) {
      if (dayOf(g.since, tz) > range.from) {
        ;(meta.goals_without_breakdown ??= []).push(g.name)
        continue
      }
      rows.push(...(await perGoal(ctx, g, meta)).map((r) => ({ ...r, dims: withGoal(req.dimensions, r.dims, g.name) })))
    }
  } else {
    if (chosen.length !== 1) throw new PlanError('goal_filter_one', {})
    rows = by ? await byValue(ctx, chosen[0]!, by) : await perGoal(ctx, chosen[0]!, meta)
  }
  warnRevenue(req, chosen, meta)
  if (req.metrics.some((m) => REVENUE.includes(m))) await otherCurrencies(ctx, chosen, meta)
  rows = order(rows, req)
  const total = rows.length
  const page = rows.slice(req.pagination.offset, req.pagination.offset + req.pagination.limit)
  const responseMeta: QueryResponse['meta'] & GoalMeta = { ...meta }
  if (req.include.total_rows) responseMeta.total_rows = total
  const t = time[0]
  if (req.include.time_labels && t) responseMeta.time_labels = timeLabels(range, t === 'time' ? autoGranularity(range) : (t.slice(5) as Granularity))
  return {
    results: page.map((r) => ({ metrics: r.metrics as (number | null)[], dimensions: r.dims })),
    meta: responseMeta,
    query: {
      site_id: site.domain,
      metrics: req.metrics,
      date_range: [range.from, range.to],
      dimensions: req.dimensions,
      filters: req.filters,
      order_by: req.order_by ?? [],
      include: req.include,
      pagination: req.pagination,
    },
  }
}

const ONE_AXIS =
  'Skaits keeps a goal\'s tallies by one dimension at a time, never two together (docs/design.md, "Goals")'

interface Ctx {
  req: QueryRequest
  site: Site
  range: DayRange
  run: RunPlan
  tz: string
  time: string[]
  rest: Filter[]
  /** the one other dimension, filtered on or broken down by */
  axis: string | undefined
}

/**
 * The goals' rows (per time bucket, if asked): every goal's tallies in one plan over
 * `event:goal` grouped by goal (no filter, so the answer cache keeps it), the history of goals
 * declared within the range, and the site's visitors once.
 */
async function listing(ctx: Ctx, goals: Goal[], meta: GoalMeta): Promise<Row[]> {
  const wanted = storedMetrics(ctx.req.metrics)
  const byGoal = new Map<string, Map<string, Record<string, number | null>>>()
  const add = (id: string, timeKey: string, values: Record<string, number | null>) => {
    let times = byGoal.get(id)
    if (!times) byGoal.set(id, (times = new Map()))
    const row = times.get(timeKey) ?? {}
    for (const [m, v] of Object.entries(values)) row[m] = v === null ? (row[m] ?? null) : (row[m] ?? 0) + v
    times.set(timeKey, row)
  }
  for (const a of await ask(ctx, ctx.range, [GOAL], [], wanted)) add(a.value!, a.dims.slice(0, -1).join('\u0000'), a.values)
  for (const goal of goals) {
    const since = dayOf(goal.since, ctx.tz)
    if (ctx.range.from >= since) continue
    const before = await fromHistory(ctx, goal, since, wanted, meta)
    for (const a of before) add(String(goal.id), a.dims.join('\u0000'), a.values)
  }
  const denominators = needsRate(ctx.req) ? await siteVisitors(ctx) : undefined
  const rows: Row[] = []
  for (const goal of goals) {
    for (const [timeKey, values] of byGoal.get(String(goal.id)) ?? []) {
      const visitors = denominators?.get(timeKey) ?? null
      rows.push({ dims: withGoal(ctx.req.dimensions, timeKey ? timeKey.split('\u0000') : [], goal.name), metrics: finish(ctx.req, values, goal, visitors, visitors) })
    }
  }
  return rows
}

/**
 * A goal's visitors and completions on the days of the range before its declaration day, where
 * history knows them (an event goal's `event:name`, a one-page goal's `event:page`); the metrics it
 * cannot give are said in `meta.metric_warnings`.
 */
async function fromHistory(ctx: Ctx, goal: Goal, since: string, wanted: Metric[], meta: GoalMeta): Promise<Answered[]> {
  const history = historyOf(goal)
  const known: Metric[] = history ? wanted.filter((m) => m === 'visitors' || m === 'events') : []
  for (const m of wanted.filter((x) => !known.includes(x))) {
    ;(meta.metric_warnings ??= {})[m] = { code: 'goal_counted_since', warning: say('goal_counted_since', { name: goal.name, since }).error }
  }
  if (!history || !known.length) return []
  return ask(ctx, { ...ctx.range, to: addDays(since, -1) }, [], [history.filter], known)
}

/**
 * One goal's rows per time bucket (or one row): from its own tallies, or from its tallies by the
 * filtered dimension. Days before its declaration come from history where that knows them (an
 * event goal's `event:name`, an exact page goal's `event:page`: visitors and completions).
 */
async function perGoal(ctx: Ctx, goal: Goal, meta: GoalMeta): Promise<Row[]> {
  const since = dayOf(goal.since, ctx.tz)
  const from = ctx.axis ? checkSince(ctx, goal, since) : ctx.range.from
  const stored = ctx.axis ? goalDimension(goal.id, ctx.axis) : GOAL
  const filters: Filter[] = ctx.axis ? ctx.rest.map((f) => renamed(f, ctx.axis!, stored)) : [['is', GOAL, [String(goal.id)]]]
  const tallyRange = { ...ctx.range, from: from < since ? since : from }
  const wanted = storedMetrics(ctx.req.metrics)
  const tallies = tallyRange.from <= tallyRange.to ? await ask(ctx, tallyRange, [], filters, wanted) : []
  const rows = new Map<string, Record<string, number | null>>()
  const add = (answer: Answered[]) => {
    for (const a of answer) {
      const key = a.dims.join('\u0000')
      const row = rows.get(key) ?? {}
      for (const [m, v] of Object.entries(a.values)) row[m] = v === null ? (row[m] ?? null) : (row[m] ?? 0) + v
      rows.set(key, row)
    }
  }
  add(tallies)
  if (!ctx.axis && ctx.range.from < since) add(await fromHistory(ctx, goal, since, wanted, meta))
  const denominators = needsRate(ctx.req) ? await siteVisitors(ctx) : undefined
  // One row for the goal asked alone, even of zeros; a list of goals shows those with tallies.
  if (!rows.size && !ctx.time.length && !ctx.req.dimensions.includes(GOAL)) rows.set('', {})
  return [...rows].map(([key, values]) => {
    const dims = key ? key.split('\u0000') : []
    return { dims, metrics: finish(ctx.req, values, goal, denominators?.get(key) ?? null, denominators?.get(key) ?? null) }
  })
}

/** One goal by the values of one dimension: its tallies by that dimension, with each value's own visitors for the group rate. */
async function byValue(ctx: Ctx, goal: Goal, by: string): Promise<Row[]> {
  checkSince(ctx, goal, dayOf(goal.since, ctx.tz))
  const stored = goalDimension(goal.id, by)
  const filters = ctx.rest.map((f) => renamed(f, by, stored))
  const answer = await ask(ctx, ctx.range, [stored], filters, storedMetrics(ctx.req.metrics))
  const site = ctx.req.metrics.includes('conversion_rate') ? await siteVisitors(ctx) : undefined
  let group: Map<string, number> | undefined
  if (ctx.req.metrics.includes('group_conversion_rate') && answer.length) {
    const values = [...new Set(answer.map((a) => a.value!))]
    const own = await ask(ctx, ctx.range, [by], [...ctx.rest, ['is', by, values]], ['visitors'])
    group = new Map(own.map((a) => [a.dims.join('\u0000'), a.values.visitors ?? 0]))
  }
  return answer.map((a) => {
    const timeKey = a.dims.filter((_, i) => ctx.req.dimensions[i] !== by).join('\u0000')
    return {
      dims: a.dims,
      metrics: finish(ctx.req, a.values, goal, site?.get(timeKey) ?? null, group?.get(a.dims.join('\u0000')) ?? null),
    }
  })
}

interface Answered {
  /** the request's dimensions' values, in its order */
  dims: string[]
  /** the broken-down value, if any */
  value?: string
  values: Record<string, number | null>
}

/** One stored plan: the request's time dimension, `dims` (one stored dimension or none), the filters, the metrics. */
async function ask(ctx: Ctx, range: DayRange, dims: string[], filters: Filter[], metrics: Metric[]): Promise<Answered[]> {
  const dimensions = ctx.req.dimensions.flatMap((d) => (ctx.time.includes(d) ? [d] : d === GOAL ? [] : dims))
  if (dims.length && !dimensions.includes(dims[0]!)) dimensions.push(dims[0]!)
  const stored: QueryRequest = {
    ...ctx.req,
    metrics,
    dimensions,
    filters,
    order_by: undefined,
    include: {},
    pagination: { limit: 10_000, offset: 0 },
  }
  const p = plan(stored, ctx.site, range)
  const answer = await ctx.run(p, stored)
  return answer.results.map((r) => {
    const values = Object.fromEntries(metrics.map((m, i) => [m, r.metrics[i] ?? null]))
    const out: Answered = { dims: r.dimensions, values }
    if (dims.length) out.value = r.dimensions[dimensions.indexOf(dims[0]!)]
    return out
  })
}

/** The site's visitors per time bucket ('' without one), under the request's other filters. */
async function siteVisitors(ctx: Ctx): Promise<Map<string, number>> {
  const answer = await ask(ctx, ctx.range, [], ctx.rest, ['visitors'])
  return new Map(answer.map((a) => [a.dims.join('\u0000'), a.values.visitors ?? 0]))
}

/** Where a goal's visitors and completions before its declaration are known, if anywhere. */
function historyOf(goal: Goal): { dim: string; filter: Filter } | undefined {
  if (goal.event !== undefined) return { dim: 'event:name', filter: ['is', 'event:name', [goal.event]] }
  if (goal.page !== undefined && !goal.page.includes('*')) return { dim: 'event:page', filter: ['is', 'event:page', [goal.page]] }
  return undefined
}

/** A breakdown of a goal exists from its declaration day on: earlier, a 400 that says from when. */
function checkSince(ctx: Ctx, goal: Goal, since: string): string {
  if (ctx.range.from < since) throw new PlanError('goal_breakdown_since', { name: goal.name, since, dim: ctx.axis ?? '' })
  return ctx.range.from
}

function storedMetrics(metrics: ApiMetric[]): Metric[] {
  const out = new Set<Metric>()
  for (const m of metrics) out.add(isRateMetric(m) ? 'visitors' : m)
  return [...out]
}

const needsRate = (req: QueryRequest) => req.metrics.some(isRateMetric)

/** The request's metrics of one row: rates from the two visitor counts, revenue as money. */
function finish(req: QueryRequest, values: Record<string, number | null>, goal: Goal, siteVisitors: number | null, groupVisitors: number | null): Cell[] {
  return req.metrics.map((m) => {
    if (m === 'conversion_rate') return rate(values.visitors ?? 0, siteVisitors)
    if (m === 'group_conversion_rate') return rate(values.visitors ?? 0, groupVisitors)
    if (m === 'total_revenue' || m === 'average_revenue') {
      if (!goal.currency) return null
      const v = values[m]
      return v === null || v === undefined ? (m === 'total_revenue' ? money(0, goal.currency) : null) : money(m === 'average_revenue' ? Math.round(v) : v, goal.currency)
    }
    return values[m] ?? 0
  })
}

/** Converting visitors ÷ visitors, in per cent to one decimal (as Plausible); 0 without visitors. */
function rate(converted: number, of: number | null): number {
  if (!of) return 0
  return Math.round((converted / of) * 1000) / 10
}

function warnRevenue(req: QueryRequest, goals: Goal[], meta: GoalMeta): void {
  const asked = req.metrics.filter((m) => REVENUE.includes(m))
  if (!asked.length) return
  const currencies = new Set(goals.filter((g) => g.currency).map((g) => g.currency))
  const code = currencies.size === 0 ? 'no_revenue_goals_matching' : undefined
  if (!code) return
  for (const m of asked) (meta.metric_warnings ??= {})[m] = { code, warning: 'Revenue metrics are null as there are no matching revenue goals.' }
}

/**
 * Revenue a goal received in currencies other than its own: Skaits converts none (that needs
 * exchange rates from the internet), so each is said apart, in its own currency.
 */
async function otherCurrencies(ctx: Ctx, goals: Goal[], meta: GoalMeta): Promise<void> {
  for (const g of goals.filter((x) => x.currency)) {
    const since = dayOf(g.since, ctx.tz)
    const range = { ...ctx.range, from: ctx.range.from < since ? since : ctx.range.from }
    if (range.from > range.to) continue
    const plain = { ...ctx, time: [], req: { ...ctx.req, dimensions: [] } }
    const answer = await ask(plain, range, [goalDimension(g.id, OTHER_CURRENCY)], [], ['total_revenue'])
    const amounts = answer.filter((a) => a.values.total_revenue).map((a) => money(a.values.total_revenue!, a.value!))
    if (amounts.length) (meta.revenue_other_currencies ??= {})[g.name] = amounts
  }
}

function goalNamed(goals: Goal[], name: string): Goal {
  const goal = goals.find((g) => g.name === name)
  if (!goal) throw new PlanError('goal_unknown', { name, known: goals.map((g) => g.name).join(', ') || '—' })
  return goal
}

/** The request's dimensions' values with the goal's name where `event:goal` stands. */
function withGoal(dimensions: string[], values: string[], name: string): string[] {
  const out: string[] = []
  let i = 0
  for (const d of dimensions) out.push(d === GOAL ? name : (values[i++] ?? ''))
  return out
}

function order(rows: Row[], req: QueryRequest): Row[] {
  const time = req.dimensions.find((d) => d === 'time' || d.startsWith('time:'))
  const by = req.order_by ?? [...(time ? [[time, 'asc'] as [string, 'asc']] : []), [req.metrics[0], 'desc'] as [string, 'desc']]
  const key = (r: Row, name: string): number | string => {
    const d = req.dimensions.indexOf(name)
    if (d >= 0) return r.dims[d] ?? ''
    const m = req.metrics.indexOf(name as ApiMetric)
    const v = m >= 0 ? r.metrics[m] : null
    return v === null || v === undefined ? -Infinity : typeof v === 'object' ? v.value : v
  }
  for (const [name] of by) {
    if (!req.dimensions.includes(name) && !req.metrics.includes(name as ApiMetric)) throw new PlanError('order_by_unknown', { key: name })
  }
  return [...rows].sort((a, b) => {
    for (const [name, dir] of by) {
      const x = key(a, name)
      const y = key(b, name)
      if (x !== y) return (x < y ? -1 : 1) * (dir === 'asc' ? 1 : -1)
    }
    return a.dims.join('\u0000') < b.dims.join('\u0000') ? -1 : 1
  })
}

function leafDims(f: Filter): string[] {
  if (f[0] === 'and' || f[0] === 'or') return (f[1] as Filter[]).flatMap(leafDims)
  if (f[0] === 'not') return leafDims(f[1] as Filter)
  return [f[1] as string]
}

function renamed(f: Filter, from: string, to: string): Filter {
  if (f[0] === 'and' || f[0] === 'or') return [f[0], (f[1] as Filter[]).map((x) => renamed(x, from, to))]
  if (f[0] === 'not') return ['not', renamed(f[1] as Filter, from, to)]
  return [f[0], f[1] === from ? to : (f[1] as string), ...(f.slice(2) as [string[], ...unknown[]])] as Filter
}

function intersect(lists: string[][]): string[] {
  return lists.reduce((a, b) => a.filter((x) => b.includes(x)))
}

export { OTHER_CURRENCY }
