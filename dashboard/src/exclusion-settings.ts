import { call } from './api.ts'
import { h } from './dom.ts'
import { form } from './forms.ts'
import { t, type Key } from './i18n.ts'

/** A site's exclusions as `GET/PUT /api/sites/:domain/exclusions` has them (server/sites/exclusions-route.ts). */
interface ExclusionsRow {
  addresses: string[]
  pages: string[]
  hostnames: string[]
}

/** `GET /api/sites/:domain/filtered`: events not counted, per day and reason; `instance`: rate-limited requests. */
interface FilteredAnswer {
  days: { day: string; reason: string; n: number }[]
  totals: Record<string, number>
  instance: { totals: Record<string, number> }
}

/** The reasons in the order the table lists them (server/ingest/filtered.ts FILTER_REASONS). */
const REASONS = ['bot', 'gpc', 'spam_referrer', 'excluded_address', 'excluded_page', 'hostname', 'rate_limited'] as const

const lines = (text: string | undefined) => (text ?? '').split('\n').map((l) => l.trim()).filter(Boolean)

/**
 * A site's exclusions: address ranges and page patterns (one a line), beside the hostnames its
 * events may come from and the opt-out page for the owner's own devices. The server checks each
 * line and says which one it refused.
 */
export async function exclusionsEditor(domain: string): Promise<HTMLElement> {
  const path = `/api/sites/${encodeURIComponent(domain)}/exclusions`
  const current = await call<ExclusionsRow>('GET', path)
  const done = h('span', { class: 'muted', role: 'status' })
  const area = (name: 'addresses' | 'pages', label: Key, placeholder: string) => {
    const text = h('textarea', { name, rows: '4', placeholder, spellcheck: 'false', autocomplete: 'off' })
    text.value = current[name].join('\n')
    return h('label', { class: 'field' }, h('span', null, t(label)), text)
  }
  const f = form(
    [area('addresses', 'excludedAddresses', '203.0.113.0/24\n2001:db8::/32'), area('pages', 'excludedPages', '/admin/**\n/preview/*')],
    t('save'),
    async (d) => {
      done.textContent = ''
      const saved = await call<ExclusionsRow>('PUT', path, { addresses: lines(d.addresses), pages: lines(d.pages) })
      for (const name of ['addresses', 'pages'] as const) f.querySelector<HTMLTextAreaElement>(`[name=${name}]`)!.value = saved[name].join('\n')
      done.textContent = t('saved')
    },
    'stack',
  )
  f.classList.add('exclusions-form')
  return h(
    'div',
    { class: 'exclusions-editor', id: `exclusions-${domain}` },
    h('h3', null, t('exclusionsOf', { site: domain })),
    h('p', { class: 'muted' }, t('exclusionsHelp')),
    f,
    done,
    h('p', { class: 'muted' }, t('allowedHostnames', { list: current.hostnames.join(', ') })),
    h('p', null, h('a', { href: `/opt-out?site=${encodeURIComponent(domain)}`, target: '_blank', rel: 'noopener' }, t('optOutLink'))),
  )
}

/** The counts of a site's events not counted over the last 30 days, a row per reason. */
export async function filteredView(domain: string): Promise<HTMLElement> {
  const answer = await call<FilteredAnswer>('GET', `/api/sites/${encodeURIComponent(domain)}/filtered`)
  const rows = REASONS.filter((r) => answer.totals[r])
  const limited = answer.instance.totals.rate_limited ?? 0
  return h(
    'div',
    { class: 'filtered-view', id: `filtered-${domain}` },
    h('h3', null, t('filteredOf', { site: domain })),
    h('p', { class: 'muted' }, t('filteredHelp')),
    rows.length
      ? h(
          'table',
          { class: 'list filtered-table' },
          h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('filteredReason')), h('th', { scope: 'col', class: 'num' }, t('filteredEvents')))),
          h('tbody', null, rows.map((r) => h('tr', { 'data-reason': r }, h('th', { scope: 'row' }, t(`reason_${r}` as Key)), h('td', { class: 'num' }, answer.totals[r]!.toLocaleString())))),
        )
      : h('p', null, t('filteredNone')),
    limited ? h('p', { class: 'muted' }, t('filteredInstance', { n: limited.toLocaleString() })) : null,
  )
}
