import type { DimensionName } from '../vocabulary/dimensions.ts'
import { createHash } from 'node:crypto'
import { strToU8, zipSync } from 'fflate'
import { addDays } from '../time.ts'
import { csvCell } from './csv.ts'
import type { DayRow } from './data.ts'
import { keyedBits, parseEpsilon, sampleDiscreteLaplace, type Rational } from './noise.ts'
import { cellEpsilon, DP_DIMENSIONS } from './privacy.ts'
import { GRANULARITIES, type PartnerShare } from './partners.ts'
import { suppress, type CellInput, type Granularity } from './suppress/index.ts'
import { dayNumber, isoDate, mondayOf, monthEnd, monthStart } from '../calendar.ts'

export const METRICS = ['visitors', 'visits', 'pageviews', 'bounces', 'visit_duration'] as const
type Metric = (typeof METRICS)[number]

/** One published cell: a dimension value in a period, or its suppression. */
export interface ExportCell {
  period: string
  dimension: string
  value: string
  suppressed: boolean
  metrics: Partial<Record<Metric, number>>
}

export function periodStart(day: string, g: Granularity): string {
  if (g === 'day') return day
  const n = dayNumber(day)!
  return isoDate(g === 'week' ? mondayOf(n) : monthStart(n))
}

export function periodEnd(start: string, g: Granularity): string {
  if (g === 'day') return start
  const n = dayNumber(start)!
  return isoDate(g === 'week' ? n + 6 : monthEnd(n))
}

export function granularitiesOf(share: PartnerShare): Granularity[] {
  return GRANULARITIES.slice(GRANULARITIES.indexOf(share.finest), GRANULARITIES.indexOf(share.coarsest) + 1)
}

/**
 * The whole blocks of the share's coarsest granularity covering [from, to], complete by
 * `lastClosed`. Decisions (noise, suppression) are made per block, so they never depend on
 * the range asked for, and a block is released only once it can no longer change.
 */
export function blocksFor(share: PartnerShare, from: string, to: string, lastClosed: string): { first: string; last: string }[] {
  const blocks: { first: string; last: string }[] = []
  for (let start = periodStart(from, share.coarsest); start <= to; ) {
    const end = periodEnd(start, share.coarsest)
    if (end > lastClosed) break
    blocks.push({ first: start, last: end })
    start = addDays(end, 1)
  }
  return blocks
}

const blockId = (share: PartnerShare, b: { first: string; last: string }) => `${share.coarsest}|${b.first}|${b.last}`

export interface BuiltExport {
  cells: ExportCell[]
  suppressedCount: number
  blocks: string[]
}

/** A cell before suppression: true counts, or noisy ones once `addNoise` ran. */
export interface CountCell {
  g: Granularity
  period: string
  dimension: string
  value: string
  m: Partial<Record<Metric, number>>
}

const emptyCounts = (): Record<Metric, number> => ({ visitors: 0, visits: 0, pageviews: 0, bounces: 0, visit_duration: 0 })

/**
 * The cells of every granularity and dimension the share offers over `blocks`, with their
 * true counts. With ε, only the total and the dimensions of `DP_DIMENSIONS` are kept, and
 * every period of the blocks and every value of their fixed lists is present even without
 * visitors: which cells exist must not depend on the data.
 */
export function countCells(share: PartnerShare, days: DayRow[], blocks: { first: string; last: string }[]): Map<string, CountCell> {
  const inBlocks = (day: string) => blocks.some((b) => day >= b.first && day <= b.last)
  const dp = Boolean(share.epsilon)
  const cells = new Map<string, CountCell>()
  const cell = (g: Granularity, period: string, dimension: string, value: string) => {
    const id = `${g}|${period}|${dimension}|${value}`
    let c = cells.get(id)
    if (!c) cells.set(id, (c = { g, period, dimension, value, m: emptyCounts() }))
    return c
  }
  if (dp) {
    for (const b of blocks) {
      for (let day = b.first; day <= b.last; day = addDays(day, 1)) {
        for (const g of granularitiesOf(share)) {
          const period = periodStart(day, g)
          cell(g, period, '', '')
          for (const d of share.dimensions) for (const value of DP_DIMENSIONS[d]?.domain ?? []) cell(g, period, d, value)
        }
      }
    }
  }
  for (const row of days) {
    if (!inBlocks(row.day)) continue
    if (dp && row.dimension !== '' && !(share.dimensions.includes(row.dimension) && DP_DIMENSIONS[row.dimension]?.domain.includes(row.value))) continue
    for (const g of granularitiesOf(share)) {
      const m = cell(g, periodStart(row.day, g), row.dimension, row.value).m as Record<Metric, number>
      // Daily salts make a visitor on two days two visitors, so visitors add up over days.
      m.visitors += row.visitors
      m.visits += row.visits
      m.pageviews += row.pageviews
      m.bounces += row.bounces
      m.visit_duration += row.duration
    }
  }
  return cells
}

/** The ε each cell is noised with: the share's ε split over the cells one visitor-day touches. */
export function shareCellEpsilon(share: PartnerShare): Rational | undefined {
  return share.epsilon ? cellEpsilon(parseEpsilon(share.epsilon), granularitiesOf(share).length, share.dimensions) : undefined
}

/**
 * Noise on `visitors` only; the other counts are dropped (no bound per visitor-day). The noise
 * is stable per (share, cell): the same download again is identical, and averaging repeated
 * downloads gains nothing.
 */
export function addNoise(share: PartnerShare, cells: Map<string, CountCell>, epsilon: Rational): void {
  for (const [id, cell] of cells) {
    const noise = sampleDiscreteLaplace(epsilon, keyedBits(share.noiseKey, `${id}|visitors`))
    cell.m = { visitors: Math.max(0, (cell.m.visitors ?? 0) + Number(noise)) }
  }
}

/**
 * Counts → cells of every granularity the partner may download (all of them take part in
 * suppression, since the partner can combine them) → noise → suppression → the cells of the
 * granularity and range asked for.
 */
export function buildExport(
  share: PartnerShare,
  days: DayRow[],
  blocks: { first: string; last: string }[],
  granularity: Granularity,
  range: { from: string; to: string },
): BuiltExport {
  const cells = countCells(share, days, blocks)
  const epsilon = shareCellEpsilon(share)
  if (epsilon) addNoise(share, cells, epsilon)
  const inputs: CellInput[] = [...cells].map(([id, c]) => ({
    id,
    granularity: c.g,
    period: c.period,
    dimension: c.dimension,
    value: c.value,
    visitors: c.m.visitors ?? 0,
  }))
  const { suppressed } = suppress(inputs, share.k, { blocks: share.coarsest })
  const out: ExportCell[] = []
  let suppressedCount = 0
  for (const [id, c] of cells) {
    if (c.g !== granularity || c.period < periodStart(range.from, granularity) || c.period > range.to) continue
    const hidden = suppressed.has(id)
    if (hidden) suppressedCount++
    out.push({ period: c.period, dimension: c.dimension, value: c.value, suppressed: hidden, metrics: hidden ? {} : { ...c.m } })
  }
  out.sort((a, b) => (a.dimension + a.period + a.value < b.dimension + b.period + b.value ? -1 : 1))
  return { cells: out, suppressedCount, blocks: blocks.map((b) => blockId(share, b)) }
}

/** Where each dimension goes in Plausible's `imported_*` CSV layout (extra Skaits tables otherwise). */
const TABLES: Partial<Record<'' | DimensionName, { file: string; columns: (string | Metric)[]; key: string; extra?: Record<string, string> }>> = {
  '': { file: 'imported_visitors', columns: ['date', 'visitors', 'pageviews', 'bounces', 'visits', 'visit_duration'], key: '' },
  'visit:source': {
    file: 'imported_sources',
    columns: ['date', 'source', 'referrer', 'utm_source', 'utm_medium', 'utm_campaign', 'utm_content', 'utm_term', 'pageviews', 'visitors', 'visits', 'visit_duration', 'bounces'],
    key: 'source',
  },
  'event:page': { file: 'imported_pages', columns: ['date', 'hostname', 'page', 'visits', 'visitors', 'pageviews'], key: 'page', extra: { hostname: 'site' } },
  'visit:entry_page': {
    file: 'imported_entry_pages',
    columns: ['date', 'entry_page', 'visitors', 'entrances', 'visit_duration', 'bounces', 'pageviews'],
    key: 'entry_page',
  },
  'visit:country': {
    file: 'imported_locations',
    columns: ['date', 'country', 'region', 'city', 'visitors', 'visits', 'visit_duration', 'bounces', 'pageviews'],
    key: 'country',
  },
  'visit:device': { file: 'imported_devices', columns: ['date', 'device', 'visitors', 'visits', 'visit_duration', 'bounces', 'pageviews'], key: 'device' },
  'visit:browser': {
    file: 'imported_browsers',
    columns: ['date', 'browser', 'browser_version', 'visitors', 'visits', 'visit_duration', 'bounces', 'pageviews'],
    key: 'browser',
  },
  'visit:os': {
    file: 'imported_operating_systems',
    columns: ['date', 'operating_system', 'operating_system_version', 'visitors', 'visits', 'visit_duration', 'bounces', 'pageviews'],
    key: 'operating_system',
  },
}

/** The file a dimension is exported in (the importer reads the same map back: imports/plausible.ts). */
export function tableOf(dimension: string) {
  const known = TABLES[dimension as '' | DimensionName]
  if (known) return known
  const name = dimension.replace(/^(visit|event):/, '')
  return { file: `skaits_${name}`, columns: ['date', name, 'visitors', 'visits', 'pageviews', 'bounces', 'visit_duration'], key: name }
}

/**
 * CSV files in Plausible's `imported_*` layout, one per table. Suppressed cells are left out
 * (importers expect numbers); the manifest says how many there are.
 */
export function csvFiles(site: string, cells: ExportCell[], range: { from: string; to: string }): Record<string, string> {
  const files: Record<string, string> = {}
  const suffix = `${range.from.replaceAll('-', '')}_${range.to.replaceAll('-', '')}`
  const dims = [...new Set(cells.map((c) => c.dimension))].sort()
  for (const dimension of dims) {
    const t = tableOf(dimension)
    const lines = [t.columns.join(',')]
    for (const c of cells) {
      if (c.dimension !== dimension || c.suppressed) continue
      const fields = t.columns.map((col) => {
        if (col === 'date') return c.period
        if (col === t.key) return c.value
        if (col === 'entrances') return c.metrics.visits
        if (t.extra?.[col] === 'site') return site
        if ((METRICS as readonly string[]).includes(col)) return c.metrics[col as Metric]
        return ''
      })
      lines.push(fields.map(csvCell).join(','))
    }
    files[`${t.file}_${suffix}.csv`] = `${lines.join('\n')}\n`
  }
  return files
}

export const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex')

/** A zip whose bytes depend only on its contents (fixed entry times), so repeats are identical. */
export function zip(files: Record<string, string>, time: Date): Uint8Array {
  return zipSync(Object.fromEntries(Object.entries(files).map(([name, text]) => [name, [strToU8(text), { mtime: time, level: 6 }]])))
}
