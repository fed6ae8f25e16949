import type { LineParser, ParsedLine } from './parsed-line.ts'
import { withoutControlChars } from '../../text.ts'

/**
 * Caddy's structured access log (https://caddyserver.com/docs/caddyfile/directives/log,
 * `format json`): one object per line, `ts` in float seconds by default, the request's
 * headers as arrays. `client_ip` (Caddy ≥ 2.7) is the client behind trusted proxies;
 * older logs have only `remote_ip`.
 */

interface CaddyEntry {
  ts?: unknown
  status?: unknown
  size?: unknown
  request?: {
    remote_ip?: unknown
    client_ip?: unknown
    method?: unknown
    host?: unknown
    uri?: unknown
    proto?: unknown
    headers?: Record<string, unknown>
  }
}

const NOT_OBJECT = 'not a Caddy JSON access log line (not a JSON object)'
const NO_REQUEST = 'not a Caddy JSON access log line (no request)'

function text(value: unknown): string {
  return typeof value === 'string' ? withoutControlChars(value) : ''
}

function firstHeader(headers: Record<string, unknown> | undefined, name: string): string {
  const values = headers?.[name]
  return Array.isArray(values) ? text(values[0]) : ''
}

/** Caddy's `time_format` options: seconds (default), ms or ns since the epoch as a number, or an ISO 8601 string. */
function caddyTime(ts: unknown): number {
  if (typeof ts === 'string') return /(?:Z|[+-]\d\d:?\d\d)$/.test(ts) ? Date.parse(ts) : NaN
  if (typeof ts !== 'number') return NaN
  // 1e11 s is the year 5138, 1e14 ms the year 5138: beyond either, the unit is the next one down
  return Math.round(ts < 1e11 ? ts * 1000 : ts < 1e14 ? ts : ts / 1e6)
}

export const parseCaddyLine: LineParser = (line) => {
  if (line.charCodeAt(0) !== 123) return NOT_OBJECT
  let entry: CaddyEntry
  try {
    entry = JSON.parse(line) as CaddyEntry
  } catch {
    return 'not a Caddy JSON access log line (not valid JSON)'
  }
  const request = entry?.request
  if (typeof request !== 'object' || request === null) return NO_REQUEST
  const time = caddyTime(entry.ts)
  if (Number.isNaN(time)) return 'not a Caddy JSON access log line (ts: not a time)'
  const status = entry.status
  if (typeof status !== 'number' || !(status >= 100 && status <= 999)) return 'not a Caddy JSON access log line (status: not a status)'
  const path = text(request.uri)
  if (!path) return 'not a Caddy JSON access log line (request.uri: missing)'
  const parsed: ParsedLine = {
    time,
    address: text(request.client_ip) || text(request.remote_ip),
    method: text(request.method),
    path,
    protocol: text(request.proto) || undefined,
    status,
    bytes: typeof entry.size === 'number' ? entry.size : undefined,
    referrer: firstHeader(request.headers, 'Referer'),
    userAgent: firstHeader(request.headers, 'User-Agent'),
    host: text(request.host) || undefined,
  }
  return parsed
}
