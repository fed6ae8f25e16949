import { randomBytes } from 'node:crypto'
import { BlockList } from 'node:net'
import { describe, expect, it } from 'vitest'
import { addressPrefix, ipv6Groups } from '../../../server/privacy/prefix.ts'

describe('addressPrefix', () => {
  it('cuts IPv4 to its /24', () => {
    expect(addressPrefix('203.0.113.77')).toBe('203.0.113.0/24')
    expect(addressPrefix('87.110.1.2')).toBe('87.110.1.0/24')
    expect(addressPrefix('0.0.0.0')).toBe('0.0.0.0/24')
    expect(addressPrefix('255.255.255.255')).toBe('255.255.255.0/24')
  })

  it('cuts IPv6 to its /48 in RFC 5952 text, whatever the input spelling', () => {
    expect(addressPrefix('2001:db8:abcd:12::1')).toBe('2001:db8:abcd::/48')
    expect(addressPrefix('2001:0db8:abcd:0012:0000:0000:0000:0001')).toBe('2001:db8:abcd::/48')
    expect(addressPrefix('2001:DB8:ABCD:ffff:ffff:ffff:ffff:ffff')).toBe('2001:db8:abcd::/48')
    expect(addressPrefix('2001:db8::1')).toBe('2001:db8::/48')
    expect(addressPrefix('2001:db8:0:1::1')).toBe('2001:db8::/48')
    expect(addressPrefix('2001:0:abcd::')).toBe('2001:0:abcd::/48')
    expect(addressPrefix('0:1::5')).toBe('0:1::/48')
    expect(addressPrefix('::')).toBe('::/48')
    expect(addressPrefix('::1')).toBe('::/48')
    expect(addressPrefix('::2:3:4:5:6:7')).toBe('0:0:2::/48')
    expect(addressPrefix('::abcd:2:3:4:5:6:7')).toBe('0:abcd:2::/48')
    expect(addressPrefix('1:2:3:4:5:6:7::')).toBe('1:2:3::/48')
    expect(addressPrefix('fe80::1%eth0')).toBe('fe80::/48')
    expect(addressPrefix('64:ff9b::192.0.2.33')).toBe('64:ff9b::/48')
  })

  it('treats IPv4-mapped IPv6 as the IPv4 address it carries', () => {
    expect(addressPrefix('::ffff:87.110.1.2')).toBe('87.110.1.0/24')
    expect(addressPrefix('::FFFF:87.110.1.2')).toBe('87.110.1.0/24')
  })

  it('names a network that contains the address and ignores the bits below the prefix', () => {
    for (let i = 0; i < 500; i++) {
      const bytes = randomBytes(16)
      const groups = Array.from({ length: 8 }, (_, g) => bytes.readUInt16BE(g * 2).toString(16))
      // Knock out random groups so compressed forms (`::`) are exercised too.
      const zeroFrom = i % 8
      const zeroTo = zeroFrom + (i % 5)
      for (let g = zeroFrom; g < Math.min(8, zeroTo); g++) groups[g] = '0'
      const ip = compress(groups)
      const prefix = addressPrefix(ip)
      const [network, bits] = prefix.split('/')
      expect(bits).toBe('48')
      const list = new BlockList()
      list.addSubnet(network!, 48, 'ipv6')
      expect(list.check(ip, 'ipv6'), `${ip} in ${prefix}`).toBe(true)
      const sibling = [...groups.slice(0, 3), 'ffff', '0', '0', '0', '1'].join(':')
      expect(addressPrefix(sibling)).toBe(prefix)
    }
    for (let i = 0; i < 200; i++) {
      const [a, b, c, d] = randomBytes(4)
      const prefix = addressPrefix(`${a}.${b}.${c}.${d}`)
      const list = new BlockList()
      list.addSubnet(prefix.split('/')[0]!, 24, 'ipv4')
      expect(list.check(`${a}.${b}.${c}.${d}`, 'ipv4')).toBe(true)
      expect(addressPrefix(`${a}.${b}.${c}.${(d! + 1) % 256}`)).toBe(prefix)
    }
  })

  it('expands IPv6 text to its eight groups', () => {
    expect(ipv6Groups('2001:db8::1')).toEqual([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1])
    expect(ipv6Groups('::')).toEqual([0, 0, 0, 0, 0, 0, 0, 0])
    expect(ipv6Groups('1:2:3:4:5:6:7::')).toEqual([1, 2, 3, 4, 5, 6, 7, 0])
    expect(ipv6Groups('64:ff9b::192.0.2.33')).toEqual([0x64, 0xff9b, 0, 0, 0, 0, 0xc000, 0x0221])
    expect(ipv6Groups('fe80::1:2%eth0')).toEqual([0xfe80, 0, 0, 0, 0, 0, 1, 2])
  })

  it('refuses non-addresses without echoing them', () => {
    expect(() => addressPrefix('example.lv')).toThrow(/^addressPrefix: not an IP address$/)
  })
})

/** Node's own canonical text for an IPv6 address, via URL host parsing. */
function compress(groups: string[]): string {
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1)
}
