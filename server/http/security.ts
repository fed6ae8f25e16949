import type { Context, MiddlewareHandler } from 'hono'

export interface SecurityHeadersOptions {
  /**
   * Origins allowed to embed our pages (shared dashboards), e.g. `https://blog.example`.
   * Empty: no one may, and X-Frame-Options: DENY covers browsers without CSP level 2.
   */
  frameAncestors: string[]
  /** Paths answered without these headers: the ingest endpoint is the hot path and serves no HTML. */
  skip?: (path: string) => boolean
}

function contentSecurityPolicy(frameAncestors: string[]): string {
  for (const source of frameAncestors) {
    // A `;` or `,` would end the directive and let configuration write arbitrary policy.
    if (!source || /[\s;,'"]/.test(source)) throw new TypeError(`frame ancestor "${source}" is not a CSP source`)
  }
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    `frame-ancestors ${frameAncestors.length ? frameAncestors.join(' ') : "'none'"}`,
  ].join('; ')
}

/**
 * Adds the security headers to every response that does not set them itself (the tracker
 * route sets its own Cross-Origin-Resource-Policy, for instance). They are added after the
 * route ran, on `c.res.headers`: @hono/node-server's lightweight Response hands out its
 * header list without building a full Web Response, and responses a route returned raw keep
 * the headers too, which headers prepared with `c.header()` before `next()` would not.
 */
export function securityHeaders(options: SecurityHeadersOptions): MiddlewareHandler {
  const headers: [string, string][] = [
    ['Content-Security-Policy', contentSecurityPolicy(options.frameAncestors)],
    ['X-Content-Type-Options', 'nosniff'],
    ['Referrer-Policy', 'no-referrer'],
    ['Cross-Origin-Opener-Policy', 'same-origin'],
  ]
  if (options.frameAncestors.length === 0) headers.push(['X-Frame-Options', 'DENY'])
  const skip = options.skip
  return async (c, next) => {
    if (skip?.(c.req.path)) return next()
    await next()
    try {
      addMissing(c.res.headers, headers)
    } catch (error) {
      // Responses made by Response.redirect() or fetch() have immutable headers: copy once.
      if (!(error instanceof TypeError)) throw error
      c.res = new Response(c.res.body, c.res)
      addMissing(c.res.headers, headers)
    }
  }
}

function addMissing(target: Headers, headers: [string, string][]): void {
  for (const [name, value] of headers) if (!target.has(name)) target.set(name, value)
}

export interface ProxyOptions {
  /** A reverse proxy in front of us sets X-Forwarded-Proto (config `trustProxy` > 0). */
  trustProxy: boolean
}

/**
 * Whether the client reached us over HTTPS: the request URL, or X-Forwarded-Proto from a
 * trusted proxy. Of several comma-separated values the last one counts: it is the one our
 * own proxy wrote; values to its left may come from the client. Decides the cookie's Secure flag.
 */
export function isSecureRequest(c: Context, options: ProxyOptions): boolean {
  return requestScheme(c, options) === 'https'
}

function requestScheme(c: Context, options: ProxyOptions): string {
  if (options.trustProxy) {
    const forwarded = c.req.header('x-forwarded-proto')?.split(',').at(-1)?.trim().toLowerCase()
    if (forwarded === 'https' || forwarded === 'http') return forwarded
  }
  return new URL(c.req.url).protocol.slice(0, -1)
}

/**
 * CSRF check for state-changing requests authenticated by a cookie. True when the `Origin`
 * header names this server's own origin (scheme from {@link isSecureRequest}'s rules, host
 * from the Host header), or when `Origin` is absent and the browser says
 * `Sec-Fetch-Site: same-origin`. Anything else is refused, including requests carrying
 * neither header: current browsers send at least one of them with every state-changing request.
 */
export function sameOrigin(c: Context, options: ProxyOptions): boolean {
  const origin = c.req.header('origin')
  if (origin === undefined) return c.req.header('sec-fetch-site') === 'same-origin'
  // Browsers serialise Origin exactly like URL.origin (lower case, no default port), so an
  // exact comparison suffices; `Origin: null` (sandboxed frames) never matches.
  return origin === new URL(`${requestScheme(c, options)}://${new URL(c.req.url).host}`).origin
}

/**
 * For requests that set a cookie rather than carry one (login): true when a browser says the
 * request comes from another site, by an `Origin` that is not ours or by
 * `Sec-Fetch-Site: cross-site`/`same-site`. A request with neither header is not a browser's
 * (curl, scripts) and cannot ride on a visitor's browser, so it passes.
 */
export function crossSiteBrowserRequest(c: Context, options: ProxyOptions): boolean {
  const origin = c.req.header('origin')
  if (origin !== undefined) return !sameOrigin(c, options)
  const site = c.req.header('sec-fetch-site')
  return site !== undefined && site !== 'same-origin' && site !== 'none'
}
