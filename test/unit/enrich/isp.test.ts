import dns2 from 'dns2'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BUNDLED_COUNTRY_DB } from '../../../server/enrich/country.ts'
import { IspLookup, UNKNOWN, ispNameOf, registrableDomain, type IspOptions } from '../../../server/enrich/isp.ts'

const { Packet } = dns2
type DnsServer = ReturnType<typeof dns2.createServer>
// RFC 1035 response codes (dns2 has Packet.RCODE at runtime, but its types leave it out).
const SERVFAIL = 2
const NXDOMAIN = 3

/** PTR answers by address; `rcode` answers an error instead. */
const ptr: Record<string, string | { rcode: number }> = {
  '2a02:2f0:1:2::5': 'dsl-5.customers.example-isp.lv',
  '2a02:2f0:1:ffff::9': 'dsl-9.customers.example-isp.lv',
  '2a02:2f0:2::1': 'core.example-isp.lv',
  '81.2.69.160': 'mail.example.co.uk',
  '81.2.70.1': { rcode: NXDOMAIN },
  '81.2.71.1': { rcode: SERVFAIL },
  '81.2.72.1': 'localhost',
  '81.2.73.1': 'not a host name!',
  '81.2.74.7': '81-2-74-7.lv', // a "domain" that is the address itself
}

function ptrAnswer(ip: string): string | { rcode: number } | undefined {
  // Tet names every address after itself; 78.84.0.0/16 is a static range of another ISP.
  if (ip.startsWith('87.110.')) return `host-${ip.replaceAll('.', '-')}.tet.lv`
  if (ip.startsWith('78.84.')) return `${ip.replaceAll('.', '-')}.static.example-isp.lv`
  return ptr[ip]
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

const queries = new Map<string, number>()
let answering: DnsServer
let silent: DnsServer
let answeringAt: string
let silentAt: string
let silentQueries = 0

beforeAll(async () => {
  answering = dns2.createServer({
    udp: true,
    handle: (request, send) => {
      const response = Packet.createResponseFromRequest(request)
      const [question] = request.questions
      const ip = question ? addressOf(question.name) : undefined
      if (ip) queries.set(ip, (queries.get(ip) ?? 0) + 1)
      const answer = ip ? ptrAnswer(ip) : undefined
      if (!question || answer === undefined) response.header.rcode = NXDOMAIN
      else if (typeof answer === 'object') response.header.rcode = answer.rcode
      else response.answers.push(Packet.createResourceFromQuestion(question, { ttl: 300, domain: answer }))
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

const asked = (ip: string) => queries.get(ip) ?? 0
const totalAsked = () => [...queries.values()].reduce((a, b) => a + b, 0)

describe('IspLookup over reverse DNS', () => {
  it('reduces the PTR name to its registrable domain', async () => {
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
    expect(asked('87.110.5.99')).toBe(0)
    expect(totalAsked()).toBe(before)
    expect(await lookup.lookup('87.110.6.1')).toBe('tet.lv')
    expect(asked('87.110.6.1')).toBe(1)
    expect(lookup.stats()).toMatchObject({ hits: 2, misses: 2, inFlight: 0, dropped: 0, timeouts: 0 })
  })

  it('caches IPv6 by /48', async () => {
    const lookup = await isp()
    expect(await lookup.lookup('2a02:2f0:1:2::5')).toBe('example-isp.lv')
    expect(await lookup.lookup('2a02:2f0:1:ffff::9')).toBe('example-isp.lv')
    expect(asked('2a02:2f0:1:ffff::9')).toBe(0)
    expect(await lookup.lookup('2a02:2f0:2::1')).toBe('example-isp.lv')
    expect(asked('2a02:2f0:2::1')).toBe(1)
  })

  it('shares one query among concurrent lookups of one prefix', async () => {
    const lookup = await isp()
    const before = totalAsked()
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => lookup.lookup(`78.84.40.${i + 1}`)))
    expect(answers).toEqual(new Array(10).fill('example-isp.lv'))
    expect(totalAsked() - before).toBe(1)
  })

  it('answers UNKNOWN for NXDOMAIN, SERVFAIL, names without a registrable domain and garbage', async () => {
    const lookup = await isp()
    for (const ip of ['81.2.70.1', '81.2.71.1', '81.2.72.1', '81.2.73.1', '81.2.75.1']) {
      expect(await lookup.lookup(ip), ip).toBe(UNKNOWN)
    }
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
    const nxBefore = asked('81.2.70.1')
    await new Promise((r) => setTimeout(r, 150))
    expect(lookup.cached('81.2.70.9')).toBeUndefined()
    expect(lookup.cached('78.84.50.2')).toBe('example-isp.lv')
    expect(await lookup.lookup('81.2.70.1')).toBe(UNKNOWN)
    expect(asked('81.2.70.1')).toBe(nxBefore + 1)
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
    expect(Math.max(...settledAt)).toBeLessThan(timeoutMs + 100)
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
