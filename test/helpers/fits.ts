// What does not fit a narrow window (a phone): anything reaching past its edges, any word
// broken across lines. Shared by the phone test and the tests of single views.
import type { Page } from 'playwright-core'
import { expect } from 'vitest'

interface Faults {
  innerWidth: number
  scrollWidth: number
  /** the outermost elements reaching past the right (or left) edge of the window */
  overflowing: string[]
  /** words (split at spaces and punctuation) drawn on more than one line */
  brokenWords: string[]
}

/**
 * What does not fit the window. A string, not a function: the page runs it as it is, with no
 * helpers a compiler may have added.
 */
const FAULTS = `(() => {
  const vw = window.innerWidth
  const describe = (el) => {
    const r = el.getBoundingClientRect()
    const cls = typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\\s+/).join('.') : ''
    return el.tagName.toLowerCase() + cls + (el.id ? '#' + el.id : '') + ' [' + Math.round(r.left) + '–' + Math.round(r.right) + '] "' + (el.textContent || '').trim().slice(0, 40) + '"'
  }
  const clipped = (el) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== 'visible') {
        const r = a.getBoundingClientRect()
        if (r.right <= vw + 0.5 && r.left >= -0.5) return true
      }
    }
    return false
  }
  const sticksOut = (el) => {
    const r = el.getBoundingClientRect()
    return r.width > 0 && (r.right > vw + 0.5 || r.left < -0.5) && !clipped(el)
  }
  const all = [...document.body.querySelectorAll('*')].filter((el) => el.getClientRects().length > 0)
  const overflowing = all.filter((el) => sticksOut(el) && !(el.parentElement && sticksOut(el.parentElement))).map(describe)
  const brokenWords = []
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT)
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement
    if (!parent || parent.closest('code, input, textarea, select, option, script, style, [hidden]')) continue
    if (parent.getClientRects().length === 0) continue
    const re = /[^\\s\\u00ad\\-–—\\/.,:;@?=&()“”"]+/g
    for (let m = re.exec(node.data); m; m = re.exec(node.data)) {
      if (m[0].length < 2) continue
      // The word's first and last letters on different lines: it broke inside.
      const line = (at) => {
        const range = document.createRange()
        range.setStart(node, at)
        range.setEnd(node, at + 1)
        const rects = [...range.getClientRects()].filter((r) => r.width > 0)
        return rects.length ? Math.round(rects[rects.length - 1].bottom) : undefined
      }
      const first = line(m.index)
      const last = line(m.index + m[0].length - 1)
      if (first !== undefined && last !== undefined && first !== last) brokenWords.push(m[0] + ' in ' + describe(parent))
    }
  }
  return { innerWidth: vw, scrollWidth: document.documentElement.scrollWidth, overflowing: overflowing.slice(0, 8), brokenWords: brokenWords.slice(0, 8) }
})()`

/** Asserts the page fits a window `width` wide, naming what does not; a screenshot to `screenshot` either way. */
export async function expectFitsWidth(page: Page, screenshot: string, name: string, width: number): Promise<void> {
  await page.screenshot({ path: screenshot, fullPage: true })
  const f = (await page.evaluate(FAULTS)) as Faults
  expect(f.innerWidth, name).toBe(width)
  expect({ page: name, scrollWidth: f.scrollWidth, overflowing: f.overflowing }).toEqual({ page: name, scrollWidth: Math.min(f.scrollWidth, width), overflowing: [] })
  expect({ page: name, brokenWords: f.brokenWords }).toEqual({ page: name, brokenWords: [] })
}
