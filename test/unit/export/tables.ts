/**
 * Random consistent aggregate tables for the suppression properties, and an independent
 * model of what a partner can compute from a published export (written apart from
 * server/export/suppress/, on purpose: it enumerates the relations itself).
 */
import fc from 'fast-check'
import type { CellInput, Granularity } from '../../../server/export/suppress/index.ts'
import { mulberry32 } from '../../helpers/random.ts'

export type DimKind = 'exact' | 'remainder' | 'overlap'

export interface TableSpec {
  k: number
  granularities: Granularity[]
  /** first day, as days after 2023-01-01 */
  startOffset: number
  days: number
  dims: { kind: DimKind; values: number }[]
  seed: number
}

export interface Table {
  spec: TableSpec
  cells: CellInput[]
}

const DAY_MS = 86_400_000
const BASE = Date.UTC(2023, 0, 1) / DAY_MS

export const dayNum = (iso: string): number => Date.UTC(+iso.slice(0, 4), +iso.slice(5, 7) - 1, +iso.slice(8, 10)) / DAY_MS
export const isoOf = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10)
export const mondayOf = (day: number): number => day - ((day + 3) % 7)
export const monthStartOf = (day: number): number => {
  const d = new Date(day * DAY_MS)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) / DAY_MS
}
export const monthEndOf = (day: number): number => {
  const d = new Date(day * DAY_MS)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) / DAY_MS - 1
}
export const cellId = (g: Granularity, period: string, dimension: string, value: string): string => `${g}|${period}|${dimension}|${value}`


export interface TableOptions {
  maxDays?: number
  maxDims?: number
  maxValues?: number
}

export const tableSpec = (opts: TableOptions = {}): fc.Arbitrary<TableSpec> =>
  fc.record({
    k: fc.integer({ min: 5, max: 20 }),
    granularities: fc.subarray<Granularity>(['day', 'week', 'month'], { minLength: 1 }),
    startOffset: fc.integer({ min: 0, max: 800 }),
    days: fc.integer({ min: 1, max: opts.maxDays ?? 62 }),
    dims: fc.array(fc.record({ kind: fc.constantFrom<DimKind>('exact', 'remainder', 'overlap'), values: fc.integer({ min: 1, max: opts.maxValues ?? 4 }) }), {
      minLength: 1,
      maxLength: opts.maxDims ?? 3,
    }),
    seed: fc.integer(),
  })

/** A consistent table: days generated, weeks and months exactly the sums of their days. */
export function buildTable(spec: TableSpec): Table {
  const rnd = mulberry32(spec.seed)
  const small = (max: number): number => Math.floor((max + 1) * rnd() ** 2.2) // skewed towards 0
  const dimName = (i: number): string => `d${i}`
  const valueName = (j: number): string => `v${j}`
  // day → column key → visitors
  const dayValues = new Map<number, Map<string, number>>()
  const exactIndex = spec.dims.findIndex((d) => d.kind === 'exact')
  for (let i = 0; i < spec.days; i++) {
    const day = BASE + spec.startOffset + i
    const parts = spec.dims.map((d) => Array.from({ length: d.values }, () => small(40)))
    let total: number
    if (exactIndex >= 0) total = parts[exactIndex]!.reduce((a, b) => a + b, 0)
    else {
      total = 0
      spec.dims.forEach((d, di) => {
        const p = parts[di]!
        total = Math.max(total, d.kind === 'overlap' ? Math.max(...p) : p.reduce((a, b) => a + b, 0))
      })
      total += rnd() < 0.5 ? 0 : small(15)
    }
    spec.dims.forEach((d, di) => {
      const p = parts[di]!
      if (d.kind === 'exact' && di !== exactIndex) {
        // another partition of the same total
        p.fill(0)
        for (let u = 0; u < total; u++) p[Math.floor(p.length * rnd() ** 1.5)]!++
      } else if (d.kind === 'remainder') {
        let s = p.reduce((a, b) => a + b, 0)
        while (s > total) {
          const m = p.indexOf(Math.max(...p))
          p[m]!--
          s--
        }
      } else if (d.kind === 'overlap') {
        for (let j = 0; j < p.length; j++) p[j] = Math.min(p[j]!, total)
      }
    })
    const m = new Map<string, number>()
    m.set('\u0000', total)
    spec.dims.forEach((_, di) => parts[di]!.forEach((v, j) => {
      if (v > 0 || rnd() < 0.3) m.set(`${dimName(di)}\u0000${valueName(j)}`, v)
    }))
    dayValues.set(day, m)
  }
  const cells: CellInput[] = []
  const emit = (g: Granularity, start: number, col: string, visitors: number): void => {
    const [dimension, value] = col.split('\u0000') as [string, string]
    const period = isoOf(start)
    cells.push({ id: cellId(g, period, dimension, value), granularity: g, period, dimension, value, visitors })
  }
  const sums = (g: 'week' | 'month'): Map<string, number> => {
    const out = new Map<string, number>()
    for (const [day, m] of dayValues) {
      const start = g === 'week' ? mondayOf(day) : monthStartOf(day)
      for (const [col, v] of m) {
        const key = `${start}\u0001${col}`
        out.set(key, (out.get(key) ?? 0) + v)
      }
    }
    return out
  }
  if (spec.granularities.includes('day')) for (const [day, m] of dayValues) for (const [col, v] of m) emit('day', day, col, v)
  for (const g of ['week', 'month'] as const) {
    if (!spec.granularities.includes(g)) continue
    for (const [key, v] of sums(g)) {
      const [start, col] = key.split('\u0001') as [string, string]
      emit(g, Number(start), col, v)
    }
  }
  return { spec, cells }
}

export const tables = (opts?: TableOptions): fc.Arbitrary<Table> => tableSpec(opts).map(buildTable)

/** The dimensions of a spec whose values overlap (one visitor under several values). */
export const overlappingDims = (spec: TableSpec): Set<string> => new Set(spec.dims.flatMap((d, i) => (d.kind === 'overlap' ? [`d${i}`] : [])))

const RANK: Record<Granularity, number> = { day: 0, week: 1, month: 2 }

/** The block (coarsest granularity present) of each cell, as its first day. */
export function blockOf(cells: CellInput[]): (c: CellInput) => number {
  const g = cells.reduce<Granularity>((a, c) => (RANK[c.granularity] > RANK[a] ? c.granularity : a), 'day')
  return (c) => {
    const d = dayNum(c.period)
    return g === 'day' ? d : g === 'week' ? mondayOf(d) : monthStartOf(d)
  }
}

/** A relation as the partner sees it: Σ wholes = Σ parts (+ a remainder ≥ 0 or of any sign). */
interface Relation {
  name: string
  wholes: string[]
  parts: string[]
  /** parts are values of a dimension where one visitor can count under several values */
  overlapping?: boolean
}

/**
 * Everything the partner model finds wrong with a published export: published values in
 * [1, k−1] (primary), derived values of suppressed cells in [1, k−1], and, for every
 * relation whose whole is known, the direct difference from published values (d0), the
 * difference after substituting derived values (d1) and after replacing each unknown part
 * by the published/derived cells below it in one step (d2), whenever they land in [1, k−1]
 * (d1 and d2 only where the parts are disjoint: with overlapping values — dimensions listed
 * in `overlapping`, or any relation whose parts sum above the whole — they count nobody).
 * Relations: R1 (total vs each dimension, with the hidden remainder cell for disjoint
 * dimensions), R2 (week/month vs its days, including weeks that cross a month, for every
 * column and the remainder columns), month vs inner weeks + other days, and every run of
 * consecutive months vs the weeks inside the run + other days (the cross-block case); and
 * "rectangles": a column's relation minus the R1 rows of its unknown parts, or an R1 row
 * minus the time relations of its unknown values.
 */
export function partnerFindings(
  realCells: CellInput[],
  realSuppressed: Set<string>,
  k: number,
  overlapping: ReadonlySet<string> = new Set(),
  opts: { combinations?: boolean } = {},
): string[] {
  const findings: string[] = []
  const band = (d: number): boolean => d >= 1 && d <= k - 1
  for (const c of realCells) if (!realSuppressed.has(c.id) && band(c.visitors)) findings.push(`published ${c.id} = ${c.visitors}`)
  for (const c of realCells) if (!realSuppressed.has(c.id) && c.visitors < k) findings.push(`published below k: ${c.id} = ${c.visitors}`)

  // The remainder of a disjoint dimension (total − Σ values: visitors without a value) is
  // a count the partner may learn, and it adds up over time: model it as a hidden cell.
  const virtual: CellInput[] = []
  const dims = new Set<string>()
  const sums = new Map<string, number>()
  for (const c of realCells) {
    if (c.dimension === '' || overlapping.has(c.dimension)) continue
    dims.add(c.dimension)
    const sk = `${c.granularity}|${c.period}|${c.dimension}`
    sums.set(sk, (sums.get(sk) ?? 0) + c.visitors)
  }
  for (const t of realCells) {
    if (t.dimension !== '') continue
    for (const dim of dims) {
      const rem = t.visitors - (sums.get(`${t.granularity}|${t.period}|${dim}`) ?? 0)
      const value = '\u0001remainder'
      virtual.push({ id: cellId(t.granularity, t.period, dim, value), granularity: t.granularity, period: t.period, dimension: dim, value, visitors: rem })
    }
  }
  const cells = [...realCells, ...virtual]
  const suppressed = new Set([...realSuppressed, ...virtual.map((v) => v.id)])
  const byId = new Map(cells.map((c) => [c.id, c]))
  const index = new Map<string, string>() // g|start|dim|value → id
  const key = (g: Granularity, start: number, dim: string, value: string): string => `${g}|${start}|${dim}|${value}`
  const columns = new Map<string, { dim: string; value: string }>()
  const grans = new Set<Granularity>()
  for (const c of cells) {
    index.set(key(c.granularity, dayNum(c.period), c.dimension, c.value), c.id)
    columns.set(`${c.dimension}\u0000${c.value}`, { dim: c.dimension, value: c.value })
    grans.add(c.granularity)
  }
  const val = (id: string): number => byId.get(id)!.visitors

  const relations: Relation[] = []
  // R1
  const periods = new Map<string, Map<string, string[]>>()
  for (const c of cells) {
    if (c.dimension === '') continue
    const pk = `${c.granularity}|${c.period}`
    let m = periods.get(pk)
    if (!m) periods.set(pk, (m = new Map()))
    let list = m.get(c.dimension)
    if (!list) m.set(c.dimension, (list = []))
    list.push(c.id)
  }
  for (const [pk, m] of periods) {
    const total = byId.has(`${pk}||`) ? `${pk}||` : undefined
    if (!total) continue
    for (const [dim, parts] of m) relations.push({ name: `R1 ${pk} ${dim}`, wholes: [total], parts, overlapping: overlapping.has(dim) })
  }
  // R2 and month/week combinations, per column
  const monthsPresent = [...new Set(cells.filter((c) => c.granularity === 'month').map((c) => dayNum(c.period)))].sort((a, b) => a - b)
  for (const { dim, value } of columns.values()) {
    const at = (g: Granularity, start: number): string | undefined => index.get(key(g, start, dim, value))
    const days = (from: number, to: number): string[] => {
      const out: string[] = []
      if (!grans.has('day')) return out
      for (let d = from; d <= to; d++) {
        const id = at('day', d)
        if (id) out.push(id)
      }
      return out
    }
    if (grans.has('day')) {
      for (const c of cells) {
        if (c.dimension !== dim || c.value !== value || c.granularity === 'day') continue
        const s = dayNum(c.period)
        relations.push({ name: `R2 ${c.id}`, wholes: [c.id], parts: days(s, c.granularity === 'week' ? s + 6 : monthEndOf(s)) })
      }
    }
    if (grans.has('week') && grans.has('month')) {
      // runs of consecutive months (length 1 = one month)
      for (let i = 0; i < monthsPresent.length; i++) {
        for (let j = i; j < monthsPresent.length; j++) {
          if (j > i && monthsPresent[j] !== monthEndOf(monthsPresent[j - 1]!) + 1) break
          const from = monthsPresent[i]!
          const to = monthEndOf(monthsPresent[j]!)
          const wholes = monthsPresent.slice(i, j + 1).map((m) => at('month', m)).filter((x): x is string => !!x)
          if (wholes.length !== j - i + 1) continue
          const parts: string[] = []
          let covered = from
          for (let mon = from + ((7 - ((from + 3) % 7)) % 7); mon + 6 <= to; mon += 7) {
            parts.push(...days(covered, mon - 1))
            const w = at('week', mon)
            if (w) parts.push(w)
            else parts.push(...days(mon, mon + 6))
            covered = mon + 7
          }
          parts.push(...days(covered, to))
          relations.push({ name: `months ${isoOf(from)}..${isoOf(to)} ${dim}|${value} vs weeks+days`, wholes, parts })
        }
      }
    }
  }
  const trueRem = (r: Relation): number => r.wholes.reduce((a, w) => a + val(w), 0) - r.parts.reduce((a, p) => a + val(p), 0)

  // one-step lower bounds of unknown cells from disjoint relations below them
  const below = new Map<string, Relation[]>()
  for (const r of relations) {
    if (r.wholes.length !== 1 || r.overlapping || trueRem(r) < 0) continue
    const list = below.get(r.wholes[0]!) ?? []
    list.push(r)
    below.set(r.wholes[0]!, list)
  }
  const known = new Map<string, number>()
  const lowerBound = (id: string): number => {
    let best = 0
    for (const r of below.get(id) ?? []) best = Math.max(best, r.parts.reduce((a, p) => a + (known.get(p) ?? 0), 0))
    return best
  }

  // partner's exact knowledge: published values, then to a fixpoint single-unknown
  // elimination on exact relations, and squeezes: an unknown part is at most the known
  // whole less the other parts' lower bounds; where that equals its own lower bound it is known
  for (const c of cells) if (!suppressed.has(c.id)) known.set(c.id, c.visitors)
  for (let changed = true; changed; ) {
    changed = false
    for (const r of relations) {
      if (r.overlapping || trueRem(r) < 0) continue // overlapping values give inequalities only
      const unknown = [...r.wholes, ...r.parts].filter((id) => !known.has(id))
      if (unknown.length === 1 && trueRem(r) === 0) {
        known.set(unknown[0]!, val(unknown[0]!))
        changed = true
        continue
      }
      if (!r.wholes.every((w) => known.has(w))) continue
      const W = r.wholes.reduce((a, w) => a + known.get(w)!, 0)
      const lbs = r.parts.map((p) => known.get(p) ?? lowerBound(p))
      const sum = lbs.reduce((a, b) => a + b, 0)
      r.parts.forEach((p, i) => {
        if (!known.has(p) && W - (sum - lbs[i]!) <= lbs[i]!) {
          known.set(p, val(p))
          changed = true
        }
      })
    }
  }
  for (const [id, v] of known) if (suppressed.has(id) && band(v)) findings.push(`derived ${id} = ${v}`)

  for (const r of relations) {
    if (!r.wholes.every((w) => known.has(w))) continue
    const W = r.wholes.reduce((a, w) => a + known.get(w)!, 0)
    if (r.wholes.every((w) => !suppressed.has(w))) {
      const d0 = W - r.parts.reduce((a, p) => a + (suppressed.has(p) ? 0 : val(p)), 0)
      if (band(d0)) findings.push(`d0 ${r.name} = ${d0}`)
    }
    // Derived differences are visitor counts only where the parts are disjoint (Σ parts ≤
    // whole); for overlapping values (pages) they count nobody, and only d0 is checked.
    if (r.overlapping || trueRem(r) < 0) continue
    const d1 = W - r.parts.reduce((a, p) => a + (known.get(p) ?? 0), 0)
    if (band(d1)) findings.push(`d1 ${r.name} = ${d1}`)
    const d2 = d1 - r.parts.reduce((a, p) => a + (known.has(p) ? 0 : lowerBound(p)), 0)
    if (band(d2)) findings.push(`d2 ${r.name} = ${d2}`)
  }

  if (opts.combinations === false) return findings

  // Rectangles: a relation plus the relations crossing its unknown parts (the R1 rows of a
  // column's unknown days, or the single-whole time relations of a row's unknown values).
  const residual = (r: Relation): number | undefined =>
    r.wholes.every((w) => known.has(w)) ? r.wholes.reduce((a, w) => a + known.get(w)!, 0) - r.parts.reduce((a, p) => a + (known.get(p) ?? 0), 0) : undefined
  const rowOf = new Map<string, Relation>()
  const columnsOf = new Map<string, Relation[]>()
  for (const r of relations) {
    if (r.overlapping || trueRem(r) < 0) continue
    const isRow = r.name.startsWith('R1 ')
    for (const p of r.parts) {
      if (isRow) rowOf.set(p, r)
      else if (r.wholes.length === 1 && byId.get(p)!.dimension !== '') columnsOf.set(p, [...(columnsOf.get(p) ?? []), r])
    }
  }
  for (const r of relations) {
    const unknown = r.parts.filter((p) => !known.has(p))
    if (unknown.length === 0 || r.overlapping || trueRem(r) < 0) continue
    const own = residual(r)
    if (own === undefined) continue
    if (r.name.startsWith('R1 ')) {
      // one row minus, for one kind of time relation, the columns of its unknown values
      const families = new Map<string, Relation[]>()
      for (const p of unknown) {
        for (const c of columnsOf.get(p) ?? []) {
          const fam = c.name.startsWith('R2 ') ? `R2 ${byId.get(c.wholes[0]!)!.granularity}` : 'weeks+days'
          families.set(fam, [...(families.get(fam) ?? []), c])
        }
      }
      for (const [fam, cols] of families) {
        if (cols.length !== unknown.length) continue // some unknown value has no such column
        const rs = cols.map(residual)
        if (rs.some((x) => x === undefined)) continue
        const f = rs.reduce<number>((a, x) => a + x!, 0) - own
        if (band(f)) findings.push(`rectangle ${r.name} × ${fam} = ${f}`)
      }
    }
  }

  // Groups: for a set G of rows (the unknown rows of one exact single-whole time relation), the
  // partner knows T(G) (every row total known, or the total column's relation of the same
  // family and period has its unknown rows inside G) and c(G) for each column whose
  // relation there has a known whole and its unknown rows inside G; R1 holds over G.
  const familyOf = (r: Relation): string | undefined =>
    r.wholes.length !== 1 ? undefined : r.name.startsWith('R2 ') ? `R2 ${byId.get(r.wholes[0]!)!.granularity}` : r.name.startsWith('months ') ? 'weeks+days' : undefined
  const rowsOfTotal = new Map<string, Relation[]>()
  for (const r of relations) if (r.name.startsWith('R1 ') && !r.overlapping && trueRem(r) >= 0) rowsOfTotal.set(r.wholes[0]!, [...(rowsOfTotal.get(r.wholes[0]!) ?? []), r])
  const totalRelation = new Map<string, Relation>() // family|coarse period → total column's relation
  for (const r of relations) {
    const fam = familyOf(r)
    const w = r.wholes[0] && byId.get(r.wholes[0])
    if (fam && w && w.dimension === '') totalRelation.set(`${fam}|${w.period}`, r)
  }
  const rowTotalOf = (p: string): string | undefined => (byId.get(p)!.dimension === '' ? p : rowOf.get(p)?.wholes[0])
  for (const r of relations) {
    const fam = familyOf(r)
    if (!fam || !known.has(r.wholes[0]!) || r.overlapping || trueRem(r) !== 0) continue
    const whole = byId.get(r.wholes[0]!)!
    const G = new Set<string>()
    let ok = true
    for (const p of r.parts) {
      if (known.has(p)) continue
      const t = rowTotalOf(p)
      if (t === undefined) ok = false
      else G.add(t)
    }
    if (!ok || G.size === 0) continue
    if ([...G].some((t) => !known.has(t))) {
      const rT = totalRelation.get(`${fam}|${whole.period}`)
      if (!rT || trueRem(rT) !== 0 || !known.has(rT.wholes[0]!) || rT.parts.some((t) => !known.has(t) && !G.has(t))) continue
    }
    const tG = [...G].reduce((a, t) => a + val(t), 0)
    const byDim = new Map<string, string[]>()
    for (const t of G) {
      for (const row of rowsOfTotal.get(t) ?? []) {
        const dim = byId.get(row.parts[0]!)!.dimension
        if (whole.dimension !== '' && dim !== whole.dimension) continue
        byDim.set(dim, [...(byDim.get(dim) ?? []), ...row.parts])
      }
    }
    for (const [dim, cellsInG] of byDim) {
      let f = tG
      for (const p of cellsInG) {
        const col = (columnsOf.get(p) ?? []).find((c) => familyOf(c) === fam)
        const eligible =
          col !== undefined && trueRem(col) === 0 && known.has(col.wholes[0]!) && col.parts.every((q) => known.has(q) || G.has(rowTotalOf(q) ?? ''))
        f -= eligible ? val(p) : (known.get(p) ?? 0)
      }
      if (band(f)) findings.push(`group ${r.name} ${dim} = ${f}`)
    }
  }
  return findings
}
