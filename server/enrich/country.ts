import { createRequire } from 'node:module'
import { BlockList, isIP } from 'node:net'
import { open, type Reader, type Response } from 'maxmind'

/** The bundled CC0 database (ip-location-db, geo-whois-asn-country), IPv4 and IPv6 in one file. */
export const BUNDLED_COUNTRY_DB = createRequire(import.meta.url).resolve(
  '@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb',
)

/**
 * IP address → ISO 3166-1 alpha-2 country. Geography stops at the country (DESIGN.md,
 * privacy contract item 7): even when given a City database, only the country code is read.
 */
export class CountryLookup {
  readonly #db: Reader<Response>

  private constructor(db: Reader<Response>) {
    this.#db = db
  }

  /** `file` is GEOIP_DB (a MaxMind GeoLite2/GeoIP2 Country or City mmdb); default: the bundled one. */
  static async open(file: string = BUNDLED_COUNTRY_DB): Promise<CountryLookup> {
    return new CountryLookup(await open<Response>(file))
  }

  country(ip: string): string | undefined {
    const family = isIP(ip)
    if (family === 0 || notRouted.check(ip, family === 4 ? 'ipv4' : 'ipv6')) return undefined
    return countryCodeOf(this.#db.get(ip))
  }
}

/**
 * The country code in a database record of either shape: ip-location-db's
 * `{ country_code }` or MaxMind's `{ country: { iso_code } }`, falling back to
 * `registered_country` (MaxMind leaves `country` out for some networks, e.g. satellite
 * providers). Anything that is not two letters is no answer.
 */
export function countryCodeOf(record: unknown): string | undefined {
  if (!isObject(record)) return undefined
  const code =
    record['country_code'] ?? isoCodeOf(record['country']) ?? isoCodeOf(record['registered_country'])
  return typeof code === 'string' && /^[A-Za-z]{2}$/.test(code) ? code.toUpperCase() : undefined
}

function isoCodeOf(place: unknown): unknown {
  return isObject(place) ? place['iso_code'] : undefined
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

/**
 * Special-purpose ranges (IANA registries) have no country. Whois-derived databases still map
 * some of them (the bundled one says 192.168.0.0/16 is in Australia), so they are cut here.
 * No `::ffff:0:0/96` entry: BlockList matches IPv4 addresses against IPv4-mapped rules, so it
 * would hide every IPv4 address.
 */
const notRouted = new BlockList()
for (const [network, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 3], // multicast, reserved and broadcast
] as const) {
  notRouted.addSubnet(network, bits, 'ipv4')
}
for (const [network, bits] of [
  ['::', 127], // unspecified and loopback
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard-only
  ['2001:db8::', 32], // documentation
  ['3fff::', 20], // documentation (RFC 9637)
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
] as const) {
  notRouted.addSubnet(network, bits, 'ipv6')
}
