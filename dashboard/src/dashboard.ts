import { call, forgetAnswers, query, realtimeVisitors, type QueryBody, type QueryResult } from './api.ts'
import type { Boot, Lang } from './boot.ts'
import { bucketText, drawChart, type Series } from './chart.ts'
import { changeBetween, combined, hoursOf, isEmpty, totalsOf, untilTimeOfDay, type Totals } from './compare.ts'
import { h, fill } from './dom.ts'
import { dayLabel, exact, metricValue, periodsText } from './format.ts'
import type { ImportRow } from './import-settings.ts'
import { dimLabel, getLang, setLang, t, withFilter, type Key } from './i18n.ts'
import { renderFunnelsPanel } from './funnels.ts'
import { renderGoalsPanel, renderGoalTops, type GoalEnv } from './goals.ts'
import { apiFilters, goalBreaks, metricAvailable, type Context, type Filter, type Metric } from './model.ts'
import { explain, forgetPanels, loadPanelsInView, panelAnswers, PANELS, renderPanel, valueText, type PanelEnv } from './panels.ts'
import {
  addDays,
  bucketAt,
  bucketLabels,
  bucketStart,
  intervalsOf,
  comparedRange,
  comparisonRange,
  COMPARE_MODES,
  PREVIOUS_PERIOD,
  isLive,
  partialBucket,
  PERIODS,
  resolvePeriod,
  stepRange,
  wallTimeAfter,
  type Comparison,
  type CompareChoice,
  type CompareMode,
  type DayRange,
  type Granularity,
  type Period,
  type Range,
  type WallTime,
} from './periods.ts'
import { CHART_METRICS, isCount, readState, writeState, type ChartMetric, type State } from './state.ts'
import { everCounted, waitForFirstEvent } from './waiting.ts'
import { drawMarks, marksOf, openNoteForm, type NotesEnv } from './annotations.ts'

const TOP: Metric[] = [...CHART_METRICS]
const SHORTCUTS: Record<string, Period> = { d: 'day', e: 'yesterday', w: '7d', t: '30d', m: 'month', l: 'lastmonth', y: '12mo', a: 'all', c: 'custom' }
const REALTIME_MS = 30_000
/** how often a view that includes today asks again, while it is seen */
const LIVE_MS = 60_000

/** Owners' choice of language is kept in their own cookie (never in browser storage). */
export function rememberLang(lang: Lang): void {
  document.cookie = `skaits_lang=${lang}; path=/; max-age=31536000; samesite=lax`
}

export function langSwitch(onPick: (l: Lang) => void): HTMLElement {
  return h(
    'div',
    { class: 'lang', role: 'group', 'aria-label': t('language') },
    (['lv', 'en'] as const).map((l) =>
      h('button', { type: 'button', lang: l, id: `lang-${l}`, 'aria-pressed': String(getLang() === l), onclick: () => onPick(l) }, l.toUpperCase()),
    ),
  )
}

/** The dashboard of one site: top row, chart, panels; an owner's or a shared link's (read-only). */
export function mountDashboard(root: HTMLElement, boot: Boot): void {
  const shared = boot.mode === 'share'
  // roles: a viewer reads the dashboards and has no settings (a shared link has none either)
  const settings = !shared && boot.role !== 'viewer'
  let state = readState(location.search, boot)
  let cleanup: (() => void)[] = []
  let realtimeTimer: number | undefined
  let realtimeSite = ''
  /** sites known to have counted something: the others may still wait for their first pageview */
  const counted = new Set<string>()

  const go = (next: Partial<State>, replace = false) => {
    // A render replaces the page: keyboard users keep their place (the same control, or the
    // filter's remove button after filtering).
    const focused = document.activeElement?.id
    state = { ...state, ...next }
    const url = location.pathname + writeState(state, shared)
    if (replace) history.replaceState(null, '', url)
    else history.pushState(null, '', url)
    render()
    const target =
      'site' in next ? focused : 'filter' in next ? (next.filter ? 'clear-filter' : 'period') : 'goal' in next ? (next.goal !== undefined ? 'clear-goal' : 'period') : focused
    if (target) document.getElementById(target)?.focus()
  }
  window.addEventListener('popstate', () => {
    state = readState(location.search, boot)
    render()
  })
  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || document.querySelector('dialog[open]')) return
    const target = e.target as HTMLElement
    // Arrow keys move within a panel's tabs; elsewhere they step the period.
    if (target.closest('input, select, textarea, [role=tablist]')) return
    if (e.key === '?') {
      e.preventDefault()
      showKeys()
      return
    }
    if ((e.key === 'ArrowLeft' || e.key === 'ArrowRight') && state.site) {
      const step = stepRange(currentRange(), e.key === 'ArrowLeft' ? -1 : 1, now().today)
      if (!step) return
      e.preventDefault()
      go({ period: 'custom', from: step.from, to: step.to })
      return
    }
    const period = SHORTCUTS[e.key.toLowerCase()]
    if (!period || !state.site) return
    e.preventDefault()
    if (period === 'custom') {
      const range = currentRange()
      go({ period, from: range.from, to: range.to })
      document.getElementById('from')?.focus()
    } else go({ period, from: undefined, to: undefined })
  })
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && state.site) void refreshRealtime()
  })

  const site = () => boot.sites.find((s) => s.domain === state.site)
  /** An owner's sites' imported periods, asked once a site; a shared link has no such route and asks nothing. */
  const importsAsked = new Map<string, Promise<Imported[]>>()
  const importedOf = (domain: string): Promise<Imported[]> => {
    if (!settings) return Promise.resolve([])
    let answer = importsAsked.get(domain)
    if (!answer) {
      answer = call<{ imports: ImportRow[] }>('GET', `/api/sites/${encodeURIComponent(domain)}/imports`).then(
        (a) => a.imports.filter((i) => i.status === 'done' && i.days > 0).map(({ name, periods }) => ({ name, periods })),
        () => [],
      )
      importsAsked.set(domain, answer)
    }
    return answer
  }
  // The server's clock, moved on by the browser's: an open page keeps its today and time of day.
  const bootedAt = Date.now()
  const now = (): WallTime => wallTimeAfter({ today: boot.today, minute: boot.hour * 60 + boot.minute }, Date.now() - bootedAt)
  const currentRange = (): Range => resolvePeriod(state.period, now().today, { created: site()?.created, from: state.from, to: state.to })

  const realtime = h('span', { class: 'realtime', title: t('realtimeTitle'), 'aria-live': 'polite' })
  const refreshRealtime = async () => {
    if (!realtimeSite) return
    try {
      const n = await realtimeVisitors(realtimeSite)
      realtime.replaceChildren(h('i', { class: 'dot', 'aria-hidden': 'true' }), n === 1 ? t('realtime1') : t('realtime', { n: exact(n) }))
    } catch {
      realtime.replaceChildren()
    }
  }
  const startRealtime = () => {
    if (realtimeSite === state.site) return
    realtimeSite = state.site
    clearInterval(realtimeTimer)
    realtime.replaceChildren()
    void refreshRealtime()
    realtimeTimer = window.setInterval(() => {
      if (document.visibilityState === 'visible') void refreshRealtime()
    }, REALTIME_MS)
  }

  const render = () => {
    setLang(state.lang ?? boot.lang)
    document.documentElement.lang = getLang()
    for (const f of cleanup) f()
    cleanup = []
    forgetPanels()
    realtime.title = t('realtimeTitle')
    const header = renderHeader()
    if (!state.site) {
      fill(root, header, h('main', null, h('p', { class: 'card empty' }, t('noSites'), ' ', settings ? h('a', { href: '/settings' }, t('settings')) : null)))
      return
    }
    startRealtime()
    const range = currentRange()
    const prev = comparisonRange(range, state.compare)
    const ctx: Context = { from: range.from, sectionsSince: site()?.sectionsSince }
    const env: GoalEnv = {
      site: state.site,
      range,
      filter: state.filter,
      goal: state.goal,
      ctx,
      setFilter: (filter) => go({ filter }),
      timezone: boot.timezone,
      settingsHref: !settings ? undefined : `/settings?${new URLSearchParams({ goals: state.site, ...(state.lang ? { lang: state.lang } : {}) })}`,
      goalsHidden: shared && !boot.share?.goals,
      pickGoal: (goal) => go({ goal }),
      showFrom: (day) => go({ period: 'custom', from: day, to: now().today }),
    }
    const tops = h('section', { class: 'tops', 'aria-label': t('period') })
    const chart = h('section', { class: 'card chart-card' })
    const cards = panelCards(env, site()?.funnels ?? [])
    // Panels that can answer under the filter and goal first; the rest, one line each, below them.
    const panels = h(
      'div',
      { class: 'panels' },
      cards.filter((c) => c.answers).map((c) => c.render()),
      cards.some((c) => !c.answers) ? h('div', { class: 'panels-na' }, cards.filter((c) => !c.answers).map((c) => c.render())) : null,
    )
    const summary =
      state.filter?.dim === 'event:page' && state.goal === undefined ? h('section', { class: 'card page-summary', id: 'page-summary', 'aria-labelledby': 'page-summary-title' }) : null
    fill(
      root,
      header,
      h(
        'main',
        null,
        renderControls(range),
        boot.share?.minCrowd ? h('p', { class: 'muted crowd-note' }, t('minCrowdNote', { k: boot.share.minCrowd })) : null,
        tops,
        summary,
        chart,
        panels,
        h('p', { class: 'muted shortcuts' }, `${t('shortcuts')}; ${t('stepKeys')}`),
      ),
    )
    const loadTops = state.goal === undefined ? renderTops(tops, env) : renderGoalTops(tops, env)
    const loadChart = renderChart(chart, env, prev)
    const loadSummary = summary ? renderPageSummary(summary, env) : () => undefined
    loadPanelsInView()
    if (!shared && !counted.has(state.site)) awaitFirstEvent(state.site, header)
    if (!isLive(range, now().today)) return
    cleanup.push(
      everyMinuteWhileSeen(() => {
        const next = currentRange()
        // After midnight the view moves on to the new day, or stops being live.
        if (next.from !== range.from || next.to !== range.to || !isLive(next, now().today)) return render()
        forgetAnswers()
        loadTops()
        loadChart()
        loadSummary()
        refreshPanels(panels, cards)
      }),
    )
  }

  /**
   * Asked beside the dashboard's own questions (a site with counts is not kept waiting for the
   * answer): a site that never counted anything shows, instead of zeros, its snippet until the
   * first event is in, then its dashboard, without a reload. A site with imported history has
   * its dashboard at once.
   */
  const awaitFirstEvent = (site: string, header: HTMLElement) => {
    const rendered = cleanup
    Promise.all([everCounted(site), importedOf(site)]).then(
      ([yes, imports]) => {
        if (cleanup !== rendered) return // a newer view was drawn meanwhile
        if (yes || imports.length) return void counted.add(site)
        for (const f of cleanup) f()
        forgetPanels()
        const main = h('main')
        fill(root, header, main)
        cleanup = [
          waitForFirstEvent(main, site, () => {
            counted.add(site)
            forgetAnswers()
            render()
          }),
        ]
      },
      () => undefined, // the dashboard itself says what failed
    )
  }

  const renderHeader = (): HTMLElement => {
    const pickLang = (l: Lang) => {
      if (!shared) rememberLang(l)
      go({ lang: l }, true)
    }
    const siteControl = shared
      ? h('span', { class: 'site-name' }, state.site, h('span', { class: 'badge' }, t('readOnlyBadge')))
      : boot.sites.length
        ? h(
            'select',
            { class: 'site-switch', id: 'site', 'aria-label': t('site'), onchange: (e: Event) => go({ site: (e.target as HTMLSelectElement).value, filter: undefined, goal: undefined }) },
            boot.sites.map((s) => h('option', { value: s.domain, selected: s.domain === state.site }, s.domain)),
          )
        : null
    return h(
      'header',
      { class: 'topbar' },
      h('a', { class: 'brand', href: shared ? location.pathname : '/' }, h('span', { class: 'logo', 'aria-hidden': 'true' }), 'Skaits'),
      siteControl,
      realtime,
      h(
        'nav',
        { class: 'right' },
        langSwitch(pickLang),
        shared
          ? null
          : [
              settings ? h('a', { href: `/settings${state.lang ? `?lang=${state.lang}` : ''}`, class: 'settings-link' }, t('settings')) : null,
              h('form', { method: 'post', action: '/api/logout', class: 'logout' }, h('button', { type: 'submit', class: 'link' }, t('logout'))),
            ],
      ),
    )
  }

  const renderControls = (range: Range): HTMLElement => {
    const custom = state.period === 'custom'
    const today = now().today
    const from = h('input', { type: 'date', id: 'from', value: range.from, max: today, 'aria-label': t('from') })
    const to = h('input', { type: 'date', id: 'to', value: range.to, max: today, 'aria-label': t('to') })
    return h(
      'div',
      { class: 'controls' },
      h(
        'select',
        {
          id: 'period',
          'aria-label': t('period'),
          onchange: (e: Event) => {
            const period = (e.target as HTMLSelectElement).value as Period
            go(period === 'custom' ? { period, from: range.from, to: range.to } : { period, from: undefined, to: undefined })
          },
        },
        PERIODS.map((p) => h('option', { value: p, selected: p === state.period }, t(`p_${p}` as Key))),
      ),
      custom
        ? h(
            'form',
            {
              class: 'custom',
              onsubmit: (e: Event) => {
                e.preventDefault()
                if (from.value && to.value) go({ period: 'custom', from: from.value, to: to.value })
              },
            },
            from,
            h('span', { 'aria-hidden': 'true' }, '–'),
            to,
            h('button', { type: 'submit' }, t('apply')),
          )
        : h('span', { class: 'range-text' }, rangeText(range)),
      isLive(range, today) ? h('span', { class: 'live-note', id: 'live-note', title: t('liveTitle') }, t('live')) : null,
      state.goal !== undefined ? goalChip(state.goal) : null,
      state.filter ? filterChip(state.filter) : null,
    )
  }

  // Comparison modes (issue 25, annotations and comparison modes)
  /**
   * What the top row and the chart compare with, in the chart's legend where the comparison is
   * drawn (a row of its own would push a phone's plot off the first screen): the previous period
   * or a year before, each with weekdays matched or not, or chosen days (two date fields).
   */
  const compareChoice = (range: Range): HTMLElement[] => {
    const c = state.compare ?? PREVIOUS_PERIOD
    const choose = (next: CompareChoice) => go({ compare: next.mode === 'previous_period' && !next.matchDayOfWeek ? undefined : next })
    const value = (o: CompareChoice) => (o.mode !== 'custom' && o.matchDayOfWeek ? `${o.mode}:weekdays` : o.mode)
    const options: CompareChoice[] = [
      { mode: 'previous_period' },
      { mode: 'previous_period', matchDayOfWeek: true },
      { mode: 'year_over_year' },
      { mode: 'year_over_year', matchDayOfWeek: true },
      { mode: 'custom' },
    ]
    const select = h(
      'select',
      {
        id: 'compare',
        'aria-label': t('compareWith'),
        title: t('compareTitle'),
        onchange: (e: Event) => {
          const picked = options.find((o) => value(o) === (e.target as HTMLSelectElement).value)!
          const days = comparisonRange(range, c) ?? comparisonRange(range, PREVIOUS_PERIOD) ?? range
          choose(picked.mode === 'custom' ? { mode: 'custom', from: days.from, to: days.to } : picked)
        },
      },
      options.map((o) => h('option', { value: value(o), selected: value(o) === value(c) }, t(`cmp_${value(o).replace(':', '_')}` as Key))),
    )
    if (c.mode !== 'custom') return [select]
    const from = h('input', { type: 'date', id: 'compare-from', value: c.from ?? '', max: now().today, 'aria-label': t('compareFrom') })
    const to = h('input', { type: 'date', id: 'compare-to', value: c.to ?? '', max: now().today, 'aria-label': t('compareTo') })
    const dates = h(
      'form',
      {
        class: 'custom compare-days',
        onsubmit: (e: Event) => {
          e.preventDefault()
          if (from.value && to.value) choose({ mode: 'custom', from: from.value, to: to.value })
        },
      },
      from,
      h('span', { 'aria-hidden': 'true' }, '–'),
      to,
      h('button', { type: 'submit', id: 'compare-apply' }, t('apply')),
    )
    return [select, dates]
  }

  const goalChip = (goal: string): HTMLElement =>
    h(
      'span',
      { class: 'chip goal-chip' },
      t('goalChip', { v: goal }),
      h('button', { type: 'button', id: 'clear-goal', class: 'x', 'aria-label': t('removeGoal'), title: t('removeGoal'), onclick: () => go({ goal: undefined }) }, '×'),
    )

  const filterChip = (f: Filter): HTMLElement =>
    h(
      'span',
      { class: 'chip' },
      t('filterChip', { dim: dimLabel(f.dim), v: valueText(f.dim, f.value) }),
      h('button', { type: 'button', id: 'clear-filter', class: 'x', 'aria-label': t('removeFilter'), title: t('removeFilter'), onclick: () => go({ filter: undefined }) }, '×'),
    )

  /** The top row; returns what reads its numbers (again, in a live view: the cards keep theirs until then). */
  const renderTops = (el: HTMLElement, env: PanelEnv): (() => void) => {
    const metrics = TOP.filter((m) => metricAvailable(m, env.filter?.dim, env.ctx))
    const cards = new Map<Metric, HTMLElement>()
    const chartMetric = chartMetricOf(env)
    fill(
      el,
      TOP.map((m) => {
        const isChart = metrics.includes(m)
        const card = h(
          isChart ? 'button' : 'div',
          {
            class: 'top card',
            id: `top-${m}`,
            'data-metric': m,
            ...(isChart ? { type: 'button', 'aria-pressed': String(m === chartMetric), title: t('chartOf', { m: t(m) }), onclick: () => go({ metric: m as ChartMetric }) } : {}),
          },
          h('span', { class: 'label' }, t(m)),
          h('strong', { class: 'value' }, metrics.includes(m) ? '…' : '—'),
          h('span', { class: 'change' }, metrics.includes(m) ? '' : unavailableWhy(m, env)),
        )
        cards.set(m, card)
        return card
      }),
    )
    let asked = 0
    const load = () => {
      const n = ++asked
      const created = site()?.created
      const cmp = comparedRange(env.range, now(), created, state.compare)
      readTops(env, metrics, cmp).then(
        ([a, b]) => {
          if (n !== asked) return
          el.querySelector('.refused')?.remove()
          const previousEmpty = b === undefined || isEmpty(b, metrics)
          for (const m of metrics) {
            const card = cards.get(m)!
            const v = a[m] ?? null
            const value = card.querySelector('.value')!
            value.textContent = metricValue(m, v)
            if (v !== null) value.setAttribute('title', exact(v))
            const change = card.querySelector('.change')!
            fill(change, changeOf(m, v, b?.[m] ?? null, cmp, { previousEmpty, created }))
          }
        },
        (err: unknown) => {
          if (n !== asked) return
          el.querySelector('.refused')?.remove()
          el.append(explain(err, 'refused wide'))
        },
      )
    }
    load()
    return load
  }

  const chartMetricOf = (env: PanelEnv): ChartMetric => {
    const avail = CHART_METRICS.filter((m) => metricAvailable(m, env.filter?.dim, env.ctx))
    return avail.includes(state.metric) ? state.metric : (avail[0] ?? 'visitors')
  }

  /** The chart; returns what reads and draws it (again, in a live view: the old drawing stays until then). */
  const renderChart = (el: HTMLElement, env: PanelEnv, prevRange: DayRange | undefined): (() => void) => {
    // Hours by a page or source exist for today alone (the server keeps closed days per day):
    // a filtered closed day is drawn by day, and today's filtered hours without yesterday's.
    const intervals = intervalsOf(env.range)
    const chosen = state.interval && intervals.includes(state.interval) ? state.interval : env.range.granularity
    // A goal's tallies are hours for today alone too; the goal view draws its unique conversions, alone.
    const goal = env.goal !== undefined
    const hourly = chosen === 'hour'
    const g = hourly && (env.filter || goal) && env.range.from < now().today ? 'day' : chosen
    const prev = goal || (hourly && env.filter) ? undefined : prevRange
    const metrics: Metric[] = goal ? ['visitors'] : CHART_METRICS.filter((m) => metricAvailable(m, env.filter?.dim, env.ctx))
    const metric: Metric = goal ? 'visitors' : chartMetricOf(env)
    const label = goal ? t('goal_visitors') : t(metric)
    // A group, not an image: the notes' flags on it are buttons (an image's content is not read).
    const host = h('div', { class: 'chart', role: 'group', 'aria-label': t('chartOf', { m: label }) })
    const choice = compareChoice(env.range)
    const partialKey = h('span', { class: 'key partial', hidden: true })
    const importedKey = h('span', { class: 'key imported', hidden: true }, t('importedKey'))
    const legend = h(
      'div',
      { class: 'legend' },
      h('span', { class: 'key now' }, label),
      partialKey,
      goal ? null : h('span', { class: 'key prev' }, choice[0], prev ? `: ${rangeText(prev)}` : null),
      importedKey,
    )
    const note = h('p', { class: 'muted imported-note', hidden: true })
    // Annotations (issue 25): the site's notes, as the boot data gave them and this page changed them.
    const siteNow = site()
    const notes: NotesEnv | undefined = siteNow && {
      site: env.site,
      notes: (siteNow.annotations ??= []),
      editable: !shared,
      changed: () => load(),
    }
    // The goal view keeps its chart head as it was (a click on a day still adds a note there).
    const addNote = notes?.editable && !goal
      ? h('button', { type: 'button', id: 'add-note', class: 'link add-note', onclick: () => openNoteForm(env.range.to < now().today ? env.range.to : now().today, now().today, notes) }, t('addNote'))
      : null
    fill(el, h('div', { class: 'chart-head' }, legend, choice[1] ?? null, addNote, intervalSwitch(intervals, g)), host, note)
    const base = { site_id: env.site, metrics, dimensions: [`time:${g}`], filters: apiFilters(env.filter, [], env.goal), include: { time_labels: true } }
    const i = metrics.indexOf(metric)
    const empty = isCount(metric) ? 0 : null
    const series = (answer: QueryResult, labels: string[], after?: string): Series => {
      const byLabel = new Map(answer.results.map((row) => [row.dimensions[0], row.metrics[i] ?? empty]))
      return { labels, values: labels.map((l) => byLabel.get(l) ?? (after !== undefined && l > after ? null : empty)) }
    }
    const labels = (answer: QueryResult, r: DayRange) => {
      const first = bucketStart(r.from, g)
      return (answer.meta.time_labels ?? bucketLabels(r, g)).filter((l) => l.slice(0, 10) >= first && l.slice(0, 10) <= r.to)
    }
    // The previous period ends the day before this one: one query reads both, unless a week or
    // month bucket would hold days of both (a range not starting on a Monday or the 1st).
    const together = prev && prev.to === addDays(env.range.from, -1) && bucketStart(env.range.from, g) === env.range.from
    let destroy: (() => void) | undefined
    cleanup.push(() => destroy?.())
    let asked = 0
    const load = () => {
      const n = ++asked
      const answers = together
        ? query({ ...base, date_range: [prev.from, env.range.to] }).then((both) => [both, both] as const)
        : Promise.all([query({ ...base, date_range: env.range.apiRange }), prev ? query({ ...base, date_range: [prev.from, prev.to] }) : undefined])
      Promise.all([answers, importedOf(env.site)]).then(
        ([[current, before], imports]) => {
          if (n !== asked || !host.isConnected) return
          const within = importedIn(imports, env.range)
          note.hidden = !within.length
          note.textContent = within.length ? t('importedNote', { list: within.map((i) => `${i.name}, ${periodsText(i.periods)}`).join('; ') }) : ''
          const currentLabels = labels(current, env.range)
          const imported = currentLabels.map((l) => bucketImported(l, g, within))
          importedKey.hidden = !imported.some(Boolean)
          const wall = now()
          const partial = partialBucket(env.range, g, wall)
          partialKey.hidden = partial === undefined
          partialKey.textContent = partial === undefined ? '' : t('partialKey', { bucket: bucketText(partial, g, false) })
          destroy?.()
          destroy = undefined
          void drawChart(host, {
            granularity: g,
            metric,
            metricLabel: label,
            current: series(current, currentLabels, bucketAt(wall, g)),
            previous: before && prev ? series(before, labels(before, prev)) : undefined,
            partial,
            imported,
            ...(notes && {
              overlay: (over: HTMLElement, x: (label: string) => number | undefined) => drawMarks(over, x, marksOf(notes.notes, currentLabels, g), notes),
              onPick: notes.editable ? (label: string) => openNoteForm(label.slice(0, 10) < wall.today ? label.slice(0, 10) : wall.today, wall.today, notes) : undefined,
            }),
          }).then((d) => (host.isConnected && n === asked ? (destroy = d) : d()))
        },
        (err: unknown) => {
          if (n !== asked) return
          destroy?.()
          destroy = undefined
          fill(host, explain(err))
        },
      )
    }
    load()
    return load
  }

  /** Hours, days, weeks or months for the chart: those that suit the range (periods.ts: intervalsOf). */
  const intervalSwitch = (intervals: Granularity[], current: Granularity): HTMLElement | null =>
    intervals.length < 2
      ? null
      : h(
          'div',
          { class: 'intervals', role: 'group', 'aria-label': t('interval') },
          intervals.map((i) =>
            h('button', { type: 'button', id: `interval-${i}`, 'data-interval': i, 'aria-pressed': String(i === current), onclick: () => go({ interval: i }) }, t(`i_${i}` as Key)),
          ),
        )

  /** Panels ask again, unless one is in use (focus in it, or its full list open). */
  const refreshPanels = (el: HTMLElement, cards: PanelCard[]) => {
    if (el.contains(document.activeElement) || document.querySelector('dialog[open]')) return
    forgetPanels()
    cards.forEach((card) => {
      const old = el.querySelector<HTMLElement>(`#panel-${card.id}`)
      // A panel that cannot answer under the filter has nothing to ask.
      if (!old || old.classList.contains('collapsed')) return
      const fresh = card.render()
      // It keeps the old one's height until its rows arrive: nothing below it jumps.
      fresh.style.minHeight = `${old.getBoundingClientRect().height}px`
      const arrived = new MutationObserver(() => {
        fresh.style.minHeight = ''
        arrived.disconnect()
      })
      arrived.observe(fresh, { childList: true, subtree: true })
      old.replaceWith(fresh)
    })
    loadPanelsInView()
  }

  render()
}

/** An import's name and the days it wrote, as [first, last] runs. */
type Imported = Pick<ImportRow, 'name' | 'periods'>

/** The imports with days in a range, their days cut to it. */
function importedIn(imports: Imported[], r: DayRange): Imported[] {
  return imports
    .map(({ name, periods }) => ({
      name,
      periods: periods.filter(([a, b]) => a <= r.to && b >= r.from).map(([a, b]): [string, string] => [a < r.from ? r.from : a, b > r.to ? r.to : b]),
    }))
    .filter((i) => i.periods.length)
}

/** Whether a chart bucket (an hour, day, week or month by its label) holds a day of these imports. */
function bucketImported(label: string, g: Granularity, imports: Imported[]): boolean {
  const start = label.slice(0, 10)
  // A month's last day as a bound: "-31" sorts after each of its days.
  const end = g === 'week' ? addDays(start, 6) : g === 'month' ? `${start.slice(0, 7)}-31` : start
  return imports.some((i) => i.periods.some(([a, b]) => a <= end && b >= start))
}

/** A panel of the dashboard: whether it can answer under the filter and goal, and what draws it. */
interface PanelCard {
  id: string
  answers: boolean
  render(): HTMLElement
}

/** `funnels`: the site's funnels by name; a site without any has no Funnels panel. */
function panelCards(env: GoalEnv, funnels: string[]): PanelCard[] {
  return [
    ...PANELS.map((def) => ({ id: def.id, answers: panelAnswers(def, env.filter, env.goal), render: () => renderPanel(def, env) })),
    { id: 'goals', answers: env.goal === undefined && (!env.filter || goalBreaks(env.filter.dim)), render: () => renderGoalsPanel(env) },
    ...(funnels.length ? [{ id: 'funnels', answers: env.goal === undefined && !env.filter, render: () => renderFunnelsPanel({ ...env, funnels }) }] : []),
  ]
}

/**
 * A page's own figures that the top row has no room for: the visits that began on it (as an
 * entry page), those that ended on it (as an exit page), and how far it was scrolled. Each is
 * a question on one dimension: no cross-tabulation. Returns what reads them (again).
 */
function renderPageSummary(el: HTMLElement, env: PanelEnv): () => void {
  const page = env.filter!.value
  const items: { key: Key; title?: Key; metric: Metric; dim: string }[] = [
    { key: 'entries', title: 'entriesTitle', metric: 'visits', dim: 'visit:entry_page' },
    { key: 'col_exits', title: 'exitsTitle', metric: 'visits', dim: 'visit:exit_page' },
    { key: 'scroll_depth', metric: 'scroll_depth', dim: 'event:page' },
  ]
  const shown = items.filter((i) => metricAvailable(i.metric, i.dim, env.ctx))
  const values = shown.map(() => h('dd', { class: 'value' }, '…'))
  fill(
    el,
    h('h2', { id: 'page-summary-title' }, t('pageSummary'), h('span', { class: 'muted' }, ` ${valueText(env.filter!.dim, page)}`)),
    h(
      'dl',
      null,
      shown.map((i, n) => h('div', { 'data-summary': i.key, title: i.title ? t(i.title) : null }, h('dt', null, t(i.key)), values[n])),
    ),
  )
  let asked = 0
  const load = () => {
    const n = ++asked
    shown.forEach((i, k) => {
      query({ site_id: env.site, metrics: [i.metric], date_range: env.range.apiRange, filters: [['is', i.dim, [page]]] }).then(
        (answer) => {
          if (n !== asked) return
          const v = answer.results[0]?.metrics[0] ?? (i.metric === 'visits' ? 0 : null)
          values[k]!.textContent = metricValue(i.metric, v)
          values[k]!.title = v === null ? '' : exact(v)
        },
        (err: unknown) => {
          if (n !== asked) return
          values[k]!.textContent = '—'
          values[k]!.title = err instanceof Error ? err.message : String(err)
        },
      )
    })
  }
  load()
  return load
}

/** Why the top row has no number for a metric under the current filter. */
function unavailableWhy(m: Metric, env: PanelEnv): string {
  const dim = env.filter!.dim
  // Section visitors exist only from the last change of the section rules on.
  if (dim === 'event:section' && env.ctx.sectionsSince && metricAvailable(m, dim, { from: env.ctx.sectionsSince })) {
    return t('knownFrom', { day: dayLabel(env.ctx.sectionsSince) })
  }
  return withFilter('metricNA', dim)
}

/** The top row's totals for a range, and the previous period's, cut like the range (periods.ts: comparedRange). */
async function readTops(env: PanelEnv, metrics: Metric[], cmp: Comparison | undefined): Promise<[Totals, Totals | undefined]> {
  const base = { site_id: env.site, metrics, filters: apiFilters(env.filter) }
  const totals = (date_range: QueryBody['date_range']) => query({ ...base, date_range }).then((answer) => totalsOf(answer, metrics))
  const current = totals(env.range.apiRange)
  if (!cmp || cmp.beforeSite) return [await current, undefined]
  if (cmp.untilMinute === undefined) return Promise.all([current, totals([cmp.from, cmp.to])])
  // The Stats API counts whole days: the last day is read whole and by the site's hours (all
  // a closed day keeps by the hour), and cut at the time of day (compare.ts: untilTimeOfDay).
  const last = cmp.to
  const [now, wholeDays, lastDay, hours] = await Promise.all([
    current,
    cmp.from < last ? totals([cmp.from, addDays(last, -1)]) : undefined,
    totals([last, last]),
    query({ site_id: env.site, metrics: TOP, date_range: [last, last], dimensions: ['time:hour'] }),
  ])
  const part = untilTimeOfDay(lastDay, hoursOf(hours, TOP), cmp.untilMinute, metrics)
  return [now, wholeDays ? combined(wholeDays, part, metrics) : part]
}

/** A top card's change against the previous period; a neutral "—" that says why when there is none to show. */
function changeOf(m: Metric, now: number | null, before: number | null, cmp: Comparison | undefined, o: { previousEmpty: boolean; created?: string }): HTMLElement | string {
  if (!cmp || now === null) return ''
  const against = comparedText(cmp)
  const delta = cmp.beforeSite || o.previousEmpty || before === null ? undefined : changeBetween(m, now, before)
  if (delta === undefined) {
    const why =
      cmp.beforeSite && o.created
        ? t('beforeSite', { day: dayLabel(o.created) })
        : o.previousEmpty || before === null
          ? t('noChange', { range: against })
          : t('fromZero', { range: against })
    return h('span', { class: 'muted no-change', title: why }, h('span', { 'aria-hidden': 'true' }, '—'), h('span', { class: 'sr-only' }, why))
  }
  // Bounce rate changes by percentage points; everything else by percent of the previous value.
  const better = m === 'bounce_rate' ? delta < 0 : delta > 0
  const text = `${delta > 0 ? '↑' : delta < 0 ? '↓' : ''} ${Math.abs(delta)}${m === 'bounce_rate' ? ' pp' : '%'}`.trim()
  return h('span', { class: delta === 0 ? 'muted' : better ? 'up' : 'down', title: t('vsPrevious', { range: against }) }, delta === 0 ? '0%' : text)
}

/** "21 Nov 2026 until 13:37": the days compared with, and where their last one is cut. */
function comparedText(cmp: Comparison): string {
  if (cmp.untilMinute === undefined) return rangeText(cmp)
  const time = `${String(Math.floor(cmp.untilMinute / 60)).padStart(2, '0')}:${String(cmp.untilMinute % 60).padStart(2, '0')}`
  return t('untilTime', { range: rangeText(cmp), time })
}

/** Calls `refresh` every minute while the page is seen; at once when it is seen again. Returns what stops it. */
function everyMinuteWhileSeen(refresh: () => void): () => void {
  let timer: number | undefined
  const start = () => {
    clearInterval(timer)
    timer = window.setInterval(refresh, LIVE_MS)
  }
  const onVisibility = () => {
    if (document.visibilityState !== 'visible') return clearInterval(timer)
    start()
    refresh()
  }
  document.addEventListener('visibilitychange', onVisibility)
  if (document.visibilityState === 'visible') start()
  return () => {
    clearInterval(timer)
    document.removeEventListener('visibilitychange', onVisibility)
  }
}

function rangeText(r: DayRange): string {
  return r.from === r.to ? dayLabel(r.from) : `${dayLabel(r.from, r.from.slice(0, 4) !== r.to.slice(0, 4))} – ${dayLabel(r.to)}`
}

/** "?": the keyboard shortcuts in a dialog (Esc closes it, as every dialog here). */
function showKeys(): void {
  document.querySelector('dialog.keys-help')?.remove()
  const dialog = h(
    'dialog',
    { class: 'keys-help card', 'aria-labelledby': 'keys-help-title' },
    h('h2', { id: 'keys-help-title' }, t('keysTitle')),
    h('p', null, t('shortcuts')),
    h('p', null, t('stepKeys')),
    h('form', { method: 'dialog' }, h('button', { type: 'submit' }, t('close'))),
  ) as HTMLDialogElement
  dialog.addEventListener('close', () => dialog.remove())
  document.body.append(dialog)
  dialog.showModal()
}
