import { scryptSync } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { describe, expect, it } from 'vitest'
import { checkPasswordPolicy, hashPassword, verifyAgainstDummy, verifyPassword } from '../../../server/auth/password.ts'

const FORMAT = /^scrypt\$32768\$8\$1\$([A-Za-z0-9_-]{22})\$([A-Za-z0-9_-]{43})$/

/** A stored hash made outside the module, with any parameters. */
function storedWith(password: string, N: number, r: number, p: number, keyBytes = 32): string {
  const salt = Buffer.alloc(16, 7)
  const key = scryptSync(password, salt, keyBytes, { N, r, p, maxmem: 256 * N * r * p })
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64url')}$${key.toString('base64url')}`
}

describe('hashPassword', () => {
  it('writes the self-describing format with a fresh salt each time', async () => {
    const [a, b] = await Promise.all([hashPassword('correct horse'), hashPassword('correct horse')])
    expect(a).toMatch(FORMAT)
    expect(b).toMatch(FORMAT)
    expect(a).not.toBe(b)
    expect(FORMAT.exec(a)?.[1]).not.toBe(FORMAT.exec(b)?.[1])
  })

  it('is scrypt with N=32768, r=8, p=1 over the written salt', async () => {
    const stored = await hashPassword('correct horse')
    const [, salt = '', key = ''] = FORMAT.exec(stored) ?? []
    const expected = scryptSync('correct horse', Buffer.from(salt, 'base64url'), 32, {
      N: 32768,
      r: 8,
      p: 1,
      maxmem: 64 * 1024 * 1024,
    })
    expect(key).toBe(expected.toString('base64url'))
  })
})

describe('verifyPassword', () => {
  it('accepts the password and refuses any other', async () => {
    const stored = await hashPassword('correct horse battery')
    expect(await verifyPassword('correct horse battery', stored)).toBe(true)
    expect(await verifyPassword('correct horse batterY', stored)).toBe(false)
    expect(await verifyPassword('correct horse battery ', stored)).toBe(false)
    expect(await verifyPassword('', stored)).toBe(false)
  })

  it('treats canonically equal Unicode spellings as the same password', async () => {
    const stored = await hashPassword('caf\u00e9 au lait!')
    expect(await verifyPassword('cafe\u0301 au lait!', stored)).toBe(true)
  })

  it('reads the parameters from the stored hash, so they can change later', async () => {
    const older = storedWith('old parameters', 1024, 8, 1)
    expect(await verifyPassword('old parameters', older)).toBe(true)
    expect(await verifyPassword('other password', older)).toBe(false)
    // The same hash relabelled with other parameters no longer matches.
    expect(await verifyPassword('old parameters', older.replace('$1024$', '$2048$'))).toBe(false)
    expect(await verifyPassword('old parameters', storedWith('old parameters', 1024, 8, 2).replace('$2$', '$1$'))).toBe(false)
  })

  it('answers false, without throwing, for malformed stored strings', async () => {
    const good = storedWith('pw', 1024, 8, 1)
    const [, , , , salt = '', key = ''] = good.split('$')
    const malformed = [
      '',
      'scrypt',
      '$$$$$',
      good.replace('scrypt$', 'bcrypt$'),
      `${good}$extra`,
      `scrypt$1000$8$1$${salt}$${key}`, // N not a power of two
      `scrypt$1$8$1$${salt}$${key}`,
      `scrypt$${2 ** 30}$8$1$${salt}$${key}`, // would need 128 GiB
      `scrypt$1024$0$1$${salt}$${key}`,
      `scrypt$1024$8$0$${salt}$${key}`,
      `scrypt$1024$-8$1$${salt}$${key}`,
      `scrypt$1024$08$1$${salt}$${key}`,
      `scrypt$1024$8$1$${salt}$${key.slice(0, 10)}`, // key too short
      `scrypt$1024$8$1$${salt.slice(0, 8)}$${key}`, // salt too short
      `scrypt$1024$8$1$${salt}$${key.slice(0, -1)}!`,
      `scrypt$1024$8$1$$${key}`,
      `scrypt$1024$8$1$${salt}$${'A'.repeat(200)}`,
      `scrypt$1024$8$1$${salt}$${key}\n`,
    ]
    for (const stored of malformed) {
      await expect(verifyPassword('pw', stored), stored).resolves.toBe(false)
    }
    expect(await verifyPassword('pw', good)).toBe(true)
  })
})

describe('verifyAgainstDummy', () => {
  it('answers false and costs about one real verification', async () => {
    const stored = await hashPassword('correct horse')
    // Warm up, then take the fastest of several runs of each, the two interleaved, so that a busy
    // machine (the suite runs beside other tests) slows both alike instead of one of them.
    await verifyPassword('correct horse', stored)
    let real = Infinity
    let dummy = Infinity
    const time = async (run: () => Promise<unknown>) => {
      const start = performance.now()
      await run()
      return performance.now() - start
    }
    for (let i = 0; i < 6; i++) {
      real = Math.min(real, await time(() => verifyPassword('correct horse', stored)))
      dummy = Math.min(dummy, await time(() => verifyAgainstDummy('correct horse')))
    }
    expect(await verifyAgainstDummy('correct horse')).toBe(false)
    expect(dummy).toBeGreaterThan(real * 0.5)
    expect(dummy).toBeLessThan(real * 2)
  })
})

describe('checkPasswordPolicy', () => {
  it.each([
    ['5 characters', 'short', 'Use at least 10 characters.'],
    ['9 characters', '123456789', 'Use at least 10 characters.'],
    ['1025 characters', 'xy'.repeat(512) + 'z', 'Use at most 1024 characters.'],
    ['one letter repeated', 'aaaaaaaaaaaa', 'Use more than one distinct character.'],
    ['one emoji repeated', '🙂'.repeat(10), 'Use more than one distinct character.'],
    ['password123', 'password123', 'This password is too easy to guess; choose another.'],
    ['PASSWORD123', 'PASSWORD123', 'This password is too easy to guess; choose another.'],
    ['1234567890', '1234567890', 'This password is too easy to guess; choose another.'],
  ])('refuses %s', (_label, password, message) => {
    expect(checkPasswordPolicy(password)).toBe(message)
  })

  it.each([
    ['a passphrase', 'correct horse'],
    ['10 characters, two distinct', 'aaaaaaaaab'],
    ['1024 characters', 'xy'.repeat(512)],
    ['a near miss of the list', 'password1235'],
    ['10 emoji', '🙂🙃'.repeat(5)],
  ])('accepts %s', (_label, password) => {
    expect(checkPasswordPolicy(password)).toBeUndefined()
  })

  it('counts characters, not UTF-16 units', () => {
    // Five emoji are ten UTF-16 code units but only five characters.
    expect(checkPasswordPolicy('🙂🙃😀😁😂')).toBe('Use at least 10 characters.')
  })
})
