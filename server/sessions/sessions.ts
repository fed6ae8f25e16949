import { CellSet, negate, TOTAL, type Cell, type CellSink, type Increments } from './cells.ts'
import { RecentVisits } from './recent.ts'
import { funnelDimension, funnelStepDimension, GOAL_BREAKDOWNS, goalDimension, OTHER_CURRENCY, PROP_PREFIX, type DimensionName } from '../vocabulary/dimensions.ts'

export const DIM = {
  page: 'event:page',
  section: 'event:section',
  name: 'event:name',
  entryPage: 'visit:entry_page',
  exitPage: 'visit:exit_page',
  goal: 'event:goal',
  propPrefix: PROP_PREFIX,
} as const satisfies Record<string, DimensionName | typeof PROP_PREFIX>

/** A page and the site section it belongs to; every page row is mirrored on its section row. */
export interface Place {
  page: string
  section: string
}

/**
 * A declared goal the event completes (goals/goals.ts decides which), with the revenue it
 * carries: in the goal's currency (minor units), or in another one, kept apart per currency.
 */
export interface GoalHit {
  id: number
  revenue?: number
  otherCurrency?: { currency: string; minor: number }
}

/** A funnel whose steps the event matches (goals/funnels.ts decides which), and what its steps are counted by. */
export interface FunnelHit {
  id: number
  /** the 1-based steps the event matches; it advances the visit by one at most */
  steps: readonly number[]
  dimensions: readonly string[]
}

export type Hit =
  | ({ kind: 'pageview'; props: ReadonlyArray<readonly [string, string]>; goals?: readonly GoalHit[]; funnels?: readonly FunnelHit[] } & Place)
  | ({
      kind: 'custom'
      name: string
      props: ReadonlyArray<readonly [string, string]>
      goals?: readonly GoalHit[]
      funnels?: readonly FunnelHit[]
      /** false for Plausible's `i: false`: the event does not take back the visit's bounce */
      interactive?: boolean
    } & Place)
  | ({ kind: 'engagement'; engagedMs: number; scrollDepth: number | undefined } & Place)

/** What a visit completed of one goal, so a visit dimension learned late (the ISP) gets it too. */
interface GoalDone {
  id: number
  events: number
  revenue: number
  revenueN: number
}

/** The visit dimensions a goal is counted by (GOAL_BREAKDOWNS). */
const GOAL_BY: ReadonlySet<string> = new Set(GOAL_BREAKDOWNS)

/** Goals remembered per visit; a visit completing more counts each further one as a new conversion. */
const MAX_GOALS_PER_VISIT = 50

/** How far a visit went through one funnel: the last step reached and when it reached the first. */
interface FunnelProgress {
  id: number
  step: number
  /** Unix ms of step 1 */
  first: number
}

/** Funnels followed per visit (a site has at most 20). */
const MAX_FUNNELS_PER_VISIT = 20

/**
 * What the session map remembers about one visit, in memory only, for at most the idle time.
 * Everything the aggregates need was already written as increments when it happened.
 */
interface Visit {
  site: string
  start: number
  last: number
  pageviews: number
  events: number
  /** whole seconds already added to the aggregates */
  duration: number
  entry: Place
  exit: Place
  /**
   * visit dimensions fixed at the visit's first pageview (source, device, country, …), flat:
   * dimension, value, dimension, value…
   */
  dims: string[]
  /** pages seen in this visit: whether engagement was reported, and the deepest scroll */
  pages: Seen<PageSeen>
  /** sections seen in this visit (a visit counts once per section) */
  sections: Seen<true>
  /** still one pageview and no interactive event: counted as a bounce */
  bounce: boolean
  /** the goals completed in this visit; most visits complete none */
  goals: GoalDone[] | undefined
  /** the funnels this visit entered; most visits enter none */
  funnels: FunnelProgress[] | undefined
}

interface PageSeen {
  engaged: boolean
  scroll: number
}

/**
 * A small map from page (or section) to what the visit saw there. Most visits see one page,
 * and a Map per visit cost more memory than the rest of the visit: the first entry is kept
 * in fields, a Map only made for the second.
 */
class Seen<T> {
  private rest: Map<string, T> | undefined

  constructor(
    private firstKey: string,
    private firstValue: T,
  ) {}

  get size(): number {
    return 1 + (this.rest?.size ?? 0)
  }

  get(key: string): T | undefined {
    return key === this.firstKey ? this.firstValue : this.rest?.get(key)
  }

  has(key: string): boolean {
    return key === this.firstKey || (this.rest?.has(key) ?? false)
  }

  set(key: string, value: T): void {
    if (key === this.firstKey) this.firstValue = value
    else (this.rest ??= new Map()).set(key, value)
  }
}

const placeOf = (p: Place): Place => ({ page: p.page, section: p.section })

/** Dimension, value, dimension, value…: an array of exactly that length (flat() leaves room to grow). */
function flatten(dims: ReadonlyArray<readonly [string, string]>): string[] {
  const flat = new Array<string>(dims.length * 2)
  for (let i = 0; i < dims.length; i++) {
    flat[2 * i] = dims[i]![0]
    flat[2 * i + 1] = dims[i]![1]
  }
  return flat
}

/** Pages remembered per visit; beyond it a page counts as new to the visit (bounded memory). */
const MAX_PAGES_PER_VISIT = 200

/**
 * The in-memory session map: visits decided by a keyed visitor hash and an idle timeout,
 * never persisted. `record` turns one event into the cells it adds.
 */
export class Sessions {
  private visits = new Map<string, Visit>()
  /** every visit in `visits`, counted by site and the second it was last seen */
  private recent: RecentVisits

  constructor(
    private idleMs: number,
    private max: number,
    /** the longest window `activeSince` is asked about (the realtime figure's 5 minutes) */
    recentWindowMs = 5 * 60_000,
  ) {
    this.recent = new RecentVisits(recentWindowMs)
  }

  get size(): number {
    return this.visits.size
  }

  /**
   * A site's visits seen within `windowMs` of `now` (the "current visitors" figure), to the
   * second. Kept as visits move: a walk over every visit on each call cost some milliseconds
   * per 100,000 visits, for every dashboard open on every site.
   */
  activeSince(site: string, now: number, windowMs: number): number {
    return this.recent.count(site, now, windowMs)
  }

  /**
   * Records one event of the visitor `key` (with `previousKey`, yesterday's hash of the same
   * visitor while a visit may cross midnight) and returns the cells it adds.
   * `visitDims` is only read when the event starts a visit.
   */
  record(
    key: string,
    previousKey: string | undefined,
    hit: Hit,
    now: number,
    visitDims: () => ReadonlyArray<readonly [string, string]>,
    site = '',
  ): Cell[] {
    const cells = new CellSet()
    this.recordInto(cells, key, () => previousKey, hit, now, visitDims, site)
    return cells.cells()
  }

  /**
   * `record`, writing the increments into `cells` as they are decided (the ingest path hands
   * in its buffer's tally). `previousKey` is only computed when `key` has no visit.
   */
  recordInto(
    cells: CellSink,
    key: string,
    previousKey: () => string | undefined,
    hit: Hit,
    now: number,
    visitDims: () => ReadonlyArray<readonly [string, string]>,
    site = '',
  ): void {
    let visit = this.take(key, now)
    if (!visit) {
      const previous = previousKey()
      if (previous) visit = this.take(previous, now)
    }
    if (hit.kind === 'pageview') {
      if (visit) this.continueVisit(visit, hit, now, cells)
      else visit = this.startVisit(site, hit, now, visitDims(), cells)
      addEventRows(cells, 'pageview', hit, hit.props)
      if (hit.goals) complete(visit, hit, hit.goals, cells)
      if (hit.funnels) advanceFunnels(visit, hit.funnels, now, cells)
    } else if (hit.kind === 'custom') {
      if (visit) {
        this.extend(visit, now, cells, { events: 1 })
        visit.events++
        if (visit.bounce && hit.interactive !== false) this.unbounce(visit, cells)
      } else {
        cells.add(TOTAL, '', { events: 1 }, true)
      }
      addEventRows(cells, hit.name, hit, hit.props)
      if (hit.goals) complete(visit, hit, hit.goals, cells)
      if (hit.funnels && visit) advanceFunnels(visit, hit.funnels, now, cells)
    } else {
      if (visit) this.extend(visit, now, cells, {})
      this.engage(visit, hit, cells)
    }
    if (visit) this.put(key, visit)
  }

  private startVisit(site: string, place: Place, now: number, dims: ReadonlyArray<readonly [string, string]>, cells: CellSink): Visit {
    const visit: Visit = {
      site,
      start: now,
      last: now,
      pageviews: 1,
      events: 1,
      duration: 0,
      // The place alone, not the hit it came in: a hit carries the goals and funnels it matched,
      // which the visit would otherwise keep alive for as long as it lasts.
      entry: placeOf(place),
      exit: placeOf(place),
      dims: flatten(dims),
      pages: new Seen(place.page, { engaged: false, scroll: -1 }),
      sections: new Seen(place.section, true),
      bounce: true,
      goals: undefined,
      funnels: undefined,
    }
    const inc = { visits: 1, pageviews: 1, bounces: 1, events: 1 }
    cells.add(TOTAL, '', inc, true)
    cells.add(DIM.entryPage, place.page, inc, true)
    for (const [d, v] of dims) cells.add(d, v, inc, true)
    // Visitors cannot be taken out of a sketch when the exit page moves, so exit rows carry no uniques.
    cells.add(DIM.exitPage, place.page, inc)
    onPage(cells, place, { visits: 1, entries: 1, exits: 1, bounces: 1 })
    return visit
  }

  private continueVisit(visit: Visit, place: Place, now: number, cells: CellSink): void {
    const wasBounce = visit.bounce
    const before = visitTotals(visit)
    const delta = this.advance(visit, now)
    visit.pageviews++
    visit.events++
    visit.bounce = false
    const inc: Partial<Increments> = { pageviews: 1, events: 1, duration: delta, bounces: wasBounce ? -1 : 0 }
    cells.add(TOTAL, '', inc, true)
    cells.add(DIM.entryPage, visit.entry.page, inc, true)
    for (let i = 0; i < visit.dims.length; i += 2) cells.add(visit.dims[i]!, visit.dims[i + 1]!, inc, true)
    // The exit page moves with the visitor: the whole visit leaves the old exit row.
    cells.add(DIM.exitPage, visit.exit.page, negate(before))
    cells.add(DIM.exitPage, place.page, visitTotals(visit))
    onPage(cells, visit.exit, { exits: -1 })
    onPage(cells, place, { exits: 1 })
    if (wasBounce) onPage(cells, visit.entry, { bounces: -1 })
    if (!visit.pages.has(place.page)) {
      if (visit.pages.size < MAX_PAGES_PER_VISIT) visit.pages.set(place.page, { engaged: false, scroll: -1 })
      cells.add(DIM.page, place.page, { visits: 1 })
    }
    if (!visit.sections.has(place.section)) {
      if (visit.sections.size < MAX_PAGES_PER_VISIT) visit.sections.set(place.section, true)
      cells.add(DIM.section, place.section, { visits: 1 })
    }
    visit.exit = placeOf(place)
  }

  /** A non-pageview event inside a visit: the visit lasts longer. */
  private extend(visit: Visit, now: number, cells: CellSink, extra: Partial<Increments>): void {
    const delta = this.advance(visit, now)
    const inc = { ...extra, duration: delta }
    if (!delta && !extra.events) return
    const uniq = Boolean(extra.events)
    cells.add(TOTAL, '', inc, uniq)
    cells.add(DIM.entryPage, visit.entry.page, inc, uniq)
    for (let i = 0; i < visit.dims.length; i += 2) cells.add(visit.dims[i]!, visit.dims[i + 1]!, inc, uniq)
    cells.add(DIM.exitPage, visit.exit.page, inc)
  }

  /**
   * An interactive custom event in a visit of one pageview: the visit is no bounce any more, as
   * in Plausible (an event sent with `i: false` leaves it one).
   */
  private unbounce(visit: Visit, cells: CellSink): void {
    visit.bounce = false
    const inc = { bounces: -1 }
    cells.add(TOTAL, '', inc)
    cells.add(DIM.entryPage, visit.entry.page, inc)
    for (let i = 0; i < visit.dims.length; i += 2) cells.add(visit.dims[i]!, visit.dims[i + 1]!, inc)
    cells.add(DIM.exitPage, visit.exit.page, inc)
    onPage(cells, visit.entry, inc)
  }

  /** Engaged time is summed; scroll depth keeps the maximum per visit and page. */
  private engage(visit: Visit | undefined, hit: Extract<Hit, { kind: 'engagement' }>, cells: CellSink): void {
    let seen = visit?.pages.get(hit.page)
    if (!seen) {
      seen = { engaged: false, scroll: -1 }
      if (visit && visit.pages.size < MAX_PAGES_PER_VISIT) visit.pages.set(hit.page, seen)
    }
    const inc: Partial<Increments> = { engaged_ms: hit.engagedMs }
    if (!seen.engaged) {
      inc.engaged_n = 1
      seen.engaged = true
    }
    if (hit.scrollDepth !== undefined && hit.scrollDepth > seen.scroll) {
      inc.scroll_sum = hit.scrollDepth - Math.max(seen.scroll, 0)
      if (seen.scroll < 0) inc.scroll_n = 1
      seen.scroll = hit.scrollDepth
    }
    cells.add(TOTAL, '', inc)
    onPage(cells, hit, inc)
  }

  /** Moves the visit's clock to `now`; returns the whole seconds to add to its duration. */
  private advance(visit: Visit, now: number): number {
    if (now > visit.last) visit.last = now
    const duration = Math.floor((visit.last - visit.start) / 1000)
    const delta = duration - visit.duration
    visit.duration = duration
    return delta
  }

  private take(key: string, now: number): Visit | undefined {
    const visit = this.visits.get(key)
    if (!visit) return undefined
    this.visits.delete(key)
    this.recent.remove(visit.site, visit.last)
    return now - visit.last > this.idleMs ? undefined : visit
  }

  private put(key: string, visit: Visit): void {
    // Re-inserting keeps the Map in least-recently-seen order, so eviction reads from the front.
    const replaced = this.visits.get(key)
    if (replaced) this.recent.remove(replaced.site, replaced.last)
    this.visits.set(key, visit)
    this.recent.add(visit.site, visit.last)
    if (this.visits.size > this.max) this.evict(this.visits.size - this.max)
  }

  private evict(n: number): void {
    for (const [key, visit] of this.visits) {
      if (n-- <= 0) break
      this.visits.delete(key)
      this.recent.remove(visit.site, visit.last)
    }
  }

  /**
   * Adds a visit dimension learned after the visit started (the ISP domain, which needs a DNS
   * answer): the visit so far is written to the new row at once, and later increments go
   * there as for any other visit dimension. Returns no cells when the visit is gone.
   */
  addVisitDimension(key: string, dimension: string, value: string): Cell[] {
    const visit = this.visits.get(key)
    if (!visit || visit.dims.some((d, i) => i % 2 === 0 && d === dimension)) return []
    visit.dims.push(dimension, value)
    const cells = new CellSet()
    cells.add(dimension, value, visitTotals(visit), true)
    for (const g of GOAL_BY.has(dimension) ? (visit.goals ?? []) : []) {
      cells.add(goalDimension(g.id, dimension), value, { visits: 1, events: g.events, revenue: g.revenue, revenue_n: g.revenueN }, true)
    }
    return cells.cells()
  }

  /** Forgets visits idle for longer than the timeout (they are already fully counted). */
  sweep(now: number): number {
    let removed = 0
    for (const [key, visit] of this.visits) {
      if (now - visit.last <= this.idleMs) break
      this.visits.delete(key)
      this.recent.remove(visit.site, visit.last)
      removed++
    }
    return removed
  }
}

function visitTotals(v: Visit): Partial<Increments> {
  return { visits: 1, pageviews: v.pageviews, bounces: v.bounce ? 1 : 0, duration: v.duration, events: v.events }
}

/**
 * Funnels the event moves the visit through: where it matches the step after the one the visit
 * reached, the visit reaches that step, counted once on the funnel's row of the step (visits,
 * unique visitors, and the seconds since step 1) and on the step's row by each dimension the
 * funnel is counted by, one at a time. An event advances a funnel by one step at most; a step
 * met again, or out of order, counts nothing.
 */
function advanceFunnels(visit: Visit, funnels: readonly FunnelHit[], now: number, cells: CellSink): void {
  for (const f of funnels) {
    let p = visit.funnels?.find((x) => x.id === f.id)
    const next = (p?.step ?? 0) + 1
    if (!f.steps.includes(next)) continue
    if (!p) {
      if ((visit.funnels?.length ?? 0) >= MAX_FUNNELS_PER_VISIT) continue
      p = { id: f.id, step: 0, first: now }
      ;(visit.funnels ??= []).push(p)
    }
    p.step = next
    const inc = { visits: 1, duration: Math.max(0, Math.floor((now - p.first) / 1000)) }
    cells.add(funnelDimension(f.id), String(next), inc, true)
    for (const d of f.dimensions) {
      const value = d === DIM.entryPage ? visit.entry.page : visitValue(visit, d)
      if (value !== undefined) cells.add(funnelStepDimension(f.id, next, d), value, inc, true)
    }
  }
}

/** The visit's value of a visit dimension, if it has one. */
function visitValue(visit: Visit, dimension: string): string | undefined {
  for (let i = 0; i < visit.dims.length; i += 2) if (visit.dims[i] === dimension) return visit.dims[i + 1]
  return undefined
}

/**
 * The goals an event completed: each counts a completion, and the first in the visit a
 * conversion, on the goal's row (`event:goal`, value its id) and on its row for each of the
 * visit's dimensions, the entry page and the page and section where it happened, one dimension
 * each (never two together). Without a visit (an event before any pageview) only the goal's
 * own row counts it.
 */
function complete(visit: Visit | undefined, place: Place, goals: readonly GoalHit[], cells: CellSink): void {
  for (const g of goals) {
    let done = visit?.goals?.find((d) => d.id === g.id)
    const first = !done
    if (!done && visit && (visit.goals?.length ?? 0) < MAX_GOALS_PER_VISIT) {
      done = { id: g.id, events: 0, revenue: 0, revenueN: 0 }
      ;(visit.goals ??= []).push(done)
    }
    const inc: Partial<Increments> = { events: 1, visits: first ? 1 : 0 }
    if (g.revenue !== undefined) {
      inc.revenue = g.revenue
      inc.revenue_n = 1
    }
    if (done) {
      done.events++
      done.revenue += inc.revenue ?? 0
      done.revenueN += inc.revenue_n ?? 0
    }
    cells.add(DIM.goal, String(g.id), inc, true)
    cells.add(goalDimension(g.id, DIM.page), place.page, inc, true)
    cells.add(goalDimension(g.id, DIM.section), place.section, inc, true)
    if (visit) {
      cells.add(goalDimension(g.id, DIM.entryPage), visit.entry.page, inc, true)
      for (let i = 0; i < visit.dims.length; i += 2) {
        if (GOAL_BY.has(visit.dims[i]!)) cells.add(goalDimension(g.id, visit.dims[i]!), visit.dims[i + 1]!, inc, true)
      }
    }
    if (g.otherCurrency) {
      cells.add(goalDimension(g.id, OTHER_CURRENCY), g.otherCurrency.currency, { revenue: g.otherCurrency.minor, revenue_n: 1 })
    }
  }
}

/** A page row and the same increments on its section's row. */
function onPage(cells: CellSink, place: Place, inc: Partial<Increments>, uniq = false): void {
  cells.add(DIM.page, place.page, inc, uniq)
  cells.add(DIM.section, place.section, inc, uniq)
}

function addEventRows(cells: CellSink, name: string, place: Place, props: ReadonlyArray<readonly [string, string]>): void {
  cells.add(DIM.name, name, { events: 1 }, true)
  onPage(cells, place, name === 'pageview' ? { pageviews: 1, events: 1 } : { events: 1 }, true)
  for (const [k, v] of props) cells.add(DIM.propPrefix + k, v, { events: 1 }, true)
}
