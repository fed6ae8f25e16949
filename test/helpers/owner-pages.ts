// An owner's pages in real Chromium, for the dashboard's browser tests: a context per page at a
// desktop or phone size, the owner's session cookie, the page's language, page errors and
// console errors collected; and the axe check the tests share.
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { expect } from 'vitest'
import { describeAll, violations } from './axe.ts'
import { ANDROID_UA, CHROME_UA } from './skaits.ts'

export interface PageOptions {
  width?: number
  lang?: 'en' | 'lv'
  /** axe-core is injected as an inline script, which the pages' CSP forbids: bypass it */
  axe?: boolean
  /** with the owner's session cookie (default): false for a visitor's page, a shared link */
  cookie?: boolean
  dark?: boolean
}

export interface OwnerPages {
  /** Opens `pathAndQuery` logged in as the owner, `?lang=` (or `&lang=`) added. */
  open(pathAndQuery: string, o?: PageOptions): Promise<Page>
  /** page errors and console errors of every page opened, with their URLs */
  readonly errors: string[]
  close(): Promise<void>
}

/** Pages of the server `at()` names (read when a page opens: the server starts in beforeAll). */
export function ownerPages(at: () => { browser: Browser; url: string; session: string }): OwnerPages {
  const contexts: BrowserContext[] = []
  const errors: string[] = []
  return {
    errors,
    async open(pathAndQuery, o = {}) {
      const { browser, url, session } = at()
      const phone = (o.width ?? 1280) < 600
      const context = await browser.newContext({
        viewport: { width: o.width ?? 1280, height: phone ? 844 : 1000 },
        userAgent: phone ? ANDROID_UA : CHROME_UA,
        locale: o.lang === 'lv' ? 'lv-LV' : 'en-GB',
        colorScheme: o.dark ? 'dark' : 'light',
        bypassCSP: o.axe ?? false,
      })
      contexts.push(context)
      if (o.cookie ?? true) await context.addCookies([{ name: 'skaits_session', value: session, url }])
      const page = await context.newPage()
      page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`))
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`${page.url()}: ${m.text()}`)
      })
      await page.goto(`${url}${pathAndQuery}${pathAndQuery.includes('?') ? '&' : '?'}lang=${o.lang ?? 'en'}`)
      return page
    },
    async close() {
      for (const c of contexts.splice(0)) await c.close()
    },
  }
}

/** No serious or critical axe-core violation on the page. */
export async function expectNoViolations(page: Page, name: string): Promise<void> {
  const found = describeAll(await violations(page))
  expect(found, `${name}:\n${found.join('\n')}`).toEqual([])
}
