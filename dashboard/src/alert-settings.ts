import { call } from './api.ts'
import { h } from './dom.ts'
import { field, form } from './forms.ts'
import { t, type Key } from './i18n.ts'

/** A site's alerts as `GET/PUT /api/sites/:domain/alerts` has them (server/sites/alerts-route.ts); null: off. */
export interface AlertsRow {
  quiet_hours: number | null
  spike_visitors: number | null
  spike_hours: number | null
  webhook: string | null
}

/** An empty field turns its alert off. */
const numberOrOff = (v: string | undefined) => (v?.trim() ? Number(v) : null)

/**
 * A site's alerts: the tracker gone quiet, a traffic spike (and how often at most), and the
 * webhook they are posted to. The server checks the values and says what it refused.
 */
export async function alertsEditor(domain: string): Promise<HTMLElement> {
  const path = `/api/sites/${encodeURIComponent(domain)}/alerts`
  const current = await call<AlertsRow>('GET', path)
  const done = h('span', { class: 'muted', role: 'status' })
  const number = (name: keyof AlertsRow, label: Key, max: number) =>
    field(name, t(label), { type: 'number', min: '1', max: String(max), inputmode: 'numeric', value: current[name] ?? '' })
  const f = form(
    [
      number('quiet_hours', 'alertQuietHours', 720),
      number('spike_visitors', 'alertSpikeVisitors', 1_000_000),
      number('spike_hours', 'alertSpikeHours', 168),
      field('webhook', t('alertWebhook'), { type: 'url', maxlength: '2000', autocomplete: 'off', placeholder: 'https://hooks.slack.com/services/…', value: current.webhook ?? '' }),
    ],
    t('save'),
    async (d) => {
      done.textContent = ''
      const saved: AlertsRow = { quiet_hours: numberOrOff(d.quiet_hours), spike_visitors: numberOrOff(d.spike_visitors), spike_hours: numberOrOff(d.spike_hours), webhook: d.webhook?.trim() || null }
      await call<AlertsRow>('PUT', path, saved)
      done.textContent = t('saved')
    },
    'stack',
  )
  f.classList.add('alerts-form')
  return h('div', { class: 'alerts-editor', id: `alerts-${domain}` }, h('h3', null, t('alertsOf', { site: domain })), h('p', { class: 'muted' }, t('alertsHelp')), f, done)
}
