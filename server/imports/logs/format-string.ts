import type { LineParser, ParsedLine } from './parsed-line.ts'
import { unescapeLogValue } from './parsed-line.ts'
import { clfTime, isoTime, secondsTime } from './timestamps.ts'

/** A log format string the owner gave that Skaits cannot read lines with: a 4xx. */
export class LogFormatError extends Error {}

/** Where a field's value goes; SKIP for the many fields a page view does not need. */
const enum Slot {
  SKIP,
  ADDRESS,
  TIME_CLF,
  TIME_ISO,
  TIME_SECONDS,
  REQUEST,
  METHOD,
  URI,
  PROTOCOL,
  STATUS,
  BYTES,
  REFERRER,
  USER_AGENT,
  HOST,
}

const NGINX: Record<string, Slot> = {
  remote_addr: Slot.ADDRESS,
  time_local: Slot.TIME_CLF,
  time_iso8601: Slot.TIME_ISO,
  msec: Slot.TIME_SECONDS,
  request: Slot.REQUEST,
  request_method: Slot.METHOD,
  request_uri: Slot.URI,
  server_protocol: Slot.PROTOCOL,
  status: Slot.STATUS,
  body_bytes_sent: Slot.BYTES,
  http_referer: Slot.REFERRER,
  http_user_agent: Slot.USER_AGENT,
  host: Slot.HOST,
  http_host: Slot.HOST,
}

/** Apache mod_log_config directives by letter; %{Header}i by header name (lower case). */
const APACHE: Record<string, Slot> = { h: Slot.ADDRESS, a: Slot.ADDRESS, r: Slot.REQUEST, m: Slot.METHOD, U: Slot.URI, H: Slot.PROTOCOL, s: Slot.STATUS, b: Slot.BYTES, B: Slot.BYTES, O: Slot.BYTES, v: Slot.HOST, V: Slot.HOST }
const APACHE_HEADERS: Record<string, Slot> = { referer: Slot.REFERRER, 'user-agent': Slot.USER_AGENT, host: Slot.HOST }

const SPACELESS = new Set([Slot.ADDRESS, Slot.TIME_ISO, Slot.TIME_SECONDS, Slot.METHOD, Slot.URI, Slot.PROTOCOL, Slot.STATUS, Slot.BYTES, Slot.HOST])

const NGINX_VARIABLE = /\$(?:\{(\w+)\}|(\w+))/g
const APACHE_DIRECTIVE = /%[<>]?(?:!?\d+(?:,\d+)*)?(?:\{([^}]*)\})?([a-zA-Z%])/g

interface Field {
  slot: Slot
  /** as written in the format, for error messages */
  token: string
  /** between double quotes: ends at the first unescaped `"` */
  quoted: boolean
  /** the character that ends an unquoted field; '' for the end of the line */
  until: string
}

/** A format as literals and fields in turn: literals[i] comes before fields[i], and literals[n] last. */
interface Program {
  literals: string[]
  fields: Field[]
}

type Piece = string | { slot: Slot; token: string }

function nginxPieces(format: string): Piece[] {
  const pieces: Piece[] = []
  let last = 0
  for (const m of format.matchAll(NGINX_VARIABLE)) {
    pieces.push(format.slice(last, m.index), { slot: NGINX[(m[1] ?? m[2])!] ?? Slot.SKIP, token: m[0] })
    last = m.index + m[0].length
  }
  pieces.push(format.slice(last))
  return pieces
}

function apacheSlot(name: string | undefined, letter: string, token: string): Slot {
  if (letter === 'i') return APACHE_HEADERS[(name ?? '').toLowerCase()] ?? Slot.SKIP
  if (letter === 't') {
    if (name !== undefined) throw new LogFormatError(`${token}: only the default time format (%t) is supported`)
    return Slot.TIME_CLF
  }
  return name === undefined || letter === 'a' ? (APACHE[letter] ?? Slot.SKIP) : Slot.SKIP
}

function apachePieces(format: string): Piece[] {
  // %U%q is the path and its query, written with nothing between them.
  const text = format.replaceAll('%U%q', '%U')
  const pieces: Piece[] = []
  let last = 0
  for (const m of text.matchAll(APACHE_DIRECTIVE)) {
    const [token, name, letter] = [m[0], m[1], m[2]!]
    pieces.push(text.slice(last, m.index))
    if (letter === '%') pieces.push('%')
    // %t writes its own brackets
    else if (letter === 't') pieces.push('[', { slot: apacheSlot(name, letter, token), token }, ']')
    else pieces.push({ slot: apacheSlot(name, letter, token), token })
    last = m.index + token.length
  }
  pieces.push(text.slice(last))
  return pieces
}

function compileProgram(format: string): Program {
  const pieces = /\$\{?\w/.test(format) ? nginxPieces(format) : apachePieces(format)
  const literals: string[] = ['']
  const fields: { slot: Slot; token: string }[] = []
  for (const piece of pieces) {
    if (typeof piece === 'string') literals[literals.length - 1] += piece
    else {
      const before = fields.at(-1)
      if (before && literals.at(-1) === '') throw new LogFormatError(`${before.token} and ${piece.token} have nothing between them to tell where one ends`)
      fields.push(piece)
      literals.push('')
    }
  }
  const slots = new Set(fields.map((f) => f.slot))
  if (![Slot.TIME_CLF, Slot.TIME_ISO, Slot.TIME_SECONDS].some((s) => slots.has(s))) throw new LogFormatError('the format has no time ($time_local, $time_iso8601, $msec or %t)')
  if (!slots.has(Slot.REQUEST) && !slots.has(Slot.URI)) throw new LogFormatError('the format has no request ($request, $request_uri, %r or %U)')
  if (!slots.has(Slot.STATUS)) throw new LogFormatError('the format has no status ($status or %>s)')
  return {
    literals,
    fields: fields.map((f, i) => {
      const before = literals[i]!
      const after = literals[i + 1]!
      // A last field that never holds a space ends at one, so that fields appended after it are ignored.
      return { ...f, quoted: before.endsWith('"') && after.startsWith('"'), until: after.charAt(0) || (SPACELESS.has(f.slot) ? ' ' : '') }
    }),
  }
}

/** The index of the `"` closing a quoted value that starts at `at`: Apache writes an inner quote as `\"`. */
function closingQuote(line: string, at: number): number {
  let q = line.indexOf('"', at)
  while (q > at && line.charCodeAt(q - 1) === 92) {
    let backslashes = 1
    while (q - backslashes > at && line.charCodeAt(q - 1 - backslashes) === 92) backslashes++
    if (backslashes % 2 === 0) break
    q = line.indexOf('"', q + 1)
  }
  return q
}

function digits(line: string, at: number, end: number): number {
  if (at === end || end - at > 15) return NaN
  let n = 0
  for (let i = at; i < end; i++) {
    const d = line.charCodeAt(i) - 48
    if (d < 0 || d > 9) return NaN
    n = n * 10 + d
  }
  return n
}

function dashless(value: string): string {
  return value === '-' ? '' : unescapeLogValue(value)
}

/** Fills parsed.method, .path and .protocol from `GET /a?b HTTP/1.1`; false when it is no request line. */
function readRequest(parsed: ParsedLine, line: string, at: number, end: number): boolean {
  const first = line.indexOf(' ', at)
  if (first <= at || first >= end - 1) return false
  const last = line.lastIndexOf(' ', end - 1)
  const hasProtocol = last > first && line.startsWith('HTTP/', last + 1)
  parsed.method = line.slice(at, first)
  parsed.path = unescapeLogValue(line.slice(first + 1, hasProtocol ? last : end))
  parsed.protocol = hasProtocol ? line.slice(last + 1, end) : undefined
  return true
}

/**
 * A parser for lines of `format`, an nginx `log_format` string (`$remote_addr … "$request" …`)
 * or, when it has no `$variable`, an Apache `LogFormat` string (`%h %l %u %t "%r" %>s %b`).
 * Compiled once into literals and fields scanned with indexOf: no regex, so no backtracking,
 * whatever a line holds. Text after the last field is ignored (many setups append fields).
 */
export function compileFormatString(format: string, name = 'the given format'): LineParser {
  const { literals, fields } = compileProgram(format)
  const problem = (i: number, what: string) => `not a line of ${name} (field ${i + 1} ${fields[i]!.token}: ${what})`
  const noLiteral = literals.map((lit, i) => (i < fields.length ? problem(i, `no '${lit.trim() || lit}' before it`) : `not a line of ${name} (no '${lit.trim() || lit}' at the end)`))
  const unended = fields.map((f, i) => problem(i, f.quoted ? 'no closing quote' : `no '${f.until === ' ' ? 'space' : f.until}' after it`))
  const badTime = fields.map((_, i) => problem(i, 'not a time'))
  const badRequest = fields.map((_, i) => problem(i, 'not a request line'))
  const badStatus = fields.map((_, i) => problem(i, 'not a status'))
  // Lines of one second share their time stamp: parse it once.
  let lastTimeText = ''
  let lastTime = NaN

  return (line) => {
    const parsed: ParsedLine = { time: NaN, address: '', method: 'GET', path: '', protocol: undefined, status: 0, bytes: undefined, referrer: '', userAgent: '', host: undefined }
    let at = 0
    for (let i = 0; i < fields.length; i++) {
      const literal = literals[i]!
      if (literal.length) {
        if (!line.startsWith(literal, at)) return noLiteral[i]!
        at += literal.length
      }
      const field = fields[i]!
      let end = field.quoted ? closingQuote(line, at) : field.until ? line.indexOf(field.until, at) : line.length
      if (end < 0) {
        if (field.quoted || literals[i + 1]) return unended[i]!
        end = line.length
      }
      switch (field.slot) {
        case Slot.ADDRESS:
          parsed.address = line.slice(at, end)
          break
        case Slot.TIME_CLF:
        case Slot.TIME_ISO:
        case Slot.TIME_SECONDS:
          if (end - at === lastTimeText.length && line.startsWith(lastTimeText, at)) parsed.time = lastTime
          else {
            const time = field.slot === Slot.TIME_CLF ? clfTime(line, at, end) : field.slot === Slot.TIME_ISO ? isoTime(line, at, end) : secondsTime(line, at, end)
            if (Number.isNaN(time)) return badTime[i]!
            lastTimeText = line.slice(at, end)
            parsed.time = lastTime = time
          }
          break
        case Slot.REQUEST:
          if (!readRequest(parsed, line, at, end)) return badRequest[i]!
          break
        case Slot.METHOD:
          parsed.method = line.slice(at, end)
          break
        case Slot.URI:
          parsed.path = unescapeLogValue(line.slice(at, end))
          break
        case Slot.PROTOCOL:
          parsed.protocol = line.slice(at, end)
          break
        case Slot.STATUS:
          parsed.status = digits(line, at, end)
          if (!(parsed.status >= 100 && parsed.status <= 999)) return badStatus[i]!
          break
        case Slot.BYTES: {
          const bytes = digits(line, at, end)
          parsed.bytes = Number.isNaN(bytes) ? undefined : bytes
          break
        }
        case Slot.REFERRER:
          parsed.referrer = dashless(line.slice(at, end))
          break
        case Slot.USER_AGENT:
          parsed.userAgent = dashless(line.slice(at, end))
          break
        case Slot.HOST:
          parsed.host = dashless(line.slice(at, end)) || undefined
          break
      }
      at = end
    }
    const last = literals[fields.length]!
    if (last.length && !line.startsWith(last, at)) return noLiteral[fields.length]!
    return parsed
  }
}
