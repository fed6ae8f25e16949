import { Resolver } from 'node:dns/promises'
import { isIP, isIPv4 } from 'node:net'
import { LRUCache } from 'lru-cache'
import { open, type Reader, type Response } from 'maxmind'
import { getDomain } from 'tldts'
import { addressPrefix, ipv6Groups } from '../privacy/prefix.ts'

export interface IspOptions {
  /** DNS_SERVERS, e.g. `['127.0.0.1:5353']`; default: the system resolvers. */
  servers?: string[]
  timeoutMs: number
  /** Most DNS queries in flight; beyond it a lookup answers UNKNOWN at once rather than queue. */
  concurrency: number
  /** Cache entries, one per network prefix. */
  cacheSize: number
  cacheTtlMs: number
  /** How long UNKNOWN answers (no PTR, SERVFAIL, timeout) are cached; default min(cacheTtlMs, 1 h). */
  negativeTtlMs?: number
  /**
   * ISP_DB: a MaxMind GeoIP2-ISP, GeoIP2-Domain or GeoLite2-ASN mmdb, used instead of DNS.
   * The ASN database has no domains: its answer is the AS organisation's name
   * (`"SIA Tet"`), not a domain name.
   */
  ispDbFile?: string
}

export const UNKNOWN = '(unknown)'

/**
 * IP address → the domain name of the visitor's internet service provider, from reverse
 * DNS of the visitor's network (`host-87-110-1-1.tet.lv` → `tet.lv`) or from an ISP database.
 *
 * Privacy (docs/design.md, contract rules 2 and 3): the address goes no further than `addressPrefix`;
 * privacy/client-address.ts hands this lookup only the prefix (`cachedNetwork`, `lookupNetwork`),
 * the address only when it reads an ISP database in memory (`readsAddress`).
 * DNS is asked about a fixed address of the network (`networkProbe`), never the visitor's,
 * so a resolver and the reverse zone's operator learn only that someone of this /24 or /48
 * was counted; ISPs name whole ranges after themselves, so the network's `.1` (`::1`) names
 * the same ISP. Answers are cached by prefix, never by address; nothing is logged. A PTR
 * name is believed only when its own A/AAAA record points back into the network: whoever
 * holds a reverse zone can write any name into it, but cannot make another's domain point
 * back (forward-confirmed reverse DNS).
 */
export class IspLookup {
  readonly #options: IspOptions
  readonly #negativeTtlMs: number
  readonly #db: Reader<Response> | undefined
  readonly #cache: LRUCache<string, string>
  /** Queries in flight by prefix, so concurrent visitors from one network share one query. */
  readonly #pending = new Map<string, Promise<string>>()
  /** One resolver per query in flight: `Resolver.cancel()` cancels everything on a resolver. */
  readonly #idle: Resolver[] = []
  readonly #busy = new Set<Resolver>()
  #closed = false
  #hits = 0
  #misses = 0
  #timeouts = 0
  #dropped = 0

  private constructor(options: IspOptions, db: Reader<Response> | undefined) {
    this.#options = options
    this.#negativeTtlMs = options.negativeTtlMs ?? Math.min(options.cacheTtlMs, 3_600_000)
    this.#db = db
    this.#cache = new LRUCache({ max: options.cacheSize, ttl: options.cacheTtlMs })
  }

  static async create(options: IspOptions): Promise<IspLookup> {
    const db = options.ispDbFile ? await open<Response>(options.ispDbFile) : undefined
    const lookup = new IspLookup(options, db)
    // A malformed DNS_SERVERS entry throws here, at start, rather than on a visitor's request.
    if (!db) lookup.#idle.push(lookup.#newResolver())
    return lookup
  }

  /**
   * Whether answers come from the ISP database (`ISP_DB`), which is read at the address itself,
   * in memory; otherwise the network's prefix is all a lookup needs (`cachedNetwork`,
   * `lookupNetwork`), and all that privacy/client-address.ts hands over.
   */
  get readsAddress(): boolean {
    return this.#db !== undefined
  }

  /** The answer known now without asking DNS: from the ISP database, or cached for ip's prefix. */
  cached(ip: string): string | undefined {
    if (isIP(ip) === 0) return UNKNOWN
    return this.#db ? this.#counted(ispNameOf(this.#db.get(ip))) : this.cachedNetwork(addressPrefix(ip))
  }

  /**
   * The answer cached for a network (`addressPrefix`), without asking DNS. With `ISP_DB` there
   * is no answer per network (the database is read at the address: `cached`): UNKNOWN.
   */
  cachedNetwork(prefix: string): string | undefined {
    if (this.#db) return UNKNOWN
    return this.#counted(this.#cache.get(prefix))
  }

  /** Never rejects; settles within timeoutMs. */
  lookup(ip: string): Promise<string> {
    if (isIP(ip) === 0) return Promise.resolve(UNKNOWN)
    return this.#db ? Promise.resolve(this.cached(ip)!) : this.lookupNetwork(addressPrefix(ip))
  }

  /**
   * The answer for a network (`addressPrefix`), asking DNS about its `networkProbe` when it is
   * not cached. Never rejects; settles within timeoutMs. With `ISP_DB`: UNKNOWN, as `cachedNetwork`.
   */
  lookupNetwork(prefix: string): Promise<string> {
    const known = this.cachedNetwork(prefix)
    if (known !== undefined) return Promise.resolve(known)
    this.#misses++
    if (this.#closed) return Promise.resolve(UNKNOWN)
    const pending = this.#pending.get(prefix)
    if (pending) return pending
    if (this.#pending.size >= this.#options.concurrency) {
      this.#dropped++
      return Promise.resolve(UNKNOWN)
    }
    const query = this.#reverse(networkProbe(prefix))
      .catch(() => ({ answer: UNKNOWN, cacheable: false }))
      .then((outcome) => {
        this.#pending.delete(prefix)
        if (outcome.cacheable && !this.#closed) {
          const ttl = outcome.answer === UNKNOWN ? this.#negativeTtlMs : this.#options.cacheTtlMs
          this.#cache.set(prefix, outcome.answer, { ttl })
        }
        return outcome.answer
      })
    this.#pending.set(prefix, query)
    return query
  }

  /**
   * hits: answers from the cache or the ISP database; misses: lookups that needed DNS
   * (including those that joined a query in flight or were dropped); timeouts: DNS queries
   * that hit timeoutMs; inFlight: DNS queries now; dropped: lookups answered UNKNOWN
   * because `concurrency` queries were already in flight.
   */
  stats(): { hits: number; misses: number; timeouts: number; inFlight: number; dropped: number } {
    return {
      hits: this.#hits,
      misses: this.#misses,
      timeouts: this.#timeouts,
      inFlight: this.#pending.size,
      dropped: this.#dropped,
    }
  }

  /** The cache's keys, for tests that check no address is kept. */
  cachedPrefixes(): string[] {
    return [...this.#cache.keys()]
  }

  close(): void {
    this.#closed = true
    for (const resolver of this.#busy) resolver.cancel()
    this.#idle.length = 0
    this.#cache.clear()
  }

  /** Settles within timeoutMs, confirmation included: one deadline for both queries. */
  async #reverse(probe: NetworkProbe): Promise<{ answer: string; cacheable: boolean }> {
    const resolver = this.#idle.pop() ?? this.#newResolver()
    this.#busy.add(resolver)
    let timer: ReturnType<typeof setTimeout> | undefined
    // Node's resolver timeout is per try and grows on retries, so the deadline is kept here.
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(resolve, this.#options.timeoutMs, 'timeout')
    })
    // DNS errors carry the query name (`hostname`, message); only their code is read.
    const reply = confirmedDomain(resolver, probe).then(
      (domain) => ({ domain }),
      (error: NodeJS.ErrnoException) => ({ code: error.code }),
    )
    try {
      const outcome = await Promise.race([reply, deadline])
      if (outcome === 'timeout' || ('code' in outcome && outcome.code === 'ETIMEOUT')) {
        this.#timeouts++
        // Cancels whichever query is in flight, the PTR or the confirming A/AAAA.
        if (outcome === 'timeout') resolver.cancel()
        return { answer: UNKNOWN, cacheable: true }
      }
      if ('code' in outcome) return { answer: UNKNOWN, cacheable: outcome.code !== 'ECANCELLED' }
      return { answer: outcome.domain ?? UNKNOWN, cacheable: true }
    } finally {
      clearTimeout(timer)
      this.#busy.delete(resolver)
      if (!this.#closed) this.#idle.push(resolver)
    }
  }

  /** Counts a hit when there is an answer. */
  #counted(answer: string | undefined): string | undefined {
    if (answer !== undefined) this.#hits++
    return answer
  }

  #newResolver(): Resolver {
    const resolver = new Resolver({ timeout: this.#options.timeoutMs, tries: 1 })
    if (this.#options.servers?.length) resolver.setServers(this.#options.servers)
    return resolver
  }
}

/** The one address DNS is asked about for a network, and the name that asks. */
export interface NetworkProbe {
  /** `addressPrefix` of the network: `203.0.113.0/24`, `2001:db8:abcd::/48` */
  prefix: string
  /** `203.0.113.1`, `2001:db8:abcd::1` */
  address: string
  /** `1.113.0.203.in-addr.arpa`, the 32 nibbles of `2001:db8:abcd::1` under `ip6.arpa` */
  ptrName: string
}

/**
 * What DNS is asked about a network: a pure function of its prefix, so every visitor of one
 * network causes the same queries and no query carries more than the /24 or /48.
 */
export function networkProbe(prefix: string): NetworkProbe {
  if (prefix.endsWith('/24')) {
    const address = prefix.replace(/\.0\/24$/, '.1')
    return { prefix, address, ptrName: `${address.split('.').reverse().join('.')}.in-addr.arpa` }
  }
  const address = prefix.replace(/::\/48$/, '::1')
  const nibbles = ipv6Groups(address).flatMap((g) => [...g.toString(16).padStart(4, '0')])
  return { prefix, address, ptrName: `${nibbles.reverse().join('.')}.ip6.arpa` }
}

/**
 * The registrable domain of the probe's PTR name, if the name's own A (IPv4) or AAAA (IPv6)
 * records include an address inside the probe's network. Only the first usable PTR name
 * is tried, as `registrableDomain` takes it. Rejects with the DNS error of either query.
 */
async function confirmedDomain(resolver: Resolver, probe: NetworkProbe): Promise<string | undefined> {
  const name = usablePtrName(await resolver.resolvePtr(probe.ptrName), probe.address)
  if (!name) return undefined
  const forward = isIPv4(probe.address) ? await resolver.resolve4(name) : await resolver.resolve6(name)
  if (!forward.some((address) => addressPrefix(address) === probe.prefix)) return undefined
  return getDomain(name)?.toLowerCase()
}

/**
 * The first PTR name that is a host name with a registrable domain (Public Suffix List),
 * unless that domain spells out the address itself: such a name identifies one subscriber,
 * would be cached for the whole prefix and stored as a count's label.
 */
function usablePtrName(names: string[], ip: string): string | undefined {
  for (const name of names) {
    if (!/^[a-z0-9_-]+(\.[a-z0-9_-]+)+\.?$/i.test(name)) continue
    const domain = getDomain(name)?.toLowerCase()
    if (domain) return spellsAddress(domain, ip) ? undefined : name
  }
  return undefined
}

/** The registrable domain of the first usable PTR name (see `usablePtrName`). */
export function registrableDomain(names: string[], ip: string): string | undefined {
  const name = usablePtrName(names, ip)
  return name === undefined ? undefined : getDomain(name)?.toLowerCase()
}

function spellsAddress(domain: string, ip: string): boolean {
  const text = domain.replace(/[^0-9a-f]/g, '-')
  if (isIPv4(ip)) {
    const octets = ip.split('.')
    const padded = octets.map((o) => o.padStart(3, '0')).join('')
    const hex = octets.map((o) => Number(o).toString(16).padStart(2, '0')).join('')
    const pattern = (parts: string[]) => new RegExp(`(^|[^0-9])${parts.join('[^0-9a-f]')}($|[^0-9])`)
    return (
      pattern(octets).test(text) ||
      pattern([...octets].reverse()).test(text) ||
      text.includes(padded) ||
      text.includes(hex)
    )
  }
  // IPv6: the interface identifier (last 64 bits) is what names one device or subscriber.
  const interfaceId = ipv6Groups(ip).slice(4)
  if (interfaceId.every((g) => g === 0)) return false
  return text.replace(/-/g, '').includes(interfaceId.map((g) => g.toString(16).padStart(4, '0')).join(''))
}

/**
 * The ISP name in a MaxMind ISP, Domain or ASN record: the domain (reduced to its
 * registrable part), else the ISP's or organisation's name, else the AS organisation's name.
 */
export function ispNameOf(record: unknown): string {
  if (typeof record !== 'object' || record === null) return UNKNOWN
  const fields = record as Record<string, unknown>
  const domain = fields['domain']
  if (typeof domain === 'string' && domain) return getDomain(domain)?.toLowerCase() ?? domain.toLowerCase()
  for (const key of ['isp', 'organization', 'autonomous_system_organization']) {
    const name = fields[key]
    if (typeof name === 'string' && name.trim()) return name.trim()
  }
  return UNKNOWN
}
