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
 *
 * FILES. cells.ts reads the input cells and their blocks. Per block: relations.ts builds
 * R1, R2 and R2' (relation-arrays.ts freezes them into flat arrays), block.ts holds the
 * state every step shares, bounds.ts derives what the partner knows, checks.ts and
 * groups.ts (with group-index.ts) run C2–C4, next-cell.ts picks the cell to suppress, and
 * solve.ts runs the rounds.
 */
import { cellsByBlock, coarsestOf, parseCells, periodEnd, type CellInput, type Granularity } from './cells.ts'
import { solveBlock } from './solve.ts'

export type { CellInput, Granularity } from './cells.ts'

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

/** Suppress cells so that no published value and no obtainable difference lies in [1, k−1]. */
export function suppress(cells: CellInput[], k: number, options: SuppressOptions = {}): SuppressionResult {
  if (!Number.isInteger(k) || k < MIN_K) throw new RangeError(`k must be an integer ≥ ${MIN_K}, got ${String(k)}`)
  const parsed = parseCells(cells)
  const blockGran = options.blocks ?? coarsestOf(parsed) ?? 'day'
  const blocks = cellsByBlock(parsed, blockGran)
  const suppressed = new Set<string>()
  let failClosed = 0
  for (const key of [...blocks.keys()].sort((a, b) => a - b)) {
    const list = blocks.get(key)!.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    const out = solveBlock(list, k, key, periodEnd(blockGran, key))
    for (const i of out.suppressed) suppressed.add(list[i]!.id)
    if (out.failClosed) failClosed++
  }
  let primary = 0
  for (const c of parsed) if (c.visitors < k) primary++
  return { suppressed, primary, secondary: suppressed.size - primary, failClosed }
}
