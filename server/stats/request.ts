import { z } from 'zod'

export const METRICS = [
  'visitors',
  'visits',
  'pageviews',
  'views_per_visit',
  'bounce_rate',
  'visit_duration',
  'time_on_page',
  'scroll_depth',
  'events',
] as const
export type Metric = (typeof METRICS)[number]

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

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}/, 'dates are YYYY-MM-DD')

export const queryRequest = z
  .object({
    site_id: z.string().min(1).max(1000),
    metrics: z.array(z.enum(METRICS)).min(1).max(METRICS.length),
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

export type QueryRequest = z.infer<typeof queryRequest>
