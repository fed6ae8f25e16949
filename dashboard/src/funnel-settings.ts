import { FUNNEL_BREAKDOWNS, MAX_FUNNEL_DIMENSIONS, MAX_FUNNEL_STEPS } from '../../server/vocabulary/dimensions.ts'
import { call, type FunnelStep } from './api.ts'
import { fill, h } from './dom.ts'
import { dayLabel } from './format.ts'
import { field, form, message } from './forms.ts'
import type { GoalRow } from './goal-settings.ts'
import { dimLabel, t } from './i18n.ts'
import { dayIn } from './periods.ts'

/**
 * A funnel as `GET /api/sites/:domain/funnels` lists it (server/sites/funnels-route.ts
 * funnelView; test/dashboard/funnels.test.ts checks it is the same shape).
 */
export interface FunnelRow {
  id: number
  name: string
  steps: FunnelStep[]
  dimensions: string[]
  since: string
  /** a kept series of a changed funnel: counted until then */
  until: string | null
}

/** A step as the funnels API takes it: a goal is resolved to what it counts when the funnel is saved. */
type StepInput = FunnelStep | { goal: string }

interface Deps {
  path: string
  timezone: string
  /** the site's goals counted now: a step may be one of them */
  goals: GoalRow[]
  reload(): Promise<void>
}

/**
 * A site's funnels for its owner: the list (kept series of changed funnels marked), adding,
 * renaming, changing steps or breakdowns (asking whether the counts so far are kept) and deleting.
 */
export async function funnelsEditor(domain: string, timezone: string): Promise<HTMLElement> {
  const root = h('div', { class: 'goals-editor funnels-editor', id: `funnels-${domain}` })
  await drawFunnels(root, domain, timezone)
  return root
}

async function drawFunnels(root: HTMLElement, domain: string, timezone: string): Promise<void> {
  const site = `/api/sites/${encodeURIComponent(domain)}`
  const path = `${site}/funnels`
  const [{ funnels, max }, { goals }] = await Promise.all([call<{ funnels: FunnelRow[]; max: number }>('GET', path), call<{ goals: GoalRow[] }>('GET', `${site}/goals`)])
  const deps: Deps = { path, timezone, goals: goals.filter((g) => g.until === null), reload: () => drawFunnels(root, domain, timezone) }
  fill(
    root,
    h('h3', null, t('funnelsOf', { site: domain })),
    h('p', { class: 'funnel-count' }, t('funnelsCount', { n: funnels.filter((f) => f.until === null).length, max })),
    h('p', { class: 'muted' }, t('funnelsHelp')),
    funnels.length ? h('ul', { class: 'goal-list funnel-list' }, funnels.map((f) => funnelItem(f, deps))) : h('p', { class: 'muted' }, t('funnelsNone')),
    addForm(deps),
  )
}

const stepText = (s: FunnelStep) => ('page' in s ? s.page : s.event)
const stepKind = (s: FunnelStep) => t('page' in s ? 'goalPage' : 'goalEvent')

function funnelItem(f: FunnelRow, deps: Deps): HTMLElement {
  const day = (iso: string) => dayLabel(dayIn(iso, deps.timezone))
  const kept = f.until !== null
  const slot = h('div', { class: 'goal-edit' })
  const open = (yes: boolean) => {
    editButton.setAttribute('aria-expanded', String(yes))
    if (!yes) return fill(slot)
    fill(slot, editForm(f, deps, () => open(false)))
    slot.querySelector<HTMLInputElement>('input[name=name]')?.focus()
  }
  const editButton = h('button', { type: 'button', class: 'link', 'aria-expanded': 'false', onclick: () => open(!slot.firstChild) }, t('edit'))
  const remove = async () => {
    if (!confirm(t('confirmFunnelDelete', { name: f.name }))) return
    await call('DELETE', `${deps.path}/${f.id}`).then(deps.reload, (e: unknown) => alert(message(e)))
  }
  return h(
    'li',
    { 'data-funnel': f.name },
    h('div', { class: 'goal-head' }, h('strong', null, f.name), kept ? h('span', { class: 'badge kept' }, t('keptSeries', { day: day(f.until!) })) : null),
    h('ol', { class: 'funnel-def' }, f.steps.map((s) => h('li', null, `${stepKind(s)}: `, h('code', null, stepText(s))))),
    h(
      'div',
      { class: 'muted goal-def' },
      f.dimensions.length ? `${t('funnelDimsShown', { dims: f.dimensions.map(dimLabel).join(', ') })} · ` : '',
      h('span', { class: 'since' }, t('countedSince', { day: day(f.since) })),
    ),
    // A kept series is history: it can be deleted, not changed (the server says so too).
    h('div', { class: 'actions' }, kept ? null : editButton, h('button', { type: 'button', class: 'link danger', onclick: () => void remove() }, t('remove'))),
    slot,
  )
}

/** The steps of a funnel, 2 to 8 rows: each a page pattern, an event name or one of the site's goals. */
function stepsField(deps: Deps, initial: FunnelStep[] = [{ page: '' }, { page: '' }]): { el: HTMLElement; read(): StepInput[] } {
  const list = h('ol', { class: 'funnel-steps' })
  const add = h('button', { type: 'button', class: 'link add-step', onclick: () => (addRow({ page: '' }), list.lastElementChild?.querySelector('input')?.focus()) }, t('addStep'))
  const rows: { el: HTMLElement; read(): StepInput }[] = []
  const renumber = () => {
    rows.forEach((r, i) => {
      const n = i + 1
      r.el.querySelector('select.step-type')!.setAttribute('aria-label', t('stepKindOf', { n }))
      const remove = r.el.querySelector<HTMLButtonElement>('button.remove-step')!
      remove.setAttribute('aria-label', t('removeStep', { n }))
      remove.title = t('removeStep', { n })
      remove.disabled = rows.length <= 2
      r.el.dispatchEvent(new Event('renumber'))
    })
    add.disabled = rows.length >= MAX_FUNNEL_STEPS
  }
  const addRow = (step: StepInput) => {
    const row = stepRow(deps, step, () => {
      rows.splice(rows.indexOf(row), 1)
      row.el.remove()
      renumber()
      list.querySelector<HTMLElement>('li:last-child select')?.focus()
    })
    rows.push(row)
    list.append(row.el)
    renumber()
  }
  initial.forEach(addRow)
  return {
    el: h('fieldset', { class: 'funnel-steps-field' }, h('legend', null, t('funnelSteps', { max: MAX_FUNNEL_STEPS })), list, add),
    read: () => rows.map((r) => r.read()),
  }
}

function stepRow(deps: Deps, initial: StepInput, remove: () => void): { el: HTMLElement; read(): StepInput } {
  const kindOf = (s: StepInput) => ('goal' in s ? 'goal' : 'event' in s ? 'event' : 'page')
  const kind = h(
    'select',
    { class: 'step-type' },
    h('option', { value: 'page' }, t('stepKindPage')),
    h('option', { value: 'event' }, t('stepKindEvent')),
    deps.goals.length ? h('option', { value: 'goal' }, t('stepKindGoal')) : null,
  )
  kind.value = kindOf(initial)
  const text = h('input', { class: 'step-text', required: true, maxlength: '300', autocomplete: 'off', value: 'goal' in initial ? '' : stepText(initial) })
  const goal = h('select', { class: 'step-goal' }, deps.goals.map((g) => h('option', { value: g.name }, g.name)))
  if ('goal' in initial) goal.value = initial.goal
  const el = h('li', { class: 'funnel-step-row' }, kind, text, goal, h('button', { type: 'button', class: 'link remove-step', onclick: remove }, '×'))
  const follow = () => {
    const k = kind.value
    text.hidden = k === 'goal'
    text.required = k !== 'goal'
    goal.hidden = k !== 'goal'
    text.placeholder = k === 'page' ? '/pricing' : 'Signup'
    const n = [...(el.parentElement?.children ?? [])].indexOf(el) + 1
    text.setAttribute('aria-label', t(k === 'page' ? 'stepPageOf' : 'stepEventOf', { n }))
    goal.setAttribute('aria-label', t('stepGoalOf', { n }))
  }
  kind.addEventListener('change', follow)
  el.addEventListener('renumber', follow)
  follow()
  return {
    el,
    read: () => (kind.value === 'goal' ? { goal: goal.value } : kind.value === 'event' ? { event: text.value.trim() } : { page: text.value.trim() }),
  }
}

/**
 * The breakdowns a funnel's steps are also counted by, at most three of the allowed dimensions.
 * Those chosen before keep their order: the same breakdowns in another order would be a new series.
 */
function dimensionsField(initial: string[] = []): { el: HTMLElement; read(): string[] } {
  const boxes = FUNNEL_BREAKDOWNS.map((d) => h('input', { type: 'checkbox', value: d, checked: initial.includes(d) }))
  const limit = () => {
    const full = boxes.filter((b) => b.checked).length >= MAX_FUNNEL_DIMENSIONS
    for (const b of boxes) b.disabled = full && !b.checked
  }
  boxes.forEach((b) => b.addEventListener('change', limit))
  limit()
  return {
    el: h(
      'fieldset',
      { class: 'funnel-dims' },
      h('legend', null, t('funnelDims', { max: MAX_FUNNEL_DIMENSIONS })),
      h('div', { class: 'funnel-dim-list' }, boxes.map((b) => h('label', { class: 'choice' }, b, ` ${dimLabel(b.value)}`))),
    ),
    read: () => {
      const chosen = boxes.filter((b) => b.checked).map((b) => b.value)
      return [...initial.filter((d) => chosen.includes(d)), ...chosen.filter((d) => !initial.includes(d))]
    },
  }
}

function addForm(deps: Deps): HTMLElement {
  const steps = stepsField(deps)
  const dims = dimensionsField()
  const f = form([field('name', t('name'), { required: true, maxlength: '120', autocomplete: 'off' }), steps.el, dims.el], t('addFunnel'), async (d) => {
    await call('POST', deps.path, { name: d.name, steps: steps.read(), dimensions: dims.read() })
    await deps.reload()
  })
  f.classList.add('goal-add', 'funnel-add')
  return h('div', null, h('h4', null, t('addFunnel')), f)
}

/** What a step counts, a goal resolved as the server resolves it (server/goals/funnels.ts resolveSteps). */
function resolved(s: StepInput, goals: GoalRow[]): FunnelStep | undefined {
  if (!('goal' in s)) return s
  const g = goals.find((x) => x.name === s.goal)
  return g ? (g.event_name !== null ? { event: g.event_name } : { page: g.page_path ?? '' }) : undefined
}

const sameSeries = (f: FunnelRow, steps: StepInput[], dimensions: string[], goals: GoalRow[]) =>
  JSON.stringify(steps.map((s) => resolved(s, goals))) === JSON.stringify(f.steps) && JSON.stringify(dimensions) === JSON.stringify(f.dimensions)

/**
 * Renames a funnel, or gives it new steps or breakdowns: that starts a new series, so the form
 * asks (as soon as they differ) whether the counts so far are kept under a dated name or deleted.
 */
function editForm(f: FunnelRow, deps: Deps, close: () => void): HTMLFormElement {
  const steps = stepsField(deps, f.steps)
  const dims = dimensionsField(f.dimensions)
  const radio = (value: string, label: string, checked: boolean) => h('label', { class: 'choice' }, h('input', { type: 'radio', name: 'keep', value, checked }), ` ${label}`)
  const history = h('fieldset', { class: 'goal-history', hidden: true }, h('legend', null, t('funnelRedefine')), radio('keep', t('goalKeep'), true), radio('drop', t('goalDrop'), false))
  const unchanged = () => sameSeries(f, steps.read(), dims.read(), deps.goals)
  const form_ = form([field('name', t('name'), { required: true, maxlength: '120', autocomplete: 'off', value: f.name }), steps.el, dims.el, history], t('save'), async (d) => {
    const body = { name: d.name, steps: steps.read(), dimensions: dims.read(), ...(unchanged() ? {} : { keep_history: d.keep !== 'drop' }) }
    await call('PUT', `${deps.path}/${f.id}`, body)
    await deps.reload()
  })
  form_.classList.add('goal-edit-form', 'funnel-edit-form')
  const changed = () => (history.hidden = unchanged())
  form_.addEventListener('input', changed)
  form_.addEventListener('change', changed)
  form_.addEventListener('click', () => queueMicrotask(changed)) // a step added or removed
  form_.querySelector('button[type=submit]')!.after(h('button', { type: 'button', class: 'link', onclick: close }, t('cancel')))
  return form_
}
