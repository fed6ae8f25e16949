import { once } from 'node:events'
import { request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { inspect } from 'node:util'
import { serve } from '@hono/node-server'
import { Hono, type Context } from 'hono'
import { describe, expect, it } from 'vitest'
import { isSecureRequest, sameOrigin, securityHeaders } from '../../../server/http/security.ts'

const CSP_BASE =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors "

function appWith(options: Parameters<typeof securityHeaders>[0]) {
  const app = new Hono()
  app.use(securityHeaders(options))
  app.get('/', (c) => c.html('<p>hi</p>'))
  app.get('/raw', () => new Response('raw'))
  app.get('/redirect', () => Response.redirect('https://skaits.example/', 302))
  app.get('/t.js', (c) =>
    c.body('/**/', 200, {
      'Cross-Origin-Resource-Policy': 'cross-origin',
      'Content-Security-Policy': "default-src 'none'",
      'Referrer-Policy': 'origin',
    }),
  )
  app.post('/api/event', (c) => c.body(null, 202))
  return app
}

describe('securityHeaders', () => {
  it('forbids framing when no ancestors are configured', async () => {
    const res = await appWith({ frameAncestors: [] }).request('/')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-security-policy')).toBe(`${CSP_BASE}'none'`)
    expect(res.headers.get('x-frame-options')).toBe('DENY')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('referrer-policy')).toBe('no-referrer')
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin')
    expect(await res.text()).toBe('<p>hi</p>')
  })

  it('lets the configured origins embed pages, without X-Frame-Options', async () => {
    const app = appWith({ frameAncestors: ['https://blog.example', 'https://*.docs.example'] })
    const res = await app.request('/')
    expect(res.headers.get('content-security-policy')).toBe(`${CSP_BASE}https://blog.example https://*.docs.example`)
    expect(res.headers.has('x-frame-options')).toBe(false)
  })

  it('refuses frame ancestors that would inject policy', () => {
    for (const bad of ['https://a.example; script-src *', 'https://a.example,x', "'self' *", '']) {
      expect(() => securityHeaders({ frameAncestors: [bad] }), bad).toThrow(/CSP source/)
    }
  })

  it('keeps headers a route set itself', async () => {
    const res = await appWith({ frameAncestors: [] }).request('/t.js')
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin')
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'")
    expect(res.headers.get('referrer-policy')).toBe('origin')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(await res.text()).toBe('/**/')
  })

  it('covers raw Responses, immutable ones and 404s', async () => {
    const app = appWith({ frameAncestors: [] })
    const raw = await app.request('/raw')
    expect(raw.headers.get('x-frame-options')).toBe('DENY')
    expect(await raw.text()).toBe('raw')
    const redirect = await app.request('/redirect')
    expect(redirect.status).toBe(302)
    expect(redirect.headers.get('location')).toBe('https://skaits.example/')
    expect(redirect.headers.get('x-frame-options')).toBe('DENY')
    const missing = await app.request('/nowhere')
    expect(missing.status).toBe(404)
    expect(missing.headers.get('x-content-type-options')).toBe('nosniff')
  })

  it('reaches the wire under @hono/node-server without building a full Response', async () => {
    let served: Response | undefined
    const app = new Hono()
    app.use(async (c, next) => {
      await next()
      served = c.res
    })
    app.use(securityHeaders({ frameAncestors: [] }))
    app.get('/', (c) => c.text('hi'))
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' })
    await once(server, 'listening')
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
      expect(res.headers.get('x-frame-options')).toBe('DENY')
      expect(res.headers.get('content-security-policy')).toBe(`${CSP_BASE}'none'`)
      expect(await res.text()).toBe('hi')
      // node-server's own description of its Response: still the cheap kind.
      const description = inspect(served, { depth: 1 })
      expect(description).toMatch(/^Response \(lightweight\)/)
      expect(description).toContain('nativeResponse: undefined')
    } finally {
      server.close()
    }
  })

  it('leaves skipped paths alone', async () => {
    const app = appWith({ frameAncestors: [], skip: (path) => path === '/api/event' })
    const skipped = await app.request('/api/event', { method: 'POST' })
    expect(skipped.status).toBe(202)
    for (const name of ['content-security-policy', 'x-content-type-options', 'x-frame-options', 'referrer-policy']) {
      expect(skipped.headers.has(name), name).toBe(false)
    }
    const other = await app.request('/')
    expect(other.headers.get('x-content-type-options')).toBe('nosniff')
  })
})

/** Runs `check` on a request to `url` with `headers` and returns its answer. */
async function judge<T>(check: (c: Context) => T, url: string, headers: Record<string, string>, method = 'POST'): Promise<T> {
  let answer: T | undefined
  const app = new Hono()
  app.all('*', (c) => {
    answer = check(c)
    return c.body(null, 204)
  })
  await app.request(url, { method, headers })
  return answer as T
}

describe('sameOrigin', () => {
  const direct = { trustProxy: false }
  const proxied = { trustProxy: true }
  const cases: [string, string, Record<string, string>, { trustProxy: boolean }, boolean][] = [
    ['matching Origin', 'http://skaits.example/api/x', { origin: 'http://skaits.example' }, direct, true],
    ['matching Origin with port', 'http://localhost:8080/api/x', { origin: 'http://localhost:8080' }, direct, true],
    ['https request, https Origin', 'https://skaits.example/api/x', { origin: 'https://skaits.example' }, direct, true],
    ['other site', 'http://skaits.example/api/x', { origin: 'https://evil.example' }, direct, false],
    ['other port', 'http://localhost:8080/api/x', { origin: 'http://localhost:9090' }, direct, false],
    ['lookalike suffix', 'http://skaits.example/api/x', { origin: 'http://skaits.example.evil.example' }, direct, false],
    ['lookalike prefix', 'http://skaits.example/api/x', { origin: 'http://evilskaits.example' }, direct, false],
    ['scheme downgrade', 'https://skaits.example/api/x', { origin: 'http://skaits.example' }, direct, false],
    ['Origin null', 'http://skaits.example/api/x', { origin: 'null' }, direct, false],
    ['empty Origin', 'http://skaits.example/api/x', { origin: '' }, direct, false],
    ['Origin with a path', 'http://skaits.example/api/x', { origin: 'http://skaits.example/' }, direct, false],
    [
      'spoofed Origin beats Sec-Fetch-Site',
      'http://skaits.example/api/x',
      { origin: 'https://evil.example', 'sec-fetch-site': 'same-origin' },
      direct,
      false,
    ],
    ['no Origin, same-origin fetch', 'http://skaits.example/api/x', { 'sec-fetch-site': 'same-origin' }, direct, true],
    ['no Origin, same-site fetch', 'http://skaits.example/api/x', { 'sec-fetch-site': 'same-site' }, direct, false],
    ['no Origin, cross-site fetch', 'http://skaits.example/api/x', { 'sec-fetch-site': 'cross-site' }, direct, false],
    ['no Origin, user-initiated', 'http://skaits.example/api/x', { 'sec-fetch-site': 'none' }, direct, false],
    ['neither header', 'http://skaits.example/api/x', {}, direct, false],
    // Behind a TLS-terminating proxy the request arrives as http, the browser says https.
    ['proxy says https, trusted', 'http://skaits.example/api/x', { origin: 'https://skaits.example', 'x-forwarded-proto': 'https' }, proxied, true],
    ['proxy says https, not trusted', 'http://skaits.example/api/x', { origin: 'https://skaits.example', 'x-forwarded-proto': 'https' }, direct, false],
    ['trusted proxy, http Origin', 'http://skaits.example/api/x', { origin: 'http://skaits.example', 'x-forwarded-proto': 'https' }, proxied, false],
    ['trusted proxy, no header', 'http://skaits.example/api/x', { origin: 'http://skaits.example' }, proxied, true],
  ]
  it.each(cases)('%s', async (_name, url, headers, options, expected) => {
    expect(await judge((c) => sameOrigin(c, options), url, headers)).toBe(expected)
  })

  it('takes the host from the Host header under @hono/node-server', async () => {
    const app = new Hono()
    app.post('/', (c) => c.text(String(sameOrigin(c, direct))))
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' })
    await once(server, 'listening')
    const { port } = server.address() as AddressInfo
    const post = (headers: Record<string, string>) =>
      new Promise<string>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, method: 'POST', headers }, (res) => {
          res.setEncoding('utf8')
          let body = ''
          res.on('data', (chunk: string) => (body += chunk))
          res.on('end', () => resolve(body))
        })
        req.on('error', reject)
        req.end()
      })
    try {
      expect(await post({ host: 'stats.example', origin: 'http://stats.example' })).toBe('true')
      expect(await post({ host: 'Stats.Example:80', origin: 'http://stats.example' })).toBe('true')
      expect(await post({ host: 'stats.example:8080', origin: 'http://stats.example:8080' })).toBe('true')
      expect(await post({ host: 'stats.example', origin: `http://127.0.0.1:${port}` })).toBe('false')
      expect(await post({ host: 'stats.example:8080', origin: 'http://stats.example' })).toBe('false')
    } finally {
      server.close()
    }
  })
})

describe('isSecureRequest', () => {
  const cases: [string, string, Record<string, string>, boolean, boolean][] = [
    ['https URL', 'https://skaits.example/', {}, false, true],
    ['http URL', 'http://skaits.example/', {}, false, false],
    ['forwarded https, untrusted', 'http://skaits.example/', { 'x-forwarded-proto': 'https' }, false, false],
    ['forwarded https, trusted', 'http://skaits.example/', { 'x-forwarded-proto': 'https' }, true, true],
    ['forwarded HTTPS, trusted', 'http://skaits.example/', { 'x-forwarded-proto': 'HTTPS' }, true, true],
    ['forwarded http, trusted', 'http://skaits.example/', { 'x-forwarded-proto': 'http' }, true, false],
    // A client-written value left of the proxy's own is not believed.
    ['client https then proxy http', 'http://skaits.example/', { 'x-forwarded-proto': 'https, http' }, true, false],
    ['client http then proxy https', 'http://skaits.example/', { 'x-forwarded-proto': 'http, https' }, true, true],
    ['trusted, no header', 'http://skaits.example/', {}, true, false],
    ['trusted, garbage header on https', 'https://skaits.example/', { 'x-forwarded-proto': 'gopher' }, true, true],
  ]
  it.each(cases)('%s', async (_name, url, headers, trustProxy, expected) => {
    expect(await judge((c) => isSecureRequest(c, { trustProxy }), url, headers, 'GET')).toBe(expected)
  })
})
