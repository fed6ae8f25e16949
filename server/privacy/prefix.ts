import { isIPv4, isIPv6 } from 'node:net'

/**
 * The network an address belongs to: IPv4 /24 (`203.0.113.0/24`), IPv6 /48
 * (`2001:db8:abcd::/48`). Lookup caches are keyed by this, never by the address itself
 * (docs/design.md, privacy contract rule 2): a /24 or /48 is shared by many subscribers, so a
 * cache key names a network, not a person. IPv4-mapped IPv6 (`::ffff:1.2.3.4`) counts as
 * the IPv4 address it carries, otherwise every such address would share `::/48`.
 */
export function addressPrefix(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1]
  const v4 = mapped ?? ip
  if (isIPv4(v4)) {
    const [a, b, c] = v4.split('.').map(Number)
    return `${a}.${b}.${c}.0/24`
  }
  if (isIPv6(ip)) return `${network48(ipv6Groups(ip))}/48`
  // The message deliberately leaves the input out: it may be a client address.
  throw new TypeError('addressPrefix: not an IP address')
}

/** The eight 16-bit groups of a valid IPv6 address, `::` expanded, a dotted IPv4 tail split in two. */
export function ipv6Groups(ip: string): number[] {
  const zone = ip.indexOf('%')
  const text = zone >= 0 ? ip.slice(0, zone) : ip
  const [head = '', tail] = text.split('::')
  const parse = (part: string): number[] =>
    part
      .split(':')
      .filter(Boolean)
      .flatMap((group) => {
        if (!group.includes('.')) return [parseInt(group, 16)]
        const [a = 0, b = 0, c = 0, d = 0] = group.split('.').map(Number)
        return [(a << 8) | b, (c << 8) | d]
      })
  const left = parse(head)
  const right = tail === undefined ? [] : parse(tail)
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right]
}

/**
 * The first three groups in RFC 5952 text. The five zero groups after them are always the
 * longest zero run, so they are the ones `::` stands for.
 */
function network48(groups: number[]): string {
  const first = groups.slice(0, 3)
  while (first.length > 0 && first[first.length - 1] === 0) first.pop()
  return `${first.map((g) => g.toString(16)).join(':')}::`
}
