import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { inspect } from 'node:util'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { ClientAddress, clientAddress, normalizeAddress, type IspByNetwork } from '../../server/privacy/client-address.ts'
import { visitorHash } from '../../server/privacy/visitor-hash.ts'

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

const SALT = Buffer.alloc(32, 7)
const UA = 'Mozilla/5.0'

describe('ClientAddress: where the IP stops', () => {
  it('is read from the request by the rules of clientAddress', () => {
    const xff = '10.9.9.9, 203.0.113.5, 192.0.2.1'
    expect(ClientAddress.fromRequest('198.51.100.9', '203.0.113.1', 0)?.prefix()).toBe('198.51.100.0/24')
    expect(ClientAddress.fromRequest('127.0.0.1', xff, 1)?.prefix()).toBe('192.0.2.0/24')
    expect(ClientAddress.fromRequest('127.0.0.1', xff, 2)?.prefix()).toBe('203.0.113.0/24')
    expect(ClientAddress.fromRequest('127.0.0.1', xff, 5)?.prefix()).toBe('10.9.9.0/24')
    expect(ClientAddress.fromRequest('127.0.0.1', 'unknown', 1)?.isLoopback()).toBe(true)
    expect(ClientAddress.fromRequest('[2001:DB8:ABCD:1::9]:443', undefined, 0)?.prefix()).toBe('2001:db8:abcd::/48')
    expect(ClientAddress.fromRequest(undefined, '203.0.113.1', 0)).toBeUndefined()
    expect(ClientAddress.fromRequest(undefined, 'unknown', 1)).toBeUndefined()
    expect(ClientAddress.fromPeer('not-an-ip')).toBeUndefined()
    expect(ClientAddress.fromPeer(undefined)).toBeUndefined()
  })

  it('gives the network key, the visitor hash of the normalized address and whether it is loopback', () => {
    expect(ClientAddress.fromPeer('::ffff:203.0.113.77')!.networkKey()).toBe('net:203.0.113.0/24')
    expect(ClientAddress.fromPeer('2001:db8:abcd:12::77')!.networkKey()).toBe('net:2001:db8:abcd::/48')
    expect(ClientAddress.fromPeer('::ffff:203.0.113.77')!.visitorHash(SALT, 'example.lv', UA)).toBe(visitorHash(SALT, 'example.lv', '203.0.113.77', UA))
    expect(ClientAddress.fromPeer('[2001:DB8::1]:443')!.visitorHash(SALT, 'example.lv', UA)).toBe(visitorHash(SALT, 'example.lv', '2001:db8::1', UA))
    for (const loopback of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1', '[::1]:5000']) {
      expect(ClientAddress.fromPeer(loopback)!.isLoopback(), loopback).toBe(true)
    }
    for (const other of ['128.0.0.1', '203.0.113.77', '::2', '2001:db8::1']) expect(ClientAddress.fromPeer(other)!.isLoopback(), other).toBe(false)
  })

  it('hands the address to the country lookup, and to the ISP lookup only when it reads a database', async () => {
    const address = ClientAddress.fromPeer('203.0.113.77')!
    const countryAsked: string[] = []
    expect(address.countryFrom({ country: (ip) => (countryAsked.push(ip), 'LV') })).toBe('LV')
    expect(countryAsked).toEqual(['203.0.113.77'])

    const isp = (readsAddress: boolean) => {
      const asked: string[] = []
      const lookup: IspByNetwork = {
        readsAddress,
        cached: (ip) => (asked.push(`cached ${ip}`), undefined),
        lookup: async (ip) => (asked.push(`lookup ${ip}`), 'db.lv'),
        cachedNetwork: (prefix) => (asked.push(`cachedNetwork ${prefix}`), undefined),
        lookupNetwork: async (prefix) => (asked.push(`lookupNetwork ${prefix}`), 'dns.lv'),
      }
      return { lookup, asked }
    }
    const dns = isp(false)
    expect(address.ispCachedFrom(dns.lookup)).toBeUndefined()
    expect(await address.ispLookupFrom(dns.lookup)).toBe('dns.lv')
    expect(dns.asked).toEqual(['cachedNetwork 203.0.113.0/24', 'lookupNetwork 203.0.113.0/24'])
    const db = isp(true)
    address.ispCachedFrom(db.lookup)
    expect(await address.ispLookupFrom(db.lookup)).toBe('db.lv')
    expect(db.asked).toEqual(['cached 203.0.113.77', 'lookup 203.0.113.77'])
  })

  // Every spelling a careless log line could hold (as test/integration/privacy-audit.test.ts).
  const cases = [
    { raw: '203.0.113.77', spellings: ['203.0.113.77', '::ffff:203.0.113.77', '203.0.113.7'] },
    { raw: '::ffff:203.0.113.77', spellings: ['203.0.113.77', '::ffff:203.0.113.77', '203.0.113.7'] },
    { raw: '2001:db8:abcd:12:3456::77', spellings: ['2001:db8:abcd:12:3456::77', '2001:0db8:abcd:0012:3456:0000:0000:0077', '3456'] },
  ]

  for (const { raw, spellings } of cases) {
    it(`never shows ${raw} as a string, as JSON or to util.inspect`, () => {
      const address = ClientAddress.fromRequest('127.0.0.1', raw, 1)!
      const forms = [
        String(address),
        `${address}`,
        address + '',
        JSON.stringify(address),
        JSON.stringify({ address, facts: { address } }),
        inspect(address),
        inspect({ facts: { address } }, { depth: 5, showHidden: true }),
        Object.keys(address).join(),
        JSON.stringify(structuredClone(address)),
      ]
      for (const form of forms) for (const s of spellings) expect(form, form).not.toContain(s)
      expect(String(address)).toBe('[client address]')
      expect(JSON.stringify(address)).toBe('"[client address]"')
      expect(inspect(address)).toBe('[client address]')
    })

    it(`never puts ${raw} into a pino log line`, () => {
      const lines: string[] = []
      const log = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) })
      const address = ClientAddress.fromRequest('127.0.0.1', raw, 1)!
      log.info({ address }, 'request')
      log.warn({ facts: { address, userAgent: UA } }, 'from %s', address)
      log.error({ err: new Error('refused'), address }, 'refused %o %j', address, address)
      log.debug(address as unknown as object, 'as the merging object')
      log.child({ address }).info('child')
      expect(lines).toHaveLength(5)
      const output = lines.join('')
      expect(output).toContain('[client address]')
      for (const s of spellings) expect(output, s).not.toContain(s)
    })
  }

  it('is the only module of server/ that reads a client address from the request', () => {
    const server = path.resolve(import.meta.dirname, '../../server')
    const files = readdirSync(server, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'))
    const reading = files.filter((f) => /\b(clientAddress|normalizeAddress)\b/.test(readFileSync(path.join(server, f), 'utf8')))
    expect(reading).toEqual([path.join('privacy', 'client-address.ts')])
  })
})
