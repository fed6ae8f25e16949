import { z } from 'zod'

import { API_METRICS, METRICS, type Metric } from '../vocabulary/metrics.ts'

export { METRICS, type Metric }

export const TIME_DIMENSIONS = ['time', 'time:hour', 'time:day', 'time:week', 'time:month'] as const
export type TimeDimension = (typeof TIME_DIMENSIONS)[number]

export const LEAF_OPERATORS = ['is', 'is_not', 'contains', 'contains_not', 'matches', 'matches_not'] as const
export type LeafOperator = (typeof LEAF_OPERATORS)[number]

export type Filter =
  | [LeafOperator, string, string[], ...unknown[]]
  | ['and' | 'or', Filter[]]
  | ['not', Filter]

const filter: z.ZodType<Filter> = z.lazy(() =>
  z.union([
    z.tuple([z.enum(LEAF_OPERATORS), z.string().max(400), z.array(z.string().max(2000)).min(1).max(1000)]).rest(z.unknown()),
    z.tuple([z.enum(['and', 'or']), z.array(filter).min(1).max(50)]),
    z.tuple([z.literal('not'), filter]),
  ]),
) as z.ZodType<Filter>

/** `matches`/`matches_not` patterns per query, and characters per pattern: each is compiled by ClickHouse. */
export const MAX_PATTERNS = 10
export const MAX_PATTERN_LENGTH = 200

/** The patterns of every `matches`/`matches_not` leaf of a filter tree. */
function patternsOf(f: Filter): string[] {
  const [op] = f
  if (op === 'and' || op === 'or') return (f[1] as Filter[]).flatMap(patternsOf)
  if (op === 'not') return patternsOf(f[1] as Filter)
  return op === 'matches' || op === 'matches_not' ? (f[2] as string[]) : []
}

function checkPatterns(filters: Filter[], ctx: z.RefinementCtx): void {
  const patterns = filters.flatMap(patternsOf)
  if (patterns.length > MAX_PATTERNS) {
    ctx.addIssue({ code: 'custom', path: ['filters'], message: `at most ${MAX_PATTERNS} "matches"/"matches_not" patterns per query, got ${patterns.length}` })
  } else if (patterns.some((p) => p.length > MAX_PATTERN_LENGTH)) {
    ctx.addIssue({ code: 'custom', path: ['filters'], message: `a "matches"/"matches_not" pattern is at most ${MAX_PATTERN_LENGTH} characters` })
  }
}

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}/, 'dates are YYYY-MM-DD')

export const queryRequest = z
  .object({
    site_id: z.string().min(1).max(1000),
    metrics: z.array(z.enum(API_METRICS)).min(1).max(API_METRICS.length),
    date_range: z.union([z.string().regex(/^(day|today|yesterday|month|year|all|\d{1,4}d|\d{1,3}mo)$/), z.tuple([day, day])]),
    dimensions: z.array(z.string().max(400)).max(2).default([]),
    filters: z.array(filter).max(20).default([]),
    order_by: z.array(z.tuple([z.string().max(400), z.enum(['asc', 'desc'])])).max(5).optional(),
    include: z
      .object({ time_labels: z.boolean().optional(), total_rows: z.boolean().optional(), imports: z.boolean().optional() })
      .default({}),
    pagination: z
      .object({ limit: z.number().int().min(1).max(10_000).default(10_000), offset: z.number().int().min(0).default(0) })
      .default({ limit: 10_000, offset: 0 }),
  })
  .strict()
  .superRefine((req, ctx) => checkPatterns(req.filters, ctx))

export type QueryRequest = z.infer<typeof queryRequest>
