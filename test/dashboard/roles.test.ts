// Roles in real Chromium against the real server (README "Roles"): a viewer of a.lv sees its
// dashboard and nothing of b.lv, no Settings link, and /settings tells them it is not theirs; an
// admin of a.lv sees the settings of a.lv only, without users or API keys; an owner invites a
// user with a role and sites from the Users tab. In English and Latvian, axe-core on each view.
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeAll, violations } from '../helpers/axe.ts'
import { launchChromium } from '../helpers/chromium.ts'
import { builtDashboard } from '../helpers/dashboard-build.ts'
import { expectFitsWidth } from '../helpers/fits.ts'
import { ownerSession } from '../helpers/session.ts'
import { adminCall, browserUA, sendEvent, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')
const ARTIFACTS = path.join(ROOT, 'test-artifacts')
const PASSWORD = 'a long enough passphrase'
const OWNER = { email: 'owner@example.lv', password: PASSWORD }
const ADMIN = { email: 'admin@example.lv', password: PASSWORD }
const VIEWER = { email: 'viewer@example.lv', password: PASSWORD }

let server: RunningSkaits
let browser: Browser
const contexts: BrowserContext[] = []
const errors: string[] = []
const sessions: Record<'owner' | 'admin' | 'viewer', string> = { owner: '', admin: '', viewer: '' }

async function open(who: keyof typeof sessions, pathAndQuery: string, o: { lang?: 'en' | 'lv'; width?: number } = {}): Promise<{ page: Page; status: number }> {
  const width = o.width ?? 1280
  const context = await browser.newContext({
    viewport: { width, height: 900 },
    userAgent: browserUA(3),
    locale: o.lang === 'lv' ? 'lv-LV' : 'en-GB',
    // axe-core is injected as an inline script, which the pages' CSP forbids.
    bypassCSP: true,
  })
  contexts.push(context)
  await context.addCookies([{ name: 'skaits_session', value: sessions[who], url: server.url }])
  const page = await context.newPage()
  page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`))
  const response = await page.goto(`${server.url}${pathAndQuery}${pathAndQuery.includes('?') ? '&' : '?'}lang=${o.lang ?? 'en'}`)
  return { page, status: response?.status() ?? 0 }
}

async function expectNoViolations(page: Page, name: string): Promise<void> {
  const found = describeAll(await violations(page))
  expect(found, `${name}:\n${found.join('\n')}`).toEqual([])
}

const eventually = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 15_000 })

beforeAll(async () => {
  await builtDashboard()
  server = await startInProcess({
    dataDir: tempDir(),
    timers: false,
    env: { TIMEZONE: 'UTC', SKAITS_SITES: 'a.lv,b.lv', SKAITS_ADMIN_EMAIL: OWNER.email, SKAITS_ADMIN_PASSWORD: OWNER.password },
  })
  for (const [i, site] of ['a.lv', 'a.lv', 'b.lv'].entries()) {
    expect((await sendEvent(server.url, { n: 'pageview', u: `https://${site}/`, d: site }, { ip: `87.110.0.${10 + i}`, ua: browserUA(i) })).status).toBe(202)
  }
  await server.skaits.buffer.flush()
  for (const [user, role] of [[ADMIN, 'admin'], [VIEWER, 'viewer']] as const) {
    expect((await adminCall(server.url, 'POST', '/api/owners', { ...user, role, sites: ['a.lv'] })).status).toBe(201)
  }
  sessions.owner = await ownerSession(server.url, OWNER)
  sessions.admin = await ownerSession(server.url, ADMIN)
  sessions.viewer = await ownerSession(server.url, VIEWER)
  browser = await launchChromium()
  mkdirSync(ARTIFACTS, { recursive: true })
}, 180_000)

afterAll(async () => {
  for (const c of contexts) await c.close()
  await browser?.close()
  await server?.stop()
  expect(errors).toEqual([])
})

describe('a viewer', () => {
  it("sees the dashboard of their site, not the other site, and no settings", async () => {
    const { page } = await open('viewer', '/')
    await eventually(() => page.locator('.tops [data-metric="visitors"] .value').textContent()).toBe('2')
    expect(await page.locator('#site option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(['a.lv'])
    expect(await page.content()).not.toContain('b.lv')
    expect(await page.locator('a[href^="/settings"]').count()).toBe(0)
    expect(await page.locator('form.logout').count()).toBe(1)
    await expectNoViolations(page, 'viewer dashboard')
    await page.screenshot({ path: path.join(ARTIFACTS, 'roles-viewer.png'), fullPage: true })
  })

  it('is told, in their language, that the settings are not theirs', async () => {
    for (const lang of ['en', 'lv'] as const) {
      const { page, status } = await open('viewer', '/settings', { lang })
      expect(status).toBe(403)
      expect(await page.locator('body').textContent()).toContain(lang === 'lv' ? 'Iestatījumi skatītājiem nav pieejami' : 'Settings are not open to viewers')
      await page.locator('a', { hasText: lang === 'lv' ? 'Atpakaļ uz pārskatu' : 'Back to the dashboard' }).click()
      await page.waitForURL((u) => u.pathname === '/')
      await eventually(() => page.locator('.tops [data-metric="visitors"] .value').textContent()).toBe('2')
      await expectNoViolations(page, `viewer back from settings (${lang})`)
    }
  })
})

describe('an admin', () => {
  it("sees the settings of their site only: no users, no API keys, no adding or removing sites", async () => {
    const { page } = await open('admin', '/settings')
    expect(await page.locator('.settings-tabs a').allTextContents()).toEqual(['Sites', 'Shared links', 'Account'])
    const rows = page.locator('table.list tbody tr:not(.more) th')
    await eventually(() => rows.allTextContents()).toEqual(['a.lv'])
    expect(await page.getByRole('button', { name: 'Add site' }).count()).toBe(0)
    expect(await page.getByRole('button', { name: 'Rename' }).count()).toBe(0)
    expect(await page.getByRole('button', { name: 'Delete' }).count()).toBe(0)
    await page.locator('.goals-button').click()
    await eventually(() => page.locator('tr.more').isVisible()).toBe(true)
    await expectNoViolations(page, 'admin settings')

    await page.locator('.settings-tabs a', { hasText: 'Shared links' }).click()
    const options = page.locator('select[name=site] option')
    await eventually(() => options.evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(['a.lv'])
    // The dashboard shows them their one site, with the way to its settings.
    const dashboard = await open('admin', '/')
    await eventually(() => dashboard.page.locator('#site option').count()).toBe(1)
    expect(await dashboard.page.locator('a.settings-link').count()).toBe(1)
  })

  it('in Latvian on a phone, the same', async () => {
    const { page } = await open('admin', '/settings', { lang: 'lv', width: 390 })
    await eventually(() => page.locator('.settings-tabs a').allTextContents()).toEqual(['Vietnes', 'Koplietotās saites', 'Konts'])
    await eventually(() => page.locator('table.list tbody tr:not(.more) th').allTextContents()).toEqual(['a.lv'])
    await expectFitsWidth(page, path.join(ARTIFACTS, 'roles-admin-390.png'), 'admin settings, lv, 390 px', 390)
  })
})

describe('an owner', () => {
  it('sees every user with their role and invites a viewer of b.lv from the Users tab', async () => {
    for (const lang of ['en', 'lv'] as const) {
      const { page } = await open('owner', '/settings?tab=owners', { lang })
      const users = page.locator('table.users tbody tr:not(.more)')
      await eventually(() => users.count()).toBe(3)
      const viewerRow = users.filter({ hasText: VIEWER.email })
      expect(await viewerRow.locator('.badge.role').textContent()).toBe(lang === 'lv' ? 'Skatītājs' : 'Viewer')
      expect(await viewerRow.textContent()).toContain('a.lv')
      await expectNoViolations(page, `users (${lang})`)
      if (lang === 'lv') {
        await expectFitsWidth(page, path.join(ARTIFACTS, 'roles-users-lv.png'), 'users, lv', 1280)
        continue
      }
      const form = page.locator('form', { has: page.locator('input[name=email]') })
      await form.locator('input[name=email]').fill('new@example.lv')
      // Sites are asked only of an admin or a viewer.
      expect(await form.locator('fieldset.role-sites').isVisible()).toBe(false)
      await form.locator('select[name=role]').selectOption('viewer')
      expect(await form.locator('fieldset.role-sites').isVisible()).toBe(true)
      await form.getByLabel('b.lv').check()
      await form.getByRole('button', { name: 'Invite' }).click()
      await eventually(() => page.locator('.once code, .once textarea, .once input').count()).toBeGreaterThan(0)
      const pending = (await adminCall(server.url, 'GET', '/api/invitations')).json as { email: string; role: string; sites: string[] }[]
      expect(pending).toEqual([expect.objectContaining({ email: 'new@example.lv', role: 'viewer', sites: ['b.lv'] })])
    }
  })

  it('removes a user from the Users tab once confirmed; the last owner stays', async () => {
    const made = await adminCall(server.url, 'POST', '/api/owners', { email: 'leaving@example.lv', password: 'a long leaving passphrase', role: 'viewer', sites: ['a.lv'] })
    expect(made.status, JSON.stringify(made.json)).toBe(201)
    const { page } = await open('owner', '/settings?tab=owners')
    const row = page.locator('table.users tbody tr:not(.more)').filter({ hasText: 'leaving@example.lv' })
    // Dismissed: nothing happens.
    page.once('dialog', (d) => void d.dismiss())
    await row.getByRole('button', { name: 'Remove leaving@example.lv' }).click()
    expect(await row.count()).toBe(1)
    page.once('dialog', (d) => {
      expect(d.message()).toBe('Remove leaving@example.lv? They can no longer log in, and their sessions end.')
      void d.accept()
    })
    await row.getByRole('button', { name: 'Remove leaving@example.lv' }).click()
    await eventually(() => row.count()).toBe(0)
    const listed = (await adminCall(server.url, 'GET', '/api/owners')).json as { email: string }[]
    expect(listed.map((u) => u.email)).not.toContain('leaving@example.lv')
  })

  it("changes a user's role in place", async () => {
    const { page } = await open('owner', '/settings?tab=owners')
    const row = page.locator('table.users tbody tr:not(.more)').filter({ hasText: VIEWER.email })
    await row.getByRole('button', { name: 'Edit' }).click()
    const editor = page.locator('table.users tr.more form')
    await editor.locator('select[name=role]').selectOption('admin')
    await editor.getByLabel('b.lv').check()
    await editor.getByRole('button', { name: 'Save' }).click()
    await eventually(async () => (await row.locator('.badge.role').textContent()) ?? '').toBe('Admin')
    await eventually(async () => (await row.textContent()) ?? '').toContain('a.lv, b.lv')
    const me = await fetch(`${server.url}/api/me`, { headers: { cookie: `skaits_session=${sessions.viewer}` } })
    expect(await me.json()).toMatchObject({ role: 'admin', sites: ['a.lv', 'b.lv'] })
  })
})
