/**
 * Funnels on the dashboard: one of the site's funnels at a time, as a stepped bar chart of the
 * visitors who reached each step and those lost on the way, and by one of the funnel's own
 * dimensions a small table per value. It reads `POST /api/v2/funnel` (server/stats/funnel.ts),
 * so a shared link made with goals shows the same.
 */
import { ApiError, funnel as askFunnel, type FunnelAnswer, type StepAnswer } from './api.ts'
import { fill, h, type Child } from './dom.ts'
import { dayLabel, duration, exact, short } from './format.ts'
import { dimNoun, t } from './i18n.ts'
import { collapsedPanel, explain, loadWhenSeen, valueText, type PanelEnv } from './panels.ts'
import { dayIn } from './periods.ts'

export interface FunnelEnv extends PanelEnv {
  /** the site's funnels by name (boot.ts BootSite.funnels) */
  funnels: string[]
  /** the server's time zone: a kept series' last day is its day there */
  timezone: string
  /** the range from `day` to today */
  showFrom(day: string): void
}

/** The funnel each site shows, and the breakdown chosen for each funnel: in memory only, as the panels' tabs. */
const chosenFunnel = new Map<string, string>()
const chosenDimension = new Map<string, string>()

/** Values of a breakdown shown before "Show all". */
const VALUES_SHOWN = 6

const percent = (v: number) => `${exact(v)}%`
const kindOf = (s: StepAnswer) => t(s.page !== undefined ? 'goalPage' : 'goalEvent')
const whatOf = (s: StepAnswer) => s.page ?? s.event ?? ''

/**
 * The Funnels panel, for a site that has funnels. Funnels are counted for the whole site, not
 * under the dashboard's filter or goal: then it is one line saying so.
 */
export function renderFunnelsPanel(env: FunnelEnv): HTMLElement {
  if (env.filter || env.goal !== undefined) return collapsedPanel('funnels', t('funnels'), t('funnelsFiltered'), t('funnelWhy'))
  const site = env.site
  // The summary alone is announced when it changes: the chart's step details (shown on hover and
  // focus) would be read out again each time they appear inside a live region.
  const body = h('div', { class: 'panel-body' }, h('p', { class: 'muted' }, t('loading')))
  const summary = h('p', { class: 'muted funnel-summary', 'aria-live': 'polite' })
  const pick = h(
    'select',
    { id: 'funnel-pick', 'aria-label': t('funnelPick'), hidden: env.funnels.length < 2, onchange: () => (chosenFunnel.set(site, pick.value), load()) },
    env.funnels.map((name) => h('option', { value: name, selected: name === current() }, name)),
  )
  // One funnel is named; several are a choice.
  const only = env.funnels.length < 2 ? h('span', { class: 'funnel-name' }, env.funnels[0]) : null
  const by = h('select', { id: 'funnel-by', 'aria-label': t('funnelBreakdown'), hidden: true, onchange: () => (setDimension(by.value), load()) })
  const panel = h(
    'section',
    { class: 'card panel funnels-panel', id: 'panel-funnels', 'aria-labelledby': 'h-funnels' },
    h('header', null, h('h2', { id: 'h-funnels' }, t('funnels')), h('div', { class: 'funnel-controls' }, only, pick, by)),
    summary,
    body,
  )
  function current(): string {
    const name = chosenFunnel.get(site)
    return name && env.funnels.includes(name) ? name : env.funnels[0]!
  }
  const dimensionKey = () => `${site}\n${current()}`
  function setDimension(dim: string) {
    if (dim) chosenDimension.set(dimensionKey(), dim)
    else chosenDimension.delete(dimensionKey())
  }
  let asked = 0
  // What is drawn stays until the next answer arrives: a new breakdown does not blank the chart.
  function load(): void {
    const n = ++asked
    const name = current()
    const dimension = chosenDimension.get(dimensionKey())
    askFunnel({ site_id: site, funnel: name, date_range: env.range.apiRange, ...(dimension ? { dimension } : {}) }).then(
      (answer) => {
        if (n !== asked) return
        breakdownOptions(by, answer.funnel.dimensions, dimension)
        summary.textContent = summaryText(answer.steps)
        fill(body, ...funnelView(answer, env))
      },
      (err: unknown) => {
        if (n !== asked) return
        // A funnel given other breakdowns keeps its name: the one chosen before is no longer counted.
        if (err instanceof ApiError && err.code === 'funnel_dimension' && dimension) return (setDimension(''), load())
        by.hidden = true
        summary.textContent = ''
        fill(body, err instanceof ApiError && err.code === 'funnel_since' ? sinceNote(err, env) : explain(err))
      },
    )
  }
  loadWhenSeen(panel, load)
  return panel
}

/** The breakdown select: none, or one of the funnel's own dimensions. */
function breakdownOptions(by: HTMLSelectElement, dimensions: string[], chosen: string | undefined): void {
  by.hidden = dimensions.length === 0
  fill(
    by,
    h('option', { value: '', selected: !chosen }, t('funnelNoBreakdown')),
    dimensions.map((d) => h('option', { value: d, selected: d === chosen }, t('funnelBy', { dim: dimNoun(d) }))),
  )
}

function summaryText(steps: StepAnswer[]): string {
  const first = steps[0]
  const last = steps[steps.length - 1]
  if (!first || !last) return ''
  return t('funnelSummary', { rate: percent(last.conversion_rate), last: exact(last.visitors), first: exact(first.visitors) })
}

/** The server's refusal of a range that begins before the funnel was declared, and the way to the range from then. */
function sinceNote(err: ApiError, env: FunnelEnv): HTMLElement {
  const day = String(err.params.since ?? '')
  return h(
    'p',
    { class: 'note since funnel-since', role: 'note', title: err.detail },
    err.message,
    ' ',
    /^\d{4}-\d{2}-\d{2}$/.test(day) ? h('button', { type: 'button', class: 'link', id: 'funnel-show-from', onclick: () => env.showFrom(day) }, t('showFrom', { day: dayLabel(day) })) : null,
  )
}

function funnelView(answer: FunnelAnswer, env: FunnelEnv): Child[] {
  const until = answer.funnel.until
  return [
    until ? h('p', { class: 'note funnel-kept' }, t('funnelKept', { day: dayLabel(dayIn(until, env.timezone)) })) : null,
    stepsChart(answer),
    (answer.steps[0]?.visitors ?? 0) === 0 ? h('p', { class: 'muted' }, t('noData')) : null,
    answer.by ? breakdownTables(answer.by) : null,
  ]
}

/**
 * One bar per step, as tall (on a phone: as long) as the share of step 1's visitors who reached
 * it; above it, hatched, those the step lost from the previous one. A step is a button: its
 * details show on hover and on focus, and Escape hides them.
 */
function stepsChart(answer: FunnelAnswer): HTMLElement {
  const steps = answer.steps
  const first = steps[0]?.visitors ?? 0
  const share = (n: number) => (first > 0 ? n / first : 0)
  return h(
    'ol',
    { class: 'funnel-chart', 'aria-label': t('funnelChart', { name: answer.funnel.name }) },
    steps.map((s, i) => {
      const previous = steps[i - 1]
      const tipId = `funnel-tip-${s.step}`
      const tip = h('div', { class: 'funnel-tip', role: 'tooltip', id: tipId, hidden: true }, stepDetails(s))
      const show = (yes: boolean) => (tip.hidden = !yes)
      const item = h(
        'li',
        { class: i >= steps.length / 2 && steps.length > 1 ? 'funnel-step end' : 'funnel-step', 'data-step': s.step },
        h(
          'button',
          {
            type: 'button',
            class: 'step',
            'aria-describedby': tipId,
            onmouseenter: () => show(true),
            onmouseleave: () => show(false),
            onfocus: () => show(true),
            onblur: () => show(false),
            onkeydown: (e: KeyboardEvent) => e.key === 'Escape' && show(false),
          },
          // Its name, read first: what the step is, then its numbers (style.css puts the numbers on top).
          h('span', { class: 'step-what' }, h('span', { class: 'step-kind' }, `${s.step}. ${kindOf(s)}`), ' ', h('code', { class: 'step-name' }, whatOf(s))),
          h('span', { class: 'step-value' }, h('strong', { title: exact(s.visitors) }, short(s.visitors)), ' ', h('span', { class: 'muted' }, percent(s.conversion_rate))),
          h(
            'span',
            { class: 'step-drop', title: previous ? t('funnelDropTitle', { n: exact(s.dropoff), p: percent(lostShare(s)) }) : null },
            previous && s.dropoff > 0 ? `−${short(s.dropoff)} (${percent(lostShare(s))})` : '',
          ),
          h('span', { class: 'step-track', 'aria-hidden': 'true' }, h('span', { class: 'step-lost' }), h('span', { class: 'step-bar' })),
        ),
        tip,
      )
      item.style.setProperty('--kept', String(share(s.visitors)))
      item.style.setProperty('--lost', String(previous ? share(s.dropoff) : 0))
      return item
    }),
  )
}

/** The share of the previous step's visitors a step lost, one decimal. */
const lostShare = (s: StepAnswer) => Math.round((100 - s.conversion_rate_step) * 10) / 10

function stepDetails(s: StepAnswer): HTMLElement[] {
  const row = (label: string, value: string) => h('div', null, h('dt', null, label), h('dd', null, value))
  return [
    h('p', { class: 'tip-title' }, `${t('funnelStepOf', { n: s.step })}: `, h('code', null, whatOf(s)), ` (${kindOf(s).toLowerCase()})`),
    h(
      'dl',
      null,
      row(t('funnelVisitors'), exact(s.visitors)),
      row(t('funnelVisits'), exact(s.visits)),
      s.step > 1 ? [
        row(t('funnelFromFirst'), percent(s.conversion_rate)),
        row(t('funnelFromPrevious'), percent(s.conversion_rate_step)),
        row(t('funnelDropoff'), `${exact(s.dropoff)} (${percent(lostShare(s))})`),
        row(t('funnelTime'), duration(s.average_time)),
      ] : null,
    ),
  ]
}

/** By one dimension: a small table per value, its steps' visitors and conversion from step 1. */
function breakdownTables(by: NonNullable<FunnelAnswer['by']>): HTMLElement {
  const list = h('div', { class: 'funnel-values' })
  const more = h('p', { class: 'funnel-more' })
  const draw = (all: boolean): void => {
    const shown = all ? by.values : by.values.slice(0, VALUES_SHOWN)
    fill(
      list,
      shown.map((v) => {
        const text = valueText(by.dimension, v.value)
        return h(
          'div',
          { class: 'funnel-value', 'data-value': v.value },
          h('h3', null, text),
          h(
            'table',
            { class: 'rows' },
            h(
              'thead',
              null,
              h('tr', null, h('th', { scope: 'col' }, t('funnelStepCol')), h('th', { scope: 'col', class: 'num' }, t('col_visitors')), h('th', { scope: 'col', class: 'num' }, t('funnelRateCol'))),
            ),
            h(
              'tbody',
              null,
              v.steps.map((s) =>
                h(
                  'tr',
                  null,
                  h('td', { class: 'label', title: whatOf(s) }, `${s.step}. ${whatOf(s)}`),
                  h('td', { class: 'num', title: exact(s.visitors) }, short(s.visitors)),
                  h('td', { class: 'num' }, percent(s.conversion_rate)),
                ),
              ),
            ),
          ),
        )
      }),
    )
    fill(
      more,
      by.values.length > VALUES_SHOWN ? t('funnelValues', { shown: shown.length, n: by.values.length }) : null,
      by.values.length > shown.length ? [' ', h('button', { type: 'button', class: 'link', onclick: () => showAll() }, t('funnelAllValues', { n: by.values.length }))] : null,
    )
  }
  // The button goes with the values it showed: the first of them takes the focus.
  const showAll = () => {
    draw(true)
    const next = list.children[VALUES_SHOWN]?.querySelector('h3')
    next?.setAttribute('tabindex', '-1')
    next?.focus()
  }
  draw(false)
  return h('div', { class: 'funnel-by' }, by.values.length ? [list, more] : h('p', { class: 'muted' }, t('noData')))
}
