import { isIP } from 'node:net'
import { inspect } from 'node:util'
import { addressPrefix } from './prefix.ts'
import { visitorHash } from './visitor-hash.ts'

/**
 * Where the IP stops (docs/design.md, privacy contract rule 2). This is the only place a full
 * client address exists as a value: the server reads it from the request (`ClientAddress.fromRequest`,
 * `ClientAddress.fromPeer`), keeps it in a private field for as long as the request lives,
 * and hands out only what each use needs:
 *
 * - `prefix()`, `networkKey()`: the IPv4 /24 or IPv6 /48, for the rate limiters
 *   (ingest/rate-limit.ts; auth/route.ts and auth/principal.ts as `net:<prefix>`);
 * - `visitorHash()`: the day's visitor hash (privacy/visitor-hash.ts), for ingest/ingestor.ts;
 * - `countryFrom()`: the address itself, to the in-memory country database (enrich/country.ts);
 * - `ispCachedFrom()`, `ispLookupFrom()`: to the ISP lookup (enrich/isp.ts), the prefix alone
 *   (reverse DNS and its cache need no more), the address only when an ISP database
 *   (`ISP_DB`) is read in memory;
 * - `isLoopback()`: whether the peer is this machine, for the CLI's token (auth/principal.ts);
 * - `inRanges()`: whether the address lies in a site's excluded ranges (sites/exclusions.ts),
 *   compared in memory; only the yes or no leaves.
 *
 * There is no getter for the address, and its string, JSON and `util.inspect` forms are
 * `[client address]`, so a log line or an error that is handed the object cannot carry it.
 * Proof: test/unit/client-address.test.ts.
 */
export class ClientAddress {
  /** Normalized IPv4 or IPv6 text (`normalizeAddress`). */
  readonly #address: string
  #prefix: string | undefined

  private constructor(address: string) {
    this.#address = address
  }

  /**
   * The visitor's address as `clientAddress` finds it: the socket peer, or with `trustProxy`
   * = N proxies the N-th X-Forwarded-For entry from the right. Undefined when neither is an
   * address (no socket, e.g. Hono's `app.request()`).
   */
  static fromRequest(socketAddress: string | undefined, forwardedFor: string | undefined, trustProxy: number): ClientAddress | undefined {
    const address = clientAddress(socketAddress, forwardedFor, trustProxy)
    return address === undefined ? undefined : new ClientAddress(address)
  }

  /** The socket peer alone, no forwarding header believed; undefined when it is not an address. */
  static fromPeer(socketAddress: string | undefined): ClientAddress | undefined {
    const address = socketAddress === undefined ? undefined : normalizeAddress(socketAddress)
    return address === undefined ? undefined : new ClientAddress(address)
  }

  /** The network: `203.0.113.0/24`, `2001:db8:abcd::/48` (`addressPrefix`). */
  prefix(): string {
    return (this.#prefix ??= addressPrefix(this.#address))
  }

  /** The auth rate limiters' key for the network: `net:203.0.113.0/24`. */
  networkKey(): string {
    return `net:${this.prefix()}`
  }

  /** The day's visitor hash of (site, this address, User-Agent) under `salt` (privacy/visitor-hash.ts). */
  visitorHash(salt: Buffer, site: string, userAgent: string): bigint {
    return visitorHash(salt, site, this.#address, userAgent)
  }

  /** The country code from the in-memory country database (enrich/country.ts), read at the address. */
  countryFrom(countries: CountryByAddress): string | undefined {
    return countries.country(this.#address)
  }

  /** The ISP answer known without asking DNS (enrich/isp.ts `cached`): by prefix, or by address from `ISP_DB`. */
  ispCachedFrom(isps: IspByNetwork): string | undefined {
    return isps.readsAddress ? isps.cached(this.#address) : isps.cachedNetwork(this.prefix())
  }

  /** The ISP answer, asking DNS about the network if needed (enrich/isp.ts `lookup`); never rejects. */
  ispLookupFrom(isps: IspByNetwork): Promise<string> {
    return isps.readsAddress ? isps.lookup(this.#address) : isps.lookupNetwork(this.prefix())
  }

  /** Whether the address is this machine's: `127.0.0.0/8` or `::1`. */
  isLoopback(): boolean {
    return this.#address.startsWith('127.') || this.#address === '::1'
  }

  /** Whether the address lies in one of `ranges` (a site's excluded CIDR ranges), compared in memory. */
  inRanges(ranges: AddressRanges): boolean {
    return ranges.check(this.#address, isIP(this.#address) === 6 ? 'ipv6' : 'ipv4')
  }

  toString(): string {
    return REDACTED
  }

  toJSON(): string {
    return REDACTED
  }

  [inspect.custom](): string {
    return REDACTED
  }
}

const REDACTED = '[client address]'

/**
 * The day's visitor hash of a request; one without an address (no socket) hashes it as ''. An
 * imported record that names its visitor instead (GoatCounter's session id) hashes that id, under
 * the same salt, in place of the address and User-Agent.
 */
export function requestVisitorHash(address: ClientAddress | undefined, salt: Buffer, site: string, userAgent: string, visitor?: string): bigint {
  if (visitor !== undefined) return visitorHash(salt, site, '', `visitor:${visitor}`)
  return address ? address.visitorHash(salt, site, userAgent) : visitorHash(salt, site, '', userAgent)
}

/** Address ranges as `ClientAddress.inRanges` asks them (node:net's `BlockList`, sites/exclusions.ts). */
export interface AddressRanges {
  check(address: string, family: 'ipv4' | 'ipv6'): boolean
}

/** The in-memory country database, as `ClientAddress.countryFrom` uses it (enrich/country.ts's `CountryLookup`). */
export interface CountryByAddress {
  country(ip: string): string | undefined
}

/**
 * The ISP lookup, as `ClientAddress` uses it (enrich/isp.ts's `IspLookup`). Reverse DNS and its
 * cache work on the prefix alone; an ISP database (`readsAddress`) is read at the address, in memory.
 */
export interface IspByNetwork {
  /** true when answers come from an ISP database (`ISP_DB`), read at the address */
  readonly readsAddress: boolean
  cached(ip: string): string | undefined
  lookup(ip: string): Promise<string>
  cachedNetwork(prefix: string): string | undefined
  lookupNetwork(prefix: string): Promise<string>
}

/**
 * The visitor's address. Without trusted proxies it is the socket's peer. With `trustProxy`
 * = N reverse proxies in front, each appends the address it received from to
 * X-Forwarded-For, so the client is the N-th entry counted from the right; entries further
 * left were written by the client itself and are never believed.
 * The parsing rule of `ClientAddress.fromRequest`, exported for its tests: the server holds a
 * client address only as a `ClientAddress` (docs/design.md, privacy contract rule 2).
 */
export function clientAddress(
  socketAddress: string | undefined,
  forwardedFor: string | undefined,
  trustProxy: number,
): string | undefined {
  if (trustProxy > 0 && forwardedFor) {
    const hops = forwardedFor
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
    const candidate = hops[Math.max(0, hops.length - trustProxy)]
    const address = candidate ? normalizeAddress(candidate) : undefined
    if (address) return address
  }
  return socketAddress ? normalizeAddress(socketAddress) : undefined
}

/**
 * Valid IPv4 or IPv6 text, with IPv4-mapped IPv6 (`::ffff:1.2.3.4`) as plain IPv4. Exported for
 * its tests, like `clientAddress`.
 */
export function normalizeAddress(raw: string): string | undefined {
  let a = raw.trim()
  if (a.startsWith('[')) a = a.slice(1, a.indexOf(']') > 0 ? a.indexOf(']') : undefined)
  else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(a)) a = a.slice(0, a.lastIndexOf(':'))
  const zone = a.indexOf('%')
  if (zone > 0) a = a.slice(0, zone)
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a)
  if (mapped) a = mapped[1]!
  const v = isIP(a)
  if (v === 4) return a
  if (v === 6) return a.toLowerCase()
  return undefined
}
