import { parseCaddyLine } from './caddy.ts'
import { compileFormatString } from './format-string.ts'
import type { LineError, LineParser, ParsedLine } from './parsed-line.ts'

export { LogFormatError } from './format-string.ts'
export type { LineError, LineParser, ParsedLine } from './parsed-line.ts'

/**
 * The access-log formats Skaits reads without being told their format string, written as
 * Apache's mod_log_config documents them (nginx's `combined` is the same line: its literal
 * `-` is Apache's %l).
 */
export const BUILT_IN_FORMATS = {
  combined: '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"',
  common: '%h %l %u %t "%r" %>s %b',
  vhost_combined: '%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"',
  /** combined with the host first and no port, as many nginx setups write it */
  host_combined: '%v %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"',
} as const

export type BuiltInFormat = keyof typeof BUILT_IN_FORMATS | 'caddy'

/** A built-in format's name, or an nginx `log_format` / Apache `LogFormat` string of the owner's. */
export type LogFormat = BuiltInFormat | { custom: string }

function isBuiltIn(name: string): name is keyof typeof BUILT_IN_FORMATS {
  return Object.hasOwn(BUILT_IN_FORMATS, name)
}

/** Throws LogFormatError for a custom format string it cannot read lines with. */
export function compileFormat(format: LogFormat): LineParser {
  if (format === 'caddy') return parseCaddyLine
  if (typeof format === 'string') return compileFormatString(BUILT_IN_FORMATS[format], `a ${format} log`)
  if (isBuiltIn(format.custom) || format.custom === 'caddy') return compileFormat(format.custom as BuiltInFormat)
  return compileFormatString(format.custom)
}

/** Compiled parsers by format, so parseLine compiles each once; few formats are ever in use. */
const compiled = new Map<string, LineParser>()

export function parseLine(format: LogFormat, line: string): ParsedLine | LineError {
  const key = typeof format === 'string' ? format : `custom:${format.custom}`
  let parser = compiled.get(key)
  if (!parser) compiled.set(key, (parser = compileFormat(format)))
  return parser(line)
}

/** Tried in this order: a line of a later one never reads as an earlier one, while a combined line also reads as common. */
const DETECTABLE: BuiltInFormat[] = ['caddy', 'vhost_combined', 'host_combined', 'combined', 'common']

export interface Detected {
  format: BuiltInFormat
  /** sample lines that read as it, of `of` non-empty ones */
  matched: number
  of: number
  /** for the owner: which format, and why */
  reason: string
}

/** The built-in format most of the first lines of a log read as; undefined when none reads any. */
export function detectFormat(firstLines: string[]): Detected | undefined {
  const lines = firstLines.filter((l) => l.trim() !== '')
  let best: Detected | undefined
  for (const format of DETECTABLE) {
    const parser = compileFormat(format)
    const matched = lines.filter((l) => typeof parser(l) !== 'string').length
    if (matched > (best?.matched ?? 0)) best = { format, matched, of: lines.length, reason: `${format}: ${matched} of the first ${lines.length} lines read as ${format}` }
  }
  return best
}
