import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { newToken, safeEqual, tokenHash, type TokenPrefix } from '../../../server/auth/tokens.ts'

describe('newToken', () => {
  it.each<TokenPrefix>(['sk', 'ss', 'sh', 'inv', 'adm'])('is %s_ and 32 random bytes in base64url', (prefix) => {
    const token = newToken(prefix)
    expect(token.startsWith(`${prefix}_`)).toBe(true)
    const body = token.slice(prefix.length + 1)
    expect(body).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(Buffer.from(body, 'base64url')).toHaveLength(32)
  })

  it('never repeats and uses the whole alphabet', () => {
    const tokens = Array.from({ length: 1000 }, () => newToken('ss'))
    expect(new Set(tokens).size).toBe(1000)
    const characters = new Set(tokens.flatMap((t) => [...t.slice(3)]))
    expect(characters.size).toBe(64)
  })
})

describe('tokenHash', () => {
  it('is SHA-256 in hex', () => {
    expect(tokenHash('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    const token = newToken('sk')
    expect(tokenHash(token)).toBe(createHash('sha256').update(token).digest('hex'))
    expect(tokenHash(token)).not.toBe(tokenHash(newToken('sk')))
  })
})

describe('safeEqual', () => {
  it('compares strings of any length', () => {
    const token = newToken('sh')
    expect(safeEqual(token, token)).toBe(true)
    expect(safeEqual(token, `${token}`.slice(0))).toBe(true)
    expect(safeEqual('', '')).toBe(true)
    expect(safeEqual(token, token.slice(0, -1))).toBe(false)
    expect(safeEqual(token, `${token}x`)).toBe(false)
    expect(safeEqual(token, newToken('sh'))).toBe(false)
    expect(safeEqual('a', 'b')).toBe(false)
    expect(safeEqual('', 'a')).toBe(false)
    expect(safeEqual('x'.repeat(10_000), 'x'.repeat(10_000))).toBe(true)
    expect(safeEqual('x'.repeat(10_000), 'x'.repeat(9_999) + 'y')).toBe(false)
  })
})
