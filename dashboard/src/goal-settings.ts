import { call } from './api.ts'
import { fill, h } from './dom.ts'
import { dayLabel } from './format.ts'
import { field, form, message } from './forms.ts'
import { getLang, t } from './i18n.ts'
import { dayIn } from './periods.ts'

/** A goal as `GET /api/sites/:domain/goals` lists it (server/sites/goals-route.ts goalView). */
export interface GoalRow {
  id: number
  name: string
  goal_type: 'event' | 'page'
  event_name: string | null
  page_path: string | null
  currency: string | null
  since: string
  /** a kept series of a changed goal: counted until then */
  until: string | null
}

/** What a goal counts, as the goals API takes it. */
interface Definition {
  event?: string
  page?: string
  currency?: string
}

/** Offered as the currency is typed; any ISO 4217 code the server knows is taken. */
const CURRENCIES = ['EUR', 'USD', 'GBP', 'SEK', 'NOK', 'DKK', 'PLN', 'CHF', 'CZK', 'JPY', 'CAD', 'AUD']

/**
 * A site's goals for its owner: the list (kept series of changed goals marked), adding, renaming,
 * changing what a goal counts (asking whether its counts so far are kept) and deleting.
 */
export async function goalsEditor(domain: string, timezone: string): Promise<HTMLElement> {
  const root = h('div', { class: 'goals-editor', id: `goals-${domain}` })
  await drawGoals(root, domain, timezone)
  return root
}

async function drawGoals(root: HTMLElement, domain: string, timezone: string): Promise<void> {
  const path = `/api/sites/${encodeURIComponent(domain)}/goals`
  const { goals, max } = await call<{ goals: GoalRow[]; max: number }>('GET', path)
  const reload = () => drawGoals(root, domain, timezone)
  const list = `currencies-${domain}`
  const currencyNames = new Intl.DisplayNames([getLang()], { type: 'currency' })
  fill(
    root,
    h('h3', null, t('goalsOf', { site: domain })),
    h('p', { class: 'goal-count' }, t('goalsCount', { n: goals.filter((g) => g.until === null).length, max })),
    h('p', { class: 'muted' }, t('goalsHelp')),
    goals.length ? h('ul', { class: 'goal-list' }, goals.map((g) => goalItem(g, { path, timezone, list, reload }))) : h('p', { class: 'muted' }, t('goalsNone')),
    h('datalist', { id: list }, CURRENCIES.map((c) => h('option', { value: c, label: currencyNames.of(c) }))),
    addForm(path, list, reload),
  )
}

interface ItemDeps {
  path: string
  timezone: string
  /** the id of the currencies' datalist */
  list: string
  reload(): Promise<void>
}

function goalItem(g: GoalRow, deps: ItemDeps): HTMLElement {
  const day = (iso: string) => dayLabel(dayIn(iso, deps.timezone))
  const kept = g.until !== null
  const slot = h('div', { class: 'goal-edit' })
  const open = (yes: boolean) => {
    editButton.setAttribute('aria-expanded', String(yes))
    if (!yes) return fill(slot)
    fill(slot, editForm(g, deps, () => open(false)))
    slot.querySelector<HTMLInputElement>('input[name=name]')?.focus()
  }
  const editButton = h('button', { type: 'button', class: 'link', 'aria-expanded': 'false', onclick: () => open(!slot.firstChild) }, t('edit'))
  const remove = async () => {
    if (!confirm(t('confirmGoalDelete', { name: g.name }))) return
    await call('DELETE', `${deps.path}/${g.id}`).then(deps.reload, (e: unknown) => alert(message(e)))
  }
  return h(
    'li',
    { 'data-goal': g.name },
    h(
      'div',
      { class: 'goal-head' },
      h('strong', null, g.name),
      g.currency ? h('span', { class: 'badge' }, g.currency) : null,
      kept ? h('span', { class: 'badge kept' }, t('keptSeries', { day: day(g.until!) })) : null,
    ),
    h(
      'div',
      { class: 'muted goal-def' },
      `${t(g.goal_type === 'event' ? 'goalEvent' : 'goalPage')}: `,
      h('code', null, g.event_name ?? g.page_path ?? ''),
      h('span', { class: 'since' }, ` · ${t('countedSince', { day: day(g.since) })}`),
    ),
    h(
      'div',
      { class: 'actions' },
      // A kept series is history: it can be deleted, not changed (the server says so too).
      kept ? null : editButton,
      h('button', { type: 'button', class: 'link danger', onclick: () => void remove() }, t('remove')),
    ),
    slot,
  )
}

/** The fields of a goal's definition: what it counts (an event, or a page pattern), its name, its currency. */
function definitionFields(list: string, initial?: GoalRow): { fields: HTMLElement[]; read(data: Record<string, string>): Definition & { name?: string } } {
  const type = h(
    'select',
    { name: 'type' },
    h('option', { value: 'event', selected: initial?.goal_type !== 'page' }, t('goalKindEvent')),
    h('option', { value: 'page', selected: initial?.goal_type === 'page' }, t('goalKindPage')),
  )
  const definitionLabel = h('span')
  const definition = h('input', { name: 'definition', required: true, maxlength: '300', autocomplete: 'off', value: initial?.event_name ?? initial?.page_path ?? '' })
  const currency = field('currency', t('goalCurrency'), {
    list,
    value: initial?.currency ?? '',
    maxlength: '3',
    size: '6',
    pattern: '[A-Za-z]{3}',
    autocomplete: 'off',
    autocapitalize: 'characters',
    placeholder: 'EUR',
  })
  const follow = () => {
    const page = type.value === 'page'
    definitionLabel.textContent = t(page ? 'goalPagePath' : 'goalEventName')
    definition.placeholder = page ? '/order/*/done' : 'Signup'
    currency.hidden = page
  }
  type.addEventListener('change', follow)
  follow()
  return {
    fields: [
      h('label', { class: 'field' }, h('span', null, t('goalCounts')), type),
      h('label', { class: 'field definition' }, definitionLabel, definition),
      field('name', t('goalName'), { maxlength: '120', value: initial?.name ?? '', autocomplete: 'off' }),
      currency,
    ],
    read: (d) => {
      const what = (d.definition ?? '').trim()
      const name = (d.name ?? '').trim()
      const code = (d.currency ?? '').trim().toUpperCase()
      return d.type === 'page' ? { page: what, ...(name ? { name } : {}) } : { event: what, ...(code ? { currency: code } : {}), ...(name ? { name } : {}) }
    },
  }
}

function addForm(path: string, list: string, reload: () => Promise<void>): HTMLElement {
  const { fields, read } = definitionFields(list)
  const f = form(fields, t('addGoal'), async (d) => {
    await call('PUT', path, read(d))
    await reload()
  })
  f.classList.add('goal-add')
  return h('div', null, h('h4', null, t('addGoal')), f)
}

const sameDefinition = (g: GoalRow, d: Definition) =>
  (d.event ?? null) === g.event_name && (d.page ?? null) === g.page_path && (d.currency ?? null) === g.currency

/**
 * Renames a goal, or changes what it counts: that starts a new series, so the form asks (as soon
 * as the definition differs) whether the counts so far are kept under a dated name or deleted.
 */
function editForm(g: GoalRow, deps: ItemDeps, close: () => void): HTMLFormElement {
  const { fields, read } = definitionFields(deps.list, g)
  const radio = (value: string, label: string, checked: boolean) =>
    h('label', { class: 'choice' }, h('input', { type: 'radio', name: 'keep', value, checked }), ` ${label}`)
  const history = h(
    'fieldset',
    { class: 'goal-history', hidden: true },
    h('legend', null, t('goalRedefine')),
    radio('keep', t('goalKeep'), true),
    radio('drop', t('goalDrop'), false),
  )
  const f = form([...fields, history], t('save'), async (d) => {
    const definition = read(d)
    const body = { ...definition, name: definition.name ?? g.name, ...(sameDefinition(g, definition) ? {} : { keep_history: d.keep !== 'drop' }) }
    await call('PUT', `${deps.path}/${g.id}`, body)
    await deps.reload()
  })
  f.classList.add('goal-edit-form')
  const changed = () => {
    const data = Object.fromEntries([...new FormData(f)].map(([k, v]) => [k, String(v)]))
    history.hidden = sameDefinition(g, read(data))
  }
  f.addEventListener('input', changed)
  f.addEventListener('change', changed)
  f.querySelector('button[type=submit]')!.after(h('button', { type: 'button', class: 'link', onclick: close }, t('cancel')))
  return f
}
