/**
 * Every dimension Skaits counts by, said once. The server (sessions, enrichment, stats, exports,
 * the privacy notice) and the dashboard import this module; it imports only ../text.ts, so both
 * builds compile it. Adding a dimension is one entry here plus the code that finds its value
 * (docs/design.md, "What a new dimension touches").
 */
import { hasControlChars } from '../text.ts'

/**
 * What a row of the dimension is: a page viewed (page metrics), an event sent (events and
 * their visitors only), a visit (fixed at its start, or moved as it goes), or a goal's tallies
 * (its conversions, completions, converting visitors and revenue, server/goals/), or a funnel's
 * steps (visits and visitors that reached each, and the time it took them).
 */
export type DimensionKind = 'page' | 'event' | 'visit' | 'goal' | 'funnel'

/** Where a value comes from, and so which module finds it. */
export type ValueSource =
  /** the page's path (ingest/page-path.ts) */
  | 'page'
  /** the page's path through the site's section rules (sections/rules.ts) */
  | 'section'
  /** the event's name or one of its properties (ingest/schema.ts) */
  | 'event'
  /** the first or last page of the visit (sessions/sessions.ts) */
  | 'visit-page'
  /** the referrer and the landing URL's utm_ parameters (enrich/sources.ts) */
  | 'referrer'
  /** the User-Agent and client hints, the screen width (enrich/devices.ts) */
  | 'user-agent'
  /** the client address, looked up in memory and forgotten (enrich/country.ts, enrich/isp.ts) */
  | 'address'
  /** the site's declared goals an event completed (goals/goals.ts, sessions/sessions.ts) */
  | 'goal'
  /** the site's declared funnels a visit moved through (goals/funnels.ts, sessions/sessions.ts) */
  | 'funnel'

/**
 * How many values a busy site sees in a day: `long` tens of thousands (pages), `mid` about a
 * thousand (referrers, ISPs), `short` a few hundred at most. The stats queries read long and
 * mid tails from weekly and monthly sums (stats/levels.ts).
 */
export type Tail = 'long' | 'mid' | 'short'

export interface Dimension {
  kind: DimensionKind
  source: ValueSource
  tail: Tail
  /** whether a partner share may include it (export/partners.ts) */
  exportable: boolean
  /** whether unique visitors can be counted per value (no: a visitor cannot leave a unique count when their exit page moves) */
  visitors: boolean
  /** as a heading: English noun, Latvian nominative, Latvian genitive ("ar lapas filtru") */
  label: { en: string; lv: string; lvOf: string }
  /** a list of its values in prose (the privacy notice): "sources", "avoti" */
  plural: { en: string; lv: string }
}

const entry =
  (kind: DimensionKind) =>
  (source: ValueSource, label: Dimension['label'], plural: Dimension['plural'], more: Partial<Dimension> = {}): Dimension => ({
    kind,
    source,
    tail: 'short',
    exportable: true,
    visitors: true,
    label,
    plural,
    ...more,
  })
const page = entry('page')
const event = entry('event')
const visit = entry('visit')
const goal = entry('goal')

export const DIMENSIONS = {
  'event:page': page('page', { en: 'page', lv: 'Lapa', lvOf: 'lapas' }, { en: 'pages', lv: 'lapas' }, { tail: 'long' }),
  'event:section': page('section', { en: 'section', lv: 'Sadaļa', lvOf: 'sadaļas' }, { en: 'sections', lv: 'sadaļas' }),
  'event:name': event('event', { en: 'event', lv: 'Notikums', lvOf: 'notikuma' }, { en: 'events', lv: 'notikumi' }, { exportable: false }),
  'visit:entry_page': visit('visit-page', { en: 'entry page', lv: 'Ieejas lapa', lvOf: 'ieejas lapas' }, { en: 'entry pages', lv: 'ieejas lapas' }, { tail: 'long' }),
  'visit:exit_page': visit('visit-page', { en: 'exit page', lv: 'Izejas lapa', lvOf: 'izejas lapas' }, { en: 'exit pages', lv: 'izejas lapas' }, { tail: 'long', exportable: false, visitors: false }),
  'visit:source': visit('referrer', { en: 'source', lv: 'Avots', lvOf: 'avota' }, { en: 'sources', lv: 'avoti' }),
  'visit:referrer': visit('referrer', { en: 'referrer', lv: 'Atsauces vietne', lvOf: 'atsauces vietnes' }, { en: 'referring sites', lv: 'atsaucošās vietnes' }, { tail: 'mid' }),
  'visit:channel': visit('referrer', { en: 'channel', lv: 'Kanāls', lvOf: 'kanāla' }, { en: 'channels', lv: 'kanāli' }),
  'visit:utm_source': visit('referrer', { en: 'UTM source', lv: 'UTM avots', lvOf: 'UTM avota' }, { en: 'campaign sources', lv: 'kampaņu avoti' }),
  'visit:utm_medium': visit('referrer', { en: 'UTM medium', lv: 'UTM medijs', lvOf: 'UTM medija' }, { en: 'campaign media', lv: 'kampaņu mediji' }),
  'visit:utm_campaign': visit('referrer', { en: 'UTM campaign', lv: 'UTM kampaņa', lvOf: 'UTM kampaņas' }, { en: 'campaigns', lv: 'kampaņas' }),
  'visit:utm_content': visit('referrer', { en: 'UTM content', lv: 'UTM saturs', lvOf: 'UTM satura' }, { en: 'campaign contents', lv: 'kampaņu saturi' }, { exportable: false }),
  'visit:utm_term': visit('referrer', { en: 'UTM term', lv: 'UTM atslēgvārds', lvOf: 'UTM atslēgvārda' }, { en: 'campaign terms', lv: 'kampaņu atslēgvārdi' }, { exportable: false }),
  'visit:browser': visit('user-agent', { en: 'browser', lv: 'Pārlūks', lvOf: 'pārlūka' }, { en: 'browsers', lv: 'pārlūki' }),
  'visit:browser_version': visit('user-agent', { en: 'browser version', lv: 'Pārlūka versija', lvOf: 'pārlūka versijas' }, { en: 'browser versions', lv: 'pārlūku versijas' }, { exportable: false }),
  'visit:os': visit('user-agent', { en: 'operating system', lv: 'Operētājsistēma', lvOf: 'operētājsistēmas' }, { en: 'operating systems', lv: 'operētājsistēmas' }),
  'visit:os_version': visit('user-agent', { en: 'OS version', lv: 'OS versija', lvOf: 'OS versijas' }, { en: 'operating system versions', lv: 'operētājsistēmu versijas' }, { exportable: false }),
  'visit:device': visit('user-agent', { en: 'device', lv: 'Ierīce', lvOf: 'ierīces' }, { en: 'device types', lv: 'ierīču veidi' }),
  'visit:country': visit('address', { en: 'country', lv: 'Valsts', lvOf: 'valsts' }, { en: 'countries', lv: 'valstis' }),
  'visit:isp': visit('address', { en: 'ISP', lv: 'ISP', lvOf: 'ISP' }, { en: 'internet service providers', lv: 'interneta pakalpojumu sniedzēji' }, { tail: 'mid' }),
  // Stored by goal id; the Stats API and the dashboard name goals by their display names.
  'event:goal': goal('goal', { en: 'goal', lv: 'Mērķis', lvOf: 'mērķa' }, { en: 'goals', lv: 'mērķi' }, { exportable: false }),
} as const satisfies Record<string, Dimension>

export type DimensionName = keyof typeof DIMENSIONS

/** Event properties are dimensions too, one per property name: `event:props:<name>`. */
export const PROP_PREFIX = 'event:props:'

/** Property names are what ingest accepts: 1 to 300 characters, no control characters. */
export const MAX_PROP_NAME = 300

/**
 * The dimensions a goal is also counted by, one at a time with the goal (never two together):
 * the page and section where it was completed and every visit dimension but the exit page,
 * which moves after the conversion, and the browser's and OS's versions (each conversion writes
 * a row per dimension, and conversions by version tell a shop little). Stored as
 * `goal:<id>|<dimension>` (goals/goals.ts).
 */
export const GOAL_BREAKDOWNS: readonly DimensionName[] = (Object.keys(DIMENSIONS) as DimensionName[]).filter(
  (d) =>
    d === 'event:page' ||
    d === 'event:section' ||
    (DIMENSIONS[d].kind === 'visit' && d !== 'visit:exit_page' && d !== 'visit:browser_version' && d !== 'visit:os_version'),
)

/** The stored dimension of a goal's tallies by one other dimension: `goal:<id>|visit:source`. */
export const goalDimension = (id: number, dimension: string) => `goal:${id}|${dimension}`

/** The "dimension" of a goal's revenue in currencies other than its own: the value is the currency. */
export const OTHER_CURRENCY = 'revenue:currency'

/** `goal:<id>|<dimension>` → [id, dimension]; undefined for any other name. */
export function goalBreakdown(name: string): [number, DimensionName | typeof OTHER_CURRENCY] | undefined {
  const m = /^goal:(\d{1,9})\|(.+)$/.exec(name)
  if (!m) return undefined
  const inner = m[2]!
  return inner === OTHER_CURRENCY || (GOAL_BREAKDOWNS as readonly string[]).includes(inner) ? [Number(m[1]), inner as DimensionName] : undefined
}

/**
 * The dimensions a funnel's steps may also be counted by (at most 3 per funnel, one at a time):
 * the visit dimensions known at a visit's first pageview, and its entry page. Not the ISP domain
 * (learned after the visit began, when steps may already be counted) nor the exit page (it moves).
 */
export const FUNNEL_BREAKDOWNS: readonly DimensionName[] = (Object.keys(DIMENSIONS) as DimensionName[]).filter(
  (d) => DIMENSIONS[d].kind === 'visit' && d !== 'visit:exit_page' && d !== 'visit:isp',
)

/** A funnel's steps and breakdowns at most; here, not in goals/funnels.ts, as the dashboard's editor (no zod) needs them too. */
export const MAX_FUNNEL_STEPS = 8
export const MAX_FUNNEL_DIMENSIONS = 3

/** A funnel's own rows (value: the step, 1…8), and its rows of one step by one dimension. */
export const funnelDimension = (id: number) => `funnel:${id}`
export const funnelStepDimension = (id: number, step: number, dimension: string) => `funnel:${id}:${step}|${dimension}`

/** `funnel:<id>` → [id]; `funnel:<id>:<step>|<dimension>` → [id, step, dimension]; undefined otherwise. */
export function funnelRows(name: string): [number] | [number, number, DimensionName] | undefined {
  const m = /^funnel:(\d{1,9})(?::([1-8])\|(.+))?$/.exec(name)
  if (!m) return undefined
  if (m[2] === undefined) return [Number(m[1])]
  return (FUNNEL_BREAKDOWNS as readonly string[]).includes(m[3]!) ? [Number(m[1]), Number(m[2]), m[3] as DimensionName] : undefined
}

const FUNNEL_STEPS: Dimension = {
  kind: 'funnel',
  source: 'funnel',
  tail: 'short',
  exportable: false,
  visitors: true,
  label: { en: 'funnel step', lv: 'Piltuves solis', lvOf: 'piltuves soļa' },
  plural: { en: 'funnel steps', lv: 'piltuves soļi' },
}

const CURRENCY_ROWS: Dimension = {
  kind: 'goal',
  source: 'goal',
  tail: 'short',
  exportable: false,
  visitors: false,
  label: { en: 'currency', lv: 'Valūta', lvOf: 'valūtas' },
  plural: { en: 'currencies', lv: 'valūtas' },
}

/** The entry of a dimension by name, a property dimension and a goal's breakdown included; undefined when unknown. */
export function dimension(name: string): Dimension | undefined {
  if (Object.hasOwn(DIMENSIONS, name)) return DIMENSIONS[name as DimensionName]
  const ofGoal = goalBreakdown(name)
  if (ofGoal) return ofGoal[1] === OTHER_CURRENCY ? CURRENCY_ROWS : { ...DIMENSIONS[ofGoal[1]], kind: 'goal', source: 'goal', exportable: false }
  const ofFunnel = funnelRows(name)
  if (ofFunnel) return ofFunnel.length === 1 ? FUNNEL_STEPS : { ...DIMENSIONS[ofFunnel[2]], kind: 'funnel', source: 'funnel', exportable: false }
  if (name.startsWith(PROP_PREFIX)) {
    const prop = name.slice(PROP_PREFIX.length)
    if (prop.length < 1 || prop.length > MAX_PROP_NAME || hasControlChars(prop)) return undefined
    return event('event', { en: prop, lv: prop, lvOf: prop }, { en: prop, lv: prop }, { exportable: false })
  }
  return undefined
}

/** The dimensions a partner share may include ('' is the site total, always included). */
export const EXPORTABLE: readonly DimensionName[] = (Object.keys(DIMENSIONS) as DimensionName[]).filter((name) => DIMENSIONS[name].exportable)
