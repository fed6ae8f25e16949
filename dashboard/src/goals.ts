/**
 * Goals on the dashboard: the panel of every goal's conversions, and the goal view's top row.
 * Both read the Stats API's goal answers (server/stats/goals.ts), so a shared link shows the same.
 */
import { query, type QueryBody, type QueryResult } from './api.ts'
import { fill, h } from './dom.ts'
import { dayLabel, exact, isMoney, metricValue, moneyText, type Money } from './format.ts'
import { dimLabel, serverMessage, t, type Key } from './i18n.ts'
import { apiFilters, goalBreaks, type ApiMetric } from './model.ts'
import { collapsedPanel, explain, loadWhenSeen, type PanelEnv } from './panels.ts'
import { dayIn } from './periods.ts'

/** What a goal answer says beside its rows. */
interface GoalMeta {
  /** every goal asked about, by name: the instant it began to be counted (ISO) */
  goals_counted_since?: Record<string, string>
  revenue_other_currencies?: Record<string, Money[]>
}

type Cell = number | null | Money

export interface GoalEnv extends PanelEnv {
  /** the server's time zone: a goal's declaration day is its day there */
  timezone: string
  /** where an owner declares goals; a shared link has none */
  settingsHref?: string
  /** a shared link made without goals: the panel says so and asks nothing (the server would refuse) */
  goalsHidden?: boolean
  pickGoal(name: string): void
  /** the range from `day` to today */
  showFrom(day: string): void
}

const METRICS: ApiMetric[] = ['visitors', 'events', 'conversion_rate', 'total_revenue']
const [VISITORS, EVENTS, RATE, REVENUE] = [0, 1, 2, 3] as const

function goalQuery(env: GoalEnv, more: Partial<QueryBody>): Promise<QueryResult> {
  return query({ site_id: env.site, metrics: METRICS, date_range: env.range.apiRange, filters: apiFilters(env.filter, [], env.goal), ...more })
}

const metaOf = (answer: QueryResult) => answer.meta as QueryResult['meta'] & GoalMeta

/** The day a goal was declared on, if it lies after the range's first day (earlier days hold only what history kept). */
function declaredWithin(meta: GoalMeta, name: string, env: GoalEnv): string | undefined {
  const since = meta.goals_counted_since?.[name]
  if (!since) return undefined
  const day = dayIn(since, env.timezone)
  return day > env.range.from ? day : undefined
}

const sinceText = (name: string, day: string) => serverMessage('goal_counted_since', { name, since: day }) ?? ''

const otherCurrencies = (name: string, amounts: Money[]) => t('otherCurrencies', { name, amounts: amounts.map(moneyText).join(', ') })

/**
 * Every goal's unique and total conversions, conversion rate and revenue; under a filter on a
 * dimension goals are kept by, the goals of that value. A click shows one goal (the goal view).
 * A site without goals gets one line instead, pointing an owner to the settings.
 */
export function renderGoalsPanel(env: GoalEnv): HTMLElement {
  if (env.goalsHidden) {
    return h('section', { class: 'card panel goals-panel hint', id: 'panel-goals', 'aria-labelledby': 'h-goals' }, h('h2', { id: 'h-goals' }, t('goals')), h('p', { class: 'na' }, serverMessage('share_no_goals', {}) ?? ''))
  }
  if (env.goal !== undefined) return collapsedPanel('goals', t('goals'), t('goalChosen', { v: env.goal }), t('goalWhy'))
  if (env.filter && !goalBreaks(env.filter.dim)) {
    return collapsedPanel('goals', t('goals'), serverMessage('goal_breakdown_unknown', { dim: env.filter.dim }) ?? '', t('goalWhy'))
  }
  const body = h('div', { class: 'panel-body', 'aria-live': 'polite' }, h('p', { class: 'muted' }, t('loading')))
  const panel = h('section', { class: 'card panel goals-panel', id: 'panel-goals', 'aria-labelledby': 'h-goals' }, h('header', null, h('h2', { id: 'h-goals' }, t('goals'))), body)
  loadWhenSeen(panel, () =>
    goalQuery(env, { dimensions: ['event:goal'] }).then(
      (answer) => {
        const names = Object.keys(metaOf(answer).goals_counted_since ?? {})
        if (names.length) return fill(body, ...goalsTable(answer, names, env))
        // One line, as a panel that cannot answer; not `collapsed`: it is no refusal. A shared
        // link's viewer gets no way to the settings.
        panel.classList.add('hint')
        const declare = env.settingsHref ? [' ', h('a', { href: env.settingsHref }, t('goalsDeclare'))] : []
        fill(panel, h('h2', { id: 'h-goals' }, t('goals')), h('p', { class: 'na' }, t('goalsNone'), ...declare))
      },
      (err: unknown) => fill(body, explain(err)),
    ),
  )
  return panel
}

/** The goals' rows (those without conversions in the range too), and notes on what they cannot show. */
function goalsTable(answer: QueryResult, names: string[], env: GoalEnv): HTMLElement[] {
  const meta = metaOf(answer)
  const answered = new Map(answer.results.map((r) => [r.dimensions[0] ?? '', r.metrics as Cell[]]))
  const rows: [string, Cell[]][] = [...answered, ...names.filter((n) => !answered.has(n)).map((n): [string, Cell[]] => [n, [0, 0, 0, null]])]
  const revenue = rows.some(([, m]) => isMoney(m[REVENUE]))
  const max = Math.max(1, ...rows.map(([, m]) => Number(m[VISITORS]) || 0))
  const num = (m: ApiMetric, v: Cell, cls = 'num') => h('td', { class: cls, title: typeof v === 'number' ? exact(v) : null }, typeof v === 'number' || v === null ? metricValue(m, v) : '')
  const table = h(
    'table',
    { class: 'rows goals' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        h('th', { scope: 'col' }, dimLabel('event:goal')),
        h('th', { scope: 'col', class: 'num', title: t('goal_visitors') }, t('col_goal_visitors')),
        h('th', { scope: 'col', class: 'num extra', title: t('goal_events') }, t('col_goal_events')),
        h('th', { scope: 'col', class: 'num', title: t('crTitle') }, t('col_conversion_rate')),
        revenue ? h('th', { scope: 'col', class: 'num money' }, t('col_total_revenue')) : null,
      ),
    ),
    h(
      'tbody',
      null,
      rows.map(([name, m]) => {
        const bar = h('span', { class: 'bar', 'aria-hidden': 'true' })
        bar.style.width = `${(100 * (Number(m[VISITORS]) || 0)) / max}%`
        const money = m[REVENUE]
        return h(
          'tr',
          { 'data-goal': name },
          h('td', { class: 'label' }, bar, h('button', { type: 'button', class: 'pick', title: t('showGoal', { v: name }), onclick: () => env.pickGoal(name) }, name)),
          num('visitors', m[VISITORS] ?? 0),
          num('events', m[EVENTS] ?? 0, 'num extra'),
          num('conversion_rate', m[RATE] ?? null),
          revenue ? h('td', { class: 'num money' }, isMoney(money) ? moneyText(money) : '') : null,
        )
      }),
    ),
  )
  const notes = [
    ...Object.entries(meta.revenue_other_currencies ?? {}).map(([name, amounts]) => otherCurrencies(name, amounts)),
    ...names.flatMap((name) => {
      const day = declaredWithin(meta, name, env)
      return day ? [sinceText(name, day)] : []
    }),
  ]
  return [table, ...notes.map((n) => h('p', { class: 'note goal-note' }, n))]
}

const CARDS: { metric: ApiMetric; label: Key }[] = [
  { metric: 'visitors', label: 'goal_visitors' },
  { metric: 'events', label: 'goal_events' },
  { metric: 'conversion_rate', label: 'conversion_rate' },
  { metric: 'total_revenue', label: 'total_revenue' },
]

/**
 * The goal view's top row: unique and total conversions, the conversion rate, and revenue when
 * the goal has a currency; when the goal was declared after the range began, a note saying so
 * and a way to the range from then. Returns what reads it (again, in a live view).
 */
export function renderGoalTops(el: HTMLElement, env: GoalEnv): () => void {
  const goal = env.goal!
  el.classList.add('goal-tops')
  const cards = CARDS.map(({ metric, label }) =>
    h(
      'div',
      { class: 'top card', id: `top-${metric}`, 'data-metric': metric, hidden: metric === 'total_revenue' },
      h('span', { class: 'label', title: metric === 'conversion_rate' ? t('crTitle') : null }, t(label)),
      h('strong', { class: 'value' }, '…'),
      h('span', { class: 'change' }),
    ),
  )
  const note = h('p', { class: 'note wide goal-since', hidden: true })
  fill(el, cards, note)
  let asked = 0
  const load = () => {
    const n = ++asked
    goalQuery(env, {}).then(
      (answer) => {
        if (n !== asked) return
        el.querySelector('.refused')?.remove()
        const row = (answer.results[0]?.metrics ?? [0, 0, 0, null]) as Cell[]
        cards.forEach((card, i) => {
          const v = row[i] ?? null
          const value = card.querySelector('.value')!
          if (isMoney(v)) {
            card.hidden = false
            value.textContent = moneyText(v)
            const other = metaOf(answer).revenue_other_currencies?.[goal]
            const change = card.querySelector('.change')!
            change.textContent = other ? `+ ${other.map(moneyText).join(', ')}` : ''
            change.setAttribute('title', other ? otherCurrencies(goal, other) : '')
            return
          }
          value.textContent = typeof v === 'number' || v === null ? metricValue(CARDS[i]!.metric, v) : ''
          if (typeof v === 'number') value.setAttribute('title', exact(v))
        })
        const day = declaredWithin(metaOf(answer), goal, env)
        note.hidden = !day
        if (day) fill(note, sinceText(goal, day), ' ', h('button', { type: 'button', class: 'link', id: 'show-from', onclick: () => env.showFrom(day) }, t('showFrom', { day: dayLabel(day) })))
      },
      (err: unknown) => {
        if (n !== asked) return
        el.querySelector('.refused')?.remove()
        for (const card of cards) card.querySelector('.value')!.textContent = '—'
        el.append(explain(err, 'refused wide'))
      },
    )
  }
  load()
  return load
}
