import { DIRECT } from '../enrich/sources.ts'
import { barChart } from './chart.ts'
import type { Compared, Period, Ranked, ReportData, Total } from './report.ts'

export type Lang = 'en' | 'lv'
export const LANGS: readonly Lang[] = ['en', 'lv']

export interface ReportLinks {
  /** the dashboard showing the report's site and period */
  dashboard: string
  /** the one-click unsubscribe link; until the endpoint exists, whatever the caller passes */
  unsubscribe: string
}

export interface RenderedReport {
  subject: string
  html: string
  text: string
  attachments: { cid: string; filename: string; png: Buffer }[]
}

/** The dashboard at the report's site and days (dashboard/src/state.ts reads these parameters). */
export function dashboardLink(publicUrl: string, period: Period, site: string): string {
  const q = new URLSearchParams({ site, period: 'custom', from: period.from, to: period.to })
  return `${publicUrl}/?${q}`
}

const TEXTS = {
  en: {
    week: 'Weekly report',
    month: 'Monthly report',
    totals: { visitors: 'Visitors', visits: 'Visits', pageviews: 'Pageviews', bounce_rate: 'Bounce rate', visit_duration: 'Visit duration' } satisfies Record<Total, string>,
    versus: 'vs. previous period',
    noChange: 'no earlier data',
    chart: 'Visitors per day',
    pages: 'Top pages',
    sources: 'Top sources',
    countries: 'Top countries',
    goals: 'Goals',
    visitors: 'Visitors',
    conversion: 'Conversion',
    none: 'No data for this period.',
    open: 'Open the dashboard',
    why: 'You receive this report because you own this site in Skaits.',
    unsubscribe: 'Unsubscribe',
    direct: 'Direct / none',
  },
  lv: {
    week: 'Nedēļas pārskats',
    month: 'Mēneša pārskats',
    totals: { visitors: 'Apmeklētāji', visits: 'Apmeklējumi', pageviews: 'Lapu skatījumi', bounce_rate: 'Atteikumu līmenis', visit_duration: 'Apmeklējuma ilgums' } satisfies Record<Total, string>,
    versus: 'pret iepriekšējo periodu',
    noChange: 'nav agrāku datu',
    chart: 'Apmeklētāji dienā',
    pages: 'Populārākās lapas',
    sources: 'Populārākie avoti',
    countries: 'Populārākās valstis',
    goals: 'Mērķi',
    visitors: 'Apmeklētāji',
    conversion: 'Konversija',
    none: 'Šajā periodā datu nav.',
    open: 'Atvērt paneli',
    why: 'Jūs saņemat šo pārskatu, jo esat šīs vietnes īpašnieks Skaits.',
    unsubscribe: 'Atteikties',
    direct: 'Tiešie / nav',
  },
}

const LOCALE: Record<Lang, string> = { en: 'en-GB', lv: 'lv-LV' }
export const CHART_CID = 'chart@skaits'

/** Numbers and dates as the dashboard writes them (dashboard/src/format.ts). */
function formats(lang: Lang) {
  const locale = LOCALE[lang]
  const number = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 })
  const signed = new Intl.NumberFormat(locale, { maximumFractionDigits: 0, signDisplay: 'exceptZero' })
  const day = (d: string, year: boolean) =>
    new Date(`${d}T00:00:00Z`).toLocaleDateString(locale, { timeZone: 'UTC', day: 'numeric', month: 'short', ...(year ? { year: 'numeric' } : {}) })
  const month = (d: string) => new Date(`${d.slice(0, 7)}-01T00:00:00Z`).toLocaleDateString(locale, { timeZone: 'UTC', month: 'long', year: 'numeric' })
  const regions = new Intl.DisplayNames([locale], { type: 'region' })
  return {
    number: (n: number) => number.format(n),
    metric(m: Total, v: number): string {
      if (m === 'bounce_rate') return `${number.format(v)}%`
      if (m === 'visit_duration') return duration(v)
      return number.format(v)
    },
    change(m: Total, c: Compared, none: string): string {
      if (c.change === null) return none
      return m === 'bounce_rate' ? `${signed.format(c.change)} pp` : `${signed.format(c.change)}%`
    },
    period(p: Period): string {
      if (p.kind === 'month') return month(p.from)
      return `${day(p.from, false)} – ${day(p.to, true)}`
    },
    country: (code: string) => {
      try {
        return /^[A-Z]{2}$/.test(code) ? (regions.of(code) ?? code) : code
      } catch {
        return code
      }
    },
  }
}

function duration(seconds: number): string {
  const s = Math.round(seconds)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}

/** The report as a mail: a subject, HTML for mail clients (tables, inline styles, 600 px), a text part and the chart. */
export function renderReport(data: ReportData, lang: Lang, links: ReportLinks): RenderedReport {
  const t = TEXTS[lang]
  const f = formats(lang)
  const title = data.period.kind === 'week' ? t.week : t.month
  const when = f.period(data.period)
  const subject = `${title}: ${data.site}, ${when}`
  const lists: [string, string, Ranked[]][] = [
    [t.pages, t.visitors, data.pages],
    [t.sources, t.visitors, data.sources.map((r) => ({ ...r, value: r.value && r.value !== DIRECT ? r.value : t.direct }))],
    [t.countries, t.visitors, data.countries.map((r) => ({ ...r, value: f.country(r.value) }))],
  ]
  const goals = data.goals?.map((g) => ({ value: g.name, visitors: g.visitors, rate: `${f.number(g.conversionRate)}%` }))
  const png = barChart(data.daily.map((d) => d.visitors))
  const text = [
    `${title} — ${data.site}`,
    when,
    '',
    ...TOTALS_ORDER.map((m) => `${t.totals[m]}: ${f.metric(m, data.totals[m].value)} (${f.change(m, data.totals[m], t.noChange)} ${t.versus})`),
    '',
    `${t.chart}:`,
    ...data.daily.map((d) => `  ${d.day}  ${f.number(d.visitors)}`),
    ...lists.flatMap(([head, , rows]) => ['', `${head}:`, ...(rows.length ? rows.map((r) => `  ${r.value}  ${f.number(r.visitors)}`) : [`  ${t.none}`])]),
    ...(goals ? ['', `${t.goals}:`, ...(goals.length ? goals.map((g) => `  ${g.value}  ${f.number(g.visitors)}  ${g.rate}`) : [`  ${t.none}`])] : []),
    '',
    `${t.open}: ${links.dashboard}`,
    '',
    `${t.why}`,
    `${t.unsubscribe}: ${links.unsubscribe}`,
    '',
  ].join('\n')
  const html = page(lang, subject, [
    `<tr><td style="padding:24px 24px 8px;font-size:13px;color:#64748b">${esc(title)}</td></tr>`,
    `<tr><td style="padding:0 24px;font-size:22px;font-weight:bold;color:#0f172a">${esc(data.site)}</td></tr>`,
    `<tr><td style="padding:4px 24px 16px;font-size:15px;color:#334155">${esc(when)}</td></tr>`,
    `<tr><td style="padding:0 16px"><table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"><tr>${TOTALS_ORDER.map((m) => totalCell(t.totals[m], f.metric(m, data.totals[m].value), f.change(m, data.totals[m], t.noChange), tone(m, data.totals[m]))).join('')}</tr></table></td></tr>`,
    `<tr><td style="padding:4px 24px 0;font-size:12px;color:#64748b">${esc(t.versus)}</td></tr>`,
    `<tr><td style="padding:20px 24px 4px;font-size:14px;font-weight:bold;color:#0f172a">${esc(t.chart)}</td></tr>`,
    `<tr><td style="padding:0 24px"><img src="cid:${CHART_CID}" width="552" height="118" alt="${esc(t.chart)}" style="display:block;width:100%;max-width:552px;height:auto;border:0"></td></tr>`,
    ...lists.map(([head, col, rows]) => listTable(head, [col], rows.map((r) => [r.value, f.number(r.visitors)]), t.none)),
    ...(goals ? [listTable(t.goals, [t.visitors, t.conversion], goals.map((g) => [g.value, f.number(g.visitors), g.rate]), t.none)] : []),
    `<tr><td style="padding:24px" align="left"><a href="${esc(links.dashboard)}" style="display:inline-block;background:#4f46e5;color:#ffffff;text-decoration:none;font-weight:bold;font-size:14px;padding:10px 18px;border-radius:6px">${esc(t.open)}</a></td></tr>`,
    `<tr><td style="padding:0 24px 24px;font-size:12px;color:#64748b">${esc(t.why)} <a href="${esc(links.unsubscribe)}" style="color:#64748b">${esc(t.unsubscribe)}</a></td></tr>`,
  ])
  return { subject, html, text, attachments: [{ cid: CHART_CID, filename: 'visitors.png', png }] }
}

const TOTALS_ORDER: readonly Total[] = ['visitors', 'visits', 'pageviews', 'bounce_rate', 'visit_duration']

/** Green when the change is good news: more of everything, but a lower bounce rate. */
function tone(m: Total, c: Compared): string {
  if (!c.change) return '#64748b'
  const good = m === 'bounce_rate' ? c.change < 0 : c.change > 0
  return good ? '#15803d' : '#b91c1c'
}

function totalCell(label: string, value: string, change: string, colour: string): string {
  return `<td valign="top" style="padding:8px;width:20%"><div style="font-size:11px;color:#64748b">${esc(label)}</div><div style="font-size:18px;font-weight:bold;color:#0f172a;padding-top:2px">${esc(value)}</div><div style="font-size:11px;color:${colour};padding-top:2px">${esc(change)}</div></td>`
}

function listTable(head: string, columns: string[], rows: string[][], none: string): string {
  const cell = (s: string, first: boolean) =>
    `<td style="padding:6px 0;border-top:1px solid #e2e8f0;font-size:13px;color:#0f172a;${first ? 'word-break:break-all' : 'text-align:right;white-space:nowrap;padding-left:12px'}">${esc(s)}</td>`
  const body = rows.length
    ? rows.map((r) => `<tr>${r.map((s, i) => cell(s, i === 0)).join('')}</tr>`).join('')
    : `<tr><td colspan="${columns.length + 1}" style="padding:6px 0;border-top:1px solid #e2e8f0;font-size:13px;color:#64748b">${esc(none)}</td></tr>`
  const header = `<tr><th align="left" style="font-size:14px;color:#0f172a;padding:0 0 6px">${esc(head)}</th>${columns.map((c) => `<th align="right" style="font-size:11px;font-weight:normal;color:#64748b;padding:0 0 6px 12px">${esc(c)}</th>`).join('')}</tr>`
  return `<tr><td style="padding:20px 24px 0"><table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0">${header}${body}</table></td></tr>`
}

function page(lang: Lang, title: string, rows: string[]): string {
  return `<!DOCTYPE html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title></head>
<body style="margin:0;padding:0;background:#f1f5f9;font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#f1f5f9"><tr><td align="center" style="padding:16px 8px">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" style="width:100%;max-width:600px;background:#ffffff;border-radius:8px">
${rows.join('\n')}
</table></td></tr></table>
</body></html>
`
}

/** Page paths, sources and goal names come from visitors' browsers and owners: never markup. */
function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')
}
