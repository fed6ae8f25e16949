import { randomBytes } from 'node:crypto'
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../../server/config.ts'
import { loadSaltKey, SaltSeal } from '../../../server/privacy/salt-key.ts'
import { tempDir } from '../../helpers/skaits.ts'

const day = new Date().toISOString().slice(0, 10)

describe('salt seeds under a key', () => {
  it('derives the same salt from a seed under the same key, and none under another key or day', () => {
    const key = randomBytes(32)
    const seal = new SaltSeal(key)
    const seed = seal.fresh(day)
    const salt = seal.open(day, seed)!
    expect(salt).toHaveLength(32)
    expect(salt.equals(seed)).toBe(false)
    expect(new SaltSeal(Buffer.from(key)).open(day, seed)!.equals(salt)).toBe(true)
    expect(new SaltSeal(randomBytes(32)).open(day, seed)).toBeUndefined()
    expect(seal.open('2001-01-01', seed)).toBeUndefined()
    expect(seal.fresh(day).equals(seed)).toBe(false)
    expect(seal.tokenSuffix).toMatch(/^-[0-9a-f]{16}$/)
    expect(new SaltSeal(randomBytes(32)).tokenSuffix).not.toBe(seal.tokenSuffix)
  })

  it('without a key, the seed is the salt (tests of the sharing protocol)', () => {
    const seal = new SaltSeal(undefined)
    const seed = seal.fresh(day)
    expect(seal.open(day, seed)!.equals(seed)).toBe(true)
    expect(seal.tokenSuffix).toBe('')
  })
})

describe('the salt key file', () => {
  it('is made once with mode 0600 and read back the same', () => {
    const file = path.join(tempDir(), 'keys', 'salt.key')
    const made = loadSaltKey(file)
    expect(made.created).toBe(true)
    expect(made.readableByOthers).toBe(false)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const again = loadSaltKey(file)
    expect(again.created).toBe(false)
    expect(again.key.equals(made.key)).toBe(true)
    chmodSync(file, 0o644)
    expect(loadSaltKey(file).readableByOthers).toBe(true)
  })

  it('refuses a file that is not 64 hex characters, naming the setting and not its content', () => {
    const file = path.join(tempDir(), 'salt.key')
    writeFileSync(file, 'hunter2\n', { mode: 0o600 })
    expect(() => loadSaltKey(file)).toThrow(ConfigError)
    expect(() => loadSaltKey(file)).toThrow(/^SALT_KEY_FILE: (?!.*hunter2)/)
    expect(readFileSync(file, 'utf8')).toBe('hunter2\n')
  })
})
