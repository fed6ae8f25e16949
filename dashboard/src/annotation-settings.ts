import { call } from './api.ts'
import type { Annotation } from './boot.ts'
import { fill, h } from './dom.ts'
import { field, form, message } from './forms.ts'
import { dayLabel } from './format.ts'
import { t } from './i18n.ts'

/**
 * A site's notes in the settings (issue 25, annotations): the list by day, whether each shows
 * on shared links (a checkbox, saved at once), deleting one, and adding one for any day.
 */
export async function annotationsEditor(domain: string, today: string): Promise<HTMLElement> {
  const root = h('div', { class: 'annotations-editor', id: `annotations-${domain}` })
  await draw(root, domain, today)
  return root
}

async function draw(root: HTMLElement, domain: string, today: string): Promise<void> {
  const path = `/api/sites/${encodeURIComponent(domain)}/annotations`
  const { annotations } = await call<{ annotations: Annotation[] }>('GET', path)
  const reload = () => draw(root, domain, today)
  fill(
    root,
    h('h3', null, t('notesOf', { site: domain })),
    h('p', { class: 'muted' }, t('notesHelp')),
    annotations.length ? h('ul', { class: 'goal-list note-list' }, annotations.map((a) => item(a, path, reload))) : h('p', { class: 'muted' }, t('notesNone')),
    form(
      [
        field('date', t('noteDate'), { type: 'date', value: today, max: today, required: true }),
        field('text', t('noteText', { n: 200 }), { maxlength: '200', required: true, autocomplete: 'off' }),
        h('label', { class: 'field check' }, h('input', { type: 'checkbox', name: 'shared' }), h('span', null, t('noteShared'))),
      ],
      t('addNote'),
      async (d) => {
        await call('POST', path, { date: d.date, text: d.text, shared: d.shared === 'on' })
        await reload()
      },
    ),
  )
}

function item(a: Annotation, path: string, reload: () => Promise<void>): HTMLElement {
  return h(
    'li',
    { 'data-note': a.id },
    h('span', null, h('b', null, dayLabel(a.date)), ' ', a.text),
    h(
      'label',
      { class: 'field check' },
      h('input', {
        type: 'checkbox',
        checked: a.shared,
        onchange: (e: Event) => void call('PATCH', `${path}/${a.id}`, { shared: (e.target as HTMLInputElement).checked }).catch((err: unknown) => alert(message(err))),
      }),
      h('span', null, t('noteSharedBadge')),
    ),
    h('button', { type: 'button', class: 'link danger', 'aria-label': t('noteDelete', { text: a.text }), onclick: () => void call('DELETE', `${path}/${a.id}`).then(reload, (err: unknown) => alert(message(err))) }, t('remove')),
  )
}
