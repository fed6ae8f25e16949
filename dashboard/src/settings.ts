import { call } from './api.ts'
import type { Boot, Lang } from './boot.ts'
import { langSwitch, rememberLang } from './dashboard.ts'
import { h, fill } from './dom.ts'
import { copyable, snippetOf } from './copy.ts'
import { dayLabel } from './format.ts'
import { field, form, message } from './forms.ts'
import { funnelsEditor } from './funnel-settings.ts'
import { goalsEditor } from './goal-settings.ts'
import { alertsEditor } from './alert-settings.ts'
import { reportsEditor } from './report-settings.ts'
import { importsEditor } from './import-settings.ts'
// issue 25, exclusions part
import { exclusionsEditor, filteredView } from './exclusion-settings.ts'
// Annotations (issue 25, annotations and comparison modes)
import { annotationsEditor } from './annotation-settings.ts'
import { setLang, t, type Key } from './i18n.ts'
import { twoFactorSection } from './two-factor.ts'
import type { Role } from '../../server/vocabulary/roles.ts'

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
  /** whether the link shows the site's goals */
  goals: boolean
  created_at: string
}
/** A dashboard user as `GET /api/owners` lists them (server/admin/service.ts view.owner). */
interface OwnerRow {
  id: string
  email: string
  role: Role
  /** an admin's or a viewer's sites */
  sites: string[]
  created_at: string
}

const TABS = ['sites', 'keys', 'shares', 'owners', 'account'] as const
type Tab = (typeof TABS)[number]
/** roles: what an admin's settings show (their sites' settings and links); users and keys are the owners' */
const ADMIN_TABS: readonly Tab[] = ['sites', 'shares', 'account']
const ROLE_NAMES = ['owner', 'admin', 'viewer'] as const satisfies readonly Role[]

const created = (iso: string) => dayLabel(iso.slice(0, 10))

/** Settings for owners: sites (and their section rules), API keys, shared links, owners, password. */
export function mountSettings(root: HTMLElement, boot: Boot): void {
  const q = new URLSearchParams(location.search)
  const owner = boot.role === undefined || boot.role === 'owner'
  const tabs = owner ? TABS : ADMIN_TABS
  let tab: Tab = (tabs as readonly string[]).includes(q.get('tab') ?? '') ? (q.get('tab') as Tab) : 'sites'
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
          tabs.map((x) =>
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
              t(x === 'owners' ? 'users' : (x as Key)),
            ),
          ),
        ),
        body,
        h('p', { class: 'muted' }, t('loggedInAs', { email: boot.email ?? '' })),
      ),
    )
    const context = { timezone: boot.timezone, mailConfigured: boot.mail?.configured ?? false, owner, today: boot.today }
    const panes: Record<Tab, (el: HTMLElement) => Promise<void>> = { sites: (el) => sites(el, context), keys, shares, owners, account }
    panes[tab](body).catch((err: unknown) => body.append(h('p', { class: 'refused' }, message(err))))
  }
  render()
}

/** A secret shown once, put first in `el`: focused and selected as it appears, ready to copy. */
function showOnce(el: HTMLElement, label: string, secret: string): void {
  const [box, controls] = copyable(secret, 'copyByHand')
  el.prepend(h('div', { class: 'once' }, h('p', null, label), box, controls, h('p', { class: 'muted' }, t('shownOnce'))))
  box.focus()
}


/** A site's dashboard, in the language the settings are shown in. */
const dashboardOf = (domain: string) => {
  const lang = new URLSearchParams(location.search).get('lang')
  return `/?${new URLSearchParams({ site: domain, ...(lang ? { lang } : {}) })}`
}

/** A site just added: its snippet at once, ready to copy, and the way to its dashboard. */
function addedSite(domain: string): HTMLElement {
  const [box, controls] = copyable(snippetOf(domain), 'copyFailed')
  return h(
    'div',
    { class: 'once added', id: 'added-site' },
    h('p', null, h('strong', null, t('siteAdded', { site: domain })), ' ', t('snippet', { site: domain })),
    box,
    controls,
    h('p', { class: 'muted' }, t('addedNext'), ' ', h('a', { href: dashboardOf(domain) }, t('openDashboard', { site: domain }))),
  )
}

/** What a site's sections need from the page's boot data. */
interface SiteContext {
  timezone: string
  /** whether the server can e-mail reports (SMTP_URL set) */
  mailConfigured: boolean
  /** roles: only an owner adds, renames and removes sites */
  owner: boolean
  /** the server's day: the last a note can mark (issue 25, annotations) */
  today: string
}

/** A site's sections that a link can open (`?goals=example.lv`, `?reports=example.lv`, …). */
const OPENABLE = ['goals', 'funnels', 'reports', 'alerts', 'imports', 'exclusions', 'filtered', 'annotations'] as const
type Openable = (typeof OPENABLE)[number]

async function sites(el: HTMLElement, context: SiteContext, added?: string): Promise<void> {
  const list = await call<SiteRow[]>('GET', '/api/sites')
  const reload = () => sites(el, context)
  const q = new URLSearchParams(location.search)
  const opened = (domain: string) => OPENABLE.find((what) => q.get(what) === domain)
  fill(
    el,
    h('h2', null, t('sites')),
    added ? addedSite(added) : null,
    h(
      'table',
      { class: 'list' },
      h('tbody', null, list.map((s) => siteRow(s, reload, context, opened(s.domain)))),
    ),
    context.owner
      ? form([field('domain', t('domain'), { required: true, placeholder: 'example.lv', autocomplete: 'off' })], t('addSite'), async (d) => {
          const made = await call<SiteRow>('POST', '/api/sites', { domain: d.domain })
          await sites(el, context, made.domain)
          el.querySelector<HTMLElement>('#added-site code')?.focus()
        })
      : null,
  )
}

function siteRow(s: SiteRow, reload: () => Promise<void>, context: SiteContext, open?: Openable): HTMLElement[] {
  const { timezone } = context
  const snippet = snippetOf(s.domain)
  const extra = h('tr', { class: 'more', hidden: true }, h('td', { colspan: '3' }))
  const toggle = async (what: 'snippet' | 'rules' | Openable) => {
    const cell = extra.firstElementChild as HTMLElement
    extra.hidden = !extra.hidden && cell.dataset.what === what
    cell.dataset.what = what
    if (extra.hidden) return
    const failed = (err: unknown) => h('p', { class: 'refused' }, message(err))
    if (what === 'snippet') fill(cell, h('p', null, t('snippet', { site: s.domain })), copyable(snippet, 'copyFailed'))
    else if (what === 'rules') fill(cell, await rulesEditor(s.domain))
    else if (what === 'goals') fill(cell, await goalsEditor(s.domain, timezone).catch(failed))
    else if (what === 'funnels') fill(cell, await funnelsEditor(s.domain, timezone).catch(failed))
    else if (what === 'reports') fill(cell, await reportsEditor(s.domain, context.mailConfigured).catch(failed))
    else if (what === 'imports') fill(cell, await importsEditor(s.domain, timezone).catch(failed))
    // issue 25, exclusions part
    else if (what === 'exclusions') fill(cell, await exclusionsEditor(s.domain).catch(failed))
    else if (what === 'filtered') fill(cell, await filteredView(s.domain).catch(failed))
    // Annotations (issue 25, annotations and comparison modes)
    else if (what === 'annotations') fill(cell, await annotationsEditor(s.domain, context.today).catch(failed))
    else fill(cell, await alertsEditor(s.domain).catch(failed))
  }
  if (open) void toggle(open)
  return [
    h(
      'tr',
      null,
      h('th', { scope: 'row' }, h('a', { href: dashboardOf(s.domain), title: t('openDashboard', { site: s.domain }) }, s.domain)),
      h('td', { class: 'muted' }, `${t('created')} ${created(s.created_at)}`),
      h(
        'td',
        { class: 'actions' },
        h('button', { type: 'button', class: 'link', onclick: () => void toggle('snippet') }, t('tracker')),
        h('button', { type: 'button', class: 'link', onclick: () => void toggle('rules') }, t('sectionRules')),
        h('button', { type: 'button', class: 'link goals-button', onclick: () => void toggle('goals') }, t('goals')),
        h('button', { type: 'button', class: 'link funnels-button', onclick: () => void toggle('funnels') }, t('funnels')),
        h('button', { type: 'button', class: 'link reports-button', onclick: () => void toggle('reports') }, t('reports')),
        h('button', { type: 'button', class: 'link alerts-button', onclick: () => void toggle('alerts') }, t('alerts')),
        h('button', { type: 'button', class: 'link imports-button', onclick: () => void toggle('imports') }, t('imports')),
        // issue 25, exclusions part
        h('button', { type: 'button', class: 'link exclusions-button', onclick: () => void toggle('exclusions') }, t('exclusions')),
        h('button', { type: 'button', class: 'link filtered-button', onclick: () => void toggle('filtered') }, t('filtered')),
        // Annotations (issue 25, annotations and comparison modes)
        h('button', { type: 'button', class: 'link annotations-button', onclick: () => void toggle('annotations') }, t('notes')),
        context.owner ? ownerActions(s, reload) : null,
      ),
    ),
    extra,
  ]
}

/** Renaming and removing a site: an owner's. */
function ownerActions(s: SiteRow, reload: () => Promise<void>): HTMLElement[] {
  return [
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
  ]
}

/** A site's relabel of history after its section rules changed (GET /api/sites/:domain/sections/relabel). */
interface RelabelStatus {
  state: 'running' | 'done' | 'failed'
  done: number
  total: number
  since: string
  error: string | null
}
interface SectionsAnswer {
  rules: { match: string; section: string }[]
  relabel: RelabelStatus | null
  /** what saving now would do: per-section visitors known from `since`; about `seconds` to relabel */
  next: { since: string; seconds: number | null }
}

const RELABEL_POLL_MS = 1000
/** "about 20 s", "about 3 min" */
const duration = (s: number) => (s < 90 ? `${Math.max(1, Math.round(s))} s` : `${Math.round(s / 60)} min`)

/**
 * A site's section rules. Saving relabels the history in the background: the editor says
 * first what that does and how long it takes and asks to confirm, then shows its progress,
 * with Save disabled until it has ended (the server refuses a second save meanwhile).
 */
async function rulesEditor(domain: string): Promise<HTMLElement> {
  const path = `/api/sites/${encodeURIComponent(domain)}/sections`
  const current = await call<SectionsAnswer>('GET', path)
  const text = h('textarea', { name: 'rules', rows: '5', 'aria-label': t('sectionRules') })
  text.value = current.rules.map((r) => `${r.match} = ${r.section}`).join('\n')
  const done = h('span', { class: 'muted', role: 'status' })
  const relabel = h('div', { class: 'relabel', hidden: true })
  const show = (...nodes: HTMLElement[]) => {
    fill(relabel, ...nodes)
    relabel.hidden = nodes.length === 0
  }
  const editor = form([text], t('save'), async (d) => {
    const rules = (d.rules ?? '')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .map((l) => {
        const i = l.lastIndexOf('=')
        return { match: l.slice(0, i).trim(), section: l.slice(i + 1).trim() }
      })
    done.textContent = ''
    // Asked again: the first new day and the time it takes change as the history grows.
    const { next, relabel: status } = await call<SectionsAnswer>('GET', path)
    if (status?.state === 'running') return follow(status)
    show(
      h('p', { class: 'relabel-warning' }, t('relabelWarning', { day: dayLabel(next.since), time: duration(next.seconds ?? 1) })),
      h(
        'p',
        { class: 'relabel-actions' },
        h('button', { type: 'button', onclick: () => void save(rules) }, t('relabelConfirm')),
        h('button', { type: 'button', class: 'link', onclick: () => show() }, t('relabelCancel')),
      ),
    )
  }, 'stack')
  const saveButton = editor.querySelector<HTMLButtonElement>('button[type=submit]')!

  const save = async (rules: { match: string; section: string }[]) => {
    try {
      const answer = await call<{ relabel: RelabelStatus }>('PUT', path, { rules })
      done.textContent = t('saved')
      follow(answer.relabel)
    } catch (err) {
      const busy = (err as { status?: number }).status === 409
      show(h('p', { class: 'refused', role: 'alert' }, busy ? t('relabelBusy') : message(err)))
      if (busy) setTimeout(poll, RELABEL_POLL_MS)
    }
  }
  const poll = async () => {
    if (!relabel.isConnected) return
    try {
      follow((await call<{ relabel: RelabelStatus | null }>('GET', `${path}/relabel`)).relabel)
    } catch {
      setTimeout(poll, RELABEL_POLL_MS)
    }
  }
  const retry = async () => {
    try {
      follow((await call<{ relabel: RelabelStatus }>('POST', `${path}/relabel`)).relabel)
    } catch (err) {
      show(h('p', { class: 'refused', role: 'alert' }, message(err)))
    }
  }
  const follow = (status: RelabelStatus | null): void => {
    saveButton.disabled = status?.state === 'running'
    show(...(status ? relabelView(status, retry) : []))
    if (status?.state === 'running') setTimeout(poll, RELABEL_POLL_MS)
  }
  if (current.relabel?.state !== 'done') follow(current.relabel)
  return h('div', null, h('p', { class: 'muted' }, t('sectionRulesHelp')), editor, done, relabel)
}

/** A relabel as it stands: its progress, its end, or its failure with a button to run it again. */
function relabelView(status: RelabelStatus, retry: () => Promise<void>): HTMLElement[] {
  if (status.state === 'running') {
    return [
      h('p', { role: 'status' }, t('relabelRunning', { done: status.done, total: status.total || '…' })),
      h('progress', { max: String(Math.max(1, status.total)), value: status.done, 'aria-label': t('relabelProgress') }),
    ]
  }
  if (status.state === 'done') return [h('p', { class: 'muted', role: 'status' }, t('relabelDone', { day: dayLabel(status.since) }))]
  return [
    h('p', { class: 'refused', role: 'alert' }, t('relabelFailed', { error: status.error ?? '' })),
    h('p', null, h('button', { type: 'button', onclick: () => void retry() }, t('relabelRetry'))),
  ]
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
        showOnce(el, t('keys'), made.key)
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
            h(
              'td',
              null,
              s.site,
              s.password ? h('span', { class: 'badge' }, t('withPassword')) : null,
              h('span', { class: 'badge' }, t('minCrowdBadge', { k: s.min_crowd })),
              s.goals ? h('span', { class: 'badge' }, t('shareGoalsBadge')) : null,
            ),
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
        h('label', { class: 'field check' }, h('input', { type: 'checkbox', name: 'goals' }), h('span', null, t('shareGoals'))),
      ],
      t('createShare'),
      async (d) => {
        const body = {
          site: d.site,
          name: d.name ?? '',
          ...(d.password ? { password: d.password } : {}),
          ...(d.min_crowd ? { min_crowd: Number(d.min_crowd) } : {}),
          goals: d.goals === 'on',
        }
        const made = await call<{ path: string }>('POST', '/api/shares', body)
        await shares(el)
        showOnce(el, t('shares'), `${location.origin}${made.path}`)
      },
    ),
  )
}

/** Users: their roles and sites, invitations with a role, a role changed in place. */
async function owners(el: HTMLElement): Promise<void> {
  const [list, siteList] = await Promise.all([call<OwnerRow[]>('GET', '/api/owners'), call<SiteRow[]>('GET', '/api/sites')])
  const domains = siteList.map((s) => s.domain)
  const reload = () => owners(el)
  fill(
    el,
    h('h2', null, t('users')),
    h('p', { class: 'muted' }, t('rolesHelp')),
    h('table', { class: 'list users' }, h('tbody', null, list.map((o) => userRow(o, domains, reload)))),
    roleForm(domains, [field('email', t('email'), { type: 'email', required: true, autocomplete: 'off' })], { role: 'owner', sites: [] }, t('invite'), async (d, grant) => {
      const made = await call<{ invitation?: { path: string } }>('POST', '/api/owners', { email: d.email, ...grant })
      await reload()
      if (made.invitation) showOnce(el, t('inviteLink'), `${location.origin}${made.invitation.path}`)
    }),
  )
}

function userRow(o: OwnerRow, domains: string[], reload: () => Promise<void>): HTMLElement[] {
  const extra = h('tr', { class: 'more', hidden: true }, h('td', { colspan: '4' }))
  const button = h('button', { type: 'button', class: 'link', 'aria-expanded': 'false', onclick: () => edit() }, t('edit'))
  const edit = () => {
    extra.hidden = !extra.hidden
    button.setAttribute('aria-expanded', String(!extra.hidden))
    if (extra.hidden) return
    fill(
      extra.firstElementChild as HTMLElement,
      roleForm(domains, [], o, t('save'), async (_, grant) => {
        await call('PATCH', `/api/owners/${encodeURIComponent(o.id)}`, grant)
        await reload()
      }),
    )
  }
  return [
    h(
      'tr',
      null,
      h('th', { scope: 'row' }, o.email),
      h('td', null, h('span', { class: 'badge role' }, t(`role_${o.role}`)), ' ', o.role === 'owner' ? t('allSites') : o.sites.join(', ')),
      h('td', { class: 'muted' }, created(o.created_at)),
      h('td', { class: 'actions' }, button, ' ', removeUser(o, reload)),
    ),
    extra,
  ]
}

/** Removes a user once confirmed: their sessions end; the last owner is refused by the server, said here. */
function removeUser(o: OwnerRow, reload: () => Promise<void>): HTMLElement {
  return h(
    'button',
    {
      type: 'button',
      class: 'link danger',
      'aria-label': t('removeUserLabel', { email: o.email }),
      onclick: async () => {
        if (!confirm(t('confirmRemoveUser', { email: o.email }))) return
        await call('DELETE', `/api/owners/${encodeURIComponent(o.id)}`).then(reload, (e: unknown) => alert(message(e)))
      },
    },
    t('removeUser'),
  )
}

/** A form that names a role and, for an admin or a viewer, the sites (checkboxes) it is granted. */
function roleForm(
  domains: string[],
  fields: HTMLElement[],
  current: { role: Role; sites: string[] },
  button: string,
  work: (data: Record<string, string>, grant: { role: Role; sites: string[] }) => Promise<void>,
): HTMLFormElement {
  const role = h('select', { name: 'role' }, ROLE_NAMES.map((r) => h('option', { value: r, selected: r === current.role }, t(`role_${r}`))))
  const sites = h(
    'fieldset',
    { class: 'role-sites', hidden: current.role === 'owner' },
    h('legend', null, t('roleSites')),
    domains.map((d) => h('label', { class: 'field check' }, h('input', { type: 'checkbox', name: 'sites', value: d, checked: current.sites.includes(d) }), h('span', null, d))),
  )
  role.addEventListener('change', () => (sites.hidden = role.value === 'owner'))
  const f = form([...fields, h('label', { class: 'field' }, h('span', null, t('role')), role), sites], button, (d) => {
    const chosen = role.value as Role
    const granted = chosen === 'owner' ? [] : [...f.querySelectorAll<HTMLInputElement>('input[name=sites]:checked')].map((i) => i.value)
    return work(d, { role: chosen, sites: granted })
  }, 'stack')
  return f
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
  // issue 25, two-factor login (wt-t)
  const twoFactor = h('section', { class: 'account-two-factor' })
  el.append(twoFactor)
  await twoFactorSection(twoFactor)
}
