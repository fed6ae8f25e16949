// A site's exclusions and its "Filtered" section in the settings, in real Chromium against the
// real server (in this process): exclusions saved and refused, checked through the API; the
// counts of events not counted, per reason, in English and Latvian; axe-core, and a 390 px phone.
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeAll, violations } from '../helpers/axe.ts'
import { launchChromium } from '../helpers/chromium.ts'
import { builtDashboard } from '../helpers/dashboard-build.ts'
import { expectFitsWidth } from '../helpers/fits.ts'
import { ownerSession } from '../helpers/session.ts'
import { ownerPages } from '../helpers/owner-pages.ts'
import { adminCall, sendEvent, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts')
const OWNER = { email: 'owner@example.lv', password: 'a long owner passphrase' }

let server: RunningSkaits
let browser: Browser
let session: string
const pages = ownerPages(() => ({ browser, url: server.url, session }))
// axe runs on every page here, so every page is opened with it
const open = (pathAndQuery: string, o: { width?: number; lang?: 'en' | 'lv' } = {}) => pages.open(pathAndQuery, { ...o, axe: true })
const { errors } = pages


const pageview = (path: string, extra: Record<string, unknown> = {}) => ({ n: 'pageview', u: `https://example.lv${path}`, d: 'example.lv', ...extra })

beforeAll(async () => {
  await builtDashboard()
  server = await startInProcess({
    dataDir: tempDir(),
    timers: false,
    env: { TIMEZONE: 'UTC', SKAITS_SITES: 'example.lv', SKAITS_ADMIN_EMAIL: OWNER.email, SKAITS_ADMIN_PASSWORD: OWNER.password },
  })
  session = await ownerSession(server.url, OWNER)
  browser = await launchChromium()
  mkdirSync(ARTIFACTS, { recursive: true })
}, 180_000)

afterAll(async () => {
  await pages.close()
  await browser?.close()
  await server?.stop()
})

describe('the exclusions section', () => {
  it('saves address ranges and page patterns, shows the allowed hostnames, and says what it refused', async () => {
    const page = await open('/settings?exclusions=example.lv')
    const editor = page.locator('#exclusions-example\\.lv')
    await editor.waitFor()
    expect(await editor.textContent()).toContain('example.lv, *.example.lv')
    await editor.locator('textarea[name=addresses]').fill('203.0.113.9/24\n\n2001:db8::/32')
    await editor.locator('textarea[name=pages]').fill('/admin/**')
    await editor.locator('button[type=submit]').click()
    await editor.locator('[role=status]', { hasText: 'Saved' }).waitFor()
    expect(await editor.locator('textarea[name=addresses]').inputValue()).toBe('203.0.113.0/24\n2001:db8::/32')
    expect((await adminCall(server.url, 'GET', '/api/sites/example.lv/exclusions')).json).toMatchObject({ addresses: ['203.0.113.0/24', '2001:db8::/32'], pages: ['/admin/**'] })

    await editor.locator('textarea[name=addresses]').fill('the office')
    await editor.locator('button[type=submit]').click()
    await expect.poll(() => editor.locator('[role=alert]').textContent()).toContain('"the office" is not an address range')
    expect((await adminCall(server.url, 'GET', '/api/sites/example.lv/exclusions')).json.addresses).toEqual(['203.0.113.0/24', '2001:db8::/32'])
    expect(await editor.locator('a[href="/opt-out?site=example.lv"]').count()).toBe(1)
    const found = describeAll(await violations(page))
    expect(found, found.join('\n')).toEqual([])
    // The refused save is the one console error: the browser logs the 400 it was answered.
    expect(errors.splice(0).filter((e) => !e.includes('status of 400'))).toEqual([])
  })
})

describe('the Filtered section', () => {
  it('shows the counts of the last 30 days per reason, in English and Latvian, and fits a phone', async () => {
    await adminCall(server.url, 'PUT', '/api/sites/example.lv/exclusions', { addresses: ['203.0.113.0/24'], pages: ['/admin/**'] })
    const sent = [
      sendEvent(server.url, pageview('/admin/a'), { ip: '192.0.2.1' }),
      sendEvent(server.url, pageview('/admin/b'), { ip: '192.0.2.1' }),
      sendEvent(server.url, pageview('/'), { ip: '203.0.113.4' }),
      sendEvent(server.url, pageview('/', { r: 'https://semalt.com/' }), { ip: '192.0.2.2' }),
      sendEvent(server.url, pageview('/'), { ip: '192.0.2.3', ua: 'curl/8.5.0' }),
    ]
    for (const res of await Promise.all(sent)) expect(((await res.json()) as { status: string }).status).toBe('dropped')
    await server.skaits.filtered.flush()

    const page = await open('/settings?filtered=example.lv')
    const view = page.locator('#filtered-example\\.lv')
    await view.locator('table').waitFor()
    const rows = await view.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-reason'), tr.querySelector('th')!.textContent, tr.querySelector('td')!.textContent]))
    expect(rows).toEqual([
      ['bot', 'bots', '1'],
      ['spam_referrer', 'referrer spam', '1'],
      ['excluded_address', 'excluded addresses', '1'],
      ['excluded_page', 'excluded pages', '2'],
    ])
    const found = describeAll(await violations(page))
    expect(found, found.join('\n')).toEqual([])

    const lv = await open('/settings?filtered=example.lv', { lang: 'lv', width: 390 })
    const lvView = lv.locator('#filtered-example\\.lv')
    await lvView.locator('table').waitFor()
    expect(await lvView.locator('tr[data-reason=excluded_page] th').textContent()).toBe('izslēgtas lapas')
    expect(await lvView.locator('h3').textContent()).toBe('example.lv neskaitītie notikumi pēdējās 30 dienās')
    await expectFitsWidth(lv, path.join(ARTIFACTS, 'settings-filtered-lv-390.png'), 'Filtered, lv, 390 px', 390)
    expect(errors).toEqual([])
  })

  it('says when nothing was filtered', async () => {
    await adminCall(server.url, 'POST', '/api/sites', { domain: 'quiet.lv' })
    const page = await open('/settings?filtered=quiet.lv')
    await page.locator('#filtered-quiet\\.lv p', { hasText: 'Nothing was filtered' }).waitFor()
    expect(await page.locator('#filtered-quiet\\.lv table').count()).toBe(0)
  })
})
