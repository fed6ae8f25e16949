import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isIP } from 'node:net'
import { CountryLookup, countryCodeOf, ipv4Number } from '../../../server/enrich/country.ts'

describe('CountryLookup with the bundled CC0 database', () => {
  let lookup: CountryLookup
  beforeAll(async () => {
    lookup = await CountryLookup.open()
  })

  it('knows well-known public IPv4 addresses', () => {
    expect(lookup.country('87.110.0.1')).toBe('LV') // Tet (Lattelecom)
    expect(lookup.country('78.84.12.1')).toBe('LV') // Tet
    expect(lookup.country('213.175.72.1')).toBe('LV')
    expect(lookup.country('193.0.6.139')).toBe('NL') // RIPE NCC
    expect(lookup.country('8.8.8.8')).toBe('US') // Google
  })

  it('knows IPv6 addresses', () => {
    expect(lookup.country('2001:67c:2e8::1')).toBe('NL') // RIPE NCC
    expect(lookup.country('2001:4860:4860::8888')).toBe('US') // Google
  })

  it('gives no country for private, loopback, link-local, documentation and CGNAT addresses', () => {
    // The database itself maps some of these (192.168.1.1 to AU, 2001:db8::1 to JP).
    for (const ip of [
      '10.1.2.3', '172.16.5.4', '192.168.1.1', '127.0.0.1', '169.254.1.1', '100.64.1.1',
      '192.0.2.1', '198.51.100.1', '203.0.113.1', '0.0.0.0', '255.255.255.255', '224.0.0.1',
      '::1', '::', 'fe80::1', 'fd12:3456::1', '2001:db8::1', 'ff02::1',
    ]) {
      expect(lookup.country(ip), ip).toBeUndefined()
    }
  })

  it('answers nothing for a non-address instead of throwing', () => {
    expect(lookup.country('not-an-ip')).toBeUndefined()
  })
})

describe('countryCodeOf', () => {
  it('reads both record shapes and nothing else', () => {
    expect(countryCodeOf({ country_code: 'LV' })).toBe('LV')
    expect(countryCodeOf({ country: { iso_code: 'LV' }, registered_country: { iso_code: 'SE' } })).toBe('LV')
    expect(countryCodeOf({ registered_country: { iso_code: 'GB' } })).toBe('GB')
    expect(countryCodeOf({ country_code: 'lv' })).toBe('LV')
    expect(countryCodeOf({ country: { names: { en: 'Latvia' } } })).toBeUndefined()
    expect(countryCodeOf({ country_code: 'LVA' })).toBeUndefined()
    expect(countryCodeOf({ country_code: 42 })).toBeUndefined()
    expect(countryCodeOf(null)).toBeUndefined()
    expect(countryCodeOf('LV')).toBeUndefined()
  })
})

describe('CountryLookup with a MaxMind-shaped database (GEOIP_DB)', () => {
  let dir: string
  let lookup: CountryLookup
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skaits-geoip-'))
    const file = join(dir, 'GeoLite2-City-test.mmdb')
    const latvia = { geoname_id: 458258, iso_code: 'LV', names: { en: 'Latvia', de: 'Lettland' } }
    writeFileSync(
      file,
      mmdb('GeoLite2-City', [
        // A City record: the lookup must still return the country code alone.
        ['87.110.0.0', 16, {
          city: { geoname_id: 456172, names: { en: 'Riga' } },
          continent: { code: 'EU', geoname_id: 6255148, names: { en: 'Europe' } },
          country: { ...latvia, is_in_european_union: true },
          location: { accuracy_radius: 20, latitude: 56.946, longitude: 24.1059, time_zone: 'Europe/Riga' },
          postal: { code: 'LV-1050' },
          registered_country: latvia,
          subdivisions: [{ geoname_id: 456173, iso_code: 'RIX', names: { en: 'Riga' } }],
        }],
        // Some networks carry only the registered country.
        ['81.2.69.0', 24, { registered_country: { geoname_id: 2635167, iso_code: 'GB', names: { en: 'United Kingdom' } } }],
        ['8.8.8.0', 24, { continent: { code: 'NA', geoname_id: 6255149, names: { en: 'North America' } } }],
        ['2a02:2f0::', 32, { country: { geoname_id: 2921044, iso_code: 'DE', names: { en: 'Germany' } } }],
        // Present in the file, but special-purpose space never gets a country.
        ['192.168.0.0', 16, { country: latvia }],
      ]),
    )
    lookup = await CountryLookup.open(file)
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('returns the country code and nothing finer from a City record', () => {
    expect(lookup.country('87.110.200.3')).toBe('LV')
  })

  it('falls back to the registered country', () => {
    expect(lookup.country('81.2.69.160')).toBe('GB')
  })

  it('reads IPv6 networks', () => {
    expect(lookup.country('2a02:2f0:1234::1')).toBe('DE')
  })

  it('is undefined when the record has no country or the address is not in the file', () => {
    expect(lookup.country('8.8.8.8')).toBeUndefined()
    expect(lookup.country('1.1.1.1')).toBeUndefined()
    expect(lookup.country('2001:67c:2e8::1')).toBeUndefined()
    expect(lookup.country('192.168.1.1')).toBeUndefined()
  })
})

// A minimal MaxMind DB writer (https://maxmind.github.io/MaxMind-DB/): an IPv6 search tree
// with 24-bit records, IPv4 networks at ::/96, a data section, and the metadata map.
// Enough for a few networks; real databases come from MaxMind.
type Value = string | number | boolean | Value[] | { [key: string]: Value }

function mmdb(databaseType: string, networks: [string, number, Value][]): Buffer {
  const data: Buffer[] = []
  let dataSize = 0
  type Slot = { node: number } | { data: number } | undefined
  const tree: [Slot, Slot][] = [[undefined, undefined]]
  for (const [network, bits, record] of networks) {
    const encoded = encode(record)
    const offset = dataSize
    data.push(encoded)
    dataSize += encoded.length
    const address = addressBits(network)
    const depth = network.includes(':') ? bits : 96 + bits
    let node = 0
    for (let i = 0; i < depth; i++) {
      const bit = address[i]!
      const here = tree[node]!
      if (i === depth - 1) {
        here[bit] = { data: offset }
        break
      }
      let next = here[bit]
      if (!next) {
        tree.push([undefined, undefined])
        next = here[bit] = { node: tree.length - 1 }
      }
      if (!('node' in next)) throw new Error('nested networks are not supported by this writer')
      node = next.node
    }
  }
  const nodeCount = tree.length
  const treeBytes = Buffer.alloc(nodeCount * 6)
  const recordValue = (slot: Slot): number =>
    slot === undefined ? nodeCount : 'node' in slot ? slot.node : nodeCount + 16 + slot.data
  tree.forEach(([left, right], i) => {
    treeBytes.writeUIntBE(recordValue(left), i * 6, 3)
    treeBytes.writeUIntBE(recordValue(right), i * 6 + 3, 3)
  })
  const metadata = Buffer.concat([
    Buffer.from('abcdef4d61784d696e642e636f6d', 'hex'),
    encodeMap({
      binary_format_major_version: uint(5, 2),
      binary_format_minor_version: uint(5, 0),
      build_epoch: uint(9, Math.floor(Date.now() / 1000)),
      database_type: encode(databaseType),
      description: encode({ en: 'Skaits test database' }),
      ip_version: uint(5, 6),
      languages: encode(['en']),
      node_count: uint(6, nodeCount),
      record_size: uint(5, 24),
    }),
  ])
  return Buffer.concat([treeBytes, Buffer.alloc(16), ...data, metadata])
}

function addressBits(network: string): number[] {
  const bytes: number[] = []
  if (!network.includes(':')) {
    bytes.push(...new Array<number>(12).fill(0), ...network.split('.').map(Number))
  } else {
    const [head = '', tail = ''] = network.split('::')
    const left = head.split(':').filter(Boolean)
    const right = tail.split(':').filter(Boolean)
    const groups = [...left, ...new Array<string>(8 - left.length - right.length).fill('0'), ...right]
    for (const g of groups) bytes.push(parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff)
  }
  return bytes.flatMap((b) => [7, 6, 5, 4, 3, 2, 1, 0].map((s) => (b >> s) & 1))
}

function control(type: number, size: number): Buffer {
  const sizeBytes =
    size < 29 ? [] : size < 285 ? [size - 29] : [((size - 285) >> 8) & 0xff, (size - 285) & 0xff]
  const sizeField = size < 29 ? size : size < 285 ? 29 : 30
  return type <= 7
    ? Buffer.from([(type << 5) | sizeField, ...sizeBytes])
    : Buffer.from([sizeField, type - 7, ...sizeBytes])
}

function uint(type: 5 | 6 | 9, n: number): Buffer {
  const bytes: number[] = []
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256)
  return Buffer.concat([control(type, bytes.length), Buffer.from(bytes)])
}

function encodeMap(entries: Record<string, Buffer>): Buffer {
  const keys = Object.keys(entries)
  return Buffer.concat([control(7, keys.length), ...keys.flatMap((k) => [encode(k), entries[k]!])])
}

function encode(value: Value): Buffer {
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8')
    return Buffer.concat([control(2, bytes.length), bytes])
  }
  if (typeof value === 'boolean') return control(14, value ? 1 : 0)
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0 && value < 2 ** 32) return uint(6, value)
    const bytes = Buffer.alloc(8)
    bytes.writeDoubleBE(value)
    return Buffer.concat([control(3, 8), bytes])
  }
  if (Array.isArray(value)) return Buffer.concat([control(11, value.length), ...value.map(encode)])
  return encodeMap(Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encode(v)])))
}

describe('ipv4Number', () => {
  it('reads dotted quads as isIP does, and nothing else', () => {
    expect(ipv4Number('0.0.0.0')).toBe(0)
    expect(ipv4Number('255.255.255.255')).toBe(2 ** 32 - 1)
    expect(ipv4Number('198.51.100.7')).toBe(((198 * 256 + 51) * 256 + 100) * 256 + 7)
    for (const bad of ['256.0.0.1', '010.0.0.1', '1.2.3', '1.2.3.4.5', '::ffff:1.2.3.4', '1.2.3.4 ', '']) {
      expect(ipv4Number(bad), bad).toBeUndefined()
      if (bad !== '::ffff:1.2.3.4') expect(isIP(bad), bad).toBe(0)
    }
  })
})
