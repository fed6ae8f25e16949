import { Hono } from 'hono'
import type { Lang } from '../../dashboard/src/boot.ts'
import { textIn, type Key } from '../../dashboard/src/i18n.ts'
import type { AuthEnv } from '../auth/principal.ts'
import { pickLang } from '../dashboard/route.ts'
import { esc, plainPage } from '../dashboard/shell.ts'

/**
 * The key the tracker reads before it sends anything (tracker/src/t.ts): set, the browser is not
 * counted. Written only here, by the owner's click, on the owner's own devices (docs/design.md,
 * privacy contract rule 1); a visitor who never opens this page has nothing written.
 */
export const IGNORE_KEY = 'skaits_ignore'

/** Sets or clears the key on a click, and says which holds; the texts come in the page's data-* attributes. */
const SCRIPT = `(() => {
  const state = document.getElementById('opt-out-state')
  const show = () => {
    let on = false
    try { on = !!localStorage.${IGNORE_KEY} } catch {}
    state.textContent = on ? state.dataset.ignored : state.dataset.counted
  }
  const set = (on) => () => {
    try { on ? (localStorage.${IGNORE_KEY} = 'true') : localStorage.removeItem('${IGNORE_KEY}') } catch {
      state.textContent = state.dataset.blocked
      return
    }
    show()
  }
  document.getElementById('opt-out-ignore').addEventListener('click', set(true))
  document.getElementById('opt-out-count').addEventListener('click', set(false))
  for (const b of document.querySelectorAll('#opt-out button')) b.hidden = false
  show()
})()
`

/** A bookmark that sets the key on the page it is clicked on: a site served from another address. */
const bookmarklet = (done: string) => `javascript:void(localStorage.${IGNORE_KEY}='true',alert(${esc(JSON.stringify(done))}))`

/**
 * `GET /opt-out`: the page an owner opens on each of their own devices so that their visits are
 * not counted. Its button writes the key for the address the page is served from (a site whose
 * Skaits is proxied under the site's own address); for a site on another address the bookmark
 * does the same on the site's pages. Open to anyone: the only thing it can do is leave the
 * browser it runs in out of the counts.
 */
export function optOutRoute() {
  const app = new Hono<AuthEnv>()
  app.get('/opt-out.js', (c) => c.body(SCRIPT, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'public, max-age=3600' }))
  app.get('/opt-out', (c) => {
    const lang = pickLang(c)
    const say = (key: Key) => esc(textIn(lang, key))
    const other: Lang = lang === 'lv' ? 'en' : 'lv'
    const body = `<p>${say('optOutIntro')}</p>
<div id="opt-out"><p id="opt-out-state" role="status" data-ignored="${say('optOutIgnored')}" data-counted="${say('optOutCounted')}" data-blocked="${say('optOutBlocked')}">${say('optOutNoScript')}</p>
<p><button type="button" id="opt-out-ignore" hidden>${say('optOutIgnore')}</button> <button type="button" id="opt-out-count" hidden>${say('optOutCount')}</button></p></div>
<p>${say('optOutOtherAddress')}</p>
<p><a id="opt-out-bookmark" href="${bookmarklet(textIn(lang, 'optOutBookmarkDone'))}">${say('optOutBookmark')}</a></p>
<p class="muted">${say('optOutConsole')} <code>localStorage.${IGNORE_KEY} = "true"</code></p>
<p><a href="/opt-out?lang=${other}" lang="${other}" hreflang="${other}">${other === 'lv' ? 'Latviski' : 'In English'}</a></p>
<script src="/opt-out.js"></script>`
    c.header('Cache-Control', 'no-cache')
    return c.html(plainPage(lang, textIn(lang, 'optOutTitle'), body))
  })
  return app
}
