import { isBot } from '../../enrich/bots.ts'
import type { SkipReason } from '../types.ts'
import type { ParsedLine } from './parsed-line.ts'

/**
 * Which access-log lines are page views. A log holds every request: the assets a page pulls
 * in, redirects, errors, crawlers. Counting only what a browser's tracker would have sent
 * keeps imported days comparable with live ones.
 */
export interface FilterOptions {
  /** methods that count; default GET only (HEAD is link checkers and monitors, not readers) */
  methods?: string[]
  /**
   * statuses that count, as ranges: default `200-299,304`. Other 3xx are not counted because
   * the page they lead to is; 4xx and 5xx showed the visitor no page.
   */
  statuses?: string
  /** file extensions (lower case, no dot) that are assets, not pages; default STATIC_EXTENSIONS */
  staticExtensions?: string[]
  /** when given, lines whose host (a vhost log, Caddy) is another one are 'other_host' */
  hosts?: string[]
}

export const STATIC_EXTENSIONS = [
  ...['css', 'js', 'mjs', 'cjs', 'map', 'wasm', 'json', 'xml', 'txt', 'csv', 'rss', 'atom'],
  ...['png', 'jpg', 'jpeg', 'gif', 'svg', 'ico', 'webp', 'avif', 'bmp', 'tif', 'tiff', 'heic'],
  ...['woff', 'woff2', 'ttf', 'otf', 'eot'],
  ...['mp4', 'webm', 'mov', 'm4v', 'mp3', 'm4a', 'wav', 'ogg', 'oga', 'flac', 'vtt'],
  ...['pdf', 'zip', 'gz', 'tgz', 'bz2', 'xz', 'zst', '7z', 'rar', 'tar', 'dmg', 'exe', 'msi', 'apk', 'iso'],
]

/**
 * Paths that are never pages whatever their extension: the tracker's own collection
 * endpoint (its script, /t.js, is static), and what browsers and crawlers fetch by name.
 */
const NON_PAGES = ['/.well-known/', '/apple-touch-icon', '/favicon', '/robots.txt', '/api/event']

export type Verdict = 'count' | SkipReason

/** `200-299,304` as a lookup table of the statuses that count. */
export function statusSet(ranges: string): Uint8Array {
  const counts = new Uint8Array(1000)
  for (const part of ranges.split(',')) {
    const m = /^\s*(\d{3})\s*(?:-\s*(\d{3}))?\s*$/.exec(part)
    if (!m) throw new RangeError(`statuses: '${part.trim()}' is not a status or a range like 200-299`)
    const [from, to] = [Number(m[1]), Number(m[2] ?? m[1])]
    counts.fill(1, from, to + 1)
  }
  return counts
}

function extension(path: string): string {
  let end = path.indexOf('?')
  if (end < 0) end = path.length
  const hash = path.indexOf('#')
  if (hash >= 0 && hash < end) end = hash
  const dot = path.lastIndexOf('.', end - 1)
  return dot > path.lastIndexOf('/', end - 1) ? path.slice(dot + 1, end).toLowerCase() : ''
}

/** Bot verdicts by User-Agent: a log repeats the same few thousand UAs millions of times. Bounded. */
class BotVerdicts {
  private readonly verdicts = new Map<string, boolean>()
  constructor(private readonly max = 10_000) {}

  isBot(userAgent: string): boolean {
    let verdict = this.verdicts.get(userAgent)
    if (verdict === undefined) {
      // An access log has no other request headers to look at.
      verdict = isBot(userAgent, () => undefined)
      if (this.verdicts.size >= this.max) this.verdicts.delete(this.verdicts.keys().next().value!)
      this.verdicts.set(userAgent, verdict)
    }
    return verdict
  }
}

function withoutPort(host: string): string {
  const colon = host.lastIndexOf(':')
  return (colon > host.lastIndexOf(']') ? host.slice(0, colon) : host).toLowerCase()
}

/** A classifier for one import: the options read once, the bot verdicts kept across its lines. */
export function makeClassifier(options: FilterOptions = {}): (parsed: ParsedLine) => Verdict {
  const methods = new Set(options.methods ?? ['GET'])
  const statuses = statusSet(options.statuses ?? '200-299,304')
  const staticExtensions = new Set(options.staticExtensions ?? STATIC_EXTENSIONS)
  const hosts = options.hosts && new Set(options.hosts.map(withoutPort))
  const bots = new BotVerdicts()
  return (parsed) => {
    if (!methods.has(parsed.method)) return 'method'
    if (statuses[parsed.status] !== 1) return 'status'
    // absolute-form (`GET http://…`) is a proxy probe, `*` an OPTIONS target: neither a page of this site
    if (parsed.path.charCodeAt(0) !== 47) return 'unsupported'
    if (hosts && parsed.host !== undefined && !hosts.has(withoutPort(parsed.host))) return 'other_host'
    if (staticExtensions.has(extension(parsed.path))) return 'static'
    for (const prefix of NON_PAGES) if (parsed.path.startsWith(prefix)) return 'static'
    if (parsed.userAgent === '' || bots.isBot(parsed.userAgent)) return 'bot'
    return 'count'
  }
}

let defaultClassifier: ((parsed: ParsedLine) => Verdict) | undefined

/** With the default options; an import with its own options uses makeClassifier once. */
export function classify(parsed: ParsedLine, options?: FilterOptions): Verdict {
  if (options) return makeClassifier(options)(parsed)
  defaultClassifier ??= makeClassifier()
  return defaultClassifier(parsed)
}
