import type { Page } from 'playwright-core'

/** One request the dashboard sent to the API, as it sent it. */
export interface ApiRequest {
  method: string
  /** path and query string */
  path: string
  body: string | undefined
  label: string
  /** when the page sent it, in ms after navigation started */
  sentMs: number
  /** how long it took, as the browser timed it */
  ms: number
}

export interface FirstView {
  /** from navigation until every number is on screen */
  ms: number
  /** every request the page made (document, assets, API) */
  requests: number
  api: ApiRequest[]
}

/**
 * Opens the dashboard at `path` and waits until the top row, the chart and every panel the
 * window shows have their numbers (the others load as they are scrolled to). Records the API
 * requests the page made on the way, in the order it sent them.
 */
export async function openFirstView(page: Page, url: string, path: string): Promise<FirstView> {
  const api: ApiRequest[] = []
  let requests = 0
  let started = 0
  page.on('request', () => requests++)
  page.on('requestfinished', (r) => {
    const u = new URL(r.url())
    if (!u.pathname.startsWith('/api/')) return
    const body = r.postData() ?? undefined
    const timing = r.timing()
    api.push({
      method: r.method(),
      path: u.pathname + u.search,
      body,
      label: describe(u, body),
      sentMs: Math.round(timing.startTime - started),
      ms: Math.round(timing.responseEnd),
    })
  })
  started = Date.now()
  const t0 = performance.now()
  await page.goto(url + path)
  await page.waitForFunction(
    () => {
      const values = [...document.querySelectorAll('.top .value')].map((e) => e.textContent)
      const panels = [...document.querySelectorAll('.panel-body')].filter((p) => p.getBoundingClientRect().top < window.innerHeight)
      return (
        values.length === 7 &&
        values.every((v) => v && v !== '…') &&
        document.querySelector('.chart .u-over') !== null &&
        document.querySelector('.realtime')?.textContent !== '' &&
        panels.length > 0 &&
        panels.every((p) => p.querySelector('table, .na, .refused') !== null || /No data/.test(p.textContent ?? ''))
      )
    },
    null,
    { polling: 'raf', timeout: 60_000 },
  )
  const ms = performance.now() - t0
  const refused = await page.locator('.refused').allTextContents()
  if (refused.length) throw new Error(`the dashboard showed errors: ${refused.join(' | ')}`)
  api.sort((a, b) => a.sentMs - b.sentMs)
  return { ms, requests, api }
}

/** A short name for an API request: its dimension, range and number of metrics. */
export function describe(u: URL, body: string | undefined): string {
  if (!body) return `GET ${u.pathname.replace(/^\/api\/v1\/stats\//, '')}`
  const q = JSON.parse(body) as { dimensions?: string[]; date_range: unknown; metrics: string[] }
  const range = Array.isArray(q.date_range) ? `${q.date_range[0]}…${q.date_range[1]}` : String(q.date_range)
  return `${(q.dimensions ?? []).join(' ') || 'totals'} · ${range} · ${q.metrics.length} metrics`
}
