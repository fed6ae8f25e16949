import { BlockList, isIP } from 'node:net'
import { z } from 'zod'
import type { ClientAddress } from '../privacy/client-address.ts'
import { globMatcher } from '../sections/rules.ts'
import { hasControlChars } from '../text.ts'

/**
 * What a site's owner keeps out of its counts (docs/design.md, "Exclusions"): address ranges
 * (the office, the owner's home) and page patterns (`/admin/**`, `/preview/*`). Events that
 * match are not counted, only tallied by reason (ingest/filtered.ts). The hosts a site's events
 * may come from are its hostnames setting (sites/hostnames.ts).
 */
export interface Exclusions {
  /** CIDR ranges, IPv4 or IPv6, as `normalizeRange` writes them: `203.0.113.0/24`, `2001:db8::/32` */
  addresses: string[]
  /** path globs, as goals' and section rules' page patterns (sections/rules.ts `globMatcher`) */
  pages: string[]
}

export const MAX_EXCLUDED_RANGES = 100
export const MAX_EXCLUDED_PAGES = 100

/**
 * `203.0.113.0/24`, `2001:db8::/32`, or one address (`/32`, `/128`), as the network it names
 * (host bits cleared, IPv6 in node's compressed form); '' when it is not one.
 */
export function normalizeRange(raw: string): string {
  const [address = '', bits, ...rest] = raw.trim().toLowerCase().split('/')
  const family = isIP(address)
  if (!family || rest.length) return ''
  const max = family === 4 ? 32 : 128
  const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : -1
  if (prefix < 0 || prefix > max) return ''
  const network = family === 4 ? v4Network(address, prefix) : v6Network(address, prefix)
  return `${network}/${prefix}`
}

function v4Network(address: string, prefix: number): string {
  const n = address.split('.').reduce((acc, part) => acc * 256 + Number(part), 0)
  const mask = prefix === 0 ? 0 : 2 ** 32 - 2 ** (32 - prefix)
  const masked = Number((BigInt(n) & BigInt(mask)))
  return [24, 16, 8, 0].map((shift) => (masked >>> shift) & 255).join('.')
}

function v6Network(address: string, prefix: number): string {
  const groups = expandV6(address)
  let n = groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n)
  const mask = prefix === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - prefix)) - 1n)
  n &= mask
  const parts = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(16 * (7 - i))) & 0xffffn).toString(16))
  // The longest run of zero groups becomes `::`, as RFC 5952 writes it.
  const text = `:${parts.join(':')}:`
  const runs = text.match(/(?::0)+:/g) ?? []
  const longest = runs.reduce((a, b) => (b.length > a.length ? b : a), '')
  return longest.length > 3 ? text.replace(longest, '::').replace(/^:(?!:)|(?<!:):$/g, '') : parts.join(':')
}

/** The eight 16-bit groups of an IPv6 address (an embedded IPv4 tail included). */
function expandV6(address: string): number[] {
  let text = address
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (v4) {
    const b = v4[1]!.split('.').map(Number)
    text = text.slice(0, v4.index) + `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`
  }
  const [head = '', tail] = text.split('::')
  const h = head ? head.split(':') : []
  const t = tail ? tail.split(':') : []
  const zeros = tail === undefined ? [] : Array(8 - h.length - t.length).fill('0')
  return [...h, ...zeros, ...t].map((g) => parseInt(g, 16))
}

const range = z
  .string()
  .max(60)
  .transform((raw, ctx) => {
    const r = normalizeRange(raw)
    if (r) return r
    ctx.addIssue({ code: 'custom', message: `"${raw.slice(0, 60)}" is not an address range such as 203.0.113.0/24 or 2001:db8::/32` })
    return z.NEVER
  })

const pagePattern = z
  .string()
  .trim()
  .min(1)
  .max(300)
  .refine((p) => p.startsWith('/'), 'a page pattern starts with / (e.g. /admin/** or /preview/*)')
  .refine((p) => !hasControlChars(p), 'no control characters')

/** What an owner sends (REST, CLI): both lists, each replaced as a whole; duplicates are dropped. */
export const exclusionsInput = z.object({
  addresses: z.array(range).max(MAX_EXCLUDED_RANGES, `at most ${MAX_EXCLUDED_RANGES} address ranges`).default([]),
  pages: z.array(pagePattern).max(MAX_EXCLUDED_PAGES, `at most ${MAX_EXCLUDED_PAGES} page patterns`).default([]),
})

export const NO_EXCLUSIONS: Exclusions = { addresses: [], pages: [] }

/** A site's exclusions as ingest asks them, compiled once per settings change. */
export interface ExclusionMatcher {
  readonly any: boolean
  /** whether the request's address lies in an excluded range; the address itself never leaves ClientAddress */
  address(address: ClientAddress | undefined): boolean
  /** whether the page's path (no query, no fragment) matches an excluded pattern */
  page(path: string): boolean
}

export function compileExclusions(exclusions: Exclusions | undefined): ExclusionMatcher {
  const { addresses, pages } = exclusions ?? NO_EXCLUSIONS
  const ranges = new BlockList()
  for (const r of addresses) {
    const [network, bits] = r.split('/')
    ranges.addSubnet(network!, Number(bits), isIP(network!) === 6 ? 'ipv6' : 'ipv4')
  }
  const matchers = pages.map(globMatcher)
  return {
    any: addresses.length > 0 || pages.length > 0,
    address: (a) => addresses.length > 0 && a !== undefined && a.inRanges(ranges),
    page: (path) => matchers.some((m) => m(path)),
  }
}

/** Stored exclusions as the code wrote them; anything else is left out rather than trusted. */
export function parseStoredExclusions(raw: unknown): Exclusions | undefined {
  const parsed = exclusionsInput.safeParse(raw)
  return parsed.success && (parsed.data.addresses.length || parsed.data.pages.length) ? parsed.data : undefined
}
