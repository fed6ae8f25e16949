import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { cors } from 'hono/cors'
import { getConnInfo } from '@hono/node-server/conninfo'
import { clientAddress } from './client-address.ts'
import type { Ingestor } from './ingestor.ts'
import { parseEvent } from './schema.ts'

export const MAX_EVENT_BYTES = 4096

/** `POST /api/event`: the Plausible Events API wire format, CORS open on this route only. */
export function ingestRoute(ingestor: Ingestor, options: { trustProxy: number; isShuttingDown: () => boolean }) {
  const app = new Hono()
  app.use('/api/event', cors({ origin: '*', allowMethods: ['POST'], allowHeaders: ['Content-Type'], maxAge: 86_400 }))
  app.post(
    '/api/event',
    bodyLimit({
      maxSize: MAX_EVENT_BYTES,
      // The unread rest of the body makes the connection unusable: tell the client not to reuse it.
      onError: (c) =>
        c.json({ error: 'payload_too_large', message: `events are at most ${MAX_EVENT_BYTES} bytes` }, 413, {
          Connection: 'close',
        }),
    }),
    async (c) => {
      if (options.isShuttingDown()) return c.json({ error: 'shutting_down', message: 'try again shortly' }, 503)
      const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
      if (type !== 'text/plain' && type !== 'application/json') {
        return c.json({ error: 'unsupported_media_type', message: 'send JSON as text/plain or application/json' }, 415)
      }
      let body: unknown
      try {
        body = JSON.parse(await c.req.text())
      } catch {
        return c.json({ error: 'invalid_json', message: 'the body is not valid JSON' }, 400)
      }
      const parsed = parseEvent(body)
      if (!parsed.ok) return c.json({ error: 'invalid_event', message: parsed.reason }, 400)
      const outcome = ingestor.ingest(parsed.event, {
        address: clientAddress(getConnInfo(c).remote.address, c.req.header('x-forwarded-for'), options.trustProxy),
        userAgent: (c.req.header('user-agent') ?? '').slice(0, 1000),
        gpc: c.req.header('sec-gpc') === '1',
      })
      switch (outcome.status) {
        case 'accepted':
          return c.json({ status: 'accepted' }, 202)
        case 'dropped':
          return c.json({ status: 'dropped', reason: outcome.reason }, 202)
        case 'unknown_site':
          return c.json(
            { error: 'unknown_site', message: `not counted: ${outcome.domains.join(', ')} is not a site on this Skaits server` },
            400,
          )
        case 'busy':
          return c.json({ error: 'busy', message: 'the event buffer is full; try again shortly' }, 503, { 'Retry-After': '1' })
      }
    },
  )
  return app
}
