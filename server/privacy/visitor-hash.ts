import { createHmac } from 'node:crypto'

/**
 * The daily visitor identifier: HMAC-SHA256 keyed by the day's salt over (site, IP, User-Agent),
 * cut to 64 bits. Without the salt, which is destroyed within 48 h, it cannot be recomputed
 * from an address; it never leaves memory except into the 48 h unique-count sketches.
 */
export function visitorHash(salt: Buffer, site: string, ip: string, userAgent: string): bigint {
  return createHmac('sha256', salt).update(`${site}\n${ip}\n${userAgent}`).digest().readBigUInt64BE(0)
}
