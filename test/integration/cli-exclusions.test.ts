// `exclusions show|set --site` on a stopped server's data (the CLI opens it itself).
import { describe, expect, it } from 'vitest'
import { runCli, tempDir } from '../helpers/skaits.ts'

describe('skaits exclusions', () => {
  it('sets, shows and empties a site’s address ranges and page patterns; refuses a bad range', () => {
    const dataDir = tempDir()
    const skaits = (args: string[]) => runCli(dataDir, args)
    expect(skaits(['sites', 'add', 'example.lv']).code).toBe(0)
    const set = skaits(['exclusions', 'set', '--site', 'example.lv', '--addresses', '203.0.113.5/24, 2001:db8::/32', '--pages', '/admin/**,/preview/*'])
    expect(set.code, set.stderr).toBe(0)
    expect(set.json).toMatchObject({ addresses: ['203.0.113.0/24', '2001:db8::/32'], pages: ['/admin/**', '/preview/*'] })
    expect(skaits(['exclusions', 'show', '--site', 'example.lv']).json).toMatchObject({ addresses: ['203.0.113.0/24', '2001:db8::/32'], hostnames: ['example.lv', '*.example.lv'] })
    const bad = skaits(['exclusions', 'set', '--site', 'example.lv', '--addresses', '203.0.113.0/40'])
    expect(bad.code).toBe(1)
    expect(JSON.stringify(bad.json) + bad.stderr).toContain('203.0.113.0/40')
    expect(skaits(['exclusions', 'set', '--site', 'example.lv']).json).toMatchObject({ addresses: [], pages: [] })
    expect(skaits(['exclusions', 'show']).code).toBe(2)
  }, 120_000)
})
