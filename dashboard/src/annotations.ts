/**
 * Annotations on the chart (issue 25): a flag and a line at each note's bucket, its text on
 * hover or focus; on an owner's page a click on a bucket (or the "Add note" button, for the
 * keyboard) opens a small form, and each note can be deleted from its flag. A shared link's page
 * has only the notes marked shared (the server sends no others) and cannot change them.
 */
import { call } from './api.ts'
import type { Annotation } from './boot.ts'
import { h } from './dom.ts'
import { dayLabel } from './format.ts'
import { field, form, message } from './forms.ts'
import { t } from './i18n.ts'
import { bucketStart, type Granularity } from './periods.ts'

/** What the flags and the form work on: the site's notes (kept current here) and whether they can be changed. */
export interface NotesEnv {
  site: string
  notes: Annotation[]
  editable: boolean
  /** the chart draws again, with the notes as they are now */
  changed: () => void
}

const MAX_TEXT = 200
const path = (site: string) => `/api/sites/${encodeURIComponent(site)}/annotations`

/** The notes of each bucket the chart draws, by its label (a day's notes on its first hour). */
export function marksOf(notes: Annotation[], labels: string[], g: Granularity): Map<string, Annotation[]> {
  const drawn = new Set(labels)
  const marks = new Map<string, Annotation[]>()
  for (const note of notes) {
    const label = g === 'hour' ? `${note.date} 00:00:00` : bucketStart(note.date, g)
    if (drawn.has(label)) marks.set(label, [...(marks.get(label) ?? []), note])
  }
  return marks
}

/**
 * The flags over the plot, placed at `x` of their bucket. Called at every redraw: the layer is
 * made once and only moved after, so a focused flag keeps its focus when the chart is resized.
 */
export function drawMarks(over: HTMLElement, x: (label: string) => number | undefined, marks: Map<string, Annotation[]>, env: NotesEnv): void {
  let layer = over.querySelector<HTMLElement>(':scope > .marks')
  if (!layer) {
    layer = h('div', { class: 'marks' }, [...marks].map(([label, notes], i) => markOf(label, notes, i, env)))
    over.append(layer)
  }
  const width = over.clientWidth
  for (const mark of layer.querySelectorAll<HTMLElement>('.mark')) {
    const at = x(mark.dataset.bucket!)
    mark.hidden = at === undefined
    if (at === undefined) continue
    mark.style.left = `${at}px`
    mark.classList.toggle('right', at > width / 2)
  }
}

function markOf(label: string, notes: Annotation[], i: number, env: NotesEnv): HTMLElement {
  const id = `note-pop-${i}`
  const summary = notes.map((n) => `${dayLabel(n.date)}: ${n.text}`).join('; ')
  return h(
    'div',
    { class: 'mark', 'data-bucket': label, 'data-notes': notes.map((n) => n.id).join(' ') },
    h('button', { type: 'button', class: 'flag', 'aria-label': t('noteFlag', { notes: summary }), 'aria-describedby': id }, h('span', { 'aria-hidden': 'true' }, '⚑')),
    h(
      'div',
      { class: 'note-pop', id },
      notes.map((n) =>
        h(
          'p',
          { class: 'note', 'data-note': n.id },
          h('b', null, dayLabel(n.date)),
          ' ',
          n.text,
          env.editable && n.shared ? h('span', { class: 'badge' }, t('noteSharedBadge')) : null,
          env.editable ? h('button', { type: 'button', class: 'link note-delete', 'aria-label': t('noteDelete', { text: n.text }), onclick: () => void remove(n, env) }, t('remove')) : null,
        ),
      ),
    ),
  )
}

async function remove(note: Annotation, env: NotesEnv): Promise<void> {
  if (!confirm(t('noteConfirmDelete', { text: note.text }))) return
  try {
    await call('DELETE', `${path(env.site)}/${note.id}`)
    const i = env.notes.findIndex((n) => n.id === note.id)
    if (i >= 0) env.notes.splice(i, 1)
    env.changed()
  } catch (err) {
    alert(message(err))
  }
}

/** The small form that adds a note on `day`; Esc or Cancel closes it, focus goes back where it was. */
export function openNoteForm(day: string, today: string, env: NotesEnv): void {
  document.querySelector('dialog.note-form')?.remove()
  const back = document.activeElement as HTMLElement | null
  const text = h('textarea', { name: 'text', id: 'note-text', maxlength: String(MAX_TEXT), required: true, rows: '3' })
  const dialog = h(
    'dialog',
    { class: 'note-form card', 'aria-labelledby': 'note-form-title' },
    h('h2', { id: 'note-form-title' }, t('addNote')),
    form(
      [
        field('date', t('noteDate'), { type: 'date', id: 'note-date', value: day, max: today, required: true }),
        h('label', { class: 'field' }, h('span', null, t('noteText', { n: MAX_TEXT })), text),
        h('label', { class: 'field check' }, h('input', { type: 'checkbox', name: 'shared', id: 'note-shared' }), h('span', null, t('noteShared'))),
      ],
      t('save'),
      async (d) => {
        const note = await call<Annotation>('POST', path(env.site), { date: d.date, text: d.text, shared: d.shared === 'on' })
        env.notes.push(note)
        env.notes.sort((a, b) => a.date.localeCompare(b.date) || a.id - b.id)
        dialog.close()
        env.changed()
      },
      'stack',
    ),
    h('form', { method: 'dialog' }, h('button', { type: 'submit', class: 'link' }, t('cancel'))),
  ) as HTMLDialogElement
  dialog.addEventListener('close', () => {
    dialog.remove()
    if (back?.isConnected) back.focus()
  })
  document.body.append(dialog)
  dialog.showModal()
  text.focus()
}
