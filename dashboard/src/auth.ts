import { call } from './api.ts'
import type { Boot } from './boot.ts'
import { langSwitch } from './dashboard.ts'
import { h } from './dom.ts'

/**
 * Setup, login and unlock pages: the server renders working forms (no script needed); with
 * the script they post JSON and show the server's message in place instead of leaving the page.
 */
export function mountAuth(root: HTMLElement, _boot: Boot): void {
  const main = root.querySelector('main') ?? root
  main.prepend(
    langSwitch((l) => {
      const q = new URLSearchParams(location.search)
      q.set('lang', l)
      location.search = q.toString()
    }),
  )
  const form = root.querySelector('form')
  if (!form) return
  const error = h('p', { class: 'refused', role: 'alert', hidden: true })
  form.append(error)
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    error.hidden = true
    const data = Object.fromEntries([...new FormData(form)].map(([k, v]) => [k, String(v)]))
    const button = form.querySelector('button')
    if (button) button.disabled = true
    try {
      await call('POST', form.getAttribute('action')!, data)
      location.reload()
    } catch (err) {
      error.textContent = err instanceof Error ? err.message : String(err)
      error.hidden = false
      if (button) button.disabled = false
    }
  })
}
