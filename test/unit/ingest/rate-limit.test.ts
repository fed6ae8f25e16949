import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { IngestRateLimiter } from '../../../server/ingest/rate-limit.ts'
import { ClientAddress } from '../../../server/privacy/client-address.ts'

/** A client address as the server holds it (undefined when the text is not one). */
const ip = (text: string) => ClientAddress.fromPeer(text)

function limiter(perMinute: number, maxKeys?: number) {
  let now = 1_000_000
  const l = new IngestRateLimiter({ perMinute, maxKeys, clock: () => now })
  return { l, advance: (ms: number) => (now += ms) }
}

describe('IngestRateLimiter', () => {
  it('allows a minute’s worth at once, then refuses with the time until the next one', () => {
    const { l, advance } = limiter(60)
    for (let i = 0; i < 60; i++) expect(l.take(ip('203.0.113.7'))).toBe(0)
    expect(l.take(ip('203.0.113.7'))).toBe(1000)
    advance(400)
    expect(l.take(ip('203.0.113.7'))).toBe(600)
    advance(600)
    expect(l.take(ip('203.0.113.7'))).toBe(0)
    expect(l.take(ip('203.0.113.7'))).toBe(1000)
  })

  it('counts per network: /24 for IPv4 (mapped IPv6 included), /48 for IPv6', () => {
    const { l } = limiter(2)
    expect([l.take(ip('203.0.113.7')), l.take(ip('203.0.113.200')), l.take(ip('::ffff:203.0.113.9'))]).toEqual([0, 0, 30_000])
    expect(l.take(ip('203.0.114.7'))).toBe(0)
    expect([l.take(ip('2001:db8:abcd:1::1')), l.take(ip('2001:db8:abcd:ffff::2')), l.take(ip('2001:db8:abcd::3'))]).toEqual([0, 0, 30_000])
    expect(l.take(ip('2001:db8:abce::1'))).toBe(0)
  })

  it('keeps networks, never addresses, and at most maxKeys of them (least recently seen go first)', () => {
    const { l } = limiter(10, 100)
    for (let i = 0; i < 1000; i++) l.take(ip(`10.${i >> 8}.${i & 255}.${(i * 7) & 255}`))
    l.take(ip('2001:db8:1:2:3:4:5:6'))
    l.take(undefined)
    l.take(ip('not an address'))
    const keys = l.networks()
    expect(keys.length).toBeLessThanOrEqual(100)
    for (const k of keys) expect(k).toMatch(/^(\d+\.\d+\.\d+\.0\/24|[0-9a-f:]+::\/48|\(none\))$/)
    expect(keys).toContain('2001:db8:1::/48')
    expect(keys).toContain('(none)')
  })

  it('never lets a network through more than a minute’s worth plus the rate over any span (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 120 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5000 }), fc.constantFrom('198.51.100.1', '198.51.100.99', '198.51.101.1')), { maxLength: 400 }),
        (perMinute, steps) => {
          const { l, advance } = limiter(perMinute)
          let elapsed = 0
          let allowed = 0
          for (const [ms, address] of steps) {
            advance(ms)
            elapsed += ms
            if (address !== '198.51.101.1' && l.take(ip(address)) === 0) allowed++
          }
          return allowed <= perMinute + Math.floor((elapsed * perMinute) / 60_000)
        },
      ),
      { numRuns: 500 },
    )
  })
})
