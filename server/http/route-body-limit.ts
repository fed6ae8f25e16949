import type { MiddlewareHandler } from 'hono'
import { limitBody } from './body-limit.ts'
import { say } from './messages.ts'

const KiB = 1024

/** The most any other route reads: every auth and management body the schemas accept fits. */
export const DEFAULT_BODY_LIMIT = 16 * KiB

/** Routes that limit their own bodies: ingest (4 KiB), Stats API queries (64 KiB), imports' uploads (IMPORT_MAX_MB). */
const OWN_LIMIT = new Set(['/api/event', '/api/v2/query'])
const OWN_LIMIT_PATTERN = /^\/api\/sites\/[^/]+\/imports$/

/**
 * Routes whose schemas accept more than DEFAULT_BODY_LIMIT, sized to their largest valid body
 * as JSON, with three bytes for every character that may be non-ASCII (host names are ASCII
 * once punycoded, at most 253 characters).
 */
const LARGER: { method: string; path: RegExp; limit: number }[] = [
  // 200 rules of a 300-character pattern and a 100-character section (247 KB at most)
  { method: 'PUT', path: /^\/api\/sites\/[^/]+\/sections$/, limit: 256 * KiB },
  // 100 host patterns of up to 260 characters, written in Unicode or punycode (26 KB in ASCII)
  { method: 'PUT', path: /^\/api\/sites\/[^/]+\/hostnames$/, limit: 64 * KiB },
  // a key limited to up to 1,000 sites of 253 characters (256,000 bytes with the quotes)
  { method: 'POST', path: /^\/api\/keys$/, limit: 256 * KiB },
  // a followed log's new lines, sent at most 200 KiB at a time (cli/imports.ts)
  { method: 'POST', path: /^\/api\/sites\/[^/]+\/imports\/live$/, limit: 256 * KiB },
]

/** The largest body `method path` may send; undefined where the route limits it itself. */
export function bodyLimitFor(method: string, path: string): number | undefined {
  if (OWN_LIMIT.has(path) || (method === 'POST' && OWN_LIMIT_PATTERN.test(path))) return undefined
  return LARGER.find((r) => r.method === method && r.path.test(path))?.limit ?? DEFAULT_BODY_LIMIT
}

/**
 * Every request body but ingest's and the Stats API's, limited before any route reads it:
 * `413` with `Connection: close` as soon as the Content-Length, or the streamed bytes so far,
 * pass the route's limit; nothing beyond the limit is buffered.
 */
export function limitRouteBodies(): MiddlewareHandler {
  const limiters = new Map<number, MiddlewareHandler>()
  const limiter = (limit: number) => {
    let m = limiters.get(limit)
    if (!m) {
      m = limitBody(limit, (c) => c.json(say('body_too_large', { kib: limit / KiB }), 413, { Connection: 'close' }))
      limiters.set(limit, m)
    }
    return m
  }
  return (c, next) => {
    const limit = bodyLimitFor(c.req.method, c.req.path)
    if (limit === undefined) return next()
    // Page and asset loads carry no body; skipping them keeps @hono/node-server from building a
    // Web Request stream for each (body-limit.ts).
    const bodiless = c.req.header('content-length') === undefined && c.req.header('transfer-encoding') === undefined
    if (bodiless && (c.req.method === 'GET' || c.req.method === 'HEAD')) return next()
    return limiter(limit)(c, next)
  }
}
