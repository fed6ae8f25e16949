import { afterAll, describe, expect, it } from 'vitest'
import { CHROME_UA, runCli, sendEvent, spawnServer, tempDir, type SpawnedSkaits } from '../helpers/skaits.ts'

const dataDir = tempDir()
let server: SpawnedSkaits | undefined

const skaits = (args: string[], input?: string) => runCli(dataDir, args, input)

afterAll(async () => {
  await server?.stop()
})

describe('CLI with no server running (opens the data itself)', () => {
  it('adds, lists and refuses sites with clear exit codes', () => {
    expect(skaits(['sites', 'add', 'example.lv'])).toMatchObject({ code: 0, json: { domain: 'example.lv' } })
    expect(skaits(['sites', 'add', 'example.lv'])).toMatchObject({ code: 1, json: { error: 'example.lv is already a site' } })
    expect(skaits(['sites', 'add', 'not a domain'])).toMatchObject({ code: 1 })
    expect(skaits(['sites', 'list']).json.map((s: { domain: string }) => s.domain)).toEqual(['example.lv'])
    expect(skaits(['sites', 'frobnicate']).code).toBe(2)
    expect(skaits(['keys', 'create']).code).toBe(2) // --name missing
  })

  it('creates a key once, lists it without the secret, revokes it', () => {
    const created = skaits(['keys', 'create', '--name', 'reporting', '--sites', 'example.lv'])
    expect(created).toMatchObject({ code: 0, json: { name: 'reporting', sites: ['example.lv'] } })
    expect(created.json.key).toMatch(/^sk_/)
    const listed = skaits(['keys', 'list'])
    expect(listed.json).toEqual([{ id: created.json.id, name: 'reporting', sites: ['example.lv'], public: false, min_crowd: null, created_at: expect.any(String) }])
    expect(JSON.stringify(listed.json)).not.toContain(created.json.key)
    expect(skaits(['keys', 'revoke', created.json.id])).toMatchObject({ code: 0 })
    expect(skaits(['keys', 'list']).json).toEqual([])
    expect(skaits(['keys', 'revoke', created.json.id]).code).toBe(1)
    // A public-scoped key answers under the minimum crowd; k below 2 is refused.
    expect(skaits(['keys', 'create', '--name', 'public page', '--public'])).toMatchObject({ code: 0, json: { public: true, min_crowd: 5 } })
    expect(skaits(['keys', 'create', '--name', 'public page', '--min-crowd', '8'])).toMatchObject({ code: 0, json: { public: true, min_crowd: 8 } })
    expect(skaits(['keys', 'create', '--name', 'public page', '--min-crowd', '1']).code).toBe(1)
  })

  it('adds owners with a password from stdin, or as an invitation', () => {
    expect(skaits(['owners', 'add', 'anna@example.lv', '--password-stdin'], 'a-long-secret-phrase\n')).toMatchObject({
      code: 0,
      json: { owner: { email: 'anna@example.lv' } },
    })
    expect(skaits(['owners', 'add', 'weak@example.lv', '--password-stdin'], 'short\n').code).toBe(1)
    const invited = skaits(['owners', 'add', 'juris@example.lv'])
    expect(invited.json.invitation.path).toMatch(/^\/invite\/inv_/)
    expect(skaits(['owners', 'list']).json.map((o: { email: string }) => o.email)).toEqual(['anna@example.lv'])
  })

  it('creates, lists and revokes shared links', () => {
    const share = skaits(['shares', 'create', '--site', 'example.lv', '--name', 'partner'])
    expect(share).toMatchObject({ code: 0, json: { site: 'example.lv', name: 'partner', password: false } })
    expect(share.json.path).toBe(`/share/${share.json.token}`)
    expect(skaits(['shares', 'list', '--site', 'example.lv']).json).toHaveLength(1)
    expect(skaits(['shares', 'revoke', share.json.id]).code).toBe(0)
    expect(skaits(['shares', 'list']).json).toEqual([])
    expect(skaits(['shares', 'create', '--site', 'nope.lv']).code).toBe(1)
  })
})

describe('CLI with the server running (asks it over HTTP)', () => {
  it('works while the server holds the data directory, and the server sees the change at once', async () => {
    server = await spawnServer({ DATA_DIR: dataDir, SKAITS_SITES: '', SKAITS_API_KEY: '' })
    const added = skaits(['sites', 'add', 'shop.lv'])
    expect(added).toMatchObject({ code: 0, json: { domain: 'shop.lv' } })
    expect(skaits(['goals', 'add', '--site', 'shop.lv', '--event', 'Signup'])).toMatchObject({ code: 0, json: { name: 'Signup' } })
    expect(skaits(['goals', 'list', '--site', 'shop.lv']).json.map((g: { name: string }) => g.name)).toEqual(['Signup'])
    // The running server counts the new site at once: the CLI went through it.
    expect((await sendEvent(server.url, { n: 'pageview', u: 'https://shop.lv/', d: 'shop.lv' }, { ua: CHROME_UA })).status).toBe(202)
    const key = skaits(['keys', 'create', '--name', 'live'])
    const res = await fetch(`${server.url}/api/v2/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.json.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ site_id: 'shop.lv', metrics: ['pageviews'], date_range: 'day' }),
    })
    expect(res.status).toBe(200)
    expect(skaits(['sites', 'remove', 'shop.lv'])).toMatchObject({ code: 0 })
    expect((await sendEvent(server.url, { n: 'pageview', u: 'https://shop.lv/', d: 'shop.lv' }, { ua: CHROME_UA })).status).toBe(400)
    expect(server.output()).not.toContain(key.json.key)
  })
})
