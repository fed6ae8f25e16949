import { call } from './api.ts'
import type { Boot, Lang } from './boot.ts'
import { langSwitch, rememberLang } from './dashboard.ts'
import { h, fill } from './dom.ts'
import { dayLabel } from './format.ts'
import { setLang, t, type Key } from './i18n.ts'

interface SiteRow {
  domain: string
  created_at: string
  sections: number
}
interface KeyRow {
  id: string
  name: string
  sites: string[]
  min_crowd: number | null
  created_at: string
}
interface ShareRow {
  id: string
  site: string
  name: string
  password: boolean
  min_crowd: number
  created_at: string
}
interface OwnerRow {
  id: string
  email: string
  created_at: string
}

const TABS = ['sites', 'keys', 'shares', 'owners', 'account'] as const
type Tab = (typeof TABS)[number]

const created = (iso: string) => dayLabel(iso.slice(0, 10))
const message = (err: unknown) => (err instanceof Error ? err.message : String(err))

/** Settings for owners: sites (and their section rules), API keys, shared links, owners, password. */
export function mountSettings(root: HTMLElement, boot: Boot): void {
  const q = new URLSearchParams(location.search)
  let tab: Tab = (TABS as readonly string[]).includes(q.get('tab') ?? '') ? (q.get('tab') as Tab) : 'sites'
  const lang = () => (q.get('lang') as Lang | null) ?? undefined

  const render = () => {
    const body = h('section', { class: 'card settings-body', role: 'tabpanel' })
    const suffix = (extra: Record<string, string>) => {
      const p = new URLSearchParams(extra)
      if (lang()) p.set('lang', lang()!)
      return `?${p}`
    }
    fill(
      root,
      h(
        'header',
        { class: 'topbar' },
        h('a', { class: 'brand', href: `/${lang() ? `?lang=${lang()}` : ''}` }, h('span', { class: 'logo', 'aria-hidden': 'true' }), 'Skaits'),
        h('span', { class: 'site-name' }, t('settings')),
        h(
          'nav',
          { class: 'right' },
          langSwitch((l) => {
            rememberLang(l)
            q.set('lang', l)
            history.replaceState(null, '', `${location.pathname}?${q}`)
            setLang(l)
            document.documentElement.lang = l
            render()
          }),
          h('a', { href: `/${lang() ? `?lang=${lang()}` : ''}` }, t('dashboard')),
          h('form', { method: 'post', action: '/api/logout', class: 'logout' }, h('button', { type: 'submit', class: 'link' }, t('logout'))),
        ),
      ),
      h(
        'main',
        { class: 'settings' },
        h(
          'nav',
          { class: 'tabs settings-tabs', 'aria-label': t('settings') },
          TABS.map((x) =>
            h(
              'a',
              {
                href: suffix({ tab: x }),
                'aria-current': x === tab ? 'page' : null,
                onclick: (e: MouseEvent) => {
                  e.preventDefault()
                  tab = x
                  q.set('tab', x)
                  history.replaceState(null, '', `${location.pathname}?${q}`)
                  render()
                },
              },
              t(x as Key),
            ),
          ),
        ),
        body,
        h('p', { class: 'muted' }, t('loggedInAs', { email: boot.email ?? '' })),
      ),
    )
    const panes: Record<Tab, (el: HTMLElement) => Promise<void>> = { sites, keys, shares, owners, account }
    panes[tab](body).catch((err: unknown) => body.append(h('p', { class: 'refused' }, message(err))))
  }
  render()
}

/** A form whose submit runs `work`, showing its error (the server's message) beside it. */
function form(fields: HTMLElement[], button: string, work: (data: Record<string, string>) => Promise<void>, cls = 'inline'): HTMLFormElement {
  const error = h('p', { class: 'refused', role: 'alert', hidden: true })
  const f: HTMLFormElement = h(
    'form',
    {
      class: cls,
      onsubmit: async (e: Event) => {
        e.preventDefault()
        error.hidden = true
        const data = Object.fromEntries([...new FormData(f)].map(([k, v]) => [k, String(v)]))
        try {
          await work(data)
        } catch (err) {
          error.textContent = message(err)
          error.hidden = false
        }
      },
    },
    fields,
    h('button', { type: 'submit' }, button),
    error,
  )
  return f
}

const field = (name: string, label: string, attrs: Record<string, unknown> = {}) =>
  h('label', { class: 'field' }, h('span', null, label), h('input', { name, ...attrs }))

/** A secret shown once, selectable and copyable. */
function once(label: string, secret: string): HTMLElement {
  const code = h('code', { class: 'secret' }, secret)
  return h(
    'div',
    { class: 'once', role: 'status' },
    h('p', null, label),
    code,
    h('button', { type: 'button', class: 'link', onclick: () => void navigator.clipboard?.writeText(secret) }, t('copy')),
    h('p', { class: 'muted' }, t('shownOnce')),
  )
}

async function sites(el: HTMLElement): Promise<void> {
  const list = await call<SiteRow[]>('GET', '/api/sites')
  const reload = () => sites(el)
  fill(
    el,
    h('h2', null, t('sites')),
    h(
      'table',
      { class: 'list' },
      h('tbody', null, list.map((s) => siteRow(s, reload))),
    ),
    form([field('domain', t('domain'), { required: true, placeholder: 'example.lv', autocomplete: 'off' })], t('addSite'), async (d) => {
      await call('POST', '/api/sites', { domain: d.domain })
      await reload()
    }),
  )
}

function siteRow(s: SiteRow, reload: () => Promise<void>): HTMLElement[] {
  const snippet = `<script defer data-domain="${s.domain}" src="${location.origin}/t.js"></script>`
  const extra = h('tr', { class: 'more', hidden: true }, h('td', { colspan: '3' }))
  const toggle = async (what: 'snippet' | 'rules') => {
    const cell = extra.firstElementChild as HTMLElement
    extra.hidden = !extra.hidden && cell.dataset.what === what
    cell.dataset.what = what
    if (extra.hidden) return
    if (what === 'snippet') fill(cell, h('p', null, t('snippet', { site: s.domain })), h('code', { class: 'secret' }, snippet))
    else fill(cell, await rulesEditor(s.domain))
  }
  return [
    h(
      'tr',
      null,
      h('th', { scope: 'row' }, s.domain),
      h('td', { class: 'muted' }, `${t('created')} ${created(s.created_at)}`),
      h(
        'td',
        { class: 'actions' },
        h('button', { type: 'button', class: 'link', onclick: () => void toggle('snippet') }, t('tracker')),
        h('button', { type: 'button', class: 'link', onclick: () => void toggle('rules') }, t('sectionRules')),
        h(
          'button',
          {
            type: 'button',
            class: 'link',
            onclick: async () => {
              const to = prompt(t('rename'), s.domain)?.trim()
              if (to && to !== s.domain) await call('PATCH', `/api/sites/${encodeURIComponent(s.domain)}`, { domain: to }).then(reload, (e: unknown) => alert(message(e)))
            },
          },
          t('rename'),
        ),
        h(
          'button',
          {
            type: 'button',
            class: 'link danger',
            onclick: async () => {
              if (prompt(`${t('confirmRemove', { site: s.domain })}\n${t('confirmDelete')}`)?.trim() !== s.domain) return
              await call('DELETE', `/api/sites/${encodeURIComponent(s.domain)}`).then(reload, (e: unknown) => alert(message(e)))
            },
          },
          t('remove'),
        ),
      ),
    ),
    extra,
  ]
}

async function rulesEditor(domain: string): Promise<HTMLElement> {
  const path = `/api/sites/${encodeURIComponent(domain)}/sections`
  const current = await call<{ rules: { match: string; section: string }[] }>('GET', path)
  const text = h('textarea', { name: 'rules', rows: '5', 'aria-label': t('sectionRules') })
  text.value = current.rules.map((r) => `${r.match} = ${r.section}`).join('\n')
  const done = h('span', { class: 'muted', role: 'status' })
  return h(
    'div',
    null,
    h('p', { class: 'muted' }, t('sectionRulesHelp')),
    form([text], t('save'), async (d) => {
      const rules = (d.rules ?? '')
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)
        .map((l) => {
          const i = l.lastIndexOf('=')
          return { match: l.slice(0, i).trim(), section: l.slice(i + 1).trim() }
        })
      await call('PUT', path, { rules })
      done.textContent = t('saved')
    }, 'stack'),
    done,
  )
}

async function keys(el: HTMLElement): Promise<void> {
  const list = await call<KeyRow[]>('GET', '/api/keys')
  const shown = h('div')
  fill(
    el,
    h('h2', null, t('keys')),
    shown,
    h(
      'table',
      { class: 'list' },
      h(
        'tbody',
        null,
        list.map((k) =>
          h(
            'tr',
            null,
            h('th', { scope: 'row' }, k.name),
            h('td', null, k.sites.length ? k.sites.join(', ') : t('allSites'), k.min_crowd ? h('span', { class: 'badge' }, t('minCrowdBadge', { k: k.min_crowd })) : null),
            h('td', { class: 'muted' }, created(k.created_at)),
            h('td', { class: 'actions' }, revokeButton(`/api/keys/${k.id}`, k.name, () => keys(el))),
          ),
        ),
      ),
    ),
    form(
      [
        field('name', t('name'), { required: true, maxlength: '100' }),
        field('sites', t('limitSites'), { placeholder: 'example.lv' }),
        field('min_crowd', t('keyMinCrowd'), { type: 'number', min: '2', max: '100', inputmode: 'numeric' }),
      ],
      t('createKey'),
      async (d) => {
        const sites = (d.sites ?? '').split(',').map((s) => s.trim()).filter(Boolean)
        const crowd = d.min_crowd ? { public: true, min_crowd: Number(d.min_crowd) } : {}
        const made = await call<{ key: string }>('POST', '/api/keys', { name: d.name, sites, ...crowd })
        await keys(el)
        el.prepend(once(t('keys'), made.key))
      },
    ),
  )
}

function revokeButton(path: string, name: string, reload: () => Promise<void>): HTMLElement {
  return h(
    'button',
    {
      type: 'button',
      class: 'link danger',
      onclick: async () => {
        if (confirm(t('confirmRevoke', { name }))) await call('DELETE', path).then(reload, (e: unknown) => alert(message(e)))
      },
    },
    t('revoke'),
  )
}

async function shares(el: HTMLElement): Promise<void> {
  const [list, siteList] = await Promise.all([call<ShareRow[]>('GET', '/api/shares'), call<SiteRow[]>('GET', '/api/sites')])
  fill(
    el,
    h('h2', null, t('shares')),
    h(
      'table',
      { class: 'list' },
      h(
        'tbody',
        null,
        list.map((s) =>
          h(
            'tr',
            null,
            h('th', { scope: 'row' }, s.name),
            h('td', null, s.site, s.password ? h('span', { class: 'badge' }, t('withPassword')) : null, h('span', { class: 'badge' }, t('minCrowdBadge', { k: s.min_crowd }))),
            h('td', { class: 'muted' }, created(s.created_at)),
            h('td', { class: 'actions' }, revokeButton(`/api/shares/${s.id}`, s.name, () => shares(el))),
          ),
        ),
      ),
    ),
    form(
      [
        h('label', { class: 'field' }, h('span', null, t('site')), h('select', { name: 'site', required: true }, siteList.map((s) => h('option', { value: s.domain }, s.domain)))),
        field('name', t('name'), { maxlength: '100' }),
        field('password', t('passwordOptional'), { type: 'password', autocomplete: 'new-password' }),
        field('min_crowd', t('shareMinCrowd'), { type: 'number', min: '2', max: '100', value: '5', inputmode: 'numeric' }),
      ],
      t('createShare'),
      async (d) => {
        const body = { site: d.site, name: d.name ?? '', ...(d.password ? { password: d.password } : {}), ...(d.min_crowd ? { min_crowd: Number(d.min_crowd) } : {}) }
        const made = await call<{ path: string }>('POST', '/api/shares', body)
        await shares(el)
        el.prepend(once(t('shares'), `${location.origin}${made.path}`))
      },
    ),
  )
}

async function owners(el: HTMLElement): Promise<void> {
  const list = await call<OwnerRow[]>('GET', '/api/owners')
  fill(
    el,
    h('h2', null, t('owners')),
    h('table', { class: 'list' }, h('tbody', null, list.map((o) => h('tr', null, h('th', { scope: 'row' }, o.email), h('td', { class: 'muted' }, created(o.created_at)))))),
    form([field('email', t('email'), { type: 'email', required: true, autocomplete: 'off' })], t('invite'), async (d) => {
      const made = await call<{ invitation?: { path: string } }>('POST', '/api/owners', { email: d.email })
      await owners(el)
      if (made.invitation) el.prepend(once(t('inviteLink'), `${location.origin}${made.invitation.path}`))
    }),
  )
}

async function account(el: HTMLElement): Promise<void> {
  const done = h('p', { class: 'muted', role: 'status' })
  fill(
    el,
    h('h2', null, t('changePassword')),
    form(
      [
        field('current', t('currentPassword'), { type: 'password', required: true, autocomplete: 'current-password' }),
        field('next', t('newPassword'), { type: 'password', required: true, minlength: '10', autocomplete: 'new-password' }),
      ],
      t('changePassword'),
      async (d) => {
        await call('POST', '/api/password', { current: d.current, next: d.next })
        done.textContent = t('saved')
      },
      'stack',
    ),
    done,
  )
}
