import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** The list shipped in the repository (Matomo's referrer-spam-list; header in the file). */
// Two directories up, as from server/enrich/ in the sources so from dist/server/ in the bundle (server/build.ts).
export const SPAM_LIST_FILE = fileURLToPath(new URL('../../server/enrich/referrer-spam.txt', import.meta.url))

/** Where `npm run refresh-spam-list` fetches the list from. */
export const SPAM_LIST_URL = 'https://raw.githubusercontent.com/matomo-org/referrer-spam-list/master/spammers.txt'

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?'
/** A host name with at least one dot: letters, digits and hyphens, punycode (`xn--…`) as it is. */
const DOMAIN = new RegExp(`^(?=.{1,253}$)(?:${LABEL}\\.)+${LABEL}$`)

export function isSpamDomain(line: string): boolean {
  return DOMAIN.test(line)
}

/**
 * The domains of a list as Matomo publishes it: one a line, blank lines allowed, `#` lines are
 * our header. A line is trimmed and lower-cased (the list has held `QIWI.xyz` and a trailing
 * space); any other line that is not a domain name is returned in `invalid`.
 */
export function parseSpamList(text: string): { domains: string[]; invalid: string[] } {
  const domains = new Set<string>()
  const invalid: string[] = []
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim().toLowerCase()
    if (!line || line.startsWith('#')) continue
    if (isSpamDomain(line)) domains.add(line)
    else invalid.push(raw.slice(0, 100))
  }
  return { domains: [...domains].sort(), invalid }
}

/** The file as the repository keeps it: a header naming source, licence and date, then the domains. */
export function spamListText(domains: readonly string[], source: { url: string; retrieved: string }): string {
  const header = [
    '# Referrer spammers: events whose referrer is one of these hosts, or below one, are not counted.',
    `# Source: https://github.com/matomo-org/referrer-spam-list (${source.url})`,
    `# Licence: public domain (the list's README: "Public Domain (no copyright)"; its composer.json: Unlicense)`,
    `# Retrieved: ${source.retrieved}`,
    '# Refresh: npm run refresh-spam-list',
  ]
  return `${[...header, ...domains].join('\n')}\n`
}

/** The referrer hosts whose events are not counted: a host on the list, or any host below one. */
export class ReferrerSpam {
  private readonly domains: Set<string>

  constructor(domains: Iterable<string>) {
    this.domains = new Set(domains)
  }

  /** Read once at start; a line that is not a domain is left out rather than trusted. */
  static load(file = SPAM_LIST_FILE): ReferrerSpam {
    return new ReferrerSpam(parseSpamList(readFileSync(file, 'utf8')).domains)
  }

  get size(): number {
    return this.domains.size
  }

  /** Whether the referrer URL's host, or one of its parent domains, is on the list. */
  isSpam(referrer: string | undefined): boolean {
    if (!referrer) return false
    let host: string
    try {
      host = new URL(referrer).hostname
    } catch {
      return false
    }
    if (host.endsWith('.')) host = host.slice(0, -1)
    for (let at = 0; at !== -1; at = host.indexOf('.', at)) {
      if (at) at++
      if (this.domains.has(host.slice(at))) return true
    }
    return false
  }
}
