import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../helpers/skaits.ts'

// `owners remove` and `owners reset` with no server running (the CLI opens the data itself);
// the HTTP side of both is tested through the app in access-manage.test.ts.

const ROOT = path.resolve(import.meta.dirname, '../..')
const dataDir = tempDir()

function skaits(args: string[], input = ''): { code: number | null; json: any } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', ...args, '--json'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, ISP_LOOKUP: 'off' },
    input,
    encoding: 'utf8',
    timeout: 60_000,
  })
  let json: unknown
  try {
    json = JSON.parse(r.stdout.trim().split('\n').pop() ?? '')
  } catch {
    json = undefined
  }
  return { code: r.status, json }
}

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
