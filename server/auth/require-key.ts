import type { MiddlewareHandler } from 'hono'
import { bearerToken, keyMatches } from './api-key.ts'

/** Requires `Authorization: Bearer <key>` matching the admin key (SKAITS_API_KEY). */
export function requireApiKey(apiKey: string | undefined): MiddlewareHandler {
  return async (c, next) => {
    if (!apiKey) return c.json({ error: 'the API is off: set SKAITS_API_KEY to enable it' }, 401)
    const token = bearerToken(c.req.header('authorization'))
    if (!token || !keyMatches(token, apiKey)) {
      return c.json({ error: 'missing or invalid API key (Authorization: Bearer <key>)' }, 401)
    }
    await next()
  }
}
