import { h } from './dom.ts'

/** What went wrong, as the page says it (an ApiError is already in the page's language). */
export const message = (err: unknown): string => (err instanceof Error ? err.message : String(err))

/** A form whose submit runs `work`, showing its error (the server's message) beside it. */
export function form(fields: HTMLElement[], button: string, work: (data: Record<string, string>) => Promise<void>, cls = 'inline'): HTMLFormElement {
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

export const field = (name: string, label: string, attrs: Record<string, unknown> = {}) =>
  h('label', { class: 'field' }, h('span', null, label), h('input', { name, ...attrs }))
