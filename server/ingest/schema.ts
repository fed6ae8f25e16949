import { z } from 'zod'
import { linkProps } from './link-props.ts'
import { normalizeDomain } from '../sites/domain.ts'
import { hasControlChars } from '../text.ts'
import { MAX_PROP_NAME } from '../vocabulary/dimensions.ts'
import { isCurrency, toMinor } from '../goals/money.ts'


// Lengths are JavaScript string lengths (UTF-16 units), as everywhere else in Skaits: zod's
// max() counts code points, which let 300 astral characters through as 600 units.
const text = (max: number) =>
  z
    .string()
    .refine((s) => s.length <= max, `longer than ${max} characters`)
    .refine((s) => !hasControlChars(s), 'contains control characters')

const httpUrl = text(2000).refine((s) => {
  try {
    const u = new URL(s)
    return u.protocol === 'http:' || u.protocol === 'https:'
  } catch {
    return false
  }
}, 'not an http(s) URL')

const propValue = z.union([text(2000), z.number().finite(), z.boolean()])

const props = z
  .record(text(MAX_PROP_NAME).refine((k) => k.length > 0, 'empty property name'), propValue)
  .refine((p) => Object.keys(p).length <= 30, 'more than 30 properties')

/** `p` may be an object or, as older Plausible scripts send it, a JSON string of one. */
const propsField = z.union([
  props,
  text(4096).transform((s, ctx) => {
    try {
      const parsed = props.safeParse(JSON.parse(s))
      if (parsed.success) return parsed.data
    } catch {}
    ctx.addIssue({ code: 'custom', message: 'not a JSON object of properties' })
    return z.NEVER
  }),
])

const optional = <T extends z.ZodType>(t: T) => t.nullish()

/** Money an event carries, as the goals count it: the currency and the amount in its minor units. */
export interface Revenue {
  currency: string
  minor: number
}

/**
 * `revenue` or `$`, as the Plausible Events API takes it: `{"amount": "15.99", "currency": "EUR"}`
 * (the amount a number or a decimal string), or a JSON string of one. `{}` is no revenue (Plausible's
 * tracker sends it with every tagged-element event).
 */
const revenueField = z.union([z.record(z.string(), z.unknown()), text(500)]).transform((raw, ctx): Revenue | undefined => {
  let value: unknown = raw
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw)
    } catch {
      value = undefined
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      ctx.addIssue({ code: 'custom', message: 'not a JSON object {"amount": …, "currency": …}' })
      return z.NEVER
    }
  }
  const { amount, currency } = value as Record<string, unknown>
  if (amount === undefined && currency === undefined) return undefined
  if (!isCurrency(currency)) {
    ctx.addIssue({ code: 'custom', path: ['currency'], message: 'an ISO 4217 currency code in capitals, such as EUR or USD' })
    return z.NEVER
  }
  const minor = toMinor(amount, currency)
  if (!minor.ok) {
    ctx.addIssue({ code: 'custom', path: ['amount'], message: minor.reason })
    return z.NEVER
  }
  return { currency, minor: minor.minor }
})

/** Events Plausible's server gives the page's path as the `path` property when the client did not. */
const PATH_EVENTS = new Set(['404', 'Form: Submission', 'WP Form Completions'])

/**
 * The Plausible Events API body, short or long keys. `e` and `sd` carry an engagement
 * event's engaged milliseconds and maximum scroll depth.
 */
const wire = z.object({
  n: optional(text(120)),
  name: optional(text(120)),
  u: optional(httpUrl),
  url: optional(httpUrl),
  d: optional(text(1000)),
  domain: optional(text(1000)),
  r: optional(text(2000)),
  referrer: optional(text(2000)),
  w: optional(z.number().int().min(0).max(100_000)),
  screen_width: optional(z.number().int().min(0).max(100_000)),
  p: optional(propsField),
  props: optional(propsField),
  h: optional(z.union([z.literal(0), z.literal(1), z.boolean()])),
  hashMode: optional(z.union([z.literal(0), z.literal(1), z.boolean()])),
  e: optional(z.number().int().min(0).max(86_400_000)),
  sd: optional(z.number().int().min(0).max(100)),
  $: optional(revenueField),
  revenue: optional(revenueField),
  // Plausible ignores an `i` that is not a boolean, and so does Skaits.
  i: z.unknown().optional(),
  interactive: z.unknown().optional(),
})

export interface IncomingEvent {
  name: string
  url: URL
  domains: string[]
  referrer: string | undefined
  screenWidth: number | undefined
  props: [string, string][]
  hashMode: boolean
  engagedMs: number
  scrollDepth: number | undefined
  revenue?: Revenue | undefined
  /** false: the event does not take back a bounce (`i: false`) */
  interactive: boolean
}

export type ParseResult = { ok: true; event: IncomingEvent } | { ok: false; reason: string }

export function parseEvent(body: unknown): ParseResult {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, reason: 'the body must be a JSON object' }
  }
  return parseTrackerEvent(body as Record<string, unknown>) ?? parseWire(body)
}

/** The full validation, with zod: every shape the Events API allows, and the reason for a refusal. */
export function parseWire(body: object): ParseResult {
  const r = wire.safeParse(body)
  if (!r.success) {
    const issue = r.error.issues[0]!
    return { ok: false, reason: `${issue.path.join('.') || 'body'}: ${issue.message}` }
  }
  const w = r.data
  const name = w.n ?? w.name
  const url = w.u ?? w.url
  const domain = w.d ?? w.domain
  if (!name) return { ok: false, reason: 'n (name): required' }
  if (!url) return { ok: false, reason: 'u (url): required' }
  if (!domain) return { ok: false, reason: 'd (domain): required' }
  const domains = domain
    .split(',')
    .map((s) => normalizeDomain(s))
    .filter(Boolean)
  if (!domains.length || domains.length > 10) return { ok: false, reason: 'd (domain): one to ten domains' }
  const p = w.p ?? w.props ?? {}
  const parsedUrl = new URL(url)
  const props = linkProps(name, Object.entries(p).map(([k, v]) => [k, String(v)]))
  if (PATH_EVENTS.has(name) && !props.some(([k]) => k === 'path')) props.push(['path', parsedUrl.pathname])
  const interactive = typeof w.i === 'boolean' ? w.i : typeof w.interactive === 'boolean' ? w.interactive : true
  return {
    ok: true,
    event: {
      name,
      url: parsedUrl,
      domains,
      referrer: (w.r ?? w.referrer) || undefined,
      screenWidth: w.w ?? w.screen_width ?? undefined,
      props,
      hashMode: Boolean(w.h ?? w.hashMode),
      engagedMs: w.e ?? 0,
      scrollDepth: w.sd ?? undefined,
      revenue: w.$ ?? w.revenue ?? undefined,
      interactive,
    },
  }
}

const TRACKER_KEYS = new Set(['n', 'u', 'd', 'r', 'w', 'h', 'e', 'sd'])

/**
 * The fast path for what the tracker sends (short keys, no properties): the same checks as
 * `wire`, written out, because zod took a tenth of the ingest path's CPU. Anything it does not
 * accept outright (long keys, props, a value out of range) goes to `parseWire`, which decides
 * and explains; so it can only be faster, never different. A property test holds it to that.
 */
export function parseTrackerEvent(body: Record<string, unknown>): ParseResult | undefined {
  for (const key in body) if (!TRACKER_KEYS.has(key)) return undefined
  const { n, u, d, r, w, h, e, sd } = body
  if (!isText(n, 120) || !isText(u, 2000) || !isText(d, 1000)) return undefined
  if (r != null && !isText(r, 2000)) return undefined
  if (w != null && !isInt(w, 100_000)) return undefined
  if (h != null && h !== 0 && h !== 1 && typeof h !== 'boolean') return undefined
  if (e != null && !isInt(e, 86_400_000)) return undefined
  if (sd != null && !isInt(sd, 100)) return undefined
  if (!n || PATH_EVENTS.has(n)) return undefined
  let url: URL
  try {
    url = new URL(u)
  } catch {
    return undefined
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined
  const domains = d
    .split(',')
    .map((s) => normalizeDomain(s))
    .filter(Boolean)
  if (!domains.length || domains.length > 10) return undefined
  return {
    ok: true,
    event: {
      name: n,
      url,
      domains,
      referrer: (r as string | null | undefined) || undefined,
      screenWidth: (w as number | null | undefined) ?? undefined,
      props: [],
      hashMode: Boolean(h),
      engagedMs: (e as number | null | undefined) ?? 0,
      scrollDepth: (sd as number | null | undefined) ?? undefined,
      interactive: true,
    },
  }
}

function isText(v: unknown, max: number): v is string {
  return typeof v === 'string' && v.length <= max && !hasControlChars(v)
}

function isInt(v: unknown, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max
}

