import type uPlot from 'uplot'
import { fill, h } from './dom.ts'
import { dayLabel, metricValue, monthLabel } from './format.ts'
import { t } from './i18n.ts'
import type { Metric } from './model.ts'
import type { Granularity } from './periods.ts'
import { isCount } from './state.ts'

export interface Series {
  /** bucket labels as the Stats API writes them ("2026-11-05", "2026-11-05 14:00:00") */
  labels: string[]
  /** null: a bucket still in the future */
  values: (number | null)[]
}

export interface ChartData {
  granularity: Granularity
  metric: Metric
  metricLabel: string
  current: Series
  previous?: Series
  /** the label of the bucket still under way (the hour, day or month of now): drawn dashed and faded */
  partial?: string
  /** the buckets holding imported days (by index of `current`): a hatched band behind them */
  imported?: boolean[]
  /** draws over the plot at every redraw (annotations.ts: the notes' flags), given each bucket's x by its label */
  overlay?: (over: HTMLElement, x: (label: string) => number | undefined) => void
  /** a click on the plot (not on what `overlay` drew): the bucket under the cursor, by its label */
  onPick?: (label: string) => void
}

/** uPlot is its own file, fetched at start while the first queries are being answered. */
const uPlotLoading = import('uplot')

const toTs = (label: string) => Date.parse(`${label.replace(' ', 'T')}${label.length === 10 ? 'T00:00:00' : ''}Z`) / 1000

/** The Stats API's label of the bucket starting at `ts` (labels are wall-clock times, read as UTC). */
function labelOf(ts: number, g: Granularity): string {
  const iso = new Date(ts * 1000).toISOString()
  return g === 'hour' ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}` : iso.slice(0, 10)
}

/** A bucket label for people: "14:00", "5 Nov 2026", "Nov 2026"; a week by its Monday ("week of 2 Nov"). */
export function bucketText(label: string, g: Granularity, withYear = true): string {
  if (g === 'hour') return `${withYear ? `${dayLabel(label.slice(0, 10))} ` : ''}${label.slice(11, 16)}`
  if (g === 'month') return monthLabel(label)
  if (g === 'week' && withYear) return t('weekOf', { day: dayLabel(label) })
  return dayLabel(label, withYear)
}

/** uPlot's own axis font, named so that the labels' room can be measured. */
const AXIS_FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif'

/** Half the widest label: a label is centred on its point, and the last point is at the plot's right edge. */
function halfWidestLabel(labels: string[]): number {
  const ctx = document.createElement('canvas').getContext('2d')
  if (!ctx) return 40
  ctx.font = AXIS_FONT
  return Math.ceil(Math.max(0, ...labels.map((l) => ctx.measureText(l).width)) / 2)
}

function colors() {
  const css = getComputedStyle(document.documentElement)
  const v = (name: string) => css.getPropertyValue(name).trim()
  return { accent: v('--accent'), fill: v('--accent-fill'), faint: v('--faint'), text: v('--muted'), grid: v('--grid') }
}

/** Thin diagonal lines of `color`, repeating, as a fill. */
function hatch(ctx: CanvasRenderingContext2D, color: string): CanvasPattern | null {
  const tile = document.createElement('canvas')
  const size = Math.round(8 * devicePixelRatio)
  tile.width = tile.height = size
  const t2 = tile.getContext('2d')
  if (!t2) return null
  t2.strokeStyle = color
  t2.lineWidth = devicePixelRatio
  t2.beginPath()
  t2.moveTo(0, size)
  t2.lineTo(size, 0)
  t2.stroke()
  return ctx.createPattern(tile, 'repeat')
}

/**
 * The main chart: the chosen metric over the range, the previous period faint and dashed
 * behind it (aligned bucket by bucket), exact numbers on hover. A bucket still under way is its
 * own series, dashed and faded, so that its low count does not read as a plunge. Redraws at the
 * container's width.
 */
export async function drawChart(host: HTMLElement, data: ChartData): Promise<() => void> {
  const { default: UPlot } = await uPlotLoading
  const c = colors()
  const xs = data.current.labels.map(toTs)
  const prev = data.previous ? xs.map((_, i) => data.previous!.values[i] ?? null) : xs.map(() => null)
  const tip = h('div', { class: 'tip', role: 'status', hidden: true })
  const g = data.granularity
  const fewPoints = xs.length <= 2
  const partial = data.partial === undefined ? -1 : data.current.labels.indexOf(data.partial)
  const complete = partial < 0 ? data.current.values : data.current.values.map((v, i) => (i < partial ? v : null))
  const underWay = data.current.values.map((v, i) => (partial >= 0 && (i === partial || i === partial - 1) ? v : null))
  if (partial >= 0) host.setAttribute('data-partial', data.current.labels[partial]!)
  else host.removeAttribute('data-partial')
  const imported = data.current.labels.filter((_, i) => data.imported?.[i])
  if (imported.length) host.setAttribute('data-imported', imported.join(' '))
  else host.removeAttribute('data-imported')

  const xLabels = xs.map((ts) => bucketText(labelOf(ts, g), g, false))
  const value = (v: number | null | undefined) => metricValue(data.metric, v, false)
  const opts: uPlot.Options = {
    width: Math.max(host.clientWidth, 200),
    height: host.clientWidth < 600 ? 200 : 260,
    tzDate: (ts) => UPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    legend: { show: false },
    // Room on the right for the last label, however long ("Dec 2026", "2026. g. dec.").
    padding: [8, Math.max(24, halfWidestLabel(xLabels) + 6), 0, 0],
    select: { show: false, left: 0, top: 0, width: 0, height: 0 },
    cursor: { y: false, drag: { x: false, y: false }, points: { size: 7 } },
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
    axes: [
      {
        stroke: c.text,
        font: AXIS_FONT,
        grid: { show: false },
        ticks: { show: false },
        // Labels at data points only, as many as fit: bucket labels are calendar units.
        splits: (u) => {
          const every = Math.max(1, Math.ceil(xs.length / Math.max(1, Math.floor(u.width / 80))))
          return xs.filter((_, i) => i % every === 0)
        },
        values: (_u, splits) => splits.map((ts) => xLabels[xs.indexOf(ts)] ?? ''),
      },
      {
        stroke: c.text,
        font: AXIS_FONT,
        size: 56,
        grid: { stroke: c.grid, width: 1 },
        ticks: { show: false },
        // Counts at whole numbers only; rates and durations at every line.
        values: (_u, splits) => splits.map((v) => (Number.isInteger(v) || !isCount(data.metric) ? metricValue(data.metric, v) : '')),
      },
    ],
    series: [
      {},
      { label: t('previous'), stroke: c.faint, width: 1.5, dash: [5, 4], points: { show: fewPoints } },
      { label: data.metricLabel, stroke: c.accent, fill: c.fill, width: 2, points: { show: fewPoints } },
      { label: `${data.metricLabel} (${t('soFar')})`, stroke: c.accent, fill: c.fill, width: 2, dash: [4, 3], alpha: 0.55, points: { show: fewPoints || partial === 0 } },
    ],
    hooks: {
      // Behind the grid and the lines: each imported bucket's share of the plot, hatched.
      drawClear: [
        (u) => {
          if (!imported.length) return
          const { ctx, bbox } = u
          const x = (i: number) => u.valToPos(xs[i]!, 'x', true)
          ctx.save()
          ctx.globalAlpha = 0.6
          ctx.fillStyle = hatch(ctx, c.faint) ?? c.grid
          xs.forEach((_, i) => {
            if (!data.imported?.[i]) return
            const left = i ? (x(i - 1) + x(i)) / 2 : bbox.left
            const right = i < xs.length - 1 ? (x(i) + x(i + 1)) / 2 : bbox.left + bbox.width
            ctx.fillRect(left, bbox.top, right - left, bbox.height)
          })
          ctx.restore()
        },
      ],
      draw: [(u) => data.overlay?.(u.over, (label) => (data.current.labels.includes(label) ? u.valToPos(xs[data.current.labels.indexOf(label)]!, 'x') : undefined))],
      setCursor: [
        (u) => {
          const i = u.cursor.idx
          if (i === null || i === undefined) {
            tip.hidden = true
            return
          }
          const label = data.current.labels[i]!
          const cur = data.current.values[i]
          const prevLabel = data.previous?.labels[i]
          const prevValue = data.previous?.values[i]
          fill(
            tip,
            h(
              'div',
              { class: 'tip-now' },
              h('b', null, bucketText(label, g), i === partial ? ` (${t('soFar')})` : ''),
              h('span', null, `${data.metricLabel}: ${value(cur)}`),
            ),
            prevLabel ? h('div', { class: 'tip-prev' }, h('b', null, bucketText(prevLabel, g)), h('span', null, value(prevValue))) : null,
          )
          tip.hidden = false
          const x = u.valToPos(xs[i]!, 'x')
          const left = Math.min(Math.max(0, x - 80), u.over.clientWidth - 170)
          tip.style.left = `${left}px`
        },
      ],
    },
  }
  host.replaceChildren()
  const plot = new UPlot(opts, [xs, prev, complete, underWay], host)
  plot.over.append(tip)
  plot.over.addEventListener('mouseleave', () => (tip.hidden = true))
  if (data.onPick) {
    plot.over.classList.add('pickable')
    plot.over.addEventListener('click', (e) => {
      const i = plot.cursor.idx
      if ((e.target as Element).closest('.marks') || i === null || i === undefined) return
      data.onPick!(data.current.labels[i]!)
    })
  }
  const resize = new ResizeObserver(() => {
    const w = Math.max(host.clientWidth, 200)
    if (w !== plot.width) plot.setSize({ width: w, height: w < 600 ? 200 : 260 })
  })
  resize.observe(host)
  return () => {
    resize.disconnect()
    plot.destroy()
  }
}
