import { csvCell } from '../../server/export/csv.ts'
import type { DimensionName } from '../../server/vocabulary/dimensions.ts'
import { ApiError, query, type QueryBody, type QueryResult } from './api.ts'
import { $, h, fill } from './dom.ts'
import { dayLabel, exact, metricValue } from './format.ts'
import { dimLabel, getLang, serverMessage, t, withFilter, type Key } from './i18n.ts'
import { apiFilters, metricAvailable, panelAvailable, type ApiMetric, type Context, type Filter, type Metric } from './model.ts'
import type { Range } from './periods.ts'

export interface View {
  id: string
  title: Key
  dim: DimensionName
  metrics: Metric[]
  /** the panel's own filter on its dimension (e.g. custom events without pageviews) */
  filters?: unknown[]
  /** column headings that differ from the metric's (exit pages count exits) */
  labels?: Partial<Record<Metric, Key>>
}

export interface PanelDef {
  id: string
  title: Key
  views: View[]
}

const traffic: Metric[] = ['visitors', 'visits', 'bounce_rate']
const utm = (name: 'utm_source' | 'utm_medium' | 'utm_campaign' | 'utm_content' | 'utm_term'): View => ({ id: name, title: name, dim: `visit:${name}`, metrics: traffic })

export const PANELS: PanelDef[] = [
  { id: 'sections', title: 'sections', views: [{ id: 'sections', title: 'sections', dim: 'event:section', metrics: ['visitors', 'pageviews', 'time_on_page', 'scroll_depth'] }] },
  {
    id: 'pages',
    title: 'pages',
    views: [
      { id: 'pages', title: 'top_pages', dim: 'event:page', metrics: ['visitors', 'pageviews', 'time_on_page', 'scroll_depth'] },
      { id: 'entry', title: 'entry_pages', dim: 'visit:entry_page', metrics: ['visitors', 'visits', 'bounce_rate', 'visit_duration'] },
      { id: 'exit', title: 'exit_pages', dim: 'visit:exit_page', metrics: ['visits', 'pageviews'], labels: { visits: 'col_exits' } },
    ],
  },
  {
    id: 'sources',
    title: 'sources',
    views: [
      { id: 'source', title: 'sources', dim: 'visit:source', metrics: traffic },
      { id: 'channel', title: 'channels', dim: 'visit:channel', metrics: traffic },
      { id: 'referrer', title: 'referrers', dim: 'visit:referrer', metrics: traffic },
      utm('utm_medium'),
      utm('utm_source'),
      utm('utm_campaign'),
      utm('utm_content'),
      utm('utm_term'),
    ],
  },
  { id: 'countries', title: 'countries', views: [{ id: 'country', title: 'countries', dim: 'visit:country', metrics: ['visitors', 'visits'] }] },
  { id: 'isp', title: 'isp', views: [{ id: 'isp', title: 'isp', dim: 'visit:isp', metrics: ['visitors', 'visits', 'visit_duration'] }] },
  {
    id: 'devices',
    title: 'devices',
    views: [
      { id: 'browser', title: 'browsers', dim: 'visit:browser', metrics: ['visitors', 'visits'] },
      { id: 'os', title: 'os', dim: 'visit:os', metrics: ['visitors', 'visits'] },
      { id: 'device', title: 'screen', dim: 'visit:device', metrics: ['visitors', 'visits'] },
    ],
  },
  {
    id: 'events',
    title: 'events_panel',
    views: [{ id: 'events', title: 'events_panel', dim: 'event:name', metrics: ['visitors', 'events'], filters: [['is_not', 'event:name', ['pageview']]] }],
  },
]

/** Tabs beyond this many go into a menu (the UTM tabs of the sources panel). */
const TABS_SHOWN = 3
const TOP_ROWS = 9

export interface PanelEnv {
  site: string
  range: Range
  filter: Filter | undefined
  /** the goal view's goal: panels show its conversions per value */
  goal?: string
  ctx: Context
  setFilter(f: Filter | undefined): void
}

/**
 * A panel's columns in the goal view, as Plausible's: converting visitors ("Conversions") and
 * their share of the value's own visitors ("CR").
 */
const GOAL_COLUMNS: ApiMetric[] = ['visitors', 'group_conversion_rate']
const GOAL_LABELS: Partial<Record<ApiMetric, Key>> = { visitors: 'col_conversions', group_conversion_rate: 'col_group_conversion_rate' }

/** The view each panel shows; kept in memory only (no browser storage). */
const chosen = new Map<string, string>()

interface Rows {
  metrics: ApiMetric[]
  rows: { value: string; metrics: (number | null)[] }[]
  total: number
}

/** A view's columns: its metrics the model can give for the range, or a goal's. */
export function metricsOf(view: View, env: Pick<PanelEnv, 'ctx' | 'goal'>): ApiMetric[] {
  if (env.goal !== undefined) return GOAL_COLUMNS
  return view.metrics.filter((m) => metricAvailable(m, view.dim, env.ctx))
}

/** A Details list's order: one of its columns (a metric or the view's dimension), either way. */
export interface Sort {
  key: string
  dir: 'asc' | 'desc'
}

/** Which rows of a view: a page of them, those a Details search matches, in a Details order. */
export interface RowsWanted {
  limit: number
  offset?: number
  search?: string
  sort?: Sort
}

/** The Stats API's order for a sort: ties by value, A to Z, so that pages of a list never overlap. */
export function orderBy(sort: Sort, dim: string): [string, 'asc' | 'desc'][] {
  return sort.key === dim ? [[dim, sort.dir]] : [[sort.key, sort.dir], [dim, 'asc']]
}

/** A click on a column: the same column turns round; another starts at its natural end (most first, names A to Z). */
export function nextSort(current: Sort, key: string, dim: string): Sort {
  if (current.key === key) return { key, dir: current.dir === 'asc' ? 'desc' : 'asc' }
  return { key, dir: key === dim ? 'asc' : 'desc' }
}

export function panelQuery(view: View, env: PanelEnv, o: RowsWanted): QueryBody {
  const own = [...(view.filters ?? [])]
  if (o.search) own.push(['matches', view.dim, [`(?i)${o.search.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}`]])
  return {
    site_id: env.site,
    metrics: metricsOf(view, env),
    date_range: env.range.apiRange,
    dimensions: [view.dim],
    filters: apiFilters(env.filter, own, env.goal),
    ...(o.sort ? { order_by: orderBy(o.sort, view.dim) } : {}),
    pagination: { limit: o.limit, offset: o.offset ?? 0 },
    ...(o.offset !== undefined ? { include: { total_rows: true } } : {}),
  }
}

async function loadRows(view: View, env: PanelEnv, o: RowsWanted): Promise<Rows> {
  const body = panelQuery(view, env, o)
  const answer = await query(body)
  return {
    metrics: body.metrics as ApiMetric[],
    rows: answer.results.map((r) => ({ value: r.dimensions[0] ?? '', metrics: r.metrics })),
    total: answer.meta.total_rows ?? answer.results.length,
  }
}

const regionNames = new Map<string, Intl.DisplayNames>()

/** How a value reads: countries by name in the dashboard's language; everything else as stored. */
export function valueText(dim: string, value: string): string {
  if (dim === 'visit:country' && /^[A-Z]{2}$/.test(value)) {
    let names = regionNames.get(getLang())
    if (!names) regionNames.set(getLang(), (names = new Intl.DisplayNames([getLang()], { type: 'region' })))
    return names.of(value) ?? value
  }
  return value
}

/** A Details list's columns sort: its order, and what a click on a column heading does. */
interface Sorting {
  sort: Sort
  onSort(key: string): void
}

function headings(view: View, metrics: ApiMetric[], goal: boolean, sorting?: Sorting): HTMLTableRowElement {
  const heading = (key: string, text: string, cls: string | null) => {
    if (!sorting) return h('th', { scope: 'col', class: cls }, text)
    const sorted = sorting.sort.key === key ? sorting.sort.dir : undefined
    return h(
      'th',
      { scope: 'col', class: cls, 'aria-sort': sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : null },
      h('button', { type: 'button', class: 'sort', 'data-sort': key, title: t('sortBy', { col: text }), onclick: () => sorting.onSort(key) }, text),
    )
  }
  return h(
    'tr',
    null,
    heading(view.dim, dimLabel(view.dim), null),
    metrics.map((m, i) => heading(m, t((goal ? GOAL_LABELS[m] : view.labels?.[m as Metric]) ?? (`col_${m}` as Key)), i >= 2 ? 'num extra' : 'num')),
  )
}

function rowsTable(view: View, data: Rows, env: PanelEnv, sorting?: Sorting): HTMLTableElement {
  const max = Math.max(1, ...data.rows.map((r) => r.metrics[0] ?? 0))
  const active = env.filter?.dim === view.dim ? env.filter.value : undefined
  return h(
    'table',
    { class: env.goal === undefined ? 'rows' : 'rows goal' },
    h('thead', null, headings(view, data.metrics, env.goal !== undefined, sorting)),
    h(
      'tbody',
      null,
      data.rows.map((r) => {
        const bar = h('span', { class: 'bar', 'aria-hidden': 'true' })
        bar.style.width = `${(100 * (r.metrics[0] ?? 0)) / max}%`
        const text = valueText(view.dim, r.value)
        const isActive = active === r.value
        return h(
          'tr',
          { class: isActive ? 'active' : null },
          h(
            'td',
            { class: 'label' },
            bar,
            h(
              'button',
              {
                type: 'button',
                class: 'pick',
                title: isActive ? t('removeFilter') : t('filterBy', { v: text }),
                'data-value': r.value,
                onclick: () => env.setFilter(isActive ? undefined : { dim: view.dim, value: r.value }),
              },
              text,
            ),
          ),
          r.metrics.map((v, i) =>
            h('td', { class: i >= 2 ? 'num extra' : 'num', title: v === null ? null : exact(v) }, metricValue(data.metrics[i]!, v)),
          ),
        )
      }),
    ),
  )
}

/**
 * Why a question got no answer, in the page's language; the server's own words (in English,
 * with the names the API uses) stay in the tooltip.
 */
export function explain(err: unknown, className = 'refused'): HTMLElement {
  const message = err instanceof Error ? err.message : String(err)
  const refused = err instanceof ApiError && err.status === 400
  // Not a failure: a goal's breakdowns begin the day it was declared, and the message says so.
  if (err instanceof ApiError && err.code === 'goal_breakdown_since') return h('p', { class: 'note since', role: 'note', title: err.detail }, message)
  const p = h('p', { class: className, role: 'note' }, refused ? t('refused', { m: message }) : t('error', { m: message }))
  if (err instanceof ApiError && err.detail !== message) p.title = err.detail
  return p
}

/** Notes on metrics the model cannot give for this range (section visitors before a rule change). */
function droppedNote(view: View, env: PanelEnv): HTMLElement | null {
  const dropped = view.metrics.filter((m) => !metricAvailable(m, view.dim, env.ctx))
  if (!dropped.length || view.dim !== 'event:section' || !env.ctx.sectionsSince || env.goal !== undefined) return null
  return h('p', { class: 'note' }, t('sectionsSince', { m: dropped.map((m) => t(`col_${m}` as Key)).join(', '), day: dayLabel(env.ctx.sectionsSince) }))
}

/** Panels below the fold ask for their numbers when they come near the screen. */
const whenSeen = new Map<Element, () => void>()
const observer =
  typeof IntersectionObserver === 'undefined'
    ? undefined
    : new IntersectionObserver(
        (entries) => {
          for (const e of entries) {
            if (!e.isIntersecting) continue
            observer!.unobserve(e.target)
            whenSeen.get(e.target)?.()
            whenSeen.delete(e.target)
          }
        },
        { rootMargin: '150px 0px' },
      )

/**
 * Loads at once the panels already on (or near) the screen, without waiting for the observer's
 * first callback (which comes only after the first frame is painted).
 */
export function loadPanelsInView(): void {
  const limit = window.innerHeight + 150
  for (const [el, load] of whenSeen) {
    if (el.getBoundingClientRect().top > limit) continue
    observer?.unobserve(el)
    whenSeen.delete(el)
    load()
  }
}

/** Stops waiting for panels that a new render replaced. */
export function forgetPanels(): void {
  for (const el of whenSeen.keys()) observer?.unobserve(el)
  whenSeen.clear()
}

/** Whether any view of a panel can answer under the filter and goal: the others collapse to one line. */
export function panelAnswers(def: PanelDef, filter: Filter | undefined, goal?: string): boolean {
  return def.views.some((v) => panelAvailable(v.dim, filter, goal))
}

/** Why a view cannot answer: its dimension is cut by the filter's, or the goal is not kept by it. */
function unavailableText(dim: string, env: PanelEnv): { line: string; why: string } {
  if (env.filter && env.filter.dim !== dim) return { line: withFilter('metricNA', env.filter.dim), why: withFilter('crossTabWhy', env.filter.dim) }
  return { line: serverMessage('goal_breakdown_unknown', { dim }) ?? '', why: t('goalWhy') }
}

/**
 * A panel that cannot answer under the filter or goal: one short line saying so, the reason a
 * click (or a hover) away, instead of a tall empty card.
 */
export function collapsedPanel(id: string, title: string, line: string, why: string): HTMLElement {
  return h(
    'section',
    { class: 'card panel collapsed', id: `panel-${id}`, 'aria-labelledby': `h-${id}` },
    h('h2', { id: `h-${id}` }, title),
    h('details', { class: 'na' }, h('summary', { title: why }, line), h('p', null, why)),
  )
}

export function renderPanel(def: PanelDef, env: PanelEnv): HTMLElement {
  if (!panelAnswers(def, env.filter, env.goal)) {
    const { line, why } = unavailableText(def.views[0]!.dim, env)
    return collapsedPanel(def.id, t(def.title), line, why)
  }
  const panel = h('section', { class: 'card panel', id: `panel-${def.id}`, 'aria-labelledby': `h-${def.id}` })
  const draw = () => {
    const view = def.views.find((v) => v.id === chosen.get(def.id)) ?? def.views[0]!
    const available = panelAvailable(view.dim, env.filter, env.goal)
    const body = h('div', { class: 'panel-body', 'aria-live': 'polite' }, h('p', { class: 'muted' }, t('loading')))
    const pick = (v: View) => {
      chosen.set(def.id, v.id)
      draw()
      $<HTMLElement>(`#panel-${def.id} [data-view="${v.id}"]`)?.focus()
    }
    const tabs = def.views.length > 1 ? viewTabs(def, view, pick) : null
    const csv = h('button', { type: 'button', class: 'link', disabled: !available, title: t('csvTitle', { panel: t(view.title) }), onclick: () => void downloadCsv(view, env) }, t('csv'))
    const more = h('button', { type: 'button', class: 'link', disabled: !available, onclick: () => openDetails(view, env) }, t('details'))
    fill(
      panel,
      h('header', null, h('h2', { id: `h-${def.id}` }, t(def.views.length > 1 ? view.title : def.title)), tabs),
      droppedNote(view, env),
      body,
      h('footer', null, more, csv),
    )
    if (!available) {
      body.classList.add('short')
      const cut = env.filter && env.filter.dim !== view.dim
      fill(body, h('p', { class: 'na', role: 'note' }, cut ? withFilter('crossTab', env.filter!.dim) : unavailableText(view.dim, env).line))
      return
    }
    loadWhenSeen(panel, () =>
      loadRows(view, env, { limit: TOP_ROWS }).then(
        (data) => fill(body, data.rows.length ? rowsTable(view, data, env) : h('p', { class: 'muted' }, t('noData'))),
        (err: unknown) => fill(body, explain(err)),
      ),
    )
  }
  draw()
  return panel
}

/** Calls `load` once the panel is on (or near) the screen; at once after the first time. */
const seenOnce = new WeakSet<Element>()
export function loadWhenSeen(panel: HTMLElement, load: () => unknown): void {
  if (!observer || seenOnce.has(panel)) return void load()
  whenSeen.set(panel, () => {
    seenOnce.add(panel)
    void load()
  })
  observer.observe(panel)
}

function viewTabs(def: PanelDef, current: View, pick: (v: View) => void): HTMLElement {
  const shown = def.views.slice(0, TABS_SHOWN)
  const rest = def.views.slice(TABS_SHOWN)
  // A tablist holds tabs alone (ARIA): the menu of further views stands beside it.
  return h(
    'div',
    { class: 'tabs' },
    h(
      'div',
      { class: 'tablist', role: 'tablist', 'aria-label': t(def.title) },
      shown.map((v) =>
        h(
          'button',
          {
            type: 'button',
            role: 'tab',
            'data-view': v.id,
            'aria-selected': String(v === current),
            tabindex: v === current ? '0' : '-1',
            onclick: () => pick(v),
            onkeydown: (e: KeyboardEvent) => {
              const i = shown.indexOf(v) + (e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0)
              if (i !== shown.indexOf(v) && shown[(i + shown.length) % shown.length]) pick(shown[(i + shown.length) % shown.length]!)
            },
          },
          t(v.title),
        ),
      ),
    ),
    rest.length
      ? h(
          'select',
          {
            class: 'tab-menu' + (rest.includes(current) ? ' on' : ''),
            'aria-label': 'UTM',
            'data-view': rest.includes(current) ? current.id : 'utm',
            onchange: (e: Event) => {
              const v = rest.find((x) => x.id === (e.target as HTMLSelectElement).value)
              if (v) pick(v)
            },
          },
          h('option', { value: '', selected: !rest.includes(current) }, 'UTM'),
          rest.map((v) => h('option', { value: v.id, selected: v === current }, t(v.title))),
        )
      : null,
  )
}

/**
 * The full list of a panel's view, 100 rows a page: searched and sorted by the Stats API, so
 * both hold over all its rows; its CSV is what it shows.
 */
export function openDetails(view: View, env: PanelEnv): void {
  const PAGE = 100
  const first = metricsOf(view, env)[0]
  /** what the list asks for; `shown` is what it shows (and what its CSV holds) */
  let wanted: { search: string; sort: Sort } = { search: '', sort: first ? { key: first, dir: 'desc' } : { key: view.dim, dir: 'asc' } }
  let shown: { search: string; sort: Sort; data: Rows } | undefined
  let asked = 0
  let refocus: string | undefined
  let timer: number | undefined
  const list = h('div', { class: 'details-list', 'aria-live': 'polite' })
  const count = h('span', { class: 'muted' })
  const more = h('button', { type: 'button', hidden: true, onclick: () => void load(true) }, t('more'))
  const input = h('input', {
    type: 'search',
    placeholder: t('search'),
    'aria-label': t('search'),
    oninput: () => {
      clearTimeout(timer)
      timer = window.setTimeout(() => {
        wanted = { ...wanted, search: input.value.trim() }
        void load(false)
      }, 250)
    },
  })
  const csv = h(
    'button',
    { type: 'button', class: 'link', title: t('csvTitle', { panel: t(view.title) }), onclick: () => void downloadCsv(view, env, shown ?? wanted) },
    t('csv'),
  )
  const dialog = h(
    'dialog',
    { class: 'details', 'aria-labelledby': 'details-title' },
    h(
      'header',
      null,
      h('h2', { id: 'details-title' }, t(view.title)),
      csv,
      h('button', { type: 'button', class: 'close', 'aria-label': t('close'), onclick: () => dialog.close() }, '×'),
    ),
    h('div', { class: 'details-search' }, input, count),
    h('div', { class: 'details-scroll' }, list, more),
  )
  const onSort = (key: string) => {
    wanted = { ...wanted, sort: nextSort(wanted.sort, key, view.dim) }
    refocus = key
    void load(false)
  }
  const load = async (append: boolean) => {
    const n = ++asked
    const q = append && shown ? shown : wanted
    const before = append && shown ? shown.data.rows : []
    try {
      const data = await loadRows(view, env, { limit: PAGE, offset: before.length, search: q.search, sort: q.sort })
      if (n !== asked) return // a newer search or order was asked for meanwhile
      shown = { search: q.search, sort: q.sort, data: { ...data, rows: [...before, ...data.rows] } }
      const pick = { ...env, setFilter: (f: Filter | undefined) => (dialog.close(), env.setFilter(f)) }
      fill(list, shown.data.rows.length ? rowsTable(view, shown.data, pick, { sort: q.sort, onSort }) : h('p', { class: 'muted' }, t('noData')))
      count.textContent = t('rows', { n: exact(data.total) })
      more.hidden = shown.data.rows.length >= data.total
      csv.title = q.search ? t('csvSearchTitle', { q: q.search }) : t('csvTitle', { panel: t(view.title) })
      // The headings are drawn anew: a sort chosen with the keyboard keeps its focus.
      if (refocus) [...list.querySelectorAll<HTMLElement>('button.sort')].find((b) => b.dataset.sort === refocus)?.focus()
      refocus = undefined
    } catch (err) {
      if (n === asked) fill(list, explain(err))
    }
  }
  // Escape in a search field only clears it; here it closes the list, as everywhere else.
  dialog.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      e.preventDefault()
      dialog.close()
    }
  })
  dialog.addEventListener('close', () => dialog.remove())
  document.body.append(dialog)
  dialog.showModal()
  input.focus()
  void load(false)
}

/** CSV of a view for the chosen range: the Stats API's rows, text cells neutralised (server/export/csv.ts). */
export function toCsv(header: string[], rows: (string | number | null)[][]): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n'
}

/** A text as part of a file name: letters, digits, dots and underscores, the rest one dash, at most 40 characters. */
export function fileSafe(text: string): string {
  return text
    .normalize('NFC')
    .replace(/[^\p{L}\p{N}._]+/gu, '-')
    .slice(0, 40)
    .replace(/^[-.]+|[-.]+$/g, '')
}

/** `example.lv-pages-2026-11-01-2026-11-30.csv`; a searched list's name says so, and what was searched. */
export function csvFileName(site: string, viewId: string, range: { from: string; to: string }, search = ''): string {
  const searched = search ? [t('csvFileSearch'), fileSafe(search)].filter(Boolean).join('-') + '-' : ''
  return `${site}-${viewId}-${searched}${range.from}-${range.to}.csv`
}

/** Every row of a view in the order asked, page by page: the Stats API answers at most 10,000 a request. */
async function everyRow(view: View, env: PanelEnv, o: { search?: string; sort?: Sort }): Promise<{ metrics: string[]; rows: QueryResult['results'] }> {
  const LIMIT = 10_000
  const rows: QueryResult['results'] = []
  for (;;) {
    const body = panelQuery(view, env, { ...o, limit: LIMIT, offset: rows.length })
    const answer = await query(body)
    rows.push(...answer.results)
    if (answer.results.length < LIMIT || rows.length >= (answer.meta.total_rows ?? rows.length)) return { metrics: body.metrics, rows }
  }
}

/** A panel's CSV, or a Details list's: only the rows its search matches, in its order. */
export async function downloadCsv(view: View, env: PanelEnv, o: { search?: string; sort?: Sort } = {}): Promise<void> {
  const { metrics, rows } = await everyRow(view, env, o)
  const header = [view.dim.slice(view.dim.indexOf(':') + 1), ...metrics]
  const csv = toCsv(
    header,
    rows.map((r) => [r.dimensions[0] ?? '', ...r.metrics]),
  )
  const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }))
  const a = h('a', { href: url, download: csvFileName(env.site, view.id, env.range, o.search), hidden: true })
  document.body.append(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
