import { domainToASCII } from 'node:url'
import { z } from 'zod'

/**
 * Which URL hosts a site's events may come from. A pattern is a host (`example.lv`,
 * `staging.example.net`, `localhost`, `127.0.0.1`) or `*.` and a domain, meaning any host
 * below it but not the domain itself. Without a setting: the site's domain and its
 * subdomains (www. included). An event whose URL host matches no pattern is not counted:
 * someone else's pages carrying a copy of the snippet.
 */
export const hostnamePattern = z
  .string()
  .max(260)
  .transform((raw, ctx) => {
    const pattern = normalizeHostPattern(raw)
    if (pattern) return pattern
    ctx.addIssue({ code: 'custom', message: `"${raw.slice(0, 260)}" is not a host name or *.domain` })
    return z.NEVER
  })
export const hostnamePatterns = z.array(hostnamePattern).min(1).max(100)

export type HostAllowed = (host: string) => boolean

export function defaultHostnames(domain: string): string[] {
  return [domain, `*.${domain}`]
}

export function compileHostnames(patterns: readonly string[]): HostAllowed {
  const exact = new Set<string>()
  const below: string[] = []
  for (const p of patterns) {
    if (p.startsWith('*.')) below.push(p.slice(1))
    else exact.add(p)
  }
  return (host) => {
    const h = host.endsWith('.') ? host.slice(0, -1).toLowerCase() : host.toLowerCase()
    return exact.has(h) || below.some((suffix) => h.endsWith(suffix))
  }
}

const HOST = /^(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$|^\[[0-9a-f:.]+\]$/

/** Lower case, punycode (as `URL.hostname` gives it), no trailing dot; '' when not a host. */
function normalizeHostPattern(raw: string): string {
  const trimmed = raw.trim().toLowerCase().replace(/\.$/, '')
  const wildcard = trimmed.startsWith('*.')
  const host = wildcard ? trimmed.slice(2) : trimmed
  // domainToASCII reads a URL's host: it would make `x.lv/path` or `a@x.lv` into `x.lv`.
  if (/[\s/\\?#@:%]/.test(host) && !host.startsWith('[')) return ''
  const ascii = host.startsWith('[') ? host : domainToASCII(host)
  if (!ascii || ascii.length > 253 || !HOST.test(ascii)) return ''
  return wildcard ? `*.${ascii}` : ascii
}
