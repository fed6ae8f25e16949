/**
 * GoatCounter's CSV export (format version 2) → hit records, one per pageview or event, replayed
 * through the same sessions and enrichment as live traffic.
 *
 * The format is what arp242/goatcounter export.go writes (Export.Run and ExportRows.Export) and
 * tpl/help/export.md documents: a header `2Path,Title,Event,UserAgent,Browser,System,Session,
 * Bot,Referrer,Referrer scheme,Screen size,Location,FirstVisit,Date`, the version prefixed to the
 * first name, then a row per hit, gzipped (`.csv.gz`) as GoatCounter hands it out.
 *
 * - UserAgent is always blank (GoatCounter no longer stores User-Agents); Browser and System are
 *   "name version" (`coalesce(browsers.name || ' ' || browsers.version, '')`). They are handed on
 *   as they are (GoatCounterHit), never made into a User-Agent: a made-up UA would be parsed
 *   as if a browser had sent it, and bot filtering would judge a string no one sent.
 * - Referrer is stored without its scheme; Referrer scheme says what it is: `h` a URL, `g` a
 *   name GoatCounter gave a group of hosts ("Hacker News", "Google"), `c` the value of a
 *   campaign parameter (utm_source, ref, src or source), `o` another scheme (Android apps).
 * - Screen size is `width,height,scale` (count.js sends screen.width, CSS px).
 * - Location is ISO 3166-2 ("US" or "US-TX"); Skaits keeps the country.
 * - Session is GoatCounter's session id: the visitor key instead of an address.
 */
import { Readable } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { readCsv } from './csv-read.ts'
import { ImportInputError, type HitRecord, type ReadCounts } from './types.ts'

/** A GoatCounter hit: its browser and system as GoatCounter parsed them, for want of the User-Agent. */
export interface GoatCounterHit extends HitRecord {
  /** GoatCounter's browser name ("Firefox") */
  browser?: string
  /** its version as GoatCounter kept it ("120", "17.2") */
  browserVersion?: string
  /** GoatCounter's system name ("Windows", "macOS", "Android") */
  os?: string
  osVersion?: string
}

export const GOATCOUNTER_HEADER = [
  '2Path',
  'Title',
  'Event',
  'UserAgent',
  'Browser',
  'System',
  'Session',
  'Bot',
  'Referrer',
  'Referrer scheme',
  'Screen size',
  'Location',
  'FirstVisit',
  'Date',
] as const

const COL = Object.fromEntries(GOATCOUNTER_HEADER.map((name, i) => [name, i])) as Record<(typeof GOATCOUNTER_HEADER)[number], number>

/** Go's strconv.ParseBool, which GoatCounter's importer reads Event with (SQLite stores 0/1). */
const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True'])
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False', ''])

/** RFC 3339, and the `YYYY-MM-DD HH:MM:SS` a SQLite-backed GoatCounter writes (UTC). */
const DATE = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)(Z|[+-]\d{2}:\d{2})?$/i

const MAX_ERRORS = 20

/** Gunzips when the bytes start with gzip's magic (1f 8b), whatever the file is called. */
export async function gunzipIfGzip(input: Readable): Promise<Readable> {
  const iterator = (input as AsyncIterable<Buffer>)[Symbol.asyncIterator]()
  let head = Buffer.alloc(0)
  let done = false
  while (head.length < 2 && !done) {
    const next = await iterator.next()
    if (next.done) done = true
    else head = Buffer.concat([head, Buffer.from(next.value)])
  }
  const gzip = head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b
  const source = (async function* () {
    if (head.length) yield head
    if (done) return
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield Buffer.from(next.value)
  })()
  const raw = Readable.from(source)
  if (!gzip) return raw
  const gunzip = createGunzip()
  raw.on('error', (e) => gunzip.destroy(e))
  return raw.pipe(gunzip)
}

/**
 * The hits of a GoatCounter export, gzipped or not. A header that is not version 2's is an
 * ImportInputError; a row that cannot be read is counted as malformed (with its line in
 * `counts.errors`) and left out, as GoatCounter's own importer does; bots are counted and left out.
 */
export async function* parseGoatCounterCsv(input: Readable, file: string, counts: ReadCounts): AsyncGenerator<GoatCounterHit> {
  const records = readCsv(await gunzipIfGzip(input), file)
  const first = await records.next()
  const header = first.done ? [] : first.value.fields
  if (header.length !== GOATCOUNTER_HEADER.length || header.some((h, i) => h !== GOATCOUNTER_HEADER[i])) {
    throw new ImportInputError(file, 1, `not a GoatCounter export (version 2): header ${JSON.stringify(header.join(',').slice(0, 200))}`)
  }
  for await (const { fields, line } of records) {
    counts.read++
    const hit = hitOf(fields)
    if (hit === 'bot') {
      counts.skipped.bot = (counts.skipped.bot ?? 0) + 1
      continue
    }
    if (typeof hit === 'string') {
      counts.skipped.malformed = (counts.skipped.malformed ?? 0) + 1
      if (counts.errors.length < MAX_ERRORS) counts.errors.push({ file, line, message: hit })
      continue
    }
    yield hit
  }
}

/** The hit, 'bot', or what is wrong with the row. */
function hitOf(f: string[]): GoatCounterHit | 'bot' | string {
  if (f.length !== GOATCOUNTER_HEADER.length) return `${f.length} fields where the header has ${GOATCOUNTER_HEADER.length}`
  const bot = f[COL.Bot]!.trim()
  if (!/^\d{1,4}$/.test(bot)) return 'column Bot: not a number'
  if (bot !== '0') return 'bot'
  const eventText = f[COL.Event]!.trim()
  if (!TRUE.has(eventText) && !FALSE.has(eventText)) return 'column Event: not true or false'
  const time = timeOf(f[COL.Date]!.trim())
  if (time === undefined) return 'column Date: not an RFC 3339 time'
  const path = f[COL['2Path']]!
  if (!path) return 'column Path is empty'
  const hit: GoatCounterHit = { time, path, userAgent: f[COL.UserAgent]! }
  if (TRUE.has(eventText)) {
    // An event's "path" is its name; GoatCounter does not say on which page it was sent.
    hit.event = path.replace(/^\/+/, '') || '(no event name)'
    hit.path = ''
  }
  const referrer = referrerOf(f[COL.Referrer]!.trim(), f[COL['Referrer scheme']]!.trim())
  if (referrer.referrer) hit.referrer = referrer.referrer
  if (referrer.query && !hit.event) hit.path += (hit.path.includes('?') ? '&' : '?') + referrer.query
  const session = f[COL.Session]!.trim()
  if (session && !/^0+$/.test(session)) hit.session = session
  const width = Number(/^\s*(\d+(?:\.\d+)?)\s*,/.exec(f[COL['Screen size']]!)?.[1] ?? NaN)
  if (width > 0 && width < 100_000) hit.screenWidth = Math.round(width)
  const country = f[COL.Location]!.trim().split('-')[0]!.toUpperCase()
  if (/^[A-Z]{2}$/.test(country)) hit.country = country
  Object.assign(hit, nameAndVersion(f[COL.Browser]!, 'browser', 'browserVersion'), nameAndVersion(f[COL.System]!, 'os', 'osVersion'))
  return hit
}

function timeOf(s: string): number | undefined {
  const m = DATE.exec(s)
  if (!m) return undefined
  const t = Date.parse(`${m[1]}T${m[2]}${m[3] ? m[3].toUpperCase() : 'Z'}`)
  return Number.isFinite(t) ? t : undefined
}

/**
 * The referrer as enrich/sources.ts reads one. A URL (`h`) gets a scheme back (which one does
 * not matter: Skaits keeps the host); an app (`o`) becomes android-app://; a group name (`g`)
 * or a campaign value (`c`) is no URL, so it goes where enrich/sources.ts reads tags, a `ref`
 * parameter of the page's query, and is looked up among known sources by name.
 */
function referrerOf(ref: string, scheme: string): { referrer?: string; query?: string } {
  if (!ref) return {}
  const hostLike = /^[a-z0-9-]+(\.[a-z0-9-]+)+(?:[/:?#]|$)/i.test(ref)
  switch (scheme) {
    case 'h':
      return { referrer: `https://${ref}` }
    case 'o':
      return /^[a-z0-9_.-]+$/i.test(ref) ? { referrer: `android-app://${ref}` } : {}
    case 'g':
      return hostLike ? { referrer: `https://${ref}` } : { query: `ref=${encodeURIComponent(ref)}` }
    case 'c':
      return { query: `ref=${encodeURIComponent(ref)}` }
    default:
      return hostLike ? { referrer: `https://${ref}` } : {}
  }
}

/** "Firefox 120" → name and version; the name may have spaces ("Samsung Internet 23"), the version none. */
function nameAndVersion<N extends 'browser' | 'os', V extends 'browserVersion' | 'osVersion'>(s: string, name: N, version: V): Partial<Record<N | V, string>> {
  const text = s.trim()
  if (!text) return {}
  const m = /^(.*\S)\s+(\d[\w.]*)$/.exec(text)
  return (m ? { [name]: m[1], [version]: m[2] } : { [name]: text }) as Partial<Record<N | V, string>>
}
