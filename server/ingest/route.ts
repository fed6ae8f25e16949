import { Hono } from 'hono'
import type { Context } from 'hono'
import { getConnInfo } from '@hono/node-server/conninfo'
import { limitBody } from '../http/body-limit.ts'
import { ClientAddress } from '../privacy/client-address.ts'
import { hasLoneSurrogate, withoutControlChars } from '../text.ts'
import type { Ingestor } from './ingestor.ts'
import { parseEvent } from './schema.ts'

export const MAX_EVENT_BYTES = 4096

/**
 * CORS is open on this route only. Set here rather than by Hono's cors middleware, which edits
 * headers after the handler and so makes @hono/node-server rebuild every response (a measured
 * 6 % of ingest CPU).
 */
const OPEN = { 'Access-Control-Allow-Origin': '*' }

function reply(c: Context, body: object, status: 202 | 400 | 413 | 415 | 429 | 503, headers: Record<string, string> = {}) {
  return c.json(body, status, { ...OPEN, ...headers })
}

/** `POST /api/event`: the Plausible Events API wire format, CORS open on this route only. */
export function ingestRoute(ingestor: Ingestor, options: { trustProxy: number; isShuttingDown: () => boolean }) {
  const app = new Hono()
  app.options('/event', (c) =>
    c.body(null, 204, {
      ...OPEN,
      'Access-Control-Allow-Methods': 'POST',
      'Access-Control-Allow-Headers': 'Content-Type',
      'Access-Control-Max-Age': '86400',
    }),
  )
  app.post(
    '/event',
    // The unread rest of the body makes the connection unusable: tell the client not to reuse it.
    limitBody(MAX_EVENT_BYTES, (c) =>
      reply(c, { error: 'payload_too_large', message: `events are at most ${MAX_EVENT_BYTES} bytes` }, 413, {
        Connection: 'close',
      }),
    ),
    async (c) => {
      if (options.isShuttingDown()) return reply(c, { error: 'shutting_down', message: 'try again shortly' }, 503)
      const address = ClientAddress.fromRequest(getConnInfo(c).remote.address, c.req.header('x-forwarded-for'), options.trustProxy)
      const wait = ingestor.admit(address)
      if (wait) {
        return reply(c, { error: 'rate_limited', message: 'too many events from this network; try again later' }, 429, {
          'Retry-After': String(Math.ceil(wait / 1000)),
        })
      }
      const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
      if (type !== 'text/plain' && type !== 'application/json') {
        return reply(c, { error: 'unsupported_media_type', message: 'send JSON as text/plain or application/json' }, 415)
      }
      let body: unknown
      try {
        body = JSON.parse(await c.req.text())
      } catch {
        return reply(c, { error: 'invalid_json', message: 'the body is not valid JSON' }, 400)
      }
      if (hasLoneSurrogateIn(body)) {
        return reply(c, { error: 'invalid_json', message: 'the body has an unpaired surrogate escape (\\ud800-\\udfff): not valid Unicode' }, 400)
      }
      const parsed = parseEvent(body)
      if (!parsed.ok) return reply(c, { error: 'invalid_event', message: parsed.reason }, 400)
      const outcome = ingestor.ingest(parsed.event, {
        address,
        userAgent: headerText(c.req.header('user-agent') ?? '').slice(0, 1000),
        header: (name) => {
          const value = c.req.header(name)
          return value === undefined ? undefined : headerText(value)
        },
        gpc: c.req.header('sec-gpc') === '1',
      })
      switch (outcome.status) {
        case 'accepted':
          return reply(c, { status: 'accepted' }, 202)
        case 'dropped':
          return reply(c, { status: 'dropped', reason: outcome.reason }, 202)
        case 'unknown_site':
          return reply(c, 
            { error: 'unknown_site', message: `not counted: ${outcome.domains.join(', ')} is not a site on this Skaits server` },
            400,
          )
        case 'busy':
          return reply(c, { error: 'busy', message: 'the event buffer is full; try again shortly' }, 503, { 'Retry-After': '1' })
      }
    },
  )
  return app
}


/**
 * A header as enrichment may read it: without control characters. Headers are Latin-1, so
 * tabs and C1 bytes (0x80–0x9f) arrive as characters, and client hints (`Sec-CH-UA` brands)
 * end up stored as browser names.
 */
function headerText(value: string): string {
  return withoutControlChars(value)
}

/** Whether any string in a parsed JSON value, or any key, holds half a surrogate pair. */
export function hasLoneSurrogateIn(value: unknown): boolean {
  if (typeof value === 'string') return hasLoneSurrogate(value)
  if (Array.isArray(value)) return value.some(hasLoneSurrogateIn)
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).some(([k, v]) => hasLoneSurrogate(k) || hasLoneSurrogateIn(v))
  }
  return false
}
