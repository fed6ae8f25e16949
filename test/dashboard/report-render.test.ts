// The weekly report's HTML as a mail client shows it: real Chromium, a 600 px wide window, the
// chart put in place of its cid: reference as a data: URL (what mail clients do with an inline
// attachment). Readable means: nothing sticks out sideways, the site, the period and every
// total's label and value are visible text, the chart has loaded and fits, and the dashboard
// and unsubscribe links point where they should. Screenshots go to test-artifacts/.
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addDays, dayOf, startOfDay } from '../../server/time.ts'
import { CHART_CID, dashboardLink, renderReport } from '../../server/reports/render.ts'
import { reportData, reportPeriod, TOTALS, type ReportData, type Total } from '../../server/reports/report.ts'
import { launchChromium } from '../helpers/chromium.ts'
import { browserUA, CHROME_UA, sendEvent, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')
const ARTIFACTS = path.join(ROOT, 'test-artifacts')
const WIDTH = 600
const TZ = 'Europe/Riga'
const today = dayOf(Date.now(), TZ)
const period = reportPeriod('week', today)
const at = (day: string, hour: number) => startOfDay(day, TZ) + hour * 3_600_000
let now = at(period.previous.from, 8)
const PUBLIC_URL = 'https://stats.example.lv'
const UNSUBSCRIBE = 'https://stats.example.lv/unsubscribe/render-token'

let server: RunningSkaits
let browser: Browser
let data: ReportData

/** Two weeks (the report's and the one before), one to three visitors a day, some reading two pages. */
async function seed() {
  for (let i = 0; i < 14; i++) {
    const day = addDays(period.previous.from, i)
    now = at(day, 10)
    for (let v = 0; v < 1 + (i % 3); v++) {
      const who = { ip: v % 2 ? `193.0.6.${20 + v}` : `87.110.0.${20 + v}`, ua: browserUA(i * 10 + v) }
      const send = async (body: Record<string, unknown>) => {
        const res = await sendEvent(server.url, { d: 'example.lv', ...body }, who)
        expect(res.status).toBe(202)
        now += 20_000
      }
      await send({ n: 'pageview', u: 'https://example.lv/', ...(v === 1 ? { r: 'https://www.google.com/' } : {}) })
      if (v === 0) await send({ n: 'pageview', u: 'https://example.lv/cenas' })
      now += 30 * 60_000
    }
  }
  await server.skaits.buffer.flush()
}

const LABELS: Record<'en' | 'lv', Record<Total, string>> = {
  en: { visitors: 'Visitors', visits: 'Visits', pageviews: 'Pageviews', bounce_rate: 'Bounce rate', visit_duration: 'Visit duration' },
  lv: { visitors: 'Apmeklētāji', visits: 'Apmeklējumi', pageviews: 'Lapu skatījumi', bounce_rate: 'Atteikumu līmenis', visit_duration: 'Apmeklējuma ilgums' },
}
const LOCALE = { en: 'en-GB', lv: 'lv-LV' } as const

/** A total as the report should write it, worked out here rather than taken from the renderer. */
function shown(lang: 'en' | 'lv', m: Total, v: number): string {
  const n = new Intl.NumberFormat(LOCALE[lang], { maximumFractionDigits: 1 }).format(v)
  if (m === 'bounce_rate') return `${n}%`
  if (m !== 'visit_duration') return n
  const s = Math.round(v)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}

function periodText(lang: 'en' | 'lv'): string {
  const day = (d: string, year: boolean) =>
    new Date(`${d}T00:00:00Z`).toLocaleDateString(LOCALE[lang], { timeZone: 'UTC', day: 'numeric', month: 'short', ...(year ? { year: 'numeric' } : {}) })
  return `${day(period.from, false)} – ${day(period.to, true)}`
}

/** Whether an element with exactly this text is drawn: has a size, is not hidden, lies inside the 600 px. */
const VISIBLE_TEXT = `((text) => {
  const els = [...document.body.querySelectorAll('*')].filter((el) => (el.textContent || '').trim() === text && ![...el.children].some((c) => (c.textContent || '').trim() === text))
  return els.map((el) => {
    const r = el.getBoundingClientRect()
    const s = getComputedStyle(el)
    return { width: r.width, height: r.height, left: r.left, right: r.right, visibility: s.visibility, opacity: s.opacity, color: s.color, next: (el.nextElementSibling && el.nextElementSibling.textContent || '').trim() }
  })
})`

describe('the report’s HTML in real Chromium at 600 px', () => {
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true })
    server = await startInProcess({ dataDir: tempDir(), clock: () => now, timers: false, env: { TIMEZONE: TZ } })
    await seed()
    now = at(today, 8)
    data = await reportData({ db: server.db, timezone: TZ, clock: () => now }, server.skaits.sites.get('example.lv')!, period, today)
    expect(data.totals.visitors.value).toBeGreaterThan(0)
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })

  for (const lang of ['en', 'lv'] as const) {
    it(`is readable in ${lang}: fits, shows the site, period and totals, loads the chart, links right`, async () => {
      const links = { dashboard: dashboardLink(PUBLIC_URL, period, 'example.lv'), unsubscribe: UNSUBSCRIBE }
      const rendered = renderReport(data, lang, links)
      const chart = rendered.attachments.find((a) => a.cid === CHART_CID)!
      expect(chart).toBeTruthy()
      expect(rendered.html).toContain(`src="cid:${CHART_CID}"`)
      const html = rendered.html.replaceAll(`cid:${CHART_CID}`, `data:image/png;base64,${chart.png.toString('base64')}`)
      expect(html).not.toContain('cid:')

      const context = await browser.newContext({ viewport: { width: WIDTH, height: 900 }, userAgent: CHROME_UA, locale: LOCALE[lang] })
      try {
        const page = await context.newPage()
        // served from a made-up address: nothing leaves the machine
        await page.route('http://mail.test/**', (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }))
        const requests: string[] = []
        page.on('request', (r) => requests.push(r.url()))
        await page.goto('http://mail.test/report.html', { waitUntil: 'load' })
        await page.screenshot({ path: path.join(ARTIFACTS, `report-${lang}-600.png`), fullPage: true })
        // the page itself and the data: image only; no fetch for anything else
        expect(requests.filter((u) => !u.startsWith('data:'))).toEqual(['http://mail.test/report.html'])

        const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }))
        expect(widths.inner).toBe(WIDTH)
        expect(widths.scroll, 'no horizontal overflow at 600 px').toBeLessThanOrEqual(WIDTH)

        const find = async (text: string) =>
          (await page.evaluate(`${VISIBLE_TEXT}(${JSON.stringify(text)})`)) as {
            width: number; height: number; left: number; right: number; visibility: string; opacity: string; color: string; next: string
          }[]
        const expectVisible = async (text: string) => {
          const found = (await find(text)).filter((e) => e.width > 0 && e.height > 0 && e.visibility === 'visible' && e.opacity !== '0')
          expect(found.length, `"${text}" is drawn`).toBeGreaterThan(0)
          for (const e of found) {
            expect(e.left, `"${text}" starts inside the window`).toBeGreaterThanOrEqual(0)
            expect(e.right, `"${text}" ends inside the window`).toBeLessThanOrEqual(WIDTH)
          }
          return found
        }

        const body = await page.innerText('body')
        expect(body).toContain('example.lv')
        await expectVisible('example.lv')
        expect(body).toContain(periodText(lang))
        await expectVisible(periodText(lang))
        expect(await page.title()).toBe(rendered.subject)

        for (const m of TOTALS) {
          const label = LABELS[lang][m]
          const value = shown(lang, m, data.totals[m].value)
          const cells = await expectVisible(label)
          // the value is drawn right under its label, in the same cell
          expect(cells.map((c) => c.next), `${m}'s value next to "${label}"`).toContain(value)
          await expectVisible(value)
        }

        const img = page.locator('img')
        expect(await img.count()).toBe(1)
        const image = await img.evaluate((el: HTMLImageElement) => {
          const r = el.getBoundingClientRect()
          return { complete: el.complete, naturalWidth: el.naturalWidth, naturalHeight: el.naturalHeight, width: r.width, height: r.height, left: r.left, right: r.right, alt: el.alt }
        })
        expect(image.complete).toBe(true)
        expect(image.naturalWidth).toBeGreaterThan(0)
        expect(image.naturalHeight).toBeGreaterThan(0)
        expect(image.width).toBeGreaterThan(0)
        expect(image.width).toBeLessThanOrEqual(WIDTH)
        expect(image.height).toBeGreaterThan(0)
        expect(image.right).toBeLessThanOrEqual(WIDTH)
        expect(image.alt).toBe(lang === 'en' ? 'Visitors per day' : 'Apmeklētāji dienā')

        const hrefs = await page.locator('a').evaluateAll((as) => as.map((a) => ({ href: a.getAttribute('href'), text: (a.textContent || '').trim() })))
        const open = { en: 'Open the dashboard', lv: 'Atvērt paneli' }[lang]
        const unsubscribe = { en: 'Unsubscribe', lv: 'Atteikties' }[lang]
        expect(hrefs).toContainEqual({ href: `${PUBLIC_URL}/?site=example.lv&period=custom&from=${period.from}&to=${period.to}`, text: open })
        expect(hrefs).toContainEqual({ href: UNSUBSCRIBE, text: unsubscribe })
        await expectVisible(open)
        await expectVisible(unsubscribe)
      } finally {
        await context.close()
      }
    })
  }
})
