import { describe, expect, it } from 'vitest'
import { ClientAddress } from '../../../server/privacy/client-address.ts'
import { compileExclusions, exclusionsInput, normalizeRange } from '../../../server/sites/exclusions.ts'

describe('normalizeRange', () => {
  it('writes a range as the network it names, one address as /32 or /128', () => {
    expect(normalizeRange('203.0.113.77/24')).toBe('203.0.113.0/24')
    expect(normalizeRange(' 192.0.2.1 ')).toBe('192.0.2.1/32')
    expect(normalizeRange('2001:DB8:ffff::1/32')).toBe('2001:db8::/32')
    expect(normalizeRange('2001:db8:1:2:3:4:5:6/64')).toBe('2001:db8:1:2::/64')
    expect(normalizeRange('::1')).toBe('::1/128')
    expect(normalizeRange('0.0.0.0/0')).toBe('0.0.0.0/0')
  })

  it('refuses what is not a range', () => {
    for (const bad of ['203.0.113.0/33', '2001:db8::/129', 'office', '203.0.113/24', '1.2.3.4/8/8', '1.2.3.4/', '1.2.3.4/-1', '']) expect(normalizeRange(bad), bad).toBe('')
  })
})

describe('compileExclusions', () => {
  const m = compileExclusions(exclusionsInput.parse({ addresses: ['203.0.113.0/24', '2001:db8::/32'], pages: ['/admin/**', '/preview/*'] }))
  it('asks ClientAddress whether its address lies in a range (IPv4, IPv6, IPv4-mapped)', () => {
    const inside = (a: string) => m.address(ClientAddress.fromPeer(a))
    expect([inside('203.0.113.1'), inside('203.0.113.255'), inside('2001:db8:aa::1'), inside('::ffff:203.0.113.5')]).toEqual([true, true, true, true])
    expect([inside('203.0.114.1'), inside('2001:db9::1'), inside('192.0.2.1')]).toEqual([false, false, false])
    expect(m.address(undefined)).toBe(false)
  })

  it('matches page patterns as goals and section rules do', () => {
    expect(['/admin', '/admin/x/y', '/preview/a'].map(m.page)).toEqual([true, true, true])
    expect(['/administration', '/preview/a/b', '/'].map(m.page)).toEqual([false, false, false])
  })

  it('without exclusions, matches nothing', () => {
    const none = compileExclusions(undefined)
    expect(none.any).toBe(false)
    expect(none.address(ClientAddress.fromPeer('203.0.113.1'))).toBe(false)
    expect(none.page('/admin')).toBe(false)
  })
})
