import { isIP } from 'node:net'

/**
 * The visitor's address. Without trusted proxies it is the socket's peer. With `trustProxy`
 * = N reverse proxies in front, each appends the address it received from to
 * X-Forwarded-For, so the client is the N-th entry counted from the right; entries further
 * left were written by the client itself and are never believed.
 * The result lives only in the request's memory (docs/design.md, privacy contract rule 2).
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

/** Valid IPv4 or IPv6 text, with IPv4-mapped IPv6 (`::ffff:1.2.3.4`) as plain IPv4. */
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
