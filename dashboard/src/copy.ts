import { h } from './dom.ts'
import { t, type Key } from './i18n.ts'

/** The tracker's script tag for a site, as its pages carry it. */
export const snippetOf = (domain: string): string => `<script defer data-domain="${domain}" src="${location.origin}/t.js"></script>`

/**
 * Text in a box, selected whenever it has focus, and a Copy button that says whether it
 * copied; when nothing copies, `failed` says so and the text is left selected for the hand.
 */
export function copyable(text: string, failed: Key): [HTMLElement, HTMLElement] {
  const box = h('code', { class: 'secret', tabindex: '0', onfocus: (e: FocusEvent) => selectAll(e.currentTarget as Node) }, text)
  const said = h('span', { role: 'status' })
  const button = h(
    'button',
    {
      type: 'button',
      class: 'link',
      onclick: async () => {
        const copied = await copy(box, text)
        said.className = copied ? 'muted' : 'refused'
        said.textContent = t(copied ? 'copied' : failed)
      },
    },
    t('copy'),
  )
  return [box, h('div', { class: 'copy' }, button, said)]
}

const selectAll = (node: Node) => getSelection()?.selectAllChildren(node)

/**
 * The Clipboard API, or else the older copy of the selection: a page served over plain HTTP
 * from anywhere but localhost is not a secure context and has no `navigator.clipboard`.
 */
async function copy(box: HTMLElement, text: string): Promise<boolean> {
  selectAll(box)
  try {
    if (navigator.clipboard) {
      await navigator.clipboard.writeText(text)
      return true
    }
  } catch {
    // Refused (a permission, a page without focus): the older way may still work.
  }
  selectAll(box)
  try {
    return document.execCommand('copy')
  } catch {
    return false
  }
}
