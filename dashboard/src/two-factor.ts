import { call } from './api.ts'
import type { Boot } from './boot.ts'
import { copyable } from './copy.ts'
import { h, fill } from './dom.ts'
import { field, form, message } from './forms.ts'
import { langSwitch } from './dashboard.ts'
import { t } from './i18n.ts'

interface TwoFactorStatus {
  state: 'off' | 'pending' | 'on'
  recovery_left: number
  required: boolean
}

/** Issue 25: the account's "Two-factor login" section: enrol with a QR code, recovery codes once, turn off, and the owners' rule. */
export async function twoFactorSection(el: HTMLElement): Promise<void> {
  const status = await call<TwoFactorStatus>('GET', '/api/2fa')
  const reload = () => twoFactorSection(el).catch((err: unknown) => el.append(h('p', { class: 'refused' }, message(err))))
  const body = h('div', { class: 'two-factor' })
  fill(el, h('h2', { id: 'two-factor' }, t('twoFactor')), body)
  if (status.state === 'on') {
    body.append(
      h('p', null, h('strong', null, t('twoFactorOn')), ' ', t('recoveryLeft', { n: status.recovery_left })),
      h('h3', null, t('twoFactorTurnOff')),
      form(
        [
          field('password', t('currentPassword'), { type: 'password', required: true, autocomplete: 'current-password' }),
          field('code', t('twoFactorCodeOrRecovery'), { type: 'text', required: true, autocomplete: 'one-time-code', maxlength: '64', spellcheck: 'false', autocapitalize: 'none' }),
        ],
        t('twoFactorTurnOff'),
        async (d) => {
          await call('POST', '/api/2fa/disable', { password: d.password, code: d.code })
          await reload()
        },
        'stack',
      ),
    )
  } else {
    const off = h('p', null, t('twoFactorOff'))
    body.append(off, enrolment(() => reload(), () => off.remove()))
  }
  body.append(await policy(status))
}

/** The owners' rule: every owner must use two-factor login (only an owner who has it may set it). */
async function policy(status: TwoFactorStatus): Promise<HTMLElement> {
  const said = h('p', { class: 'muted', role: 'status' })
  const error = h('p', { class: 'refused', role: 'alert', hidden: true })
  const box: HTMLInputElement = h('input', {
    type: 'checkbox',
    name: 'required',
    checked: status.required,
    onchange: async () => {
      error.hidden = true
      said.textContent = ''
      try {
        await call('PUT', '/api/settings/2fa', { required: box.checked })
        said.textContent = t('saved')
      } catch (err) {
        box.checked = !box.checked
        error.textContent = message(err)
        error.hidden = false
      }
    },
  })
  return h('div', { class: 'two-factor-policy' }, h('h3', null, t('twoFactorPolicy')), h('label', { class: 'check' }, box, ' ', t('twoFactorRequireAll')), error, said)
}

/**
 * Starting enrolment: the QR code and the key to type, then a code from the app turns it on and
 * the ten recovery codes are shown, once. `done` runs when the owner has put them away.
 */
export function enrolment(done: () => void, turnedOn?: () => void): HTMLElement {
  const area = h('div', { class: 'enrol' })
  const start = h(
    'button',
    {
      type: 'button',
      onclick: async () => {
        start.disabled = true
        try {
          const setup = await call<{ secret: string; uri: string; qr: string }>('POST', '/api/2fa/setup')
          fill(
            area,
            scan(setup, (codes) => {
              turnedOn?.()
              fill(area, recoveryCodes(codes, done))
            }),
          )
          area.querySelector<HTMLInputElement>('input[name="code"]')?.focus()
        } catch (err) {
          start.disabled = false
          area.append(h('p', { class: 'refused', role: 'alert' }, message(err)))
        }
      },
    },
    t('twoFactorStart'),
  )
  area.append(start)
  return area
}

function scan(setup: { secret: string; qr: string }, confirmed: (codes: string[]) => void): HTMLElement {
  const [key, controls] = copyable(setup.secret.replace(/(.{4})(?=.)/g, '$1 '), 'copyByHand')
  return h(
    'div',
    { class: 'scan' },
    h('p', null, t('twoFactorScan')),
    h('img', { class: 'qr', src: setup.qr, width: '200', height: '200', alt: t('twoFactorQrAlt') }),
    h('p', null, t('twoFactorKey')),
    key,
    controls,
    form(
      [field('code', t('twoFactorCode'), { type: 'text', required: true, inputmode: 'numeric', pattern: '[0-9 ]{6,7}', maxlength: '7', autocomplete: 'one-time-code' })],
      t('twoFactorConfirm'),
      async (d) => {
        const on = await call<{ recovery_codes: string[] }>('POST', '/api/2fa/confirm', { code: d.code })
        confirmed(on.recovery_codes)
      },
      'stack',
    ),
  )
}

/** The recovery codes, shown once: to copy, to download as a text file, and to confirm as saved. */
function recoveryCodes(codes: string[], done: () => void): HTMLElement {
  const text = codes.join('\n')
  const [box, controls] = copyable(text, 'copyByHand')
  const file = URL.createObjectURL(new Blob([`${t('recoveryFileIntro', { host: location.host })}\n\n${text}\n`], { type: 'text/plain' }))
  const saved = h('button', { type: 'button', onclick: () => { URL.revokeObjectURL(file); done() } }, t('recoverySaved'))
  const once = h(
    'div',
    { class: 'once recovery', role: 'region', 'aria-labelledby': 'recovery-title' },
    h('p', { id: 'recovery-title' }, h('strong', null, t('twoFactorNowOn')), ' ', t('recoveryExplain')),
    box,
    controls,
    h('p', null, h('a', { href: file, download: `skaits-recovery-codes-${location.hostname}.txt` }, t('recoveryDownload'))),
    h('p', { class: 'muted' }, t('recoveryShownOnce')),
    saved,
  )
  queueMicrotask(() => box.focus())
  return once
}

/** The page of an owner whom the owners' rule requires to enrol before anything else. */
export function mountEnrolment(root: HTMLElement, boot: Boot): void {
  fill(
    root,
    h(
      'main',
      { class: 'auth enrol-page' },
      langSwitch((l) => {
        const q = new URLSearchParams(location.search)
        q.set('lang', l)
        location.search = q.toString()
      }),
      h('h1', null, t('twoFactorSetUp')),
      h('p', null, t('twoFactorRequiredIntro', { email: boot.email ?? '' })),
      enrolment(() => location.reload()),
      h('form', { method: 'post', action: '/api/logout', class: 'start-over' }, h('button', { type: 'submit', class: 'link' }, t('logout'))),
    ),
  )
}
