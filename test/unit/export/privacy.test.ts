/**
 * The privacy loss of a noised download, computed from the exact noise law on neighbouring
 * inputs (one visitor-day more, with every cell it counts in), against the ε the manifest
 * states. Floating point is fine here: it only evaluates the law, it draws nothing.
 */
import { describe, expect, it } from 'vitest'
import { addNoise, countCells, granularitiesOf, shareCellEpsilon, type CountCell } from '../../../server/export/build.ts'
import type { DayRow } from '../../../server/export/data.ts'
import { parseEpsilon } from '../../../server/export/noise.ts'
import type { PartnerShare } from '../../../server/export/partners.ts'
import { cellEpsilon, cellsPerPeriod, DP_DIMENSIONS } from '../../../server/export/privacy.ts'
import { addDays } from '../../../server/time.ts'
import { mulberry32 } from '../../helpers/random.ts'

// The last complete month before today: any month works, the clock picks one.
const now = new Date()
const FIRST = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)).toISOString().slice(0, 10)
const LAST = addDays(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString().slice(0, 10), -1)
const BLOCKS = [{ first: FIRST, last: LAST }]

const share = (over: Partial<PartnerShare> = {}): PartnerShare => ({
  id: 'share',
  site: 'example.lv',
  name: 'Partner SIA',
  tokenHash: '',
  dimensions: ['visit:country'],
  finest: 'day',
  coarsest: 'month',
  k: 10,
  epsilon: '1',
  budget: '5',
  noiseKey: Buffer.alloc(32, 7),
  createdAt: 0,
  ...over,
})

const row = (day: string, dimension: string, value: string, visitors: number, visits = visitors, pageviews = 2 * visits): DayRow => ({
  day,
  dimension,
  value,
  visitors,
  visits,
  pageviews,
  bounces: Math.floor(visits / 2),
  duration: 60 * visits,
})

/** A small month: a few days with visitors from two countries. */
function dataset(seed: number): DayRow[] {
  const rand = mulberry32(seed)
  const rows: DayRow[] = []
  for (let day = FIRST; day <= LAST; day = addDays(day, 1)) {
    if (rand() < 0.5) continue
    const lv = Math.floor(rand() * 30)
    const ee = Math.floor(rand() * 5)
    rows.push(row(day, '', '', lv + ee + 1), row(day, 'visit:country', 'LV', lv), row(day, 'visit:country', 'EE', ee))
  }
  return rows
}

/**
 * One visitor-day more on `day`, from `country`, with `visits` visits and `pages` pages:
 * the rows it adds to (total, its country, each page), as the daily rollup would count them.
 */
function withVisitorDay(rows: DayRow[], day: string, country: string, visits = 1, pages: string[] = []): DayRow[] {
  return [
    ...rows,
    row(day, '', '', 1, visits, visits * 3),
    row(day, 'visit:country', country, 1, visits, visits * 3),
    ...pages.map((p) => row(day, 'event:page', p, 1, visits, visits)),
  ]
}

/** ln P(X = z) for the two-sided geometric law P(X = z) = (1 − α)/(1 + α)·α^|z|, α = e^(−ε). */
const lnPmf = (eps: number, z: number) => Math.log((1 - Math.exp(-eps)) / (1 + Math.exp(-eps))) - eps * Math.abs(z)

/**
 * The largest |ln P(output | a) / P(output | b)| of one cell noised with `eps`, over every
 * output (the log-ratio is constant beyond both counts, so a window around them is every case).
 */
function cellLoss(eps: number, a: number, b: number): number {
  let worst = 0
  for (let x = Math.min(a, b) - 5; x <= Math.max(a, b) + 5; x++) worst = Math.max(worst, Math.abs(lnPmf(eps, x - a) - lnPmf(eps, x - b)))
  return worst
}

/**
 * The privacy loss of releasing every cell of `d1` and `d2` with independent noise of `eps`
 * per cell and metric: the cells are independent, so the worst output's log-ratio is the sum
 * of each cell's worst. A cell only one side has (a value that exists only with the extra
 * visitor-day) is an output the other side never produces: infinite loss.
 */
function downloadLoss(d1: Map<string, CountCell>, d2: Map<string, CountCell>, eps: number, metrics: readonly string[]): number {
  let loss = 0
  for (const id of new Set([...d1.keys(), ...d2.keys()])) {
    const a = d1.get(id)
    const b = d2.get(id)
    if (!a || !b) return Infinity
    for (const m of metrics) loss += cellLoss(eps, (a.m as Record<string, number>)[m] ?? 0, (b.m as Record<string, number>)[m] ?? 0)
  }
  return loss
}

const asNumber = (r: { num: bigint; den: bigint }) => Number(r.num) / Number(r.den)
const ALL_METRICS = ['visitors', 'visits', 'pageviews', 'bounces', 'visit_duration'] as const

describe('differential privacy of a noised download', () => {
  it('splits ε over every cell one visitor-day touches: granularities × (total + one country)', () => {
    expect(cellsPerPeriod(['visit:country'])).toBe(2)
    expect(cellsPerPeriod([])).toBe(1)
    expect(cellEpsilon(parseEpsilon('1'), 3, ['visit:country'])).toEqual({ num: 1n, den: 6n })
    expect(cellEpsilon(parseEpsilon('0.5'), 2, ['visit:country'])).toEqual({ num: 1n, den: 8n })
    expect(cellEpsilon(parseEpsilon('2'), 1, [])).toEqual({ num: 2n, den: 1n })
    expect(shareCellEpsilon(share())).toEqual({ num: 1n, den: 6n })
    expect(shareCellEpsilon(share({ epsilon: '' }))).toBeUndefined()
  })

  for (const seed of [1, 2, 3, 4, 5]) {
    it(`the loss from the exact noise law on neighbouring inputs is at most the ε the manifest states (seed ${seed})`, () => {
      for (const s of [share(), share({ finest: 'week' }), share({ finest: 'month' }), share({ dimensions: [] }), share({ epsilon: '0.3' })]) {
        const rand = mulberry32(seed * 100 + granularitiesOf(s).length)
        const rows = dataset(seed)
        const day = addDays(FIRST, Math.floor(rand() * 28))
        // A rich visitor-day: new country, many visits and pages; only its visitor counts.
        const country = rand() < 0.5 ? 'LV' : 'QZ'
        const d1 = countCells(s, rows, BLOCKS)
        const d2 = countCells(s, withVisitorDay(rows, day, country, 9, ['/a', '/b', '/c']), BLOCKS)
        const eps = asNumber(shareCellEpsilon(s)!)
        const loss = downloadLoss(d1, d2, eps, ['visitors'])
        const claimed = Number(s.epsilon)
        expect(loss).toBeLessThanOrEqual(claimed + 1e-9)
        // and the split is tight: the extra visitor-day changes exactly cells_per_visitor_day cells by 1
        expect(loss).toBeCloseTo(claimed, 9)
      }
    })
  }

  it('releases only visitors: addNoise keeps no other count', () => {
    const s = share({ finest: 'month' })
    const noised = countCells(s, dataset(1), BLOCKS)
    addNoise(s, noised, shareCellEpsilon(s)!)
    for (const c of noised.values()) expect(Object.keys(c.m)).toEqual(['visitors'])
  })

  it('every value of the fixed lists exists with or without visitors, so which cells exist tells nothing', () => {
    const s = share({ finest: 'month' })
    const cells = countCells(s, [], BLOCKS)
    expect(cells.size).toBe(1 + DP_DIMENSIONS['visit:country']!.domain.length)
    // a value outside the list (not two letters) is not counted: it could not be published safely
    const odd = countCells(s, [row(FIRST, 'visit:country', 'Latvia', 3)], BLOCKS)
    expect([...odd.values()].some((c) => c.value === 'Latvia')).toBe(false)
  })

  it('the old accounting — every cell and every count noised with the whole ε — loses more than the ε it stated', () => {
    // Before: each cell and metric got noise of parameter ε and the manifest said "ε per download";
    // cells existed only where there was data. Mimic it with the same cells and the old ε per cell.
    for (const seed of [1, 2, 3]) {
      const s = share()
      const rows = dataset(seed)
      const day = addDays(FIRST, seed)
      const claimed = Number(s.epsilon)
      const d1 = countCells(s, rows, BLOCKS)
      const d2 = countCells(s, withVisitorDay(rows, day, 'LV', 1), BLOCKS)
      // visitors alone: total and country, at day, week and month: 6 cells at ε each
      const visitorsOnly = downloadLoss(d1, d2, claimed, ['visitors'])
      expect(visitorsOnly).toBeCloseTo(6 * claimed, 9)
      expect(visitorsOnly).toBeGreaterThan(claimed)
      // visits and pageviews: one visitor-day with 9 visits moves them by 9 and 27 per cell
      const old = share({ epsilon: '' }) // the old cell set: only values with data
      const o1 = countCells(old, rows, BLOCKS)
      const o2 = countCells(old, withVisitorDay(rows, day, 'LV', 9), BLOCKS)
      expect(downloadLoss(o1, o2, claimed, ALL_METRICS.filter((m) => m !== 'visit_duration'))).toBeGreaterThan(100 * claimed)
      // a value only the extra visitor-day has makes a cell appear: no ε at all
      const o3 = countCells(old, withVisitorDay(rows, day, 'QZ', 1), BLOCKS)
      expect(downloadLoss(o1, o3, claimed, ['visitors'])).toBe(Infinity)
    }
  })

  it('a page share could not be covered: one visitor-day counts under any number of pages', () => {
    const s = share({ epsilon: '', dimensions: ['event:page'] })
    const rows = dataset(9).concat([row(FIRST, 'event:page', '/a', 20), row(FIRST, 'event:page', '/b', 20), row(FIRST, 'event:page', '/c', 20)])
    const base = countCells(s, rows, BLOCKS)
    const more = countCells(s, withVisitorDay(rows, FIRST, 'LV', 1, ['/a', '/b', '/c']), BLOCKS)
    const pageCellsChanged = [...base].filter(([id, c]) => c.dimension === 'event:page' && more.get(id)!.m.visitors !== c.m.visitors)
    expect(pageCellsChanged.length).toBe(3 * granularitiesOf(s).length) // grows with the pages visited
    expect(DP_DIMENSIONS['event:page']).toBeUndefined()
  })
})
