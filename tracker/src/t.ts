// Skaits browser tracker. Every byte ships to every visitor, so this file trades a little
// elegance for size: one closure, short locals, bare globals, no classes, no polyfills.
// It writes no cookie or storage of any kind, and reads one key only: localStorage.skaits_ignore,
// which Skaits's /opt-out page sets on the owner's own devices (see tracker/README.md).
// The automatic goals exist only in the t.goals.js build: tracker/build.ts defines these
// flags, and for t.js the minifier drops every branch they guard, so t.js carries none of
// their code.
declare const GOAL_FORMS: boolean
declare const GOAL_404: boolean
declare const GOAL_TAGGED: boolean

type Props = Record<string, unknown>
declare global {
  interface Window {
    skaits?: Skaits
  }
}
// `revenue` goes out as is (the server validates it); `interactive: false` keeps the event
// out of bounce rate, as in Plausible.
type Options = { props?: Props; revenue?: Revenue; interactive?: boolean; callback?: () => void }
type Revenue = { amount: number | string; currency: string }
export type Skaits = ((name: string, options?: Options) => void) & { allow: () => void; q?: ArrayLike<unknown>[] }

const d = document
const n = navigator as Navigator & { globalPrivacyControl?: boolean }
const l = location
const h = history
const script = d.currentScript as HTMLScriptElement
const ds = script.dataset
const api: string | URL = ds.api || new URL('/api/event', script.src)
// `h: 1` is only sent in hash mode; undefined keys vanish from JSON.stringify.
const hash = 'hash' in ds ? 1 : undefined
// Globs to one regex: `**` any depth, `*` within a segment, everything else literal.
const excluded = RegExp(
  '^(' +
    (ds.exclude || '')
      .replace(/[^\w*/, ]/g, '\\$&')
      .replace(/\*\*?/g, (m) => (m[1] ? '.*' : '[^/]*'))
      .replace(/ *, */g, '|') +
    ')$',
)
const downloads =
  'downloads' in ds &&
  RegExp('\\.(' + (ds.downloads || 'pdf,zip,rar,7z,gz,dmg,exe,msi,apk,docx?,xlsx?,pptx?,csv,txt,mp[34]').replace(/ *, */g, '|') + ')$', 'i')
// The owner's own devices: Skaits's /opt-out page sets localStorage.skaits_ignore there; this is
// the one key the tracker reads, and it writes none. Storage that is off throws: off stays unset.
let off: unknown
try {
  off =
    // protocol + hostname, e.g. "https:example.lv"; an empty hostname is also a local page.
    /^file|:(localhost|\[::1\]|)$|:127\./.test(l.protocol + l.hostname) ||
    (n.webdriver && !('automation' in ds)) ||
    n.globalPrivacyControl ||
    localStorage.skaits_ignore
} catch {}
// Consent mode keeps bodies in this array (memory only) until skaits.allow().
let held: string[] | 0 | false = 'requireConsent' in ds && []

// Page state: the key of the current page and its URL; whether it sends nothing (opted out
// or excluded; set before the first pageview so its engage() call is silent); engaged ms
// not yet reported, when the current engaged stretch began (0 = not engaged), the deepest
// scroll so far and the depth last reported. The numbers start undefined to save bytes:
// pageview() zeroes them before anything reads them.
let page: string
let pageUrl: string
let skip: unknown = 1
let engaged: number
let since: number
let depth: number
let sentDepth: number

// Without hash routing the fragment is dropped: it can carry tokens and is not a page.
const href = () => l.href.replace(hash ? '' : /#.*/, '')

const post = (body: string) => {
  n.sendBeacon?.(api, body) || fetch(api, { method: 'POST', body, keepalive: true }).catch(() => 0)
}

// `extra` adds keys or overrides `u`: { p } for props, { u, e, sd } for engagement.
const send = (name: string, extra?: object) => {
  if (skip) return
  const body = JSON.stringify({ n: name, u: href(), d: ds.domain, r: d.referrer || null, w: innerWidth, h: hash, ...extra })
  held ? held.push(body) : post(body)
}

const scrolled = () => {
  const v = Math.min(100, (((scrollY + innerHeight) * 100) / d.documentElement.scrollHeight + 0.5) | 0)
  if (v > depth) depth = v
}

const tick = () => {
  const now = Date.now()
  if (since) engaged += now - since
  since = !d.hidden && d.hasFocus() ? now : 0
}

const engage = () => {
  tick()
  scrolled()
  if (engaged || depth != sentDepth) {
    send('engagement', { u: pageUrl, e: engaged, sd: depth })
    engaged = 0
    sentDepth = depth
  }
}

const pageview = () => {
  const key = l.pathname + (hash ? l.hash : '')
  if (key != page) {
    engage()
    page = key
    pageUrl = href()
    engaged = depth = sentDepth = 0
    ;(skip = off || excluded.test(l.pathname)) || send('pageview')
  }
}

const skaits = ((name: string, o: Options = {}) => {
  send(name, { p: o.props, $: o.revenue, i: o.interactive === false ? false : undefined })
  o.callback?.()
}) as Skaits
skaits.allow = () => {
  held && held.forEach(post)
  held = 0
}

const queue = window.skaits?.q
window.skaits = skaits
pageview()
if (GOAL_404 && '404' in ds) send('404', { p: { path: l.pathname } })
queue?.forEach((args) => skaits(...(args as Parameters<Skaits>)))

for (const k of ['pushState', 'replaceState'] as const) {
  const f = h[k]
  h[k] = (...a: Parameters<History['pushState']>) => {
    f.apply(h, a)
    pageview()
  }
}
addEventListener('popstate', pageview)
if (hash) addEventListener('hashchange', pageview)
addEventListener('scroll', scrolled)
// Leaving: the page's time stops here. (Its visibilitychange to hidden comes after pagehide,
// and would otherwise send a second engagement of a millisecond.)
addEventListener('pagehide', () => {
  engage()
  since = 0
})
for (const k of ['focus', 'blur', 'visibilitychange']) addEventListener(k, () => (d.hidden ? engage() : tick()))

// The goal a tagged element, or its parent up to 3 levels, names in its classes (Plausible's
// syntax, with `skaits-` as well as `plausible-`): `skaits-event-name=Signup`, other
// `skaits-event-<key>=<value>` as props, `skaits-revenue-<key>=<value>` as revenue; `--` may
// stand for `=` (the first one ends the key), `+` for a space. The walk up from a click stops
// at a form: a form's goal counts on submit, not on every click inside it.
const goal = (el: Element | null, form?: Element | null): [string, { p: Props; $?: Props }] | undefined => {
  for (let i = 4; el && el != form && i--; el = el.parentElement) {
    let $: Props | undefined
    const p: Props = {}
    for (const c of el.classList) {
      const m = /^(skaits|plausible)-(event|revenue)-(.+?)(=|--)(.+)/.exec(c)
      if (m) (m[2] == 'event' ? p : ($ ||= {}))[m[3]!] = m[5]!.replace(/\+/g, ' ')
    }
    const { name, ...props } = p
    if (name) return [name as string, { p: props, $ }]
  }
}

for (const k of ['click', 'auxclick'])
  d.addEventListener(k, (e) => {
    const a = (e.target as Element).closest('a')
    if (GOAL_TAGGED && 'tagged' in ds && (e as MouseEvent).button < 2) {
      const g = goal(e.target as Element, (e.target as Element).closest('form'))
      // A tagged link sends only its own event, with the link's url cut as for outbound links.
      if (g) return a && (g[1].p.url = a.origin + a.pathname), send(...g)
    }
    const name =
      a &&
      (e as MouseEvent).button < 2 &&
      (downloads && downloads.test(a.pathname)
        ? 'File Download'
        : 'outbound' in ds && a.host && a.host != l.host && 'Outbound Link: Click')
    // Origin + path: a link's query string, fragment or user:pass@ can hold a token or an address.
    name && send(name, { p: { url: a.origin + a.pathname } })
  })

// Capture phase: a page's own submit handler may stop the event or submit by script. The
// browser fires submit for an invalid form only when validation is off for this submission
// (formnovalidate, a synthetic event); that counts only where the form itself says novalidate.
if (GOAL_FORMS || GOAL_TAGGED)
  d.addEventListener(
    'submit',
    (e) => {
      const f = e.target as HTMLFormElement
      const g = GOAL_TAGGED && 'tagged' in ds && goal(f)
      if (f.noValidate || f.checkValidity())
        g ? send(...g) : GOAL_FORMS && 'forms' in ds && send('Form: Submission', { p: { path: l.pathname } })
    },
    true,
  )
