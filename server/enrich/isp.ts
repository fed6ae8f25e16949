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
 * DNS (`host-87-110-1-2.tet.lv` → `tet.lv`) or from an ISP database.
 *
 * Privacy (DESIGN.md, contract item 2): answers are cached by network prefix (IPv4 /24,
 * IPv6 /48), never by address; the address is held only by the DNS query in flight; nothing
 * is logged. A DNS answer can only be shared by a prefix because ISPs name whole ranges
 * after themselves, so an answer that spells out the address is refused (see
 * `registrableDomain`).
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

  /** The answer known now without asking DNS: from the ISP database, or cached for ip's prefix. */
  cached(ip: string): string | undefined {
    if (isIP(ip) === 0) return UNKNOWN
    const answer = this.#db ? ispNameOf(this.#db.get(ip)) : this.#cache.get(addressPrefix(ip))
    if (answer !== undefined) this.#hits++
    return answer
  }

  /** Never rejects; settles within timeoutMs. */
  lookup(ip: string): Promise<string> {
    if (isIP(ip) === 0) return Promise.resolve(UNKNOWN)
    const known = this.cached(ip)
    if (known !== undefined) return Promise.resolve(known)
    this.#misses++
    if (this.#closed) return Promise.resolve(UNKNOWN)
    const prefix = addressPrefix(ip)
    const pending = this.#pending.get(prefix)
    if (pending) return pending
    if (this.#pending.size >= this.#options.concurrency) {
      this.#dropped++
      return Promise.resolve(UNKNOWN)
    }
    const query = this.#reverse(ip)
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

  async #reverse(ip: string): Promise<{ answer: string; cacheable: boolean }> {
    const resolver = this.#idle.pop() ?? this.#newResolver()
    this.#busy.add(resolver)
    let timer: ReturnType<typeof setTimeout> | undefined
    // Node's resolver timeout is per try and grows on retries, so the deadline is kept here.
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(resolve, this.#options.timeoutMs, 'timeout')
    })
    // DNS errors carry the address (`hostname`, message); only their code is read.
    const reply = resolver.reverse(ip).then(
      (names) => ({ names }),
      (error: NodeJS.ErrnoException) => ({ code: error.code }),
    )
    try {
      const outcome = await Promise.race([reply, deadline])
      if (outcome === 'timeout' || ('code' in outcome && outcome.code === 'ETIMEOUT')) {
        this.#timeouts++
        if (outcome === 'timeout') resolver.cancel()
        return { answer: UNKNOWN, cacheable: true }
      }
      if ('code' in outcome) return { answer: UNKNOWN, cacheable: outcome.code !== 'ECANCELLED' }
      return { answer: registrableDomain(outcome.names, ip) ?? UNKNOWN, cacheable: true }
    } finally {
      clearTimeout(timer)
      this.#busy.delete(resolver)
      if (!this.#closed) this.#idle.push(resolver)
    }
  }

  #newResolver(): Resolver {
    const resolver = new Resolver({ timeout: this.#options.timeoutMs, tries: 1 })
    if (this.#options.servers?.length) resolver.setServers(this.#options.servers)
    return resolver
  }
}

/**
 * The registrable domain (Public Suffix List) of the first PTR name that has one, unless it
 * spells out the address itself: such a name identifies one subscriber, would be cached
 * for the whole prefix and stored as a count's label.
 */
export function registrableDomain(names: string[], ip: string): string | undefined {
  for (const name of names) {
    if (!/^[a-z0-9_-]+(\.[a-z0-9_-]+)+\.?$/i.test(name)) continue
    const domain = getDomain(name)?.toLowerCase()
    if (domain) return spellsAddress(domain, ip) ? undefined : domain
  }
  return undefined
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
