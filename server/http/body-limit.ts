import type { Context, MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'

/**
 * Hono's bodyLimit, minus its cost on the common path: it reads `c.req.raw.body`, which makes
 * @hono/node-server build a full Web Request and stream for every request (a fifth of ingest
 * CPU in a profile). With a Content-Length the size is known up front and Node's parser holds
 * the body to it; only streamed (chunked) bodies need counting as they arrive.
 */
export function limitBody(maxSize: number, onError: (c: Context) => Response): MiddlewareHandler {
  const counting = bodyLimit({ maxSize, onError })
  return async (c, next) => {
    const length = c.req.header('content-length')
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
      return Number(length) > maxSize ? onError(c) : next()
    }
    return counting(c, next)
  }
}
