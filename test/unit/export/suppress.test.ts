import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { cryptoBits, keyedBits, parseEpsilon, sampleDiscreteLaplace } from '../../../server/export/noise.ts'
import { suppress, type CellInput, type Granularity } from '../../../server/export/suppress/index.ts'
import { blockOf, buildTable, cellId, overlappingDims, partnerFindings, tables } from './tables.ts'

const RUNS = 200
/**
 * Fixed, as for the suite's other fuzzing, so CI is repeatable; SUPPRESS_SEED=<n> replays
 * another (SUPPRESS_SEED=random draws one and fast-check prints it on failure). Random seeds
 * found the squeeze case below (seed -1531464914, path "24:1:16:18:48"); after its fix 60
 * random seeds ran clean against the partner model, which now squeezes too.
 */
const SEED = process.env.SUPPRESS_SEED === 'random' ? undefined : Number(process.env.SUPPRESS_SEED ?? 20261122)
/** Findings about published values and the direct differences of R1 and R2 (what noisy exports promise). */
const direct = (f: string): boolean => f.startsWith('published') || f.startsWith('d0 R1') || f.startsWith('d0 R2')

const cell = (g: Granularity, period: string, dimension: string, value: string, visitors: number): CellInput => ({
  id: cellId(g, period, dimension, value),
  granularity: g,
  period,
  dimension,
  value,
  visitors,
})
const total = (g: Granularity, period: string, visitors: number): CellInput => cell(g, period, '', '', visitors)
const ids = (s: Set<string>): string[] => [...s].sort()
const coarsest = (cells: CellInput[]): Granularity =>
  cells.some((c) => c.granularity === 'month') ? 'month' : cells.some((c) => c.granularity === 'week') ? 'week' : 'day'

describe('suppress: hand-made tables', () => {
  it('a single small cell gets a second suppression in its group', () => {
    const cells = [total('day', '2024-03-04', 100), cell('day', '2024-03-04', 'source', 'a', 50), cell('day', '2024-03-04', 'source', 'b', 45), cell('day', '2024-03-04', 'source', 'c', 5)]
    const r = suppress(cells, 10)
    expect(ids(r.suppressed)).toEqual(['day|2024-03-04|source|b', 'day|2024-03-04|source|c'])
    expect([r.primary, r.secondary, r.failClosed]).toEqual([1, 1, 0])
  })

  it('a remainder below k gets a part suppressed', () => {
    const cells = [total('day', '2024-03-04', 100), cell('day', '2024-03-04', 'source', 'a', 50), cell('day', '2024-03-04', 'source', 'b', 45)]
    const r = suppress(cells, 10)
    expect(ids(r.suppressed)).toEqual(['day|2024-03-04|source|b'])
    expect([r.primary, r.secondary]).toEqual([0, 1])
  })

  it('a remainder of 0 or ≥ k needs nothing', () => {
    const cells = [total('day', '2024-03-04', 100), cell('day', '2024-03-04', 'source', 'a', 50), cell('day', '2024-03-04', 'source', 'b', 40)]
    expect(suppress(cells, 10).suppressed.size).toBe(0)
    expect(suppress(cells.slice(0, 2).concat(cell('day', '2024-03-04', 'source', 'b', 50)), 10).suppressed.size).toBe(0)
  })

  it('a total below k suppresses everything', () => {
    const cells = [total('day', '2024-03-04', 8), cell('day', '2024-03-04', 'source', 'a', 5), cell('day', '2024-03-04', 'source', 'b', 3), cell('day', '2024-03-04', 'browser', 'Firefox', 8)]
    const r = suppress(cells, 10)
    expect(r.suppressed.size).toBe(4)
    expect([r.primary, r.secondary]).toEqual([4, 0])
  })

  it('protects a small day inside a published week (R2)', () => {
    const days = ['2024-03-04', '2024-03-05', '2024-03-06']
    const v = [30, 3, 20]
    const cells = [...days.map((d, i) => cell('day', d, 'source', 'a', v[i]!)), cell('week', '2024-03-04', 'source', 'a', 53)]
    const r = suppress(cells, 10)
    // the week minus the published days would give 3: the smallest other day goes too
    expect(ids(r.suppressed)).toEqual(['day|2024-03-05|source|a', 'day|2024-03-06|source|a'])
  })

  it('protects against a suppressed coarse value being rebuilt from its days (R1 + R2)', () => {
    // month total 100 = a 80 + b 8 + c 12; c's days 11 + 1. b (primary) forces c; but c's
    // published day 11 would give 100 − 80 − 11 = 9 = b + c(day 2): that day must go too.
    const m = '2024-03-01'
    const cells = [
      total('month', m, 100),
      cell('month', m, 'source', 'a', 80),
      cell('month', m, 'source', 'b', 8),
      cell('month', m, 'source', 'c', 12),
      total('day', '2024-03-01', 50),
      total('day', '2024-03-02', 50),
      cell('day', '2024-03-01', 'source', 'a', 35),
      cell('day', '2024-03-02', 'source', 'a', 45),
      cell('day', '2024-03-01', 'source', 'b', 4),
      cell('day', '2024-03-02', 'source', 'b', 4),
      cell('day', '2024-03-01', 'source', 'c', 11),
      cell('day', '2024-03-02', 'source', 'c', 1),
    ]
    const r = suppress(cells, 10)
    expect(partnerFindings(cells, r.suppressed, 10)).toEqual([])
    expect(r.suppressed.has('month|2024-03-01|source|c')).toBe(true)
    expect(r.failClosed).toBe(0)
  })

  it("protects a remainder across time: a day's remainder is not month − other days", () => {
    // month: 100 visitors, 88 with a source (remainder 12); day 1: 50 / 40 (remainder 10);
    // day 2: 50 / 48 (remainder 2 → its source cell goes). The remainder adds up over
    // time, so 12 − 10 would give day 2's 2 visitors without a source: day 1's goes too.
    const cells = [
      total('month', '2024-03-01', 100),
      cell('month', '2024-03-01', 'source', 'google', 88),
      total('day', '2024-03-01', 50),
      cell('day', '2024-03-01', 'source', 'google', 40),
      total('day', '2024-03-02', 50),
      cell('day', '2024-03-02', 'source', 'google', 48),
    ]
    const r = suppress(cells, 10)
    expect(ids(r.suppressed)).toEqual(['day|2024-03-01|source|google', 'day|2024-03-02|source|google'])
    expect(partnerFindings(cells, r.suppressed, 10)).toEqual([])
  })

  it('suppresses weeks that cross a month boundary when months are the blocks', () => {
    // April 2024 ends on a Tuesday: the week of 29 April runs into May
    const days = Array.from({ length: 30 }, (_, i) => `2024-04-${String(i + 1).padStart(2, '0')}`)
    const cells = [
      total('month', '2024-04-01', 600),
      ...days.map((d) => total('day', d, 20)),
      total('week', '2024-04-22', 140),
      total('week', '2024-04-29', 120), // 40 in April + 80 in May
    ]
    const r = suppress(cells, 10)
    expect(ids(r.suppressed)).toEqual(['week|2024-04-29||'])
    expect([r.primary, r.secondary]).toEqual([0, 1])
    // with weeks as the blocks nothing crosses
    expect(suppress(cells.filter((c) => c.granularity !== 'month'), 10).suppressed.size).toBe(0)
  })

  it('withholds weeks when months are offered without days (they do not nest)', () => {
    const cells = [total('month', '2024-04-01', 600), total('week', '2024-04-08', 140), total('week', '2024-04-15', 150), total('week', '2024-04-29', 120)]
    const r = suppress(cells, 10)
    expect(ids(r.suppressed)).toEqual(['week|2024-04-08||', 'week|2024-04-15||', 'week|2024-04-29||'])
  })

  it('a suppressed week squeezed between its days and its month is known to the partner (seed -1531464914)', () => {
    // k = 6, days + weeks + months, five days over two weeks of February 2025. The partner
    // proves week 3 Feb ≥ 12 (its d0 value, derived as month − week 10 Feb) and week 10 Feb
    // ≥ 43 (its published days); the month (55) leaves room for no more, so both weeks are
    // exact, and week 3 Feb less its derived v1 (7) would give its 5 other visitors.
    const table: [Granularity, string, string, string, number][] = [
      ['day', '2025-02-08', '', '', 2], ['day', '2025-02-08', 'd0', 'v0', 2], ['day', '2025-02-08', 'd1', 'v0', 2], ['day', '2025-02-08', 'd1', 'v1', 0],
      ['day', '2025-02-09', '', '', 10], ['day', '2025-02-09', 'd0', 'v0', 10], ['day', '2025-02-09', 'd1', 'v0', 3], ['day', '2025-02-09', 'd1', 'v1', 7],
      ['day', '2025-02-10', '', '', 0], ['day', '2025-02-10', 'd1', 'v1', 0],
      ['day', '2025-02-11', '', '', 16], ['day', '2025-02-11', 'd0', 'v0', 4], ['day', '2025-02-11', 'd1', 'v0', 3], ['day', '2025-02-11', 'd1', 'v1', 13],
      ['day', '2025-02-12', '', '', 27], ['day', '2025-02-12', 'd0', 'v0', 19], ['day', '2025-02-12', 'd1', 'v0', 12], ['day', '2025-02-12', 'd1', 'v1', 15],
      ['week', '2025-02-03', '', '', 12], ['week', '2025-02-03', 'd0', 'v0', 12], ['week', '2025-02-03', 'd1', 'v0', 5], ['week', '2025-02-03', 'd1', 'v1', 7],
      ['week', '2025-02-10', '', '', 43], ['week', '2025-02-10', 'd0', 'v0', 23], ['week', '2025-02-10', 'd1', 'v0', 15], ['week', '2025-02-10', 'd1', 'v1', 28],
      ['month', '2025-02-01', '', '', 55], ['month', '2025-02-01', 'd0', 'v0', 35], ['month', '2025-02-01', 'd1', 'v0', 20], ['month', '2025-02-01', 'd1', 'v1', 35],
    ]
    const cells = table.map(([g, p, d, v, n]) => cell(g, p, d, v, n))
    const r = suppress(cells, 6)
    expect(r.failClosed).toBe(0)
    // d0 is the overlapping kind in the generator; with one value it is disjoint as well
    expect(partnerFindings(cells, r.suppressed, 6, new Set(['d0']))).toEqual([])
    expect(partnerFindings(cells, r.suppressed, 6)).toEqual([])
    // the month total stays published, so the fix really is in the weeks
    expect(r.suppressed.has('month|2025-02-01||')).toBe(false)
  })

  it('refuses k below 5 and malformed cells', () => {
    expect(() => suppress([], 4)).toThrow(RangeError)
    expect(() => suppress([], 4.5)).toThrow(RangeError)
    expect(suppress([], 5).suppressed.size).toBe(0)
    expect(() => suppress([total('week', '2024-03-05', 10)], 10)).toThrow(/Monday/)
    expect(() => suppress([total('month', '2024-03-02', 10)], 10)).toThrow(/1st/)
    expect(() => suppress([total('day', '2024-02-30', 10)], 10)).toThrow(RangeError)
    expect(() => suppress([total('day', '2024-03-01', 10), total('day', '2024-03-01', 11)], 10)).toThrow(/duplicate/)
    expect(() => suppress([total('month', '2024-03-01', 10)], 10, { blocks: 'week' })).toThrow(/coarser/)
  })
})

describe('suppress: properties over random consistent tables', () => {
  it('1. every published value is ≥ k', () => {
    fc.assert(
      fc.property(tables(), ({ spec, cells }) => {
        const r = suppress(cells, spec.k)
        for (const c of cells) if (!r.suppressed.has(c.id)) expect(c.visitors).toBeGreaterThanOrEqual(spec.k)
        expect(r.primary).toBe(cells.filter((c) => c.visitors < spec.k).length)
        expect(r.primary + r.secondary).toBe(r.suppressed.size)
      }),
      { numRuns: RUNS, seed: SEED },
    )
  })

  it('2 + 3. no difference the partner can obtain lands in [1, k−1] (R1, R2, their combinations, across months)', () => {
    fc.assert(
      fc.property(tables(), ({ spec, cells }) => {
        const r = suppress(cells, spec.k)
        expect(r.failClosed).toBe(0)
        expect(partnerFindings(cells, r.suppressed, spec.k, overlappingDims(spec))).toEqual([])
      }),
      { numRuns: RUNS * 2, seed: SEED },
    )
  })

  it('2 + 3 on larger tables (up to 100 days, 5 dimensions × 12 values)', () => {
    fc.assert(
      fc.property(tables({ maxDays: 100, maxDims: 5, maxValues: 12 }), ({ spec, cells }) => {
        const r = suppress(cells, spec.k)
        expect(r.failClosed).toBe(0)
        expect(partnerFindings(cells, r.suppressed, spec.k, overlappingDims(spec))).toEqual([])
      }),
      { numRuns: 60, seed: SEED },
    )
  })

  it('4a. determinism: any input order gives the same suppressed set', () => {
    fc.assert(
      fc.property(
        tables().chain((t) => fc.shuffledSubarray(t.cells, { minLength: t.cells.length, maxLength: t.cells.length }).map((shuffled) => ({ t, shuffled }))),
        ({ t, shuffled }) => {
          expect(ids(suppress(shuffled, t.spec.k).suppressed)).toEqual(ids(suppress(t.cells, t.spec.k).suppressed))
        },
      ),
      { numRuns: RUNS, seed: SEED },
    )
  })

  it('4b. range independence: removing or adding other blocks changes nothing in a block', () => {
    fc.assert(
      fc.property(tables({ maxDays: 70 }), fc.nat(), ({ spec, cells }, pick) => {
        const block = blockOf(cells)
        const blocks = coarsest(cells)
        const keys = [...new Set(cells.map(block))].sort((a, b) => a - b)
        const drop = keys[pick % keys.length]!
        const full = suppress(cells, spec.k).suppressed
        const rest = cells.filter((c) => block(c) !== drop)
        const part = suppress(rest, spec.k, { blocks }).suppressed
        for (const c of rest) expect(part.has(c.id)).toBe(full.has(c.id))
        // and each block alone decides the same as within the whole
        const only = cells.filter((c) => block(c) === drop)
        const alone = suppress(only, spec.k, { blocks }).suppressed
        for (const c of only) expect(alone.has(c.id)).toBe(full.has(c.id))
      }),
      { numRuns: RUNS, seed: SEED },
    )
  })

  it('with noisy counts: published values ≥ k and direct differences (R1, R2) never in [1, k−1]', () => {
    const key = Buffer.from('a share secret used only by this test')
    fc.assert(
      fc.property(tables({ maxDays: 40 }), fc.constantFrom('0.5', '1', '2'), ({ spec, cells }, eps) => {
        const e = parseEpsilon(eps)
        const noisy = cells.map((c) => ({ ...c, visitors: c.visitors + Number(sampleDiscreteLaplace(e, keyedBits(key, c.id))) }))
        const r = suppress(noisy, spec.k)
        const findings = partnerFindings(noisy, r.suppressed, spec.k).filter(direct)
        expect(findings).toEqual([])
      }),
      { numRuns: RUNS, seed: SEED },
    )
  })
})

describe('suppress: scale', () => {
  it('handles ~50,000 cells quickly (a year by day/week/month, 3 dimensions × 40 values)', () => {
    const t = buildTable({
      k: 10,
      granularities: ['day', 'week', 'month'],
      startOffset: 365,
      days: 366,
      dims: [
        { kind: 'exact', values: 40 },
        { kind: 'remainder', values: 40 },
        { kind: 'overlap', values: 40 },
      ],
      seed: 7,
    })
    const started = performance.now()
    const r = suppress(t.cells, 10)
    const ms = performance.now() - started
    console.log(`${t.cells.length} cells (month blocks): ${ms.toFixed(0)} ms, ${r.primary} primary, ${r.secondary} secondary`)
    expect(t.cells.length).toBeGreaterThan(45_000)
    expect(r.failClosed).toBe(0)
    expect(ms).toBeLessThan(60_000) // a sanity bound against blow-ups, not a speed goal (bench measures speed)
  })

  it('handles one large block (a month, day + month, 1,500 values)', () => {
    const t = buildTable({
      k: 10,
      granularities: ['day', 'month'],
      startOffset: 59, // 2023-03-01
      days: 31,
      dims: [
        { kind: 'remainder', values: 1500 },
      ],
      seed: 11,
    })
    // make it a busy site: values spread over many pages
    const started = performance.now()
    const r = suppress(t.cells, 10)
    const ms = performance.now() - started
    console.log(`${t.cells.length} cells in one block: ${ms.toFixed(0)} ms, ${r.primary} primary, ${r.secondary} secondary`)
    expect(r.failClosed).toBe(0)
    expect(partnerFindings(t.cells, r.suppressed, 10, new Set(), { combinations: false })).toEqual([])
    expect(ms).toBeLessThan(60_000) // a sanity bound against blow-ups, not a speed goal (bench measures speed)
  })
})

describe('noise then suppression (smoke)', () => {
  it('cryptoBits noise keeps the rules', () => {
    const t = buildTable({ k: 10, granularities: ['day', 'week'], startOffset: 10, days: 21, dims: [{ kind: 'exact', values: 4 }], seed: 3 })
    const e = parseEpsilon(1)
    const bits = cryptoBits()
    const noisy = t.cells.map((c) => ({ ...c, visitors: c.visitors + Number(sampleDiscreteLaplace(e, bits)) }))
    const r = suppress(noisy, 10)
    expect(partnerFindings(noisy, r.suppressed, 10).filter(direct)).toEqual([])
  })
})
