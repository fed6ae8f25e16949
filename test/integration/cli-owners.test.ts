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
