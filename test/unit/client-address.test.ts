import { describe, expect, it } from 'vitest'
import { clientAddress, normalizeAddress } from '../../server/privacy/client-address.ts'

describe('client address', () => {
  it('uses the socket peer when no proxy is trusted, ignoring X-Forwarded-For', () => {
    expect(clientAddress('198.51.100.9', '203.0.113.1', 0)).toBe('198.51.100.9')
  })
  it('takes the N-th entry from the right with N trusted proxies', () => {
    const xff = '10.9.9.9, 203.0.113.5, 192.0.2.1'
    expect(clientAddress('127.0.0.1', xff, 1)).toBe('192.0.2.1')
    expect(clientAddress('127.0.0.1', xff, 2)).toBe('203.0.113.5')
    expect(clientAddress('127.0.0.1', xff, 3)).toBe('10.9.9.9')
    expect(clientAddress('127.0.0.1', xff, 5)).toBe('10.9.9.9')
  })
  it('falls back to the socket when the forwarded entry is not an address', () => {
    expect(clientAddress('127.0.0.1', 'unknown', 1)).toBe('127.0.0.1')
    expect(clientAddress('127.0.0.1', '', 1)).toBe('127.0.0.1')
  })
  it('normalises IPv4-mapped IPv6, ports, brackets and zones', () => {
    expect(normalizeAddress('::ffff:203.0.113.77')).toBe('203.0.113.77')
    expect(normalizeAddress('::FFFF:203.0.113.77')).toBe('203.0.113.77')
    expect(normalizeAddress('203.0.113.77:5123')).toBe('203.0.113.77')
    expect(normalizeAddress('[2001:DB8::1]:443')).toBe('2001:db8::1')
    expect(normalizeAddress('fe80::1%eth0')).toBe('fe80::1')
    expect(normalizeAddress('not-an-ip')).toBeUndefined()
    expect(normalizeAddress('999.1.1.1')).toBeUndefined()
  })
})
