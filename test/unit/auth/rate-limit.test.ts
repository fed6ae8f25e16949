import { describe, expect, it } from 'vitest'
import { FailureLimiter } from '../../../server/auth/rate-limit.ts'

function limiter(options: { max?: number; windowMs?: number; maxKeys?: number } = {}) {
  let now = 1_000_000
  const clock = { advance: (ms: number) => void (now += ms) }
  const l = new FailureLimiter({ max: 3, windowMs: 60_000, maxKeys: 100, ...options, clock: () => now })
  return { l, clock }
}

describe('FailureLimiter', () => {
  it('allows max failures, then refuses until the window ends', () => {
    const { l, clock } = limiter()
    const key = '203.0.113.0/24'
    expect(l.retryAfterMs(key)).toBe(0)
    l.fail(key)
    clock.advance(1_000)
    l.fail(key)
    expect(l.retryAfterMs(key)).toBe(0)
    l.fail(key)
    expect(l.retryAfterMs(key)).toBe(59_000)
    clock.advance(58_999)
    expect(l.retryAfterMs(key)).toBe(1)
    clock.advance(1)
    expect(l.retryAfterMs(key)).toBe(0)
  })

  it('starts a fresh window after the old one ended', () => {
    const { l, clock } = limiter()
    l.fail('k')
    l.fail('k')
    clock.advance(60_000)
    l.fail('k')
    l.fail('k')
    expect(l.retryAfterMs('k')).toBe(0)
    l.fail('k')
    expect(l.retryAfterMs('k')).toBe(60_000)
  })

  it('keeps keys apart', () => {
    const { l } = limiter({ max: 1 })
    l.fail('account:a@example.com')
    expect(l.retryAfterMs('account:a@example.com')).toBe(60_000)
    expect(l.retryAfterMs('account:b@example.com')).toBe(0)
    expect(l.retryAfterMs('203.0.113.0/24')).toBe(0)
  })

  it('forgets a key on reset', () => {
    const { l } = limiter({ max: 2 })
    l.fail('k')
    l.fail('k')
    expect(l.retryAfterMs('k')).toBeGreaterThan(0)
    l.reset('k')
    expect(l.retryAfterMs('k')).toBe(0)
    l.fail('k')
    expect(l.retryAfterMs('k')).toBe(0)
  })

  it('holds at most maxKeys, dropping the oldest window', () => {
    const { l, clock } = limiter({ max: 1, maxKeys: 3 })
    for (const key of ['a', 'b', 'c']) {
      l.fail(key)
      clock.advance(10)
    }
    l.fail('a') // a later failure does not make 'a' younger: its window started first
    l.fail('d')
    expect(l.size).toBe(3)
    expect(l.retryAfterMs('a')).toBe(0)
    for (const key of ['b', 'c', 'd']) expect(l.retryAfterMs(key), key).toBeGreaterThan(0)
    for (let i = 0; i < 1000; i++) l.fail(`flood-${i}`)
    expect(l.size).toBe(3)
  })

  it('drops ended windows as new failures arrive', () => {
    const { l, clock } = limiter({ maxKeys: 100 })
    for (let i = 0; i < 50; i++) l.fail(`old-${i}`)
    clock.advance(60_000)
    l.fail('new')
    expect(l.size).toBe(1)
  })

  it('refuses nonsensical settings', () => {
    expect(() => new FailureLimiter({ max: 0, windowMs: 1000, maxKeys: 10 })).toThrow(/max/)
    expect(() => new FailureLimiter({ max: 5, windowMs: -1, maxKeys: 10 })).toThrow(/windowMs/)
    expect(() => new FailureLimiter({ max: 5, windowMs: 1000, maxKeys: 1.5 })).toThrow(/maxKeys/)
  })

  it('uses the wall clock by default', () => {
    const l = new FailureLimiter({ max: 1, windowMs: 60_000, maxKeys: 10 })
    l.fail('k')
    const wait = l.retryAfterMs('k')
    expect(wait).toBeGreaterThan(59_000)
    expect(wait).toBeLessThanOrEqual(60_000)
  })
})
