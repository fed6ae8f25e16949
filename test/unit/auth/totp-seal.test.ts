import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { looksLikeRecovery, newRecoveryCodes, TotpSeal } from '../../../server/auth/totp-seal.ts'

const key = randomBytes(32)
const seal = new TotpSeal(key)
const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'

describe('the sealed TOTP secret', () => {
  it('opens for its owner under the same key, and for no other owner or key', () => {
    const sealed = seal.seal('owner-a', SECRET)
    expect(sealed).not.toContain(SECRET)
    expect(seal.open('owner-a', sealed)).toBe(SECRET)
    expect(new TotpSeal(Buffer.from(key)).open('owner-a', sealed)).toBe(SECRET)
    expect(seal.open('owner-b', sealed)).toBeUndefined()
    expect(new TotpSeal(randomBytes(32)).open('owner-a', sealed)).toBeUndefined()
  })

  it('refuses a sealed text changed in any part', () => {
    const sealed = seal.seal('owner-a', SECRET)
    const parts = sealed.split('.')
    for (let i = 1; i < parts.length; i++) {
      const changed = [...parts]
      const bytes = Buffer.from(changed[i]!, 'base64url')
      bytes[0]! ^= 1
      changed[i] = bytes.toString('base64url')
      expect(seal.open('owner-a', changed.join('.')), `part ${i}`).toBeUndefined()
    }
    expect(seal.open('owner-a', 'v2.' + parts.slice(1).join('.'))).toBeUndefined()
    expect(seal.open('owner-a', '')).toBeUndefined()
  })

  it('gives two seals of one secret different texts (a fresh IV each time)', () => {
    expect(seal.seal('owner-a', SECRET)).not.toBe(seal.seal('owner-a', SECRET))
  })
})

describe('recovery codes', () => {
  it('are ten distinct codes of 10 letters and digits that cannot be misread, hashed per owner and key', () => {
    const codes = newRecoveryCodes()
    expect(new Set(codes).size).toBe(10)
    for (const c of codes) {
      expect(c).toMatch(/^[a-hjkmnp-z2-9]{5}-[a-hjkmnp-z2-9]{5}$/)
      expect(looksLikeRecovery(c)).toBe(true)
    }
    const [c] = codes
    expect(seal.recoveryHash('a', c!)).toBe(seal.recoveryHash('a', c!.toUpperCase().replace('-', ' ')))
    expect(seal.recoveryHash('a', c!)).not.toBe(seal.recoveryHash('b', c!))
    expect(seal.recoveryHash('a', c!)).not.toBe(new TotpSeal(randomBytes(32)).recoveryHash('a', c!))
    expect(looksLikeRecovery('123456')).toBe(false)
    expect(looksLikeRecovery('1234567890')).toBe(false)
  })
})

describe('second-step tokens', () => {
  const hashes: Record<string, string> = { a: 'scrypt-hash-a', b: 'scrypt-hash-b' }
  const of = (id: string) => hashes[id]

  it('name their owner and expiry while signed with this key and the owner has the same password', () => {
    const token = seal.stepToken('a', 1234, 'scrypt-hash-a')
    expect(seal.readStepToken(token, of)).toEqual({ ownerId: 'a', expiresAt: 1234 })
    expect(new TotpSeal(randomBytes(32)).readStepToken(token, of)).toBeUndefined()
    expect(seal.readStepToken(token, (id) => (id === 'a' ? 'a changed password' : undefined))).toBeUndefined()
    expect(seal.readStepToken(token, () => undefined)).toBeUndefined()
  })

  it('cannot be moved to another owner or a later expiry', () => {
    const token = seal.stepToken('a', 1234, 'scrypt-hash-a')
    const mac = token.split('.')[1]
    for (const named of [['b', 1234], ['a', 9_999_999]]) {
      const forged = `t2_${Buffer.from(JSON.stringify(named)).toString('base64url')}.${mac}`
      expect(seal.readStepToken(forged, of)).toBeUndefined()
    }
    expect(seal.readStepToken('t2_x.y', of)).toBeUndefined()
    expect(seal.readStepToken('', of)).toBeUndefined()
  })
})
