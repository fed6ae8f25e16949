/**
 * k-suppression with secondary suppression for partner exports. Pure: no I/O, no clock.
 *
 * Input: every cell a partner share can download, at every granularity the share offers
 * (day, week, month), each with its unique-visitor count (already noisy when differential
 * privacy is on). Output: the ids of the cells to publish as "suppressed".
 *
 * BLOCKS. Cells are decided in independent blocks: the periods of the coarsest
 * granularity present (or `options.blocks`, the share's coarsest). A day belongs to the
 * week / month containing it, a week to the month containing its Monday. Every relation
 * below lies inside one block and a block's decisions read only that block's cells, so
 * they never depend on the date range a partner asks for, nor on data added later to
 * other blocks (a download made today and one made next month agree on past blocks).
 * Two consequences when months are the blocks:
 *   - a week that crosses a month boundary would tie two months together (through its
 *     days and through sums of months): it is always published as suppressed;
 *   - weeks and months without days do not nest (month − its whole weeks counts the
 *     visitors of the days outside whole weeks, which nothing else protects): all weeks
 *     are then published as suppressed. Offer days too, or only one of week / month.
 *
 * PRIMARY RULE. A cell with visitors < k is suppressed (k ≥ 5 is enforced).
 *
 * RELATIONS the partner can evaluate (whole = Σ parts, within one block):
 *   R1  for each granularity, period and dimension: the period's total row (dimension
 *       '') = Σ the dimension's value cells + the remainder (visitors with no value).
 *       For a dimension whose values are disjoint in the whole block (Σ values ≤ total
 *       in every period: "visit" dimensions) the remainder is modelled as a cell that is
 *       never published — the partner learns it where the total and all values are
 *       published, and it adds up over time like any other column. For dimensions where
 *       one visitor counts under several values (pages: Σ values > total) there is no
 *       remainder and only the relation itself is checked.
 *   R2  for each column (dimension+value, the total row, and each remainder) and each
 *       week or month: coarse cell = Σ its day cells (exact: visitor hashes are per day,
 *       so a week's visitors are the sum of its days').
 *   R2' with day, week and month: month = Σ its whole weeks + Σ its other days (this
 *       covers "month − published weeks − published days").
 *
 * WHAT THE PARTNER IS ASSUMED TO DERIVE (from published values only), to a fixpoint:
 *   - exact values: a suppressed cell that is the only unknown part of an exact relation
 *     with a known whole; a suppressed whole whose parts in some relation are all known
 *     and add up to it (least fixpoint: no circular reasoning);
 *   - lower bounds: a suppressed cell is at least the sum of the lower bounds of its parts
 *     in any relation with disjoint parts (known cells count in full), recursively — e.g.
 *     a suppressed month value ≥ Σ of its published days;
 *   - upper bounds and squeezes: a suppressed part is at most its whole's upper bound less
 *     the lower bounds of the other parts; a cell whose bounds meet is known exactly (a
 *     suppressed week proven ≥ 12 by its days, in a month that leaves room for 12).
 * CHECKS — none of these may lie in [1, k−1]:
 *   C1  every published value (primary rule);
 *   C2  for every relation whose whole is known (published or derived):
 *         d0   = whole − Σ published parts (whole published)  — the direct difference;
 *         dk   = whole − Σ known parts;
 *         dmin = whole − Σ lower bounds of the parts            — what chaining yields:
 *                any suppressed part replaced by the published cells below it;
 *   C3  every suppressed cell the partner can derive exactly (remainders included);
 *   C4  crossing relations, per time family (R2 week / R2 month / R2' of one period) and
 *       disjoint dimension — a small 2-D table of rows (days, or whole weeks in R2') and
 *       columns (values, remainder) with the totals and the coarse cells as margins:
 *         row    an R1 row minus the time relations of its suppressed cells = the hidden
 *                visitors of the other rows in those columns;
 *         group  for a set G of rows — the suppressed rows of one column, of the total
 *                column, or (R2') the month's leading / trailing days outside whole
 *                weeks — the partner knows T(G) and c(G) for every column whose other
 *                rows are known, so R1 summed over G leaves the hidden visitors of the
 *                remaining columns in G.
 *
 * SECONDARY RULE. While a check fails, one more cell is suppressed: the published part
 * of the failing relation with the fewest visitors (ties by id) whose suppression does
 * enlarge the difference; failing that, a published cell below a suppressed part that
 * gives the partner its lower bound, or in the relation that reveals a derived cell (same
 * order); failing that, any published part; failing that, the whole. For C4, a published
 * cell of a crossing relation (for a group: of a column whose c(G) is known, outside G).
 * Failures are fixed in rounds (one cell per failing relation, skipping relations already
 * touched in the round), the partner's knowledge is recomputed after each round, and
 * suppression only grows, so it terminates. A block that would still fail with nothing
 * left to suppress is suppressed entirely (fail closed, counted in `failClosed`; not
 * expected to happen, and never seen in the property tests).
 *
 * GUARANTEE (data consistent: disjoint parts add up to at most their whole): every
 * published value is ≥ k; every difference obtained from one relation — directly, after
 * substituting derived values, or after replacing suppressed parts by the published
 * cells below them, at any depth, remainders included — is 0 or ≥ k (a sum of terms each
 * 0 or ≥ k, by induction over the hierarchy); and so are the row and group combinations
 * of C4. Property tests check this against an independent partner model that also sums
 * consecutive months across blocks. Not covered: a group G made of several columns'
 * suppressed rows together (the general 2-D table audit, which is a linear program), and
 * signed combinations that count no set of visitors (across two dimensions, or with
 * overlapping dimensions). With noise the same rules run on the noisy values — the
 * partner sees nothing else; the direct differences d0 stay out of [1, k−1], and the
 * formal guarantee is the differential-privacy one.
 */

export type Granularity = 'day' | 'week' | 'month'

export interface CellInput {
  /** Stable id, e.g. `${granularity}|${period}|${dimension}|${value}`. */
  id: string
  granularity: Granularity
  /** First day of the period, YYYY-MM-DD (weeks start on Monday, months on the 1st). */
  period: string
  /** '' for the site-total row of the period. */
  dimension: string
  /** '' for the site-total row of the period. */
  value: string
  /** The count the rule is about (already noisy when differential privacy is on). */
  visitors: number
}

export interface SuppressionResult {
  /** Ids of the cells published as suppressed. */
  suppressed: Set<string>
  /** How many cells have visitors < k. */
  primary: number
  /** How many more were suppressed to protect them (includes month-crossing weeks). */
  secondary: number
  /** Blocks suppressed entirely because no smaller suppression satisfied the rules (expected 0). */
  failClosed: number
}

export interface SuppressOptions {
  /** The block granularity (the share's coarsest); defaults to the coarsest present. */
  blocks?: Granularity
}

export const MIN_K = 5

const GRAN_RANK: Record<Granularity, number> = { day: 0, week: 1, month: 2 }
const DAY_MS = 86_400_000

/** Days since 1970-01-01 of a valid YYYY-MM-DD, or throws. */
function dayNumber(period: string, id: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(period)
  if (m) {
    const y = Number(m[1])
    const mo = Number(m[2])
    const d = Number(m[3])
    const ms = Date.UTC(y, mo - 1, d)
    const back = new Date(ms)
    if (back.getUTCFullYear() === y && back.getUTCMonth() === mo - 1 && back.getUTCDate() === d) return Math.round(ms / DAY_MS)
  }
  throw new RangeError(`cell ${id}: period '${period}' is not a YYYY-MM-DD date`)
}

const isMonday = (day: number): boolean => (day + 3) % 7 === 0 // 1970-01-05 (day 4) was a Monday
const mondayOf = (day: number): number => day - ((day + 3) % 7)

function monthStart(day: number): number {
  const d = new Date(day * DAY_MS)
  return Math.round(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) / DAY_MS)
}
function monthEnd(day: number): number {
  const d = new Date(day * DAY_MS)
  return Math.round(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) / DAY_MS) - 1
}

interface Cell {
  id: string
  gran: Granularity
  start: number // first day (day number)
  end: number // last day (day number)
  dimension: string
  value: string
  visitors: number
}

/** Suppress cells so that no published value and no obtainable difference lies in [1, k−1]. */
export function suppress(cells: CellInput[], k: number, options: SuppressOptions = {}): SuppressionResult {
  if (!Number.isInteger(k) || k < MIN_K) throw new RangeError(`k must be an integer ≥ ${MIN_K}, got ${String(k)}`)
  const parsed: Cell[] = []
  const ids = new Set<string>()
  let coarsest: Granularity | undefined
  for (const c of cells) {
    if (ids.has(c.id)) throw new RangeError(`duplicate cell id ${c.id}`)
    ids.add(c.id)
    if (!(c.granularity in GRAN_RANK)) throw new RangeError(`cell ${c.id}: unknown granularity ${String(c.granularity)}`)
    if (typeof c.visitors !== 'number' || !Number.isFinite(c.visitors)) throw new RangeError(`cell ${c.id}: visitors must be a finite number`)
    if (c.dimension === '' && c.value !== '') throw new RangeError(`cell ${c.id}: the total row has value ''`)
    const start = dayNumber(c.period, c.id)
    let end = start
    if (c.granularity === 'week') {
      if (!isMonday(start)) throw new RangeError(`cell ${c.id}: a week starts on a Monday`)
      end = start + 6
    } else if (c.granularity === 'month') {
      if (monthStart(start) !== start) throw new RangeError(`cell ${c.id}: a month starts on the 1st`)
      end = monthEnd(start)
    }
    parsed.push({ id: c.id, gran: c.granularity, start, end, dimension: c.dimension, value: c.value, visitors: c.visitors })
    if (coarsest === undefined || GRAN_RANK[c.granularity] > GRAN_RANK[coarsest]) coarsest = c.granularity
  }
  const blockGran = options.blocks ?? coarsest ?? 'day'
  const blocks = new Map<number, Cell[]>()
  for (const c of parsed) {
    if (GRAN_RANK[c.gran] > GRAN_RANK[blockGran]) throw new RangeError(`cell ${c.id}: coarser than the block granularity ${blockGran}`)
    const key = blockGran === 'day' ? c.start : blockGran === 'week' ? mondayOf(c.start) : monthStart(c.start)
    let list = blocks.get(key)
    if (!list) blocks.set(key, (list = []))
    list.push(c)
  }
  const suppressed = new Set<string>()
  let failClosed = 0
  for (const key of [...blocks.keys()].sort((a, b) => a - b)) {
    const list = blocks.get(key)!.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    const blockEnd = blockGran === 'day' ? key : blockGran === 'week' ? key + 6 : monthEnd(key)
    const out = solveBlock(list, k, key, blockEnd)
    for (const i of out.suppressed) suppressed.add(list[i]!.id)
    if (out.failClosed) failClosed++
  }
  let primary = 0
  for (const c of parsed) if (c.visitors < k) primary++
  return { suppressed, primary, secondary: suppressed.size - primary, failClosed }
}

/** Compressed lists: items of list i are data[start[i] .. start[i+1]). */
interface Csr {
  start: Int32Array
  data: Int32Array
}

function buildCsr(n: number, pairs: [number, number][]): Csr {
  const start = new Int32Array(n + 1)
  for (const [i] of pairs) start[i + 1]!++
  for (let i = 0; i < n; i++) start[i + 1]! += start[i]!
  const fill = start.slice(0, n)
  const data = new Int32Array(pairs.length)
  for (const [i, v] of pairs) data[fill[i]!++] = v
  return { start, data }
}

interface BlockResult {
  suppressed: number[]
  failClosed: boolean
}

function solveBlock(cells: Cell[], k: number, blockStart: number, blockEnd: number): BlockResult {
  const n = cells.length // real cells; indices ≥ n are virtual remainder cells
  const excluded = new Uint8Array(n) // withheld weeks: suppressed, in no relation
  // Weeks and months without days do not nest (the days of a month outside its whole
  // weeks are unknown to the partner, yet differences of month and week values count
  // them): weeks are then withheld entirely.
  const withholdWeeks = cells.some((c) => c.gran === 'month') && !cells.some((c) => c.gran === 'day')
  for (let i = 0; i < n; i++) {
    const c = cells[i]!
    if (c.gran === 'week' && (withholdWeeks || c.start < blockStart || c.end > blockEnd)) excluded[i] = 1
  }

  // ---- cells by period and by column (dimension, value) ----
  interface Period {
    gran: Granularity
    start: number
    total?: number
    dims: Map<string, number[]>
  }
  type Column = { day: Map<number, number>; week: Map<number, number>; month: Map<number, number> }
  const byPeriod = new Map<string, Period>()
  const columns = new Map<string, Column>()
  const addToColumn = (key: string, gran: Granularity, start: number, i: number): void => {
    let col = columns.get(key)
    if (!col) columns.set(key, (col = { day: new Map(), week: new Map(), month: new Map() }))
    col[gran].set(start, i)
  }
  const dims = new Set<string>() // every dimension of the block, at any granularity
  let hasDay = false
  let hasWeek = false
  for (let i = 0; i < n; i++) {
    if (excluded[i]) continue
    const c = cells[i]!
    if (c.gran === 'day') hasDay = true
    if (c.gran === 'week') hasWeek = true
    const pk = `${c.gran}|${c.start}`
    let p = byPeriod.get(pk)
    if (!p) byPeriod.set(pk, (p = { gran: c.gran, start: c.start, dims: new Map() }))
    if (c.dimension === '') p.total = i
    else {
      dims.add(c.dimension)
      let list = p.dims.get(c.dimension)
      if (!list) p.dims.set(c.dimension, (list = []))
      list.push(i)
    }
    addToColumn(`${c.dimension}\u0000${c.value}`, c.gran, c.start, i)
  }

  // ---- R1, with a virtual "remainder" cell per (period, dimension) ----
  // For a dimension whose values are disjoint (Σ values ≤ total in every period of the
  // block), total − Σ values counts the visitors without a value. The partner learns it
  // wherever the total and all values are published, and it adds up over time like any
  // column, so it is modelled as a cell that is never published: R1 then reads
  // total = Σ values + remainder (exact), and the remainder column gets R2 relations too.
  const r1: { period: Period; dim: string; parts: number[]; rem: number }[] = []
  const notDisjoint = new Set<string>()
  for (const p of byPeriod.values()) {
    if (p.total === undefined) continue
    for (const dim of dims) {
      const parts = p.dims.get(dim) ?? []
      let rem = cells[p.total]!.visitors
      for (const i of parts) rem -= cells[i]!.visitors
      if (rem < 0) notDisjoint.add(dim)
      r1.push({ period: p, dim, parts, rem })
    }
  }
  const virtualVal: number[] = []
  const virtualRank: number[] = []
  const relWhole: number[] = []
  const relParts: number[][] = []
  const relDisjoint: number[] = [] // 1: whole = Σ parts (+ remainder ≥ 0) holds for the partner
  const relKind: number[] = [] // R1 = 0; over time: R2 week = 1, R2 month = 2, R2' = 3
  const relRect: number[] = [] // 1: a time relation of a value or remainder column of a disjoint dimension
  const relDim: number[] = [] // index of the dimension (of R1, or of a time relation's column)
  const relSlot: number[] = [] // time relations: kind * 2^20 + first day of the coarse period
  const dimIndex = new Map<string, number>()
  const addRelation = (whole: number | undefined, parts: number[], disjoint = true, kind = 0, rect = false, dim = '', coarseStart = 0): void => {
    if (whole === undefined || parts.length === 0) return
    relWhole.push(whole)
    relParts.push(parts)
    relDisjoint.push(disjoint ? 1 : 0)
    relKind.push(kind)
    relRect.push(rect ? 1 : 0)
    if (!dimIndex.has(dim)) dimIndex.set(dim, dimIndex.size)
    relDim.push(dimIndex.get(dim)!)
    relSlot.push(kind * 1_048_576 + coarseStart)
  }
  for (const { period, dim, parts, rem } of r1) {
    if (!notDisjoint.has(dim)) {
      const v = n + virtualVal.length
      virtualVal.push(rem)
      virtualRank.push(GRAN_RANK[period.gran] * 2)
      addToColumn(`${dim}\u0000\u0001remainder`, period.gran, period.start, v)
      addRelation(period.total, [...parts, v], true, 0, false, dim)
    } else addRelation(period.total, parts, false, 0, false, dim) // overlapping values: checked, never used to derive
  }

  const N = n + virtualVal.length
  const val = new Float64Array(N)
  const pub = new Uint8Array(N)
  const rank = new Int32Array(N)
  for (let i = 0; i < n; i++) {
    const c = cells[i]!
    val[i] = c.visitors
    pub[i] = c.visitors >= k && !excluded[i] ? 1 : 0
    rank[i] = GRAN_RANK[c.gran] * 2 + (c.dimension === '' ? 1 : 0)
  }
  for (let j = 0; j < virtualVal.length; j++) {
    val[n + j] = virtualVal[j]!
    rank[n + j] = virtualRank[j]!
  }

  const daysIn = (col: { day: Map<number, number> }, from: number, to: number): number[] => {
    const out: number[] = []
    for (let d = from; d <= to; d++) {
      const i = col.day.get(d)
      if (i !== undefined) out.push(i)
    }
    return out
  }
  for (const [key, col] of columns) {
    const dim = key.slice(0, key.indexOf('\u0000'))
    const rect = dim !== '' && !notDisjoint.has(dim)
    if (hasDay) {
      for (const [start, w] of col.week) addRelation(w, daysIn(col, start, start + 6), true, 1, rect, dim, start) // R2 week
      for (const [start, m] of col.month) addRelation(m, daysIn(col, start, monthEnd(start)), true, 2, rect, dim, start) // R2 month
    }
    if (hasDay && hasWeek) {
      for (const [start, m] of col.month) {
        const end = monthEnd(start)
        const parts: number[] = []
        let covered = start // days before this one are accounted for
        for (let mon = start + ((7 - ((start + 3) % 7)) % 7); mon + 6 <= end; mon += 7) {
          parts.push(...daysIn(col, covered, mon - 1))
          const w = col.week.get(mon)
          if (w !== undefined) parts.push(w)
          else parts.push(...daysIn(col, mon, mon + 6))
          covered = mon + 7
        }
        parts.push(...daysIn(col, covered, end))
        addRelation(m, parts, true, 3, rect, dim, start) // R2'
      }
    }
  }

  const nRel = relWhole.length
  const whole = Int32Array.from(relWhole)
  const partStart = new Int32Array(nRel + 1)
  for (let r = 0; r < nRel; r++) partStart[r + 1] = partStart[r]! + relParts[r]!.length
  const parts = new Int32Array(partStart[nRel]!)
  for (let r = 0; r < nRel; r++) parts.set(relParts[r]!, partStart[r]!)
  const disjoint = Uint8Array.from(relDisjoint)
  const rem = new Float64Array(nRel) // whole − Σ parts (true values)
  for (let r = 0; r < nRel; r++) {
    let s = 0
    for (let j = partStart[r]!; j < partStart[r + 1]!; j++) s += val[parts[j]!]!
    rem[r] = val[whole[r]!]! - s
  }
  const wholeOf = buildCsr(N, Array.from(whole, (w, r) => [w, r] as [number, number]))
  const partPairs: [number, number][] = []
  for (let r = 0; r < nRel; r++) for (let j = partStart[r]!; j < partStart[r + 1]!; j++) partPairs.push([parts[j]!, r])
  const partOf = buildCsr(N, partPairs)
  const order = Array.from({ length: N }, (_, i) => i).sort((a, b) => rank[a]! - rank[b]! || a - b)
  const kind = Uint8Array.from(relKind)
  const rowDim = Int32Array.from(relDim)
  const totalColumn = new Uint8Array(nRel) // a time relation of the total row
  for (let r = 0; r < nRel; r++) totalColumn[r] = kind[r]! > 0 && rank[whole[r]!]! % 2 === 1 ? 1 : 0
  const colDim = Int32Array.from(relDim) // time relations: the column's dimension
  // slot: (kind, coarse period) of a time relation; slotTotal: the total column's relation there
  const slot = Int32Array.from(relSlot)
  const slotTotal = new Map<number, number>()
  for (let r = 0; r < nRel; r++) if (totalColumn[r]) slotTotal.set(slot[r]!, r)
  const rectangle = Uint8Array.from(relRect)
  // rowOf[c]: the R1 relation (disjoint dimension) holding value / remainder cell c;
  // colOf[4c + kind]: the time relation of that kind holding cell c
  const rowOf = new Int32Array(N).fill(-1)
  const colOf = new Int32Array(4 * N).fill(-1)
  for (let r = 0; r < nRel; r++) {
    for (let j = partStart[r]!; j < partStart[r + 1]!; j++) {
      const p = parts[j]!
      if (kind[r] === 0) {
        if (disjoint[r]) rowOf[p] = r
      } else if (rectangle[r]) colOf[4 * p + kind[r]!] = r
    }
  }

  // ---- the partner's knowledge (least fixpoint) ----
  const lb = new Float64Array(N) // lower bound the partner can prove (= value when known)
  const ub = new Float64Array(N) // upper bound the partner can prove (= value when known)
  const known = new Uint8Array(N)
  const aboveRel = new Int32Array(N) // relation that revealed a cell from above, or −1
  const relSumLb = new Float64Array(nRel)

  const sumLb = (r: number): number => {
    let s = 0
    for (let j = partStart[r]!; j < partStart[r + 1]!; j++) s += lb[parts[j]!]!
    return s
  }
  const lbBelow = (c: number): number => {
    let best = 0
    for (let j = wholeOf.start[c]!; j < wholeOf.start[c + 1]!; j++) {
      const r = wholeOf.data[j]!
      if (disjoint[r] && rem[r]! >= 0) best = Math.max(best, sumLb(r))
    }
    return best
  }

  /** c is the whole of an exact relation whose parts are all known. */
  const revealedBelow = (c: number): boolean => {
    for (let j = wholeOf.start[c]!; j < wholeOf.start[c + 1]!; j++) {
      const r = wholeOf.data[j]!
      if (!disjoint[r] || rem[r] !== 0) continue
      let all = true
      for (let q = partStart[r]!; all && q < partStart[r + 1]!; q++) if (!known[parts[q]!]) all = false
      if (all) return true
    }
    return false
  }
  const computeKnowledge = (): void => {
    for (let i = 0; i < N; i++) {
      lb[i] = pub[i] ? val[i]! : 0
      known[i] = pub[i]!
      aboveRel[i] = -1
    }
    for (let changed = true; changed; ) {
      changed = false
      for (const c of order) {
        if (known[c]) continue
        const b = lbBelow(c)
        if (b > lb[c]!) lb[c] = b
        if (revealedBelow(c)) {
          known[c] = 1
          lb[c] = val[c]!
          changed = true
        }
      }
      for (let r = 0; r < nRel; r++) {
        if (!known[whole[r]!] || !disjoint[r] || rem[r] !== 0) continue
        let gap = -1
        let gaps = 0
        for (let j = partStart[r]!; j < partStart[r + 1]! && gaps < 2; j++) {
          const p = parts[j]!
          if (!known[p]) {
            gap = p
            gaps++
          }
        }
        if (gaps === 1) {
          known[gap] = 1
          lb[gap] = val[gap]!
          aboveRel[gap] = r
          changed = true
        }
      }
      // Upper bounds from above, coarse to fine: a part is at most its whole's upper bound
      // less the lower bounds of the other parts. A cell squeezed between equal bounds is
      // known (e.g. a suppressed week whose days prove it ≥ 12 in a month that leaves room
      // for at most 12).
      for (let r = 0; r < nRel; r++) relSumLb[r] = sumLb(r)
      for (let o = N - 1; o >= 0; o--) {
        const c = order[o]!
        if (known[c]) {
          ub[c] = val[c]!
          continue
        }
        let u = Infinity
        for (let j = partOf.start[c]!; j < partOf.start[c + 1]!; j++) {
          const r = partOf.data[j]!
          if (disjoint[r] && rem[r]! >= 0) u = Math.min(u, ub[whole[r]!]! - (relSumLb[r]! - lb[c]!))
        }
        ub[c] = u
        if (u <= lb[c]!) {
          known[c] = 1
          lb[c] = val[c]!
          ub[c] = val[c]!
          changed = true
        }
      }
    }
    for (let r = 0; r < nRel; r++) relSumLb[r] = sumLb(r)
  }

  const inBand = (d: number): boolean => d >= 1 && d <= k - 1
  const violated = (r: number): boolean => {
    const w = whole[r]!
    if (!known[w]) return false
    if (inBand(val[w]! - relSumLb[r]!)) return true // dmin
    let sKnown = 0
    let sPub = 0
    for (let j = partStart[r]!; j < partStart[r + 1]!; j++) {
      const p = parts[j]!
      if (known[p]) sKnown += val[p]!
      if (pub[p]) sPub += val[p]!
    }
    return inBand(val[w]! - sKnown) || (pub[w] === 1 && inBand(val[w]! - sPub))
  }

  /*
   * Combinations of a relation with the relations crossing it, within one time relation
   * family (kind + coarse period) and one disjoint dimension — a small 2-D table whose
   * rows are periods (days, or whole weeks in R2') and whose columns are the dimension's
   * values and remainder, with the totals as row margin and the coarse cells as column
   * margin:
   *   groups  for a set G of rows — the suppressed rows of one column's time relation,
   *           or of the total column's — the partner knows T(G) (rows' totals known, or
   *           the total column's suppressed rows all in G) and c(G) for every column c
   *           whose whole is known and whose suppressed rows all lie in G; R1 summed over
   *           G then leaves f = the hidden visitors of the other columns in G;
   *   row     one R1 row minus, for one kind, the time relations of its suppressed cells
   *           = the hidden visitors of the other rows in those columns.
   * Both are counts of visitors and are checked like a difference.
   */
  const dmin = (r: number): number => val[whole[r]!]! - relSumLb[r]!
  const isGap = (p: number): boolean => lb[p]! < val[p]!
  const rowTotal = (p: number): number => (rowOf[p]! >= 0 ? whole[rowOf[p]!]! : -1)
  /** Failing groups generated by time relation r: each as [r, the eligible columns]. */
  // Static index for the group check: per slot, the rows (the total column's parts) as
  // bit positions; per (slot, dimension) the value/remainder columns; per (row total,
  // dimension) the R1 relation.
  const slotRows = new Map<number, Map<number, number>>() // slot → row total cell → bit
  for (const [sl, rT] of slotTotal) {
    const m = new Map<number, number>()
    for (let j = partStart[rT]!; j < partStart[rT + 1]! && m.size < 31; j++) m.set(parts[j]!, m.size)
    if (partStart[rT + 1]! - partStart[rT]! <= 31) slotRows.set(sl, m)
  }
  // R2' slots: the month's leading and trailing days outside whole weeks — the month's
  // parts of the weeks that cross its boundaries, which the partner may isolate by
  // combining two months — are candidate groups too.
  const slotPortions = new Map<number, number[]>()
  for (const [sl, rows] of slotRows) {
    if (kind[slotTotal.get(sl)!] !== 3) continue
    let firstWeek = Infinity
    for (const t of rows.keys()) if (t < n && cells[t]!.gran === 'week') firstWeek = Math.min(firstWeek, cells[t]!.start)
    let lead = 0
    let trail = 0
    for (const [t, bit] of rows) {
      if (t >= n || cells[t]!.gran !== 'day') continue
      if (cells[t]!.start < firstWeek) lead |= 1 << bit
      else trail |= 1 << bit
    }
    slotPortions.set(sl, [lead >>> 0, trail >>> 0].filter((m) => m !== 0))
  }
  const slotDimCols = new Map<number, number[]>() // slot * 65536 + dimension → column relations
  for (let r = 0; r < nRel; r++) {
    if (!rectangle[r]) continue
    const key = slot[r]! * 65536 + colDim[r]!
    let list = slotDimCols.get(key)
    if (!list) slotDimCols.set(key, (list = []))
    list.push(r)
  }
  const rowRel = new Map<number, number>() // row total * 65536 + dimension → R1 relation
  for (let r = 0; r < nRel; r++) if (kind[r] === 0 && disjoint[r]) rowRel.set(whole[r]! * 65536 + rowDim[r]!, r)

  interface GroupFailure {
    r: number // a relation of the group, to fall back on
    cols: number[] // columns whose c(G) the partner knows and that hide something in G
    G: Set<number> // row totals
  }
  /**
   * For each slot and dimension: rows as bits; U_c = the unknown rows of column c;
   * f(G) = Σ_{rows in G} (total − Σ lower bounds of the row) − Σ_{c known, U_c ⊆ G} (the
   * hidden visitors of c), evaluated for G = each distinct U_c, the total column's
   * unknown rows, and (R2') the month's leading and trailing days outside whole weeks.
   */
  const groupFailures = (): GroupFailure[] => {
    const out: GroupFailure[] = []
    for (const [key, cols] of slotDimCols) {
      const sl = Math.floor(key / 65536)
      const d = key % 65536
      const rows = slotRows.get(sl)
      const rT = slotTotal.get(sl)
      if (!rows || rT === undefined) continue
      const rowList = [...rows.keys()]
      const slack = new Float64Array(rowList.length)
      let unknownT = 0
      let rowsOk = true
      for (const [t, bit] of rows) {
        if (!known[t]) unknownT |= 1 << bit
        const row = rowRel.get(t * 65536 + d)
        if (row === undefined) {
          rowsOk = false
          break
        }
        slack[bit] = val[t]! - relSumLb[row]!
      }
      if (!rowsOk) continue
      const tKnown = known[whole[rT]!] === 1
      const masks: number[] = []
      const gapSums: number[] = []
      const usable: boolean[] = []
      for (const c of cols) {
        let mask = 0
        let gap = 0
        let ok = known[whole[c]!] === 1
        for (let j = partStart[c]!; j < partStart[c + 1]!; j++) {
          const p = parts[j]!
          if (known[p]) continue
          const bit = rows.get(rowTotal(p))
          if (bit === undefined) ok = false
          else mask |= 1 << bit
          gap += val[p]! - lb[p]!
        }
        masks.push(mask >>> 0)
        gapSums.push(gap)
        usable.push(ok)
      }
      const candidates = new Map<number, number>() // G mask → generating relation
      if (unknownT !== 0) candidates.set(unknownT >>> 0, rT)
      for (const m of slotPortions.get(sl) ?? []) if (!candidates.has(m)) candidates.set(m, rT)
      cols.forEach((c, i) => {
        if (usable[i] && masks[i] !== 0 && !candidates.has(masks[i]!)) candidates.set(masks[i]!, c)
      })
      for (const [G, gen] of candidates) {
        // T(G): all its row totals known, or the total column's unknown rows all inside G
        if ((G & unknownT) !== 0 && (!tKnown || (unknownT & ~G) !== 0)) continue
        let f = 0
        for (let bit = 0; bit < rowList.length; bit++) if (G & (1 << bit)) f += slack[bit]!
        const hiding: number[] = []
        cols.forEach((c, i) => {
          if (usable[i] && (masks[i]! & ~G) === 0) {
            f -= gapSums[i]!
            if (gapSums[i]! > 0) hiding.push(c)
          }
        })
        if (inBand(f)) {
          const set = new Set<number>()
          for (let bit = 0; bit < rowList.length; bit++) if (G & (1 << bit)) set.add(rowList[bit]!)
          out.push({ r: gen, cols: hiding, G: set })
        }
      }
    }
    return out
  }
  /** For a failing group: hide c(G) of an eligible column (its smallest published cell outside G), else a cell in G. */
  const pickGroup = (r: number, cols: number[], G: Set<number>): number => {
    let best = -1
    for (const col of cols) {
      for (let j = partStart[col]!; j < partStart[col + 1]!; j++) {
        const p = parts[j]!
        if (pub[p] && !G.has(rowTotal(p)) && better(p, best)) best = p
      }
    }
    return best >= 0 ? best : pick(r)
  }
  const rowRectangle = (r: number, k2: number): boolean => {
    if (kind[r] !== 0 || !disjoint[r] || !known[whole[r]!]) return false
    let f = -dmin(r)
    let cols = 0
    for (let j = partStart[r]!; j < partStart[r + 1]!; j++) {
      const p = parts[j]!
      if (!isGap(p)) continue
      const col = colOf[4 * p + k2]!
      if (col < 0 || !known[whole[col]!]) return false
      f += dmin(col)
      cols++
    }
    return cols > 0 && inBand(f)
  }
  /** For a failing row rectangle: a published cell in the crossing columns. */
  const pickCrossing = (r: number, k2: number): number => {
    const visited = new Set<number>()
    for (let j = partStart[r]!; j < partStart[r + 1]!; j++) {
      const p = parts[j]!
      if (!isGap(p)) continue
      const x = colOf[4 * p + k2]!
      if (x < 0) continue
      const c = pickPart(x, p, visited)
      if (c >= 0) return c
      if (pub[whole[x]!]) return whole[x]!
    }
    return pick(r)
  }

  const better = (a: number, b: number): boolean => b < 0 || val[a]! < val[b]! || (val[a] === val[b] && a < b) // ids are sorted
  /** A cell to suppress among the parts of r (never `skip`); −1 if none helps. */
  const pickPart = (r: number, skip: number, visited: Set<number>): number => {
    let withGain = -1
    let anyPub = -1
    for (let j = partStart[r]!; j < partStart[r + 1]!; j++) {
      const p = parts[j]!
      if (p === skip || !pub[p]) continue
      if (better(p, anyPub)) anyPub = p
      if (val[p]! - lbBelow(p) > 0 && better(p, withGain)) withGain = p
    }
    if (withGain >= 0) return withGain
    const bounded: number[] = []
    for (let j = partStart[r]!; j < partStart[r + 1]!; j++) {
      const p = parts[j]!
      if (p !== skip && !pub[p] && lb[p]! > 0) bounded.push(p)
    }
    bounded.sort((a, b) => val[a]! - val[b]! || a - b)
    for (const p of bounded) {
      const c = reduce(p, visited)
      if (c >= 0) return c
    }
    return anyPub
  }
  /** A cell whose suppression lowers what the partner can prove about suppressed cell c. */
  const reduce = (c: number, visited: Set<number>): number => {
    if (visited.has(c)) return -1
    visited.add(c)
    const up = aboveRel[c]!
    if (up >= 0) {
      const x = pickPart(up, c, visited)
      if (x >= 0) return x
      const w = whole[up]!
      return pub[w] ? w : reduce(w, visited)
    }
    const rels: number[] = []
    for (let j = wholeOf.start[c]!; j < wholeOf.start[c + 1]!; j++) {
      const r = wholeOf.data[j]!
      if (disjoint[r] && rem[r]! >= 0 && relSumLb[r]! > 0) rels.push(r)
    }
    rels.sort((a, b) => relSumLb[b]! - relSumLb[a]! || a - b)
    for (const r of rels) {
      const x = pickPart(r, -1, visited)
      if (x >= 0) return x
    }
    return -1
  }
  const pick = (r: number): number => {
    const visited = new Set<number>()
    const x = pickPart(r, -1, visited)
    if (x >= 0) return x
    const w = whole[r]!
    return pub[w] ? w : reduce(w, visited)
  }

  const dirty = new Uint8Array(nRel)
  /**
   * Relations whose differences the suppression of c can change directly: those holding c,
   * and, up the hierarchy, those holding a suppressed whole whose lower bound moves with c.
   * (Only used to fix each relation once per round; every round recomputes everything.)
   */
  const markDirty = (c: number): void => {
    for (let j = wholeOf.start[c]!; j < wholeOf.start[c + 1]!; j++) dirty[wholeOf.data[j]!] = 1
    const stack = [c]
    const seen = new Set<number>()
    while (stack.length > 0) {
      const x = stack.pop()!
      if (seen.has(x)) continue
      seen.add(x)
      for (let j = partOf.start[x]!; j < partOf.start[x + 1]!; j++) {
        const r = partOf.data[j]!
        dirty[r] = 1
        if (!pub[whole[r]!]) stack.push(whole[r]!)
      }
    }
  }

  let failClosed = false
  for (;;) {
    computeKnowledge()
    const violations: number[] = []
    for (let r = 0; r < nRel; r++) if (violated(r)) violations.push(r)
    // a suppressed cell the partner can derive exactly must not be in [1, k−1] either
    // (its deriving relation shows difference 0 once the cell is known)
    const revealed: number[] = []
    for (let i = 0; i < N; i++) if (!pub[i] && known[i] && inBand(val[i]!)) revealed.push(i)
    const rowRects: [number, number][] = []
    for (let r = 0; r < nRel; r++) for (let k2 = 1; k2 <= 3; k2++) if (rowRectangle(r, k2)) rowRects.push([r, k2])
    const groups = groupFailures()
    if (violations.length + revealed.length + rowRects.length + groups.length === 0) break
    dirty.fill(0)
    let progressed = false
    const apply = (c: number): void => {
      if (c < 0) return
      pub[c] = 0
      markDirty(c)
      progressed = true
    }
    for (const i of revealed) {
      if (aboveRel[i]! >= 0 && dirty[aboveRel[i]!]) continue
      apply(reduce(i, new Set()))
    }
    for (const r of violations) if (!dirty[r]) apply(pick(r))
    for (const [r, k2] of rowRects) if (!dirty[r]) apply(pickCrossing(r, k2))
    for (const g of groups) if (!dirty[g.r]) apply(pickGroup(g.r, g.cols, g.G))
    if (!progressed) {
      failClosed = true
      pub.fill(0)
      break
    }
  }
  const out: number[] = []
  for (let i = 0; i < n; i++) if (!pub[i]) out.push(i)
  return { suppressed: out, failClosed }
}
