import dns2 from 'dns2'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BUNDLED_COUNTRY_DB } from '../../../server/enrich/country.ts'
import { IspLookup, UNKNOWN, ispNameOf, networkProbe, registrableDomain, type IspOptions } from '../../../server/enrich/isp.ts'
import { ipv6Groups } from '../../../server/privacy/prefix.ts'
import { reverseName } from '../../helpers/dns.ts'

const { Packet } = dns2
type DnsServer = ReturnType<typeof dns2.createServer>
// RFC 1035 response codes (dns2 has Packet.RCODE at runtime, but its types leave it out).
const SERVFAIL = 2
const NXDOMAIN = 3
/** A reply the server never sends. */
const SILENCE = 'silence'

/**
 * PTR answers by address. Skaits asks only for a network's `.1` (`::1`), so the entries are
 * those; a zone that names every address (`ptrAnswer`) would answer any other address too.
 */
const ptr: Record<string, string | { rcode: number }> = {
  '2a02:2f0:1::1': 'dsl-1.customers.example-isp.lv',
  '2a02:2f0:2::1': 'core.example-isp.lv',
  '81.2.69.1': 'mail.example.co.uk',
  '81.2.70.1': { rcode: NXDOMAIN },
  '81.2.71.1': { rcode: SERVFAIL },
  '81.2.72.1': 'localhost',
  '81.2.73.1': 'not a host name!',
  '81.2.74.1': '81-2-74-1.lv', // a "domain" that is the address itself
  // Forged: whoever holds these reverse zones writes someone else's domain into them.
  '198.51.100.1': 'www.bank.example.lv', // which points elsewhere
  '198.51.101.1': 'gw.near-miss.lv', // which points into the neighbouring /24
  '198.51.102.1': 'ghost.example.lv', // which does not exist
  '198.51.103.1': 'v6-only.example.lv', // which has no A record
  '2001:db8:f::1': 'core.bank.example.lv', // which points into the neighbouring /48
  // Honest, with the confirming address elsewhere in the network, among others.
  '198.51.104.1': 'edge.multi-home.lv',
  '198.51.105.1': 'slow-forward.example.lv', // whose forward lookup is never answered
}

/** A and AAAA answers by host name. */
const forward: Record<string, string[] | { rcode: number } | typeof SILENCE> = {
  'dsl-1.customers.example-isp.lv': ['2a02:2f0:1:2::5'],
  'core.example-isp.lv': ['2a02:2f0:2::1', '78.84.0.1'],
  'mail.example.co.uk': ['81.2.69.160'],
  'www.bank.example.lv': ['192.0.2.10'],
  'gw.near-miss.lv': ['198.51.102.1'],
  'ghost.example.lv': { rcode: NXDOMAIN },
  'v6-only.example.lv': ['2001:db8:1::1'],
  'core.bank.example.lv': ['2001:db8:e::1', '2001:db8:10::1'],
  'edge.multi-home.lv': ['192.0.2.99', '198.51.104.200'],
  'slow-forward.example.lv': SILENCE,
}

// The sentinel networks: every address has a PTR that spells it and a matching A/AAAA record,
// so a query for the visitor's own address would be answered, and seen.
const SENTINEL_V4 = '203.0.113.77'
const SENTINEL_V6 = '2001:db8:abcd:12:3456::77'

function ptrAnswer(ip: string): string | { rcode: number } | undefined {
  // Tet names every address after itself; 78.84.0.0/16 is a static range of another ISP.
  if (ip.startsWith('87.110.')) return `host-${ip.replaceAll('.', '-')}.tet.lv`
  if (ip.startsWith('78.84.')) return `${ip.replaceAll('.', '-')}.static.example-isp.lv`
  if (ip.startsWith('203.0.113.')) return `${ip.replaceAll('.', '-')}.dyn.sentinel-isp.lv`
  if (ip.startsWith('2001:db8:abcd:')) return `v6-${ip.replaceAll(':', '-')}.dyn.sentinel-isp.lv`
  return ptr[ip]
}

function forwardAnswer(name: string): string[] | { rcode: number } | typeof SILENCE | undefined {
  const spelled = /^(?:host-)?(\d+)-(\d+)-(\d+)-(\d+)\.(?:tet\.lv|static\.example-isp\.lv|dyn\.sentinel-isp\.lv)$/.exec(name)
  if (spelled) return [spelled.slice(1, 5).join('.')]
  const spelled6 = /^v6-([0-9a-f-]+)\.dyn\.sentinel-isp\.lv$/.exec(name)
  if (spelled6) return [spelled6[1]!.replaceAll('-', ':')]
  return forward[name]
}

function addressOf(ptrName: string): string | undefined {
  const labels = ptrName.toLowerCase().split('.')
  if (ptrName.endsWith('.in-addr.arpa')) return labels.slice(0, 4).reverse().join('.')
  if (!ptrName.endsWith('.ip6.arpa')) return undefined
  const nibbles = labels.slice(0, 32).reverse().join('')
  const groups = nibbles.match(/.{4}/g)!.map((g) => parseInt(g, 16))
  return ip6(groups)
}

/** Canonical text of IPv6 groups, as node:dns and the table spell it. */
function ip6(groups: number[]): string {
  return new URL(`http://[${groups.map((g) => g.toString(16)).join(':')}]/`).hostname.slice(1, -1)
}

/** Every question the answering server received, `PTR <name>` or `A <name>`, in order. */
const questions: string[] = []
let answering: DnsServer
let silent: DnsServer
let answeringAt: string
let silentAt: string
let silentQueries = 0

function answer(question: { name: string; type: number }): string[] | { rcode: number } | typeof SILENCE | undefined {
  const name = question.name.toLowerCase()
  if (question.type === Packet.TYPE.PTR) {
    const ip = addressOf(name)
    const host = ip ? ptrAnswer(ip) : undefined
    return typeof host === 'string' ? [host] : host
  }
  const addresses = forwardAnswer(name)
  if (!Array.isArray(addresses)) return addresses
  return addresses.filter((a) => a.includes(':') === (question.type === Packet.TYPE.AAAA))
}

beforeAll(async () => {
  answering = dns2.createServer({
    udp: true,
    handle: (request, send) => {
      const response = Packet.createResponseFromRequest(request)
      const [question] = request.questions
      if (question) questions.push(`${question.type === Packet.TYPE.PTR ? 'PTR' : question.type === Packet.TYPE.A ? 'A' : question.type === Packet.TYPE.AAAA ? 'AAAA' : question.type} ${question.name.toLowerCase()}`)
      const found = question ? answer(question) : undefined
      if (found === SILENCE) return
      if (!question || found === undefined) response.header.rcode = NXDOMAIN
      else if (!Array.isArray(found)) response.header.rcode = found.rcode
      else if (question.type === Packet.TYPE.PTR) response.answers.push(Packet.createResourceFromQuestion(question, { ttl: 300, domain: found[0] }))
      else for (const address of found) response.answers.push(Packet.createResourceFromQuestion(question, { ttl: 300, address: fullIPv6(address) }))
      void send(response)
    },
  })
  silent = dns2.createServer({ udp: true, handle: () => void silentQueries++ })
  const at = async (server: DnsServer) => {
    await server.listen({ udp: { port: 0, address: '127.0.0.1' } })
    return `127.0.0.1:${server.addresses().udp!.port}`
  }
  answeringAt = await at(answering)
  silentAt = await at(silent)
})

/** dns2 encodes AAAA only from a fully written address; IPv4 passes through. */
function fullIPv6(address: string): string {
  return address.includes(':') ? ipv6Groups(address).map((g) => g.toString(16)).join(':') : address
}

afterAll(async () => {
  await Promise.all([answering.close(), silent.close()])
})

const open: IspLookup[] = []
afterEach(() => {
  for (const lookup of open.splice(0)) lookup.close()
})

async function isp(options: Partial<IspOptions> = {}): Promise<IspLookup> {
  const lookup = await IspLookup.create({
    servers: [answeringAt],
    timeoutMs: 300,
    concurrency: 8,
    cacheSize: 1000,
    cacheTtlMs: 86_400_000,
    ...options,
  })
  open.push(lookup)
  return lookup
}

/** PTR questions for ip's own reverse name. */
const ptrAsked = (ip: string) => questions.filter((q) => q === `PTR ${reverseName(ip)}`).length
const totalAsked = () => questions.length

describe('IspLookup over reverse DNS', () => {
  it('reduces the PTR name of the network to its registrable domain', async () => {
    const lookup = await isp()
    expect(await lookup.lookup('87.110.1.2')).toBe('tet.lv')
    expect(await lookup.lookup('78.84.12.1')).toBe('example-isp.lv')
    expect(await lookup.lookup('81.2.69.160')).toBe('example.co.uk')
    expect(await lookup.lookup('2a02:2f0:1:2::5')).toBe('example-isp.lv')
  })

  it('answers a second address in the same /24 from the cache, and asks again for another /24', async () => {
    const lookup = await isp()
    expect(lookup.cached('87.110.5.1')).toBeUndefined()
    expect(await lookup.lookup('87.110.5.1')).toBe('tet.lv')
    const before = totalAsked()
    expect(lookup.cached('87.110.5.200')).toBe('tet.lv')
    expect(await lookup.lookup('87.110.5.99')).toBe('tet.lv')
    expect(totalAsked()).toBe(before)
    expect(await lookup.lookup('87.110.6.77')).toBe('tet.lv')
    expect(questions.slice(before)).toEqual(['PTR 1.6.110.87.in-addr.arpa', 'A host-87-110-6-1.tet.lv'])
    expect(ptrAsked('87.110.6.77')).toBe(0)
    expect(lookup.stats()).toMatchObject({ hits: 2, misses: 2, inFlight: 0, dropped: 0, timeouts: 0 })
  })

  it('caches IPv6 by /48', async () => {
    const lookup = await isp()
    expect(await lookup.lookup('2a02:2f0:1:2::5')).toBe('example-isp.lv')
    const before = totalAsked()
    expect(await lookup.lookup('2a02:2f0:1:ffff::9')).toBe('example-isp.lv')
    expect(totalAsked()).toBe(before)
    expect(await lookup.lookup('2a02:2f0:2:7::1')).toBe('example-isp.lv')
    expect(questions.slice(before)).toEqual([`PTR ${reverseName('2a02:2f0:2::1')}`, 'AAAA core.example-isp.lv'])
  })

  it('shares one query among concurrent lookups of one prefix', async () => {
    const lookup = await isp()
    const before = totalAsked()
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => lookup.lookup(`78.84.40.${i + 1}`)))
    expect(answers).toEqual(new Array(10).fill('example-isp.lv'))
    expect(questions.slice(before)).toEqual(['PTR 1.40.84.78.in-addr.arpa', 'A 78-84-40-1.static.example-isp.lv'])
  })

  it('answers UNKNOWN for NXDOMAIN, SERVFAIL, names without a registrable domain and garbage', async () => {
    const lookup = await isp()
    const before = totalAsked()
    for (const ip of ['81.2.70.1', '81.2.71.1', '81.2.72.1', '81.2.73.1', '81.2.75.1']) {
      expect(await lookup.lookup(ip), ip).toBe(UNKNOWN)
    }
    // None of them got as far as a forward lookup.
    expect(questions.slice(before).every((q) => q.startsWith('PTR '))).toBe(true)
  })

  it('refuses a PTR whose domain spells out the address', async () => {
    const lookup = await isp()
    expect(await lookup.lookup('81.2.74.7')).toBe(UNKNOWN)
    expect(lookup.cached('81.2.74.8')).toBe(UNKNOWN)
  })

  it('caches negative answers, for a shorter time', async () => {
    const lookup = await isp({ negativeTtlMs: 100 })
    expect(await lookup.lookup('81.2.70.1')).toBe(UNKNOWN)
    expect(await lookup.lookup('78.84.50.1')).toBe('example-isp.lv')
    expect(lookup.cached('81.2.70.9')).toBe(UNKNOWN)
    const nxBefore = ptrAsked('81.2.70.1')
    await new Promise((r) => setTimeout(r, 150))
    expect(lookup.cached('81.2.70.9')).toBeUndefined()
    expect(lookup.cached('78.84.50.2')).toBe('example-isp.lv')
    expect(await lookup.lookup('81.2.70.9')).toBe(UNKNOWN)
    expect(ptrAsked('81.2.70.1')).toBe(nxBefore + 1)
  })

  it('keys its cache by prefix only, never by address', async () => {
    const lookup = await isp()
    const addresses = ['87.110.9.9', '78.84.9.10', '81.2.70.1', '2a02:2f0:1:2::5', '2a02:2f0:2::1']
    for (const ip of addresses) await lookup.lookup(ip)
    const keys = lookup.cachedPrefixes()
    expect(keys.sort()).toEqual(['2a02:2f0:1::/48', '2a02:2f0:2::/48', '78.84.9.0/24', '81.2.70.0/24', '87.110.9.0/24'])
    for (const ip of addresses) expect(keys.some((k) => k.includes(ip))).toBe(false)
  })

  it('refuses a malformed DNS server at start, not on a request', async () => {
    await expect(isp({ servers: ['not a server'] })).rejects.toThrow(/Invalid IP address/)
  })

  it('answers UNKNOWN for a non-address without asking anyone', async () => {
    const lookup = await isp()
    const before = totalAsked()
    expect(await lookup.lookup('example.lv')).toBe(UNKNOWN)
    expect(totalAsked()).toBe(before)
  })
})

describe('what DNS learns of a visitor', () => {
  /** Every spelling of an address that a query name could carry. */
  function spellings(ip: string): string[] {
    if (!ip.includes(':')) {
      const octets = ip.split('.')
      return [ip, [...octets].reverse().join('.'), octets.join('-'), [...octets].reverse().join('-')]
    }
    const groups = ipv6Groups(ip)
    const nibbles = groups.flatMap((g) => [...g.toString(16).padStart(4, '0')])
    // Past the /48: the subnet and the interface identifier, in either order and in text.
    const host = nibbles.slice(12)
    return [
      reverseName(ip),
      [...host].reverse().join('.'),
      host.join(''),
      ip,
      ip.replaceAll(':', '-'),
      groups.slice(3).map((g) => g.toString(16)).join(':'),
    ]
  }

  it('asks only about the /24 or /48, never the address, in any spelling', async () => {
    const lookup = await isp()
    const before = totalAsked()
    expect(await lookup.lookup(SENTINEL_V4)).toBe('sentinel-isp.lv')
    expect(await lookup.lookup(SENTINEL_V6)).toBe('sentinel-isp.lv')
    const asked = questions.slice(before)
    expect(asked).toEqual([
      'PTR 1.113.0.203.in-addr.arpa',
      'A 203-0-113-1.dyn.sentinel-isp.lv',
      `PTR ${reverseName('2001:db8:abcd::1')}`,
      'AAAA v6-2001-db8-abcd--1.dyn.sentinel-isp.lv',
    ])
    for (const spelling of [...spellings(SENTINEL_V4), ...spellings(SENTINEL_V6)]) {
      for (const question of asked) expect(question.includes(spelling), `${question} ∌ ${spelling}`).toBe(false)
    }
  })

  it('asks the same questions for every visitor of one network', async () => {
    const askedFor = async (ip: string) => {
      const lookup = await isp()
      const before = totalAsked()
      await lookup.lookup(ip)
      return questions.slice(before)
    }
    expect(await askedFor('203.0.113.200')).toEqual(await askedFor(SENTINEL_V4))
    expect(await askedFor('2001:db8:abcd:ffff:1:2:3:4')).toEqual(await askedFor(SENTINEL_V6))
    expect(await askedFor('::ffff:203.0.113.9')).toEqual(await askedFor(SENTINEL_V4))
  })

  it('names the probe of a network by its prefix alone', () => {
    expect(networkProbe('203.0.113.0/24')).toEqual({
      prefix: '203.0.113.0/24',
      address: '203.0.113.1',
      ptrName: '1.113.0.203.in-addr.arpa',
    })
    expect(networkProbe('2001:db8:abcd::/48')).toEqual({
      prefix: '2001:db8:abcd::/48',
      address: '2001:db8:abcd::1',
      ptrName: '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.8.b.d.0.1.0.0.2.ip6.arpa',
    })
    expect(networkProbe('2001:db8:abcd::/48').ptrName.split('.')).toHaveLength(32 + 2)
  })
})

describe('forward confirmation of the PTR name', () => {
  it('takes a name whose A or AAAA record points back into the network', async () => {
    const lookup = await isp()
    expect(await lookup.lookup('81.2.69.23')).toBe('example.co.uk') // A: 81.2.69.160
    expect(await lookup.lookup('198.51.104.9')).toBe('multi-home.lv') // one of two A records is inside
    expect(await lookup.lookup('2a02:2f0:1:9::9')).toBe('example-isp.lv') // AAAA: 2a02:2f0:1:2::5
  })

  it('refuses a forged PTR: the name points elsewhere, next door, nowhere, or only to the other family', async () => {
    const lookup = await isp()
    const before = totalAsked()
    for (const ip of ['198.51.100.7', '198.51.101.7', '198.51.102.7', '198.51.103.7', '2001:db8:f:1::7']) {
      expect(await lookup.lookup(ip), ip).toBe(UNKNOWN)
    }
    // It did look: each refusal follows a forward query of the forged name.
    expect(questions.slice(before).filter((q) => !q.startsWith('PTR '))).toEqual([
      'A www.bank.example.lv',
      'A gw.near-miss.lv',
      'A ghost.example.lv',
      'A v6-only.example.lv',
      'AAAA core.bank.example.lv',
    ])
    expect(lookup.cached('198.51.100.8')).toBe(UNKNOWN) // remembered for the network, like any UNKNOWN
    expect(lookup.stats()).toMatchObject({ timeouts: 0 })
  })

  it('bounds the whole lookup, confirmation included, by the timeout', async () => {
    const timeoutMs = 300
    const lookup = await isp({ timeoutMs })
    const started = performance.now()
    expect(await lookup.lookup('198.51.105.7')).toBe(UNKNOWN)
    const took = performance.now() - started
    expect(took).toBeGreaterThanOrEqual(timeoutMs - 5)
    expect(took).toBeLessThan(timeoutMs + 100)
    expect(questions.at(-1)).toBe('A slow-forward.example.lv')
    expect(lookup.stats()).toMatchObject({ timeouts: 1, inFlight: 0 })
    expect(lookup.cached('198.51.105.8')).toBe(UNKNOWN)
  })
})

describe('IspLookup against a server that never answers', () => {
  const timeoutMs = 300

  it('answers UNKNOWN within the timeout', async () => {
    const lookup = await isp({ servers: [silentAt], timeoutMs })
    const asked = silentQueries
    const started = performance.now()
    expect(await lookup.lookup('87.110.1.2')).toBe(UNKNOWN)
    const took = performance.now() - started
    expect(took).toBeGreaterThanOrEqual(timeoutMs - 5)
    expect(took).toBeLessThan(timeoutMs + 100)
    expect(silentQueries).toBeGreaterThan(asked) // it did reach the server
    expect(lookup.stats()).toMatchObject({ timeouts: 1, inFlight: 0 })
    expect(lookup.cached('87.110.1.3')).toBe(UNKNOWN) // and does not wait again for that network
  })

  it('holds at most `concurrency` queries; the rest answer at once', async () => {
    const lookup = await isp({ servers: [silentAt], timeoutMs, concurrency: 8 })
    const started = performance.now()
    const settledAt: number[] = []
    const all = Array.from({ length: 50 }, (_, i) =>
      lookup.lookup(`87.110.${100 + i}.1`).then((answer) => {
        settledAt[i] = performance.now() - started
        return answer
      }),
    )
    expect(lookup.stats()).toMatchObject({ inFlight: 8, dropped: 42 })
    await new Promise((r) => setTimeout(r, 20))
    expect(settledAt.filter((t) => t !== undefined)).toHaveLength(42)
    // "At once": long before the held queries' timeout (a loaded machine can delay the 20 ms timer).
    expect(Math.max(...settledAt.slice(8))).toBeLessThan(timeoutMs / 2)
    expect(settledAt.slice(0, 8).filter((t) => t !== undefined)).toHaveLength(0)
    expect(await Promise.all(all)).toEqual(new Array(50).fill(UNKNOWN))
    // The 8 held queries time out together, not one after another (that would be 8 × the
    // timeout); a loaded machine delays the timers a little (it took 493 ms beside other tests).
    expect(Math.max(...settledAt)).toBeLessThan(timeoutMs * 2)
    expect(lookup.stats()).toMatchObject({ timeouts: 8, inFlight: 0, dropped: 42, misses: 50 })
  })

  it('close() cancels queries in flight', async () => {
    const lookup = await isp({ servers: [silentAt], timeoutMs: 5_000 })
    const started = performance.now()
    const answer = lookup.lookup('87.110.1.2')
    await new Promise((r) => setTimeout(r, 20))
    lookup.close()
    expect(await answer).toBe(UNKNOWN)
    expect(performance.now() - started).toBeLessThan(200)
    expect(lookup.stats()).toMatchObject({ inFlight: 0, timeouts: 0 })
    expect(await lookup.lookup('87.110.1.2')).toBe(UNKNOWN)
  })
})

describe('IspLookup with an ISP database', () => {
  it('answers synchronously from the file and never asks DNS', async () => {
    // The bundled country database stands in for an ISP one: its records have no ISP
    // fields, so every answer is UNKNOWN, but it proves the file, not DNS, is asked.
    const lookup = await isp({ ispDbFile: BUNDLED_COUNTRY_DB })
    const before = totalAsked()
    expect(lookup.cached('87.110.1.2')).toBe(UNKNOWN)
    expect(await lookup.lookup('78.84.12.1')).toBe(UNKNOWN)
    expect(totalAsked()).toBe(before)
    expect(lookup.cachedPrefixes()).toEqual([])
  })

  it('reads the domain, else the ISP or organisation name, else the AS organisation', () => {
    expect(ispNameOf({ domain: 'tet.lv' })).toBe('tet.lv') // GeoIP2-Domain
    expect(ispNameOf({ domain: 'Static.Tet.LV' })).toBe('tet.lv')
    expect(
      ispNameOf({ autonomous_system_number: 12578, autonomous_system_organization: 'SIA Tet', isp: 'Tet', organization: 'Tet business' }),
    ).toBe('Tet') // GeoIP2-ISP
    expect(ispNameOf({ organization: 'Tet business' })).toBe('Tet business')
    expect(ispNameOf({ autonomous_system_number: 12578, autonomous_system_organization: 'SIA Tet' })).toBe('SIA Tet') // GeoLite2-ASN
    expect(ispNameOf({ autonomous_system_number: 12578 })).toBe(UNKNOWN)
    expect(ispNameOf(null)).toBe(UNKNOWN)
  })
})

describe('registrableDomain', () => {
  it('takes the first name that has a registrable domain', () => {
    expect(registrableDomain(['78-84-12-1.static.example-isp.lv'], '78.84.12.1')).toBe('example-isp.lv')
    expect(registrableDomain(['localhost', 'HOST-87-110-1-2.TET.LV.'], '87.110.1.2')).toBe('tet.lv')
    expect(registrableDomain([], '87.110.1.2')).toBeUndefined()
  })

  it('refuses domains that spell out the address', () => {
    expect(registrableDomain(['87-110-1-2.lv'], '87.110.1.2')).toBeUndefined()
    expect(registrableDomain(['x.2-1-110-87.lv'], '87.110.1.2')).toBeUndefined()
    expect(registrableDomain(['ip087110001002.lv'], '87.110.1.2')).toBeUndefined()
    expect(registrableDomain(['c0a80102.example'], '192.168.1.2')).toBeUndefined()
    expect(registrableDomain(['87-110-1.lv'], '87.110.1.2')).toBe('87-110-1.lv')
    const v6 = '2a02:2f0:1:2:1234:5678:9abc:def0'
    expect(registrableDomain(['h-123456789abcdef0.example.lv'], v6)).toBe('example.lv')
    expect(registrableDomain(['123456789abcdef0.lv'], v6)).toBeUndefined()
  })
})
