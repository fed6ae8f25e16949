import { withoutControlChars } from '../../text.ts'

/** One access-log line as the server wrote it, before anything decides whether it counts. */
export interface ParsedLine {
  /** Unix ms, from the log's own offset */
  time: number
  /** exactly as in the log (an address, or a name with HostnameLookups on); '' when the format has none */
  address: string
  method: string
  /** with its query, as requested */
  path: string
  protocol: string | undefined
  status: number
  bytes: number | undefined
  /** '' for none ('-') */
  referrer: string
  /** '' for none ('-') */
  userAgent: string
  host: string | undefined
}

/** What a parser gives for a line it cannot read: why, never the line's text (it may hold an address). */
export type LineError = string

export type LineParser = (line: string) => ParsedLine | LineError

const ESCAPE = /\\(?:x([0-9a-fA-F]{2})|(.))/g
const SIMPLE: Record<string, string> = { n: '\n', t: '\t', r: '\r', v: '\v', f: '\f', b: '\b' }

/**
 * A logged value with its escapes undone: nginx writes `"`, `\` and every byte outside
 * printable ASCII as `\xHH` (so a UTF-8 User-Agent arrives as bytes), Apache writes `\"`,
 * `\\` and `\xhh`. Runs of bytes are decoded as UTF-8 together; control characters go.
 */
export function unescapeLogValue(value: string): string {
  if (!value.includes('\\')) return value
  let bytes: number[] = []
  let out = ''
  let last = 0
  const flush = () => {
    if (bytes.length) out += Buffer.from(bytes).toString('utf8')
    bytes = []
  }
  for (const m of value.matchAll(ESCAPE)) {
    const at = m.index
    if (at > last) {
      flush()
      out += value.slice(last, at)
    }
    if (m[1] !== undefined) bytes.push(parseInt(m[1], 16))
    else {
      flush()
      out += SIMPLE[m[2]!] ?? m[2]
    }
    last = at + m[0].length
  }
  flush()
  return withoutControlChars(out + value.slice(last))
}
