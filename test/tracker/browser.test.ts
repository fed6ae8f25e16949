// The tracker in real Chromium against a capture server: exact payloads, SPA navigation,
// engaged time, scroll depth, custom events, clicks, opt-out signals, consent mode, the
// automatic goals of t.goals.js, and proof that nothing is stored in the browser.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { launchChromium } from '../helpers/chromium.ts'
import { CHROME_UA } from '../helpers/skaits.ts'
import { queueStub, startCapture, startSite, trackerPage, type Capture, type Captured, type Site, type TrackerPageOptions } from '../helpers/pages.ts'
import { buildTracker, GOALS } from '../../tracker/build.ts'

const viewport = { width: 1000, height: 700 }
let browser: Browser
let capture: Capture
let site: Site

type Session = { context: BrowserContext; page: Page; problems: string[]; apiRequests: string[]; done: boolean }
const sessions: Session[] = []

beforeAll(async () => {
  const [plain, goals] = await Promise.all([buildTracker({ write: false }), buildTracker({ write: false, goals: GOALS })])
  const scripts = { 't.js': plain.code, 't.goals.js': goals.code }
  ;[capture, site, browser] = await Promise.all([startCapture(scripts), startSite(), launchChromium()])
})

afterAll(async () => {
  await browser?.close()
  await Promise.all([capture?.close(), site?.close()])
})

beforeEach(() => capture.clear())

afterEach(async () => {
  for (const s of sessions.splice(0)) if (!s.done) await finish(s)
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Serves a tracker page at `path` (on site.test) and opens it in a fresh browser context. */
async function open(
  path: string,
  options: Omit<TrackerPageOptions, 'statsOrigin'> = {},
  { init, referer, origin }: { init?: () => void; referer?: string; origin?: string } = {},
): Promise<Session> {
  if (path) site.page(path.replace(/[?#].*/, ''), trackerPage({ statsOrigin: capture.origin, ...options }))
  const context = await browser.newContext({ viewport, userAgent: CHROME_UA })
  const page = await context.newPage()
  const session: Session = { context, page, problems: [], apiRequests: [], done: false }
  sessions.push(session)
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') session.problems.push(`${m.type()}: ${m.text()}`)
  })
  page.on('pageerror', (e) => session.problems.push(String(e)))
  page.on('request', (r) => {
    if (r.url().includes('/api/event')) session.apiRequests.push(r.url())
  })
  if (init) await page.addInitScript(init)
  await page.goto((origin ?? site.origin) + path, referer ? { referer } : {})
  await page.waitForFunction(() => typeof (window as { skaits?: { allow?: unknown } }).skaits?.allow === 'function')
  return session
}

/** Asserts the browser holds nothing and the page logged nothing, then closes the context. */
async function finish(s: Session) {
  s.done = true
  expect(await s.context.cookies()).toEqual([])
  expect(
    await s.page.evaluate(async () => ({
      local: localStorage.length,
      session: sessionStorage.length,
      idb: (await indexedDB.databases()).length,
      cookie: document.cookie,
    })),
  ).toEqual({ local: 0, session: 0, idb: 0, cookie: '' })
  expect(s.problems).toEqual([])
  await s.context.close()
}

/** Events whose page URL is under `prefix` on the site. */
const under = (prefix: string, n?: string) => (e: Captured) =>
  String(e.u).startsWith(site.origin + prefix) && (n === undefined || e.n === n)

const pageview = (path: string, extra: object = {}) => ({
  n: 'pageview',
  u: site.origin + path,
  d: 'site.test',
  r: null,
  w: viewport.width,
  ...extra,
})

/** Stubs what headless Chromium cannot do for real: hiding a tab and losing focus. */
async function setVisibility(page: Page, visible: boolean, focused = visible) {
  await page.evaluate(
    ([visible, focused]) => {
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => !visible })
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (visible ? 'visible' : 'hidden') })
      document.hasFocus = () => focused!
      window.dispatchEvent(new Event(focused ? 'focus' : 'blur'))
      document.dispatchEvent(new Event('visibilitychange', { bubbles: true }))
    },
    [visible, focused],
  )
}

describe('pageviews', () => {
  it('sends a pageview on load with u, d, r, w as text/plain', async () => {
    await open('/load/', { attrs: { automation: true } }, { referer: 'http://ref.test/from?q=1' })
    const [got] = await capture.waitFor(1, under('/load/'))
    // The tracker sends document.referrer as is; the server keeps only its host.
    expect(got).toEqual(pageview('/load/', { r: 'http://ref.test/from?q=1' }))
    expect(capture.contentTypes[0]).toBe('text/plain;charset=UTF-8')
  })

  it('sends a pageview per SPA navigation (pushState, popstate), none for replaceState to the same path', async () => {
    const { page } = await open('/spa/', { attrs: { automation: true } })
    await capture.waitFor(1, under('/spa/', 'pageview'))
    await page.evaluate(() => history.pushState({}, '', '/spa/a?x=1#top'))
    await capture.waitFor(2, under('/spa/', 'pageview'))
    await page.evaluate(() => history.pushState({}, '', '/spa/b'))
    await capture.waitFor(3, under('/spa/', 'pageview'))
    await page.evaluate(() => history.back())
    await capture.waitFor(4, under('/spa/', 'pageview'))
    await page.evaluate(() => {
      history.replaceState({ s: 1 }, '', location.pathname + '?changed=1')
      location.hash = '#not-a-page'
      history.pushState({}, '', location.pathname)
    })
    await sleep(400)
    expect(capture.events.filter(under('/spa/', 'pageview'))).toEqual([
      pageview('/spa/'),
      pageview('/spa/a?x=1'),
      pageview('/spa/b'),
      pageview('/spa/a?x=1'),
    ])
    await page.evaluate(() => history.replaceState({}, '', '/spa/c'))
    const views = await capture.waitFor(5, under('/spa/', 'pageview'))
    expect(views[4]).toEqual(pageview('/spa/c'))
    // Each SPA pageview is preceded by the engagement of the page it leaves.
    const order = capture.events.filter(under('/spa/')).map((e) => `${e.n} ${String(e.u).slice(site.origin.length)}`)
    expect(order).toEqual([
      'pageview /spa/',
      'engagement /spa/',
      'pageview /spa/a?x=1',
      'engagement /spa/a?x=1',
      'pageview /spa/b',
      'engagement /spa/b',
      'pageview /spa/a?x=1',
      'engagement /spa/a?x=1',
      'pageview /spa/c',
    ])
  })

  it('treats hash changes as pages with data-hash and sends h:1', async () => {
    const { page } = await open('/hash/#/home', { attrs: { automation: true, hash: true } })
    await capture.waitFor(1, under('/hash/', 'pageview'))
    await page.evaluate(() => (location.hash = '#/about'))
    await capture.waitFor(2, under('/hash/', 'pageview'))
    await page.evaluate(() => history.back())
    await capture.waitFor(3, under('/hash/', 'pageview'))
    await sleep(300)
    expect(capture.events.filter(under('/hash/', 'pageview'))).toEqual([
      pageview('/hash/#/home', { h: 1 }),
      pageview('/hash/#/about', { h: 1 }),
      pageview('/hash/#/home', { h: 1 }),
    ])
    expect(capture.events.filter(under('/hash/', 'engagement')).every((e) => e.h === 1)).toBe(true)
  })

  it('skips paths matching data-exclude globs, with their engagement', async () => {
    const { page } = await open('/ex/', { attrs: { automation: true, exclude: '/ex/admin/**, /ex/preview/*' } })
    await capture.waitFor(1, under('/ex/'))
    for (const path of ['/ex/admin/', '/ex/admin/users/1', '/ex/preview/x', '/ex/preview/x/y', '/ex/blog']) {
      await page.evaluate((p) => history.pushState({}, '', p), path)
      await sleep(150)
    }
    await capture.waitFor(3, under('/ex/', 'pageview'))
    await sleep(300)
    expect(capture.events.filter(under('/ex/', 'pageview'))).toEqual([
      pageview('/ex/'),
      pageview('/ex/preview/x/y'),
      pageview('/ex/blog'),
    ])
    expect(capture.events.filter(under('/ex/', 'engagement')).map((e) => e.u)).toEqual([
      site.origin + '/ex/',
      site.origin + '/ex/preview/x/y',
    ])
  })

  it('sends nothing on a page loaded at an excluded path, custom events included', async () => {
    const s = await open('/ex2/admin/', { attrs: { automation: true, exclude: '/ex2/admin/**' } })
    await s.page.evaluate(() => (window as unknown as { skaits: (n: string) => void }).skaits('Custom'))
    await finish(s)
    await sleep(400)
    expect(s.apiRequests).toEqual([])
    expect(capture.events.filter(under('/ex2/'))).toEqual([])
  })
})

describe('engagement', () => {
  it('counts only visible and focused time, as deltas, with the cumulative max scroll depth', async () => {
    const { page } = await open('/eng/', { attrs: { automation: true }, height: 5000 })
    const started = Date.now() // the tracker started a few ms earlier, during page load
    await capture.waitFor(1, under('/eng/', 'pageview'))
    await page.evaluate(() => scrollTo(0, 1050)) // bottom at 1750 of 5000 = 35 %
    await sleep(1500)
    let engagedMs = Date.now() - started
    await setVisibility(page, false)
    const [first] = await capture.waitFor(1, under('/eng/', 'engagement'))

    await sleep(1000) // hidden: not counted
    let stretch = Date.now()
    let secondMs = 0
    await setVisibility(page, true)
    await page.evaluate(() => scrollTo(0, 3000)) // bottom at 3700 = 74 %
    await sleep(800)
    secondMs += Date.now() - stretch
    await setVisibility(page, true, false)
    await sleep(1000) // visible but unfocused: not counted
    stretch = Date.now()
    await setVisibility(page, true, true)
    await page.evaluate(() => scrollTo(0, 0)) // the max stays 74 %
    await sleep(700)
    secondMs += Date.now() - stretch
    engagedMs += secondMs
    await setVisibility(page, false)
    const [, second] = await capture.waitFor(2, under('/eng/', 'engagement'))

    const base = { n: 'engagement', u: site.origin + '/eng/', d: 'site.test', r: null, w: viewport.width }
    expect(first).toEqual({ ...base, e: expect.any(Number), sd: 35 })
    expect(second).toEqual({ ...base, e: expect.any(Number), sd: 74 })
    expect(Number.isInteger(first!.e) && Number.isInteger(second!.e)).toBe(true)
    const total = (first!.e as number) + (second!.e as number)
    expect(Math.abs(total - engagedMs)).toBeLessThanOrEqual(engagedMs * 0.2)
    // Neither the hidden second nor the unfocused second leaked in.
    expect(Math.abs((second!.e as number) - secondMs)).toBeLessThanOrEqual(secondMs * 0.2)

    // Nothing new to report: no event on another hide or on pagehide.
    await setVisibility(page, false)
    await page.evaluate(() => dispatchEvent(new PageTransitionEvent('pagehide')))
    await sleep(400)
    expect(capture.events.filter(under('/eng/', 'engagement'))).toHaveLength(2)
  })

  it('sends one engagement when a page is left for another (pagehide, then the hidden page)', async () => {
    const { page } = await open('/leave/', { attrs: { automation: true } })
    await capture.waitFor(1, under('/leave/', 'pageview'))
    await sleep(300)
    site.page('/elsewhere/', '<!doctype html><title>elsewhere</title><p>no tracker here</p>')
    await page.goto(site.origin + '/elsewhere/')
    const [engagement] = await capture.waitFor(1, under('/leave/', 'engagement'))
    expect(engagement!.e as number).toBeGreaterThan(200)
    // The hidden page's visibilitychange after pagehide once sent a second one, with e: 1.
    await sleep(500)
    expect(capture.events.filter(under('/leave/', 'engagement'))).toHaveLength(1)
  })

  it('reports a short page as fully read and sends engagement when the tab closes', async () => {
    const s = await open('/short/', { attrs: { automation: true } })
    await capture.waitFor(1, under('/short/'))
    await sleep(300)
    await finish(s) // closing the context fires pagehide
    const [, engagement] = await capture.waitFor(2, under('/short/'))
    expect(engagement).toMatchObject({ n: 'engagement', sd: 100 })
    expect(engagement!.e as number).toBeGreaterThan(200)
  })
})

describe('custom events and clicks', () => {
  it('sends queued and live custom events with props and runs the callback', async () => {
    const head = `${queueStub}<script>skaits('Queued', { props: { step: 1 } })</script>`
    const { page } = await open('/custom/', { attrs: { automation: true }, head })
    await capture.waitFor(2, under('/custom/'))
    await page.evaluate(
      () =>
        new Promise<void>((resolve) => {
          const w = window as unknown as { skaits: (n: string, o?: object) => void }
          w.skaits('Signup', { props: { plan: 'pro' }, callback: resolve })
          w.skaits('Plain')
        }),
    )
    await capture.waitFor(4, under('/custom/'))
    expect(capture.events.filter(under('/custom/'))).toEqual([
      pageview('/custom/'),
      pageview('/custom/', { n: 'Queued', p: { step: 1 } }),
      pageview('/custom/', { n: 'Signup', p: { plan: 'pro' } }),
      pageview('/custom/', { n: 'Plain' }),
    ])
  })

  it('sends revenue as $, unchanged, and interactive: false as i: false, as Plausible does', async () => {
    const { page } = await open('/revenue/', { attrs: { automation: true } })
    await capture.waitFor(1, under('/revenue/'))
    await page.evaluate(() => {
      const w = window as unknown as { skaits: (n: string, o?: object) => void }
      w.skaits('Purchase', { revenue: { amount: 15.99, currency: 'EUR' } })
      w.skaits('Refund', { revenue: { amount: '-3.5', currency: 'usd' }, props: { order: 'A1' } })
      w.skaits('Autoplay', { interactive: false })
      w.skaits('Play', { interactive: true })
    })
    await capture.waitFor(5, under('/revenue/'))
    await sleep(300)
    // Four requests sent at once arrive in any order: compared by name.
    const byName = (events: Record<string, unknown>[]) => [...events].sort((a, b) => String(a.n).localeCompare(String(b.n)))
    expect(byName(capture.events.filter(under('/revenue/')))).toEqual(byName([
      pageview('/revenue/'),
      pageview('/revenue/', { n: 'Purchase', $: { amount: 15.99, currency: 'EUR' } }),
      // The server validates revenue; the tracker passes on what the page gave.
      pageview('/revenue/', { n: 'Refund', p: { order: 'A1' }, $: { amount: '-3.5', currency: 'usd' } }),
      pageview('/revenue/', { n: 'Autoplay', i: false }),
      // `i` is only ever sent as false: true is the default.
      pageview('/revenue/', { n: 'Play' }),
    ]))
  })

  const links =
    '<a id="out" href="http://other.test/page?x=1">out</a> <a id="local" href="/clicks/next">local</a> ' +
    '<a id="pdf" href="/files/report.pdf">pdf</a> <a id="zip" href="http://cdn.test/a.ZIP"><b>zip</b></a> ' +
    '<a id="txt" href="/files/notes.txt">txt</a> <a id="mail" href="mailto:a@b.test">mail</a>' +
    // Keep the browser on this page: no navigation, nothing contacted.
    '<script>for (const t of ["click","auxclick"]) addEventListener(t, (e) => e.preventDefault())</script>'

  async function clickAll(page: Page) {
    for (const id of ['out', 'local', 'pdf', 'zip', 'txt', 'mail']) await page.click('#' + id)
    await page.click('#out', { button: 'middle' })
    await page.click('#out', { button: 'right' })
  }

  it('counts outbound links and downloads when enabled', async () => {
    const { page } = await open('/clicks/', { attrs: { automation: true, outbound: true, downloads: true }, body: links })
    await capture.waitFor(1, under('/clicks/'))
    await clickAll(page)
    await capture.waitFor(6, under('/clicks/'))
    await sleep(300)
    const ev = (n: string, url: string) => pageview('/clicks/', { n, p: { url } })
    expect(capture.events.filter(under('/clicks/'))).toEqual([
      pageview('/clicks/'),
      ev('Outbound Link: Click', 'http://other.test/page'),
      ev('File Download', site.origin + '/files/report.pdf'),
      ev('File Download', 'http://cdn.test/a.ZIP'),
      ev('File Download', site.origin + '/files/notes.txt'),
      ev('Outbound Link: Click', 'http://other.test/page'),
    ])
  })

  it('sends link URLs without query string, fragment or user:pass@', async () => {
    const tokenLinks =
      '<a id="out" href="https://anna:pw@other.test/in?email=anna@example.org&token=abc#frag">out</a> ' +
      '<a id="pdf" href="/files/report.pdf?token=abc#frag">pdf</a>' +
      '<script>for (const t of ["click","auxclick"]) addEventListener(t, (e) => e.preventDefault())</script>'
    site.page('/clicks4/', trackerPage({ statsOrigin: capture.origin, attrs: { automation: true, outbound: true, downloads: true }, body: tokenLinks }))
    const context = await browser.newContext({ viewport, userAgent: CHROME_UA })
    const page = await context.newPage()
    const bodies: string[] = []
    page.on('request', (r) => {
      if (r.url().includes('/api/event')) bodies.push(r.postData() ?? '')
    })
    await page.goto(site.origin + '/clicks4/')
    await capture.waitFor(1, under('/clicks4/'))
    await page.click('#out')
    await page.click('#pdf')
    await capture.waitFor(3, under('/clicks4/'))
    const clicks = bodies.filter((b) => !b.includes('"pageview"'))
    expect(clicks.map((b) => JSON.parse(b).p)).toEqual([{ url: 'https://other.test/in' }, { url: site.origin + '/files/report.pdf' }])
    for (const b of clicks) expect(b).not.toMatch(/token|frag|anna|pw|[?#]/)
    expect(await context.cookies()).toEqual([])
    await context.close()
  })

  it('uses the data-downloads extension list', async () => {
    const { page } = await open('/clicks2/', { attrs: { automation: true, downloads: 'txt, zip' }, body: links })
    await capture.waitFor(1, under('/clicks2/'))
    await clickAll(page)
    await capture.waitFor(3, under('/clicks2/'))
    await sleep(300)
    expect(capture.events.filter(under('/clicks2/')).map((e) => [e.n, (e.p as { url?: string })?.url])).toEqual([
      ['pageview', undefined],
      ['File Download', 'http://cdn.test/a.ZIP'],
      ['File Download', site.origin + '/files/notes.txt'],
    ])
  })

  it('counts no clicks when not enabled', async () => {
    const { page } = await open('/clicks3/', { attrs: { automation: true }, body: links })
    await capture.waitFor(1, under('/clicks3/'))
    await clickAll(page)
    await sleep(400)
    expect(capture.events.filter(under('/clicks3/'))).toEqual([pageview('/clicks3/')])
  })
})

describe('opt-out, consent and refusals', () => {
  async function expectSilence(s: Session, prefix: string) {
    await s.page.evaluate(() => {
      const w = window as unknown as { skaits: (n: string) => void }
      w.skaits('Custom')
      if (location.protocol != 'file:') history.pushState({}, '', location.pathname + 'next')
    })
    await finish(s) // pagehide would send an engagement
    await sleep(400)
    expect(s.apiRequests).toEqual([])
    expect(capture.events.filter((e) => String(e.u).includes(prefix))).toEqual([])
  }

  it('sends nothing with navigator.globalPrivacyControl', async () => {
    const init = () => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true })
    await expectSilence(await open('/gpc/', { attrs: { automation: true } }, { init }), '/gpc/')
  })

  // issue 25, exclusions part: privacy rule 1 allows the tracker one read of one key, no writes.
  it('reads localStorage.skaits_ignore and nothing else of any storage, and writes none', async () => {
    const init = () => {
      const log: string[] = []
      ;(window as unknown as { storageLog: string[] }).storageLog = log
      const watch = (name: 'localStorage' | 'sessionStorage') => {
        const real = window[name]
        const proxy = new Proxy(real, {
          get: (t, k) => (log.push(`${name} get ${String(k)}`), typeof t[k as never] === 'function' ? (t[k as never] as () => unknown).bind(t) : t[k as never]),
          set: (t, k, v) => (log.push(`${name} set ${String(k)}`), (t[k as never] = v as never), true),
          deleteProperty: (t, k) => (log.push(`${name} delete ${String(k)}`), delete t[k as never]),
        })
        Object.defineProperty(window, name, { get: () => proxy })
      }
      watch('localStorage')
      watch('sessionStorage')
      Object.defineProperty(Document.prototype, 'cookie', { get: () => (log.push('cookie get'), ''), set: () => log.push('cookie set') })
    }
    const s = await open('/storage/', { attrs: { automation: true, outbound: true, downloads: true } }, { init })
    await s.page.evaluate(() => history.pushState(null, '', '/storage/next'))
    await s.page.evaluate(() => window.skaits!('Signup', { props: { plan: 'pro' } }))
    await capture.waitFor(3, under('/storage/'))
    expect(await s.page.evaluate(() => (window as unknown as { storageLog: string[] }).storageLog)).toEqual(['localStorage get skaits_ignore'])
    await finish(s)
  })

  it('sends nothing in a browser whose owner opted out (localStorage.skaits_ignore), and writes nothing', async () => {
    const init = () => {
      if (location.pathname.startsWith('/ignored/')) localStorage.setItem('skaits_ignore', 'true')
    }
    const s = await open('/ignored/', { attrs: { automation: true } }, { init })
    await s.page.evaluate(() => window.skaits!('Signup'))
    await sleep(400)
    expect(s.apiRequests).toEqual([])
    expect(capture.events.filter(under('/ignored/'))).toEqual([])
    // Only the key the test set: the tracker added nothing.
    expect(await s.page.evaluate(() => Object.keys(localStorage))).toEqual(['skaits_ignore'])
    await s.page.evaluate(() => localStorage.clear())
    await finish(s)
  })

  it('sends nothing under navigator.webdriver without data-automation', async () => {
    const s = await open('/bot/')
    expect(await s.page.evaluate(() => navigator.webdriver)).toBe(true)
    await expectSilence(s, '/bot/')
  })

  it('sends nothing on localhost or 127.0.0.1', async () => {
    const port = new URL(site.origin).port
    for (const host of ['localhost', '127.0.0.1']) {
      const prefix = `/local-${host}/`
      await expectSilence(await open(prefix, { attrs: { automation: true } }, { origin: `http://${host}:${port}` }), prefix)
    }
  })

  it('sends nothing from a file: page', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skaits-file-'))
    try {
      const file = join(dir, 'page.html')
      await writeFile(file, trackerPage({ statsOrigin: capture.origin, attrs: { automation: true } }))
      await expectSilence(await open('', {}, { origin: pathToFileURL(file).href }), dir)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('holds everything in memory until skaits.allow() in consent mode', async () => {
    const s = await open('/consent/', { attrs: { automation: true, 'require-consent': true } })
    const skaits = (name: string) =>
      s.page.evaluate((n) => (window as unknown as { skaits: (n: string) => void }).skaits(n), name)
    await skaits('Before')
    await s.page.evaluate(() => history.pushState({}, '', '/consent/b'))
    await sleep(400)
    expect(s.apiRequests).toEqual([])
    await s.page.evaluate(() => (window as unknown as { skaits: { allow(): void } }).skaits.allow())
    await skaits('After')
    await capture.waitFor(5, under('/consent/'))
    // Held beacons leave in order but travel on parallel connections, so compare them as a set.
    expect(capture.events.filter(under('/consent/')).map((e) => `${e.n} ${String(e.u).slice(site.origin.length)}`).sort()).toEqual(
      ['pageview /consent/', 'Before /consent/', 'engagement /consent/', 'pageview /consent/b', 'After /consent/b'].sort(),
    )
  })
})

describe('transport', () => {
  it('falls back to fetch keepalive when sendBeacon is missing or refuses', async () => {
    for (const [prefix, init] of [
      ['/nobeacon/', () => Object.defineProperty(Navigator.prototype, 'sendBeacon', { value: undefined })],
      ['/falsebeacon/', () => Object.defineProperty(Navigator.prototype, 'sendBeacon', { value: () => false })],
    ] as const) {
      await open(prefix, { attrs: { automation: true } }, { init })
      const [got] = await capture.waitFor(1, under(prefix))
      expect(got).toEqual(pageview(prefix))
    }
  })

  it('posts to data-api when given', async () => {
    const s = await open('/api/', { attrs: { automation: true, api: capture.origin + '/api/event?via=data-api' } })
    await capture.waitFor(1, under('/api/'))
    expect(s.apiRequests).toEqual([capture.origin + '/api/event?via=data-api'])
  })
})

describe('automatic goals (t.goals.js)', () => {
  type W = { skaits: ((n: string) => void) & { allow(): void } }
  const goals = { automation: true, forms: true, '404': true, tagged: true } as const
  // A page that handles its forms and links by script: the browser stays on it.
  const stay =
    '<script>addEventListener("submit", (e) => e.preventDefault()); for (const t of ["click","auxclick"]) ' +
    'addEventListener(t, (e) => e.target.closest("a") && e.preventDefault())</script>'
  const ev = (path: string, n: string, extra: object = {}) => pageview(path, { n, ...extra })

  const forms =
    '<form id="valid"><input name="q" required value="x"><button id="valid-go">go</button></form>' +
    '<form id="invalid"><input name="q" required><button id="invalid-go">go</button>' +
    '<button id="invalid-skip" formnovalidate>skip checks</button></form>' +
    '<form id="loose" novalidate><input name="q" required><button id="loose-go">go</button></form>'

  it('data-forms: a valid or novalidate form counts once per submit, with its path; an invalid one never', async () => {
    const { page } = await open('/forms/', { script: 't.goals.js', attrs: { automation: true, forms: true }, body: forms + stay })
    await capture.waitFor(1, under('/forms/'))
    await page.click('#valid-go')
    await page.click('#invalid-go') // the browser's validation stops it: no submit event at all
    await page.click('#invalid-skip') // formnovalidate: a submit event, for a form that is not valid
    await page.evaluate(() => document.querySelector('#invalid')!.dispatchEvent(new Event('submit', { bubbles: true })))
    await page.click('#loose-go')
    await page.evaluate(() => document.querySelector<HTMLFormElement>('#valid')!.requestSubmit())
    await capture.waitFor(4, under('/forms/'))
    await sleep(400)
    const submission = ev('/forms/', 'Form: Submission', { p: { path: '/forms/' } })
    expect(capture.events.filter(under('/forms/'))).toEqual([pageview('/forms/'), submission, submission, submission])
  })

  it('data-forms: the event of a form that navigates away still arrives', async () => {
    site.page('/forms2/done', '<!doctype html><title>done</title><p>thanks</p>')
    const form = '<form action="/forms2/done" method="get"><input name="q" value="x"><button id="go">go</button></form>'
    const { page } = await open('/forms2/', { script: 't.goals.js', attrs: { automation: true, forms: true }, body: form })
    await capture.waitFor(1, under('/forms2/'))
    await Promise.all([page.waitForURL(site.origin + '/forms2/done?q=x'), page.click('#go')])
    const [, submission] = await capture.waitFor(2, (e) => under('/forms2/')(e) && e.n !== 'engagement')
    expect(submission).toEqual(ev('/forms2/', 'Form: Submission', { p: { path: '/forms2/' } }))
  })

  it('data-404: one 404 event with its path right after the pageview, none on later SPA pages', async () => {
    const { page } = await open('/missing/page', { script: 't.goals.js', attrs: { automation: true, '404': true } })
    await capture.waitFor(2, under('/missing/'))
    await page.evaluate(() => history.pushState({}, '', '/missing/other'))
    await capture.waitFor(2, under('/missing/', 'pageview'))
    await sleep(400)
    expect(capture.events.filter((e) => under('/missing/')(e) && e.n !== 'engagement')).toEqual([
      pageview('/missing/page'),
      ev('/missing/page', '404', { p: { path: '/missing/page' } }),
      pageview('/missing/other'),
    ])
  })

  const tagged =
    '<button id="signup" class="big skaits-event-name=Signup skaits-event-plan=pro+yearly">sign up</button>' +
    // Plausible's classes and `--`; the tagged element is the clicked one's third parent.
    '<div class="plausible-event-name--Newsletter+Join plausible-event-position--footer"><p><span><b id="deep">join</b></span></p></div>' +
    // Four levels up: too far.
    '<div class="skaits-event-name=TooDeep"><div><div><div><b id="too-deep">no</b></div></div></div></div>' +
    '<button id="buy" class="skaits-event-name=Purchase skaits-revenue-amount=10.29 skaits-revenue-currency=EUR">buy</button>' +
    '<button id="pbuy" class="plausible-event-name=Purchase plausible-revenue-amount--5 plausible-revenue-currency--USD">buy</button>' +
    '<button id="plain" class="skaits-event-plan=free">not named</button>' +
    '<a id="app" class="skaits-event-name=Get+App" href="https://anna:pw@other.test/app?token=abc#x">app</a>' +
    '<a id="out" href="https://other.test/untagged?token=abc">out</a>' +
    '<form id="contact" class="skaits-event-name=Contact skaits-event-topic=sales"><input name="m" value="hi"><button id="send">send</button></form>' +
    '<form id="search"><input name="q"><button id="search-go" class="skaits-event-name=Search+Click">search</button></form>'

  it('data-tagged: a tagged element, or its parent up to 3 levels, sends its event, props and revenue', async () => {
    const s = await open('/tagged/', { script: 't.goals.js', attrs: { ...goals, outbound: true }, body: tagged + stay })
    const bodies: string[] = []
    s.page.on('request', (r) => {
      if (r.url().includes('/api/event')) bodies.push(r.postData() ?? '')
    })
    await capture.waitFor(2, under('/tagged/')) // the pageview and the 404
    for (const id of ['signup', 'deep', 'too-deep', 'buy', 'pbuy', 'plain', 'app', 'out', 'send', 'search-go']) await s.page.click('#' + id)
    await s.page.click('#app', { button: 'middle' })
    await s.page.click('#signup', { button: 'right' })
    await capture.waitFor(12, under('/tagged/'))
    await sleep(400)
    const t = (n: string, extra: object = {}) => ev('/tagged/', n, { p: {}, ...extra })
    expect(capture.events.filter(under('/tagged/'))).toEqual([
      pageview('/tagged/'),
      t('404', { p: { path: '/tagged/' } }),
      t('Signup', { p: { plan: 'pro yearly' } }),
      t('Newsletter Join', { p: { position: 'footer' } }),
      t('Purchase', { $: { amount: '10.29', currency: 'EUR' } }),
      t('Purchase', { $: { amount: '5', currency: 'USD' } }),
      // A tagged link sends its own event only (not also Outbound Link: Click), with the url cut.
      t('Get App', { p: { url: 'https://other.test/app' } }),
      t('Outbound Link: Click', { p: { url: 'https://other.test/untagged' } }),
      // The tagged form counts on submit (as its event, not Form: Submission); the click does not.
      t('Contact', { p: { topic: 'sales' } }),
      // A tagged button inside an untagged form: its click, and the form's submission.
      t('Search Click'),
      t('Form: Submission', { p: { path: '/tagged/' } }),
      t('Get App', { p: { url: 'https://other.test/app' } }),
    ])
    for (const b of bodies) expect(b).not.toMatch(/token|anna|pw@|#x/)
  })

  it('data-tagged: the event of a tagged link that navigates away still arrives', async () => {
    site.page('/tagged2/next', '<!doctype html><title>next</title><p>next page</p>')
    const link = '<a id="go" class="skaits-event-name=Next skaits-event-from=list" href="/tagged2/next?id=7">next</a>'
    const { page } = await open('/tagged2/', { script: 't.goals.js', attrs: { automation: true, tagged: true }, body: link })
    await capture.waitFor(1, under('/tagged2/'))
    await Promise.all([page.waitForURL(site.origin + '/tagged2/next?id=7'), page.click('#go')])
    const [, next] = await capture.waitFor(2, (e) => under('/tagged2/')(e) && e.n !== 'engagement')
    expect(next).toEqual(ev('/tagged2/', 'Next', { p: { from: 'list', url: site.origin + '/tagged2/next' } }))
  })

  async function clickAndSubmitEverything(page: Page) {
    for (const id of ['signup', 'buy', 'app', 'send', 'search-go', 'valid-go', 'loose-go']) await page.click('#' + id)
  }

  it('sends none of them without their attribute, and t.js ignores the attributes', async () => {
    for (const [prefix, options] of [
      ['/no-goals/', { script: 't.goals.js', attrs: { automation: true } }],
      ['/t-js-goals/', { attrs: goals }],
    ] as const) {
      const { page } = await open(prefix, { ...options, body: tagged + forms + stay })
      await capture.waitFor(1, under(prefix))
      await clickAndSubmitEverything(page)
      await sleep(400)
      expect(capture.events.filter(under(prefix))).toEqual([pageview(prefix)])
    }
  })

  it('sends nothing on an excluded path or with GPC, and wait for skaits.allow() in consent mode', async () => {
    const body = tagged + forms + stay
    const gpc = () => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true })
    for (const [path, attrs, init] of [
      ['/goals-ex/admin/', { ...goals, exclude: '/goals-ex/admin/**' }, undefined],
      ['/goals-gpc/', goals, gpc],
    ] as const) {
      const s = await open(path, { script: 't.goals.js', attrs, body }, { init })
      await clickAndSubmitEverything(s.page)
      await finish(s)
      await sleep(300)
      expect(s.apiRequests).toEqual([])
    }

    const s = await open('/goals-consent/', { script: 't.goals.js', attrs: { ...goals, 'require-consent': true }, body })
    for (const id of ['signup', 'valid-go']) await s.page.click('#' + id)
    await sleep(300)
    expect(s.apiRequests).toEqual([])
    await s.page.evaluate(() => (window as unknown as W).skaits.allow())
    await capture.waitFor(4, under('/goals-consent/'))
    await sleep(300)
    // Held beacons leave in order but travel on parallel connections, so compare them as a set.
    expect(capture.events.filter(under('/goals-consent/')).map((e) => e.n).sort()).toEqual(
      ['pageview', '404', 'Signup', 'Form: Submission'].sort(),
    )
    expect(capture.events.filter((e) => String(e.u).includes('/goals-ex/') || String(e.u).includes('/goals-gpc/'))).toEqual([])
  })
})
