// A site's annotations through the real server and the CLI: managers add, change, list and
// delete them; stats-only keys, shared links and strangers are refused; bad input is a 4xx that
// says why; a shared link's page carries the shared notes and nothing of the others.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addDays, dayOf } from '../../server/time.ts'
import { builtDashboard } from '../helpers/dashboard-build.ts'
import { adminCall, runCli, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

const TODAY = dayOf(Date.now(), 'UTC')
const PATH = '/api/sites/example.lv/annotations'
let server: RunningSkaits

const as = async (bearer: string | undefined, method: string, path: string, body?: unknown) => {
  const res = await fetch(server.url + path, {
    method,
    headers: { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: res.status, json: await res.json() }
}

/** The boot data a page carries (`<meta name="skaits-boot">`). */
const bootOf = (html: string) => JSON.parse(/<meta name="skaits-boot" content="([^"]*)">/.exec(html)![1]!.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n))))

beforeAll(async () => {
  await builtDashboard()
  server = await startInProcess({ dataDir: tempDir(), env: { TIMEZONE: 'UTC', SKAITS_SITES: 'example.lv,other.lv' } })
}, 120_000)
afterAll(() => server?.stop())

describe('annotations REST', () => {
  it('adds, lists by day, changes and deletes a note', async () => {
    const deploy = await adminCall(server.url, 'POST', PATH, { date: addDays(TODAY, -3), text: ' Deploy 2.0 ' })
    expect(deploy).toEqual({ status: 201, json: { id: 1, date: addDays(TODAY, -3), text: 'Deploy 2.0', shared: false } })
    const campaign = await adminCall(server.url, 'POST', PATH, { date: addDays(TODAY, -10), text: 'Spring campaign', shared: true })
    expect(campaign.status).toBe(201)
    expect((await adminCall(server.url, 'GET', PATH)).json.annotations.map((a: { id: number }) => a.id)).toEqual([campaign.json.id, deploy.json.id])

    const changed = await adminCall(server.url, 'PATCH', `${PATH}/${deploy.json.id}`, { text: 'Deploy 2.0.1', shared: true })
    expect(changed).toEqual({ status: 200, json: { id: deploy.json.id, date: addDays(TODAY, -3), text: 'Deploy 2.0.1', shared: true } })
    // The other site's list is its own.
    expect((await adminCall(server.url, 'GET', '/api/sites/other.lv/annotations')).json).toEqual({ annotations: [] })

    expect((await adminCall(server.url, 'DELETE', `${PATH}/${deploy.json.id}`)).json).toEqual({ deleted: changed.json })
    expect((await adminCall(server.url, 'GET', PATH)).json.annotations).toEqual([campaign.json])
    // Ids are not reused.
    expect((await adminCall(server.url, 'POST', PATH, { date: TODAY, text: 'again' })).json.id).toBe(3)
  })

  it('refuses bad input with a 4xx that says why', async () => {
    const bad = async (body: unknown, detail: RegExp) => {
      const r = await adminCall(server.url, 'POST', PATH, body)
      expect(r.status, JSON.stringify(r.json)).toBe(400)
      expect(r.json).toMatchObject({ code: 'invalid_request', error: expect.stringMatching(detail) })
    }
    await bad({ date: '2026-02-30', text: 'no such day' }, /date: a day that exists/)
    await bad({ date: '5.12.2026', text: 'dotted' }, /date: a day as YYYY-MM-DD/)
    await bad({ date: TODAY, text: 'x'.repeat(201) }, /text: at most 200 characters/)
    await bad({ date: TODAY, text: '   ' }, /text: some text/)
    await bad({ date: TODAY, text: 'ok', shared: 'yes' }, /shared/)
    await bad({ date: TODAY, text: 'ok', colour: 'red' }, /colour/)
    await bad(undefined, /./)
    expect((await adminCall(server.url, 'POST', PATH, { date: TODAY, text: 'x'.repeat(200) })).status).toBe(201)
    expect((await adminCall(server.url, 'PATCH', `${PATH}/1`, { date: 'tomorrow' })).status).toBe(400)
    expect(await adminCall(server.url, 'PATCH', `${PATH}/999`, { text: 'gone' })).toMatchObject({ status: 404, json: { code: 'annotation_not_found', params: { id: 999 } } })
    expect((await adminCall(server.url, 'DELETE', `${PATH}/abc`)).status).toBe(404)
    expect((await adminCall(server.url, 'GET', '/api/sites/nowhere.lv/annotations')).status).toBe(404)
  })

  it('is for managers only: stats keys, shared links and strangers are refused', async () => {
    const key = (await adminCall(server.url, 'POST', '/api/keys', { name: 'stats only' })).json.key as string
    const share = (await adminCall(server.url, 'POST', '/api/shares', { site: 'example.lv' })).json.token as string
    for (const bearer of [key, share]) {
      expect((await as(bearer, 'GET', PATH)).status).toBe(403)
      expect((await as(bearer, 'POST', PATH, { date: TODAY, text: 'sneaky' })).status).toBe(403)
      expect((await as(bearer, 'DELETE', `${PATH}/1`)).status).toBe(403)
    }
    expect((await as(undefined, 'GET', PATH)).status).toBe(401)
    expect((await as('sk_forged', 'POST', PATH, { date: TODAY, text: 'sneaky' })).status).toBe(401)
    expect((await adminCall(server.url, 'GET', PATH)).json.annotations.map((a: { text: string }) => a.text)).not.toContain('sneaky')
  })

  it("a shared link's page carries the shared notes, never the others", async () => {
    await adminCall(server.url, 'POST', PATH, { date: TODAY, text: 'Team only: salary page fix' })
    const shared = (await adminCall(server.url, 'POST', PATH, { date: TODAY, text: 'Newsletter sent', shared: true })).json
    const share = (await adminCall(server.url, 'POST', '/api/shares', { site: 'example.lv' })).json.token as string
    const html = await (await fetch(`${server.url}/share/${share}`)).text()
    const notes = bootOf(html).sites[0].annotations as { text: string; shared: boolean }[]
    expect(notes.map((a) => a.text)).toEqual(['Spring campaign', 'Newsletter sent'])
    expect(notes).toContainEqual(shared)
    expect(html).not.toContain('salary page fix')
  })

  it('keeps at most 500 notes a site', async () => {
    const have = (await adminCall(server.url, 'GET', '/api/sites/other.lv/annotations')).json.annotations.length
    for (let i = have; i < 500; i++) {
      expect((await adminCall(server.url, 'POST', '/api/sites/other.lv/annotations', { date: addDays(TODAY, -(i % 300)), text: `note ${i}` })).status).toBe(201)
    }
    expect(await adminCall(server.url, 'POST', '/api/sites/other.lv/annotations', { date: TODAY, text: 'one too many' })).toMatchObject({
      status: 409,
      json: { code: 'too_many_annotations', params: { max: 500 } },
    })
  }, 120_000)
})

describe('annotations CLI (no server running: on the data itself)', () => {
  const dataDir = tempDir()
  const skaits = (args: string[]) => runCli(dataDir, args, '', { TIMEZONE: 'UTC' })

  it('adds, lists and removes notes, with clear exit codes', () => {
    expect(skaits(['sites', 'add', 'example.lv']).code).toBe(0)
    const added = skaits(['annotations', 'add', '--site', 'example.lv', '--date', addDays(TODAY, -1), '--text', 'Deploy 3', '--shared'])
    expect(added).toMatchObject({ code: 0, json: { id: 1, date: addDays(TODAY, -1), text: 'Deploy 3', shared: true } })
    expect(skaits(['annotations', 'add', '--site', 'example.lv', '--date', TODAY, '--text', 'Private']).json).toMatchObject({ id: 2, shared: false })
    expect(skaits(['annotations', 'list', '--site', 'example.lv']).json.map((a: { text: string }) => a.text)).toEqual(['Deploy 3', 'Private'])
    expect(skaits(['annotations', 'remove', '--site', 'example.lv', '1'])).toMatchObject({ code: 0, json: { deleted: { id: 1 } } })
    expect(skaits(['annotations', 'list', '--site', 'example.lv']).json.map((a: { id: number }) => a.id)).toEqual([2])
    expect(skaits(['annotations', 'remove', '--site', 'example.lv', '1'])).toMatchObject({ code: 1, json: { error: 'no annotation 1 on this site' } })
    expect(skaits(['annotations', 'add', '--site', 'example.lv', '--date', '2026-13-01', '--text', 'x'])).toMatchObject({ code: 1, json: { error: expect.stringContaining('date') } })
    expect(skaits(['annotations', 'add', '--site', 'example.lv', '--date', TODAY]).code).toBe(2)
    // `reports render --text` stays a switch.
    expect(skaits(['reports', 'render', '--site', 'example.lv', '--period', 'week', '--text']).json).toHaveProperty('text')
  }, 120_000)
})
