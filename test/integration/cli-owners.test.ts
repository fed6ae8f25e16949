import { describe, expect, it } from 'vitest'
import { runCli, tempDir } from '../helpers/skaits.ts'

// `owners remove` and `owners reset` with no server running (the CLI opens the data itself);
// the HTTP side of both is tested through the app in access-manage.test.ts.

const dataDir = tempDir()

const skaits = (args: string[], input?: string) => runCli(dataDir, args, input)

describe('CLI owners remove and reset', () => {
  it('prints a reset link, removes an owner by email, never the last one', () => {
    expect(skaits(['owners', 'add', 'anna@example.lv', '--password-stdin'], 'anna long passphrase\n').code).toBe(0)
    expect(skaits(['owners', 'add', 'juris@example.lv', '--password-stdin'], 'juris long passphrase\n').code).toBe(0)

    const reset = skaits(['owners', 'reset', 'juris@example.lv'])
    expect(reset.code).toBe(0)
    expect(reset.json).toMatchObject({ owner: { email: 'juris@example.lv' }, path: expect.stringMatching(/^\/reset\/rst_[\w-]{43}$/) })
    expect(skaits(['owners', 'reset', 'nobody@example.lv'])).toMatchObject({ code: 1, json: { error: 'no owner nobody@example.lv' } })
    expect(skaits(['owners', 'reset']).code).toBe(2)

    expect(skaits(['owners', 'remove', 'juris@example.lv'])).toMatchObject({ code: 0, json: { email: 'juris@example.lv' } })
    expect(skaits(['owners', 'list']).json.map((o: { email: string }) => o.email)).toEqual(['anna@example.lv'])
    const last = skaits(['owners', 'remove', 'anna@example.lv'])
    expect(last.code).toBe(1)
    expect(last.json.error).toMatch(/last owner/)
  })
})

describe('CLI owners with roles', () => {
  const dir = tempDir()
  const cli = (args: string[], input?: string) => runCli(dir, args, input)

  it('adds users with a role and sites, invites with a role, and changes a role with owners set', () => {
    expect(cli(['sites', 'add', 'a.lv']).code).toBe(0)
    expect(cli(['sites', 'add', 'b.lv']).code).toBe(0)
    expect(cli(['owners', 'add', 'boss@example.lv', '--password-stdin'], 'boss long passphrase\n').json.owner).toMatchObject({ role: 'owner', sites: [] })
    const viewer = cli(['owners', 'add', 'v@example.lv', '--role', 'viewer', '--sites', 'b.lv, a.lv', '--password-stdin'], 'viewer long passphrase\n')
    expect(viewer).toMatchObject({ code: 0, json: { owner: { email: 'v@example.lv', role: 'viewer', sites: ['a.lv', 'b.lv'] } } })
    const invited = cli(['owners', 'add', 'adm@example.lv', '--role', 'admin', '--sites', 'a.lv'])
    expect(invited).toMatchObject({ code: 0, json: { invitation: { email: 'adm@example.lv', role: 'admin', sites: ['a.lv'] } } })

    expect(cli(['owners', 'add', 'x@example.lv', '--role', 'admin'])).toMatchObject({ code: 1, json: { error: expect.stringMatching(/at least one site/) } })
    expect(cli(['owners', 'add', 'x@example.lv', '--role', 'boss'])).toMatchObject({ code: 1, json: { error: 'role must be owner, admin or viewer' } })
    expect(cli(['owners', 'add', 'x@example.lv', '--role', 'viewer', '--sites', 'c.lv']).code).toBe(1)

    expect(cli(['owners', 'set', 'v@example.lv', '--role', 'admin']).json).toMatchObject({ role: 'admin', sites: ['a.lv', 'b.lv'] })
    expect(cli(['owners', 'set', 'v@example.lv', '--sites', 'b.lv']).json).toMatchObject({ role: 'admin', sites: ['b.lv'] })
    expect(cli(['owners', 'set', 'v@example.lv']).code).toBe(2)
    expect(cli(['owners', 'set', 'boss@example.lv', '--role', 'viewer', '--sites', 'a.lv'])).toMatchObject({ code: 1, json: { error: expect.stringMatching(/last owner/) } })
    const list = cli(['owners', 'list']).json as { email: string; role: string; sites: string[] }[]
    expect(list.map((u) => [u.email, u.role, u.sites.join(',')])).toEqual([
      ['boss@example.lv', 'owner', ''],
      ['v@example.lv', 'admin', 'b.lv'],
    ])
  })
})
