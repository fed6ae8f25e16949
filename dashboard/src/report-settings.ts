import { call } from './api.ts'
import type { Lang } from './boot.ts'
import { fill, h } from './dom.ts'
import { field, form, message } from './forms.ts'
import { getLang, t, textIn } from './i18n.ts'

/** A subscription as `GET /api/sites/:domain/reports` lists it (server/sites/reports-route.ts view). */
export interface ReportRow {
  id: string
  email: string
  kind: 'weekly' | 'monthly'
  lang: Lang
  /** 0: exact numbers (an owner); else values under this many visitors hidden, as on a shared link */
  min_crowd: number
  created_at: string
}

/** Each language by its own name: a recipient reads the one they know. */
const LANG_NAMES: Record<Lang, string> = { en: 'English', lv: 'Latviešu' }
/** Offered for someone outside the owners, as for a new shared link. */
const OUTSIDE_MIN_CROWD = 5
const kindName = (kind: ReportRow['kind']) => t(kind === 'weekly' ? 'reportWeekly' : 'reportMonthly')

/**
 * Who receives a site's weekly and monthly reports: the list, adding a recipient (an owner with
 * exact numbers, or someone outside the owners under a minimum crowd) and removing one. Without
 * mail set up on the server it says so, and how to set it, and still keeps the list.
 */
export async function reportsEditor(domain: string, mailConfigured: boolean): Promise<HTMLElement> {
  const root = h('div', { class: 'reports-editor', id: `reports-${domain}` })
  await drawReports(root, domain, mailConfigured)
  return root
}

async function drawReports(root: HTMLElement, domain: string, mailConfigured: boolean): Promise<void> {
  const path = `/api/sites/${encodeURIComponent(domain)}/reports`
  const { reports } = await call<{ reports: ReportRow[] }>('GET', path)
  const reload = () => drawReports(root, domain, mailConfigured)
  fill(
    root,
    h('h3', null, t('reportsOf', { site: domain })),
    mailConfigured ? null : mailOff(),
    h('p', { class: 'muted' }, t('reportsHelp')),
    reports.length ? h('ul', { class: 'goal-list report-list' }, reports.map((r) => reportItem(r, path, reload))) : h('p', { class: 'muted' }, t('reportsNone')),
    addForm(path, reload),
  )
}

/** Why no reports arrive yet, and the one setting that changes it. */
function mailOff(): HTMLElement {
  const code: Record<string, string> = { var: 'SMTP_URL', example: 'smtp://user:password@mail.example.lv:587' }
  // The hint's placeholders become code, the text between them stays text.
  const hint = textIn(getLang(), 'reportsOffHint').split(/\{(\w+)\}/).map((part, i) => (i % 2 ? h('code', null, code[part] ?? '') : part))
  return h('div', { class: 'mail-off', role: 'note' }, h('p', null, h('strong', null, t('reportsOff'))), h('p', null, hint))
}

function reportItem(r: ReportRow, path: string, reload: () => Promise<void>): HTMLElement {
  const remove = async () => {
    if (!confirm(t('confirmReportRemove', { kind: kindName(r.kind), email: r.email }))) return
    await call('DELETE', `${path}/${encodeURIComponent(r.id)}`).then(reload, (e: unknown) => alert(message(e)))
  }
  return h(
    'li',
    { 'data-report': `${r.email} ${r.kind}` },
    h(
      'div',
      { class: 'goal-head' },
      h('strong', { class: 'report-email' }, r.email),
      h('span', { class: 'badge' }, kindName(r.kind)),
      h('span', { class: 'badge', lang: r.lang }, LANG_NAMES[r.lang]),
      h('span', { class: 'badge' }, r.min_crowd ? t('minCrowdBadge', { k: r.min_crowd }) : t('reportExact')),
    ),
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'link danger', onclick: () => void remove() }, t('remove'))),
  )
}

function addForm(path: string, reload: () => Promise<void>): HTMLElement {
  const select = (name: string, label: string, options: [string, string, string?][], chosen: string) =>
    h('label', { class: 'field' }, h('span', null, label), h('select', { name }, options.map(([value, text, lang]) => h('option', { value, lang, selected: value === chosen }, text))))
  const crowd = field('min_crowd', t('reportMinCrowd'), { type: 'number', min: '2', max: '100', value: String(OUTSIDE_MIN_CROWD), inputmode: 'numeric', required: true })
  crowd.hidden = true
  crowd.querySelector('input')!.disabled = true
  const outside = h('input', {
    type: 'checkbox',
    name: 'outside',
    onchange: () => {
      crowd.hidden = !outside.checked
      crowd.querySelector('input')!.disabled = !outside.checked
    },
  })
  const f = form(
    [
      field('email', t('email'), { type: 'email', required: true, maxlength: '254', autocomplete: 'off' }),
      select('kind', t('reportKind'), [
        ['weekly', kindName('weekly')],
        ['monthly', kindName('monthly')],
      ], 'weekly'),
      select('lang', t('reportLang'), (['lv', 'en'] as const).map((l) => [l, LANG_NAMES[l], l]), getLang()),
      h('label', { class: 'field check' }, outside, h('span', null, t('reportOutside'))),
      crowd,
    ],
    t('addReport'),
    async (d) => {
      await call('POST', path, { email: d.email, kind: d.kind, lang: d.lang, min_crowd: d.outside === 'on' ? Number(d.min_crowd) : 0 })
      await reload()
    },
  )
  f.classList.add('report-add')
  return h('div', null, h('h4', null, t('addReport')), f)
}
