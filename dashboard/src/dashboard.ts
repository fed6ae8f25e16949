import { ApiError, query, realtimeVisitors, type QueryResult } from './api.ts'
import type { Boot, Lang } from './boot.ts'
import { drawChart, type Series } from './chart.ts'
import { h, fill } from './dom.ts'
import { dayLabel, exact, metricValue } from './format.ts'
import { dimLabel, getLang, setLang, t, withFilter, type Key } from './i18n.ts'
import { apiFilters, metricAvailable, type Context, type Filter, type Metric } from './model.ts'
import { forgetPanels, loadPanelsInView, PANELS, renderPanel, valueText, type PanelEnv } from './panels.ts'
import { bucketLabels, PERIODS, previousRange, resolvePeriod, type DayRange, type Period, type Range } from './periods.ts'
import { CHART_METRICS, readState, writeState, type ChartMetric, type State } from './state.ts'

const TOP: Metric[] = ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration', 'time_on_page']
const SHORTCUTS: Record<string, Period> = { d: 'day', e: 'yesterday', w: '7d', t: '30d', m: 'month', l: 'lastmonth', y: '12mo', a: 'all', c: 'custom' }
const REALTIME_MS = 30_000

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
  let state = readState(location.search, boot)
  let cleanup: (() => void)[] = []
  let realtimeTimer: number | undefined
  let realtimeSite = ''

  const go = (next: Partial<State>, replace = false) => {
    // A render replaces the page: keyboard users keep their place (the same control, or the
    // filter's remove button after filtering).
    const focused = document.activeElement?.id
    state = { ...state, ...next }
    const url = location.pathname + writeState(state, shared)
    if (replace) history.replaceState(null, '', url)
    else history.pushState(null, '', url)
    render()
    const target = 'filter' in next && !('site' in next) ? (next.filter ? 'clear-filter' : 'period') : focused
    if (target) document.getElementById(target)?.focus()
  }
  window.addEventListener('popstate', () => {
    state = readState(location.search, boot)
    render()
  })
  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || document.querySelector('dialog[open]')) return
    const target = e.target as HTMLElement
    if (target.closest('input, select, textarea')) return
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
  const currentRange = (): Range => resolvePeriod(state.period, boot.today, { created: site()?.created, from: state.from, to: state.to })

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
      fill(root, header, h('main', null, h('p', { class: 'card empty' }, t('noSites'), ' ', h('a', { href: '/settings' }, t('settings')))))
      return
    }
    startRealtime()
    const range = currentRange()
    const prev = previousRange(range)
    const ctx: Context = { from: range.from, sectionsSince: site()?.sectionsSince }
    const env: PanelEnv = { site: state.site, range, filter: state.filter, ctx, setFilter: (filter) => go({ filter }) }
    const tops = h('section', { class: 'tops', 'aria-label': t('period') })
    const chart = h('section', { class: 'card chart-card' })
    fill(
      root,
      header,
      h(
        'main',
        null,
        renderControls(range),
        boot.share?.minCrowd ? h('p', { class: 'muted crowd-note' }, t('minCrowdNote', { k: boot.share.minCrowd })) : null,
        tops,
        chart,
        h('div', { class: 'panels' }, PANELS.map((p) => renderPanel(p, env))),
        h('p', { class: 'muted shortcuts' }, t('shortcuts')),
      ),
    )
    renderTops(tops, env, prev)
    renderChart(chart, env, prev)
    loadPanelsInView()
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
            { class: 'site-switch', id: 'site', 'aria-label': t('site'), onchange: (e: Event) => go({ site: (e.target as HTMLSelectElement).value, filter: undefined }) },
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
              h('a', { href: `/settings${state.lang ? `?lang=${state.lang}` : ''}`, class: 'settings-link' }, t('settings')),
              h('form', { method: 'post', action: '/api/logout', class: 'logout' }, h('button', { type: 'submit', class: 'link' }, t('logout'))),
            ],
      ),
    )
  }

  const renderControls = (range: Range): HTMLElement => {
    const custom = state.period === 'custom'
    const from = h('input', { type: 'date', id: 'from', value: range.from, max: boot.today, 'aria-label': t('from') })
    const to = h('input', { type: 'date', id: 'to', value: range.to, max: boot.today, 'aria-label': t('to') })
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
      state.filter ? filterChip(state.filter) : null,
    )
  }

  const filterChip = (f: Filter): HTMLElement =>
    h(
      'span',
      { class: 'chip' },
      t('filterChip', { dim: dimLabel(f.dim), v: valueText(f.dim, f.value) }),
      h('button', { type: 'button', id: 'clear-filter', class: 'x', 'aria-label': t('removeFilter'), title: t('removeFilter'), onclick: () => go({ filter: undefined }) }, '×'),
    )

  const renderTops = (el: HTMLElement, env: PanelEnv, prev: DayRange | undefined) => {
    const metrics = TOP.filter((m) => metricAvailable(m, env.filter?.dim, env.ctx))
    const cards = new Map<Metric, HTMLElement>()
    const chartMetric = chartMetricOf(env)
    fill(
      el,
      TOP.map((m) => {
        const isChart = (CHART_METRICS as readonly string[]).includes(m) && metrics.includes(m)
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
    const base = { site_id: env.site, metrics, filters: apiFilters(env.filter) }
    Promise.all([query({ ...base, date_range: env.range.apiRange }), prev ? query({ ...base, date_range: [prev.from, prev.to] }) : undefined]).then(
      ([now, before]) => {
        const a = totals(now, metrics)
        const b = before ? totals(before, metrics) : undefined
        for (const m of metrics) {
          const card = cards.get(m)!
          const v = a[m] ?? null
          const value = card.querySelector('.value')!
          value.textContent = metricValue(m, v)
          if (v !== null) value.setAttribute('title', exact(v))
          const change = card.querySelector('.change')!
          fill(change, changeOf(m, v, b?.[m] ?? null, prev))
        }
      },
      (err: unknown) => {
        el.append(h('p', { class: 'refused wide' }, err instanceof ApiError && err.status === 400 ? t('refused', { m: err.message }) : t('error', { m: String((err as Error).message) })))
      },
    )
  }

  const chartMetricOf = (env: PanelEnv): ChartMetric => {
    const avail = CHART_METRICS.filter((m) => metricAvailable(m, env.filter?.dim, env.ctx))
    return avail.includes(state.metric) ? state.metric : (avail[0] ?? 'visitors')
  }

  const renderChart = (el: HTMLElement, env: PanelEnv, prevRange: DayRange | undefined) => {
    // Hours by a page or source exist for today alone (the server keeps closed days per day):
    // a filtered closed day is drawn by day, and today's filtered hours without yesterday's.
    const hourly = env.range.granularity === 'hour'
    const g = hourly && env.filter && env.range.from < boot.today ? 'day' : env.range.granularity
    const prev = hourly && env.filter ? undefined : prevRange
    const metrics = CHART_METRICS.filter((m) => metricAvailable(m, env.filter?.dim, env.ctx))
    const metric = chartMetricOf(env)
    const host = h('div', { class: 'chart', role: 'img', 'aria-label': t('chartOf', { m: t(metric) }) })
    const legend = h(
      'div',
      { class: 'legend' },
      h('span', { class: 'key now' }, t(metric)),
      prev ? h('span', { class: 'key prev' }, `${t('previous')}: ${rangeText(prev)}`) : null,
    )
    fill(el, legend, host)
    const base = { site_id: env.site, metrics, dimensions: [`time:${g}`], filters: apiFilters(env.filter), include: { time_labels: true } }
    const nowLabel = g === 'hour' ? `${boot.today} ${String(boot.hour).padStart(2, '0')}:00:00` : g === 'day' ? boot.today : `${boot.today.slice(0, 7)}-01`
    const i = metrics.indexOf(metric)
    const series = (answer: QueryResult, labels: string[], cutFuture: boolean): Series => {
      const byLabel = new Map(answer.results.map((row) => [row.dimensions[0], row.metrics[i] ?? 0]))
      return { labels, values: labels.map((l) => byLabel.get(l) ?? (cutFuture && l > nowLabel ? null : 0)) }
    }
    // The previous period ends the day before this one: one query reads both, unless a month
    // bucket would hold days of both (a monthly range not starting on the 1st).
    const together = prev && (g !== 'month' || env.range.from.endsWith('-01'))
    const asked = together
      ? query({ ...base, date_range: [prev.from, env.range.to] }).then((both) => [both, both] as const)
      : Promise.all([query({ ...base, date_range: env.range.apiRange }), prev ? query({ ...base, date_range: [prev.from, prev.to] }) : undefined])
    asked.then(
      ([now, before]) => {
        if (!host.isConnected) return
        const labels = (answer: QueryResult, r: DayRange) => {
          const first = g === 'month' ? `${r.from.slice(0, 8)}01` : r.from
          return (answer.meta.time_labels ?? bucketLabels(r, g)).filter((l) => l.slice(0, 10) >= first && l.slice(0, 10) <= r.to)
        }
        void drawChart(host, {
            granularity: g,
            metricLabel: t(metric),
            current: series(now, labels(now, env.range), true),
            previous: before && prev ? series(before, labels(before, prev), false) : undefined,
          }).then((destroy) => (host.isConnected ? cleanup.push(destroy) : destroy()))
      },
      (err: unknown) => fill(host, h('p', { class: 'refused' }, err instanceof ApiError && err.status === 400 ? t('refused', { m: err.message }) : t('error', { m: String((err as Error).message) }))),
    )
  }

  render()
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

function totals(answer: QueryResult, metrics: Metric[]): Partial<Record<Metric, number | null>> {
  const row = answer.results[0]?.metrics
  const additive: Metric[] = ['visitors', 'visits', 'pageviews', 'events']
  return Object.fromEntries(metrics.map((m, i) => [m, row ? (row[i] ?? null) : additive.includes(m) ? 0 : null]))
}

function changeOf(m: Metric, now: number | null, before: number | null, prev: DayRange | undefined): HTMLElement | string {
  if (!prev) return ''
  if (now === null || before === null || (before === 0 && m !== 'bounce_rate')) {
    return h('span', { class: 'muted', title: t('vsPrevious', { from: dayLabel(prev.from), to: dayLabel(prev.to) }) }, t('noChange'))
  }
  // Bounce rate changes by percentage points; everything else by percent of the previous value.
  const delta = m === 'bounce_rate' ? Math.round(now - before) : Math.round((100 * (now - before)) / before)
  const better = m === 'bounce_rate' ? delta < 0 : delta > 0
  const text = `${delta > 0 ? '↑' : delta < 0 ? '↓' : ''} ${Math.abs(delta)}${m === 'bounce_rate' ? ' pp' : '%'}`.trim()
  return h(
    'span',
    { class: delta === 0 ? 'muted' : better ? 'up' : 'down', title: t('vsPrevious', { from: dayLabel(prev.from), to: dayLabel(prev.to) }) },
    delta === 0 ? '0%' : text,
  )
}

function rangeText(r: DayRange): string {
  return r.from === r.to ? dayLabel(r.from) : `${dayLabel(r.from, r.from.slice(0, 4) !== r.to.slice(0, 4))} – ${dayLabel(r.to)}`
}
