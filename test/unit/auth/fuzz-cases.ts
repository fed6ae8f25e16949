import fc from 'fast-check'
import { bodyLimitFor } from '../../../server/http/route-body-limit.ts'
import { API_KEY } from '../../helpers/skaits.ts'

/**
 * Property-based abuse of every route but ingest and the Stats API (fuzzed in
 * test/unit/ingest/fuzz-cases.ts): random methods on the app's real routes, random JSON,
 * form and garbage bodies (some past the route's body limit), random or missing credentials
 * including the admin key and a real owner session. Values come mostly from small sets, so
 * many requests get past validation without the fuzz spending its time on password hashes.
 */

export interface Route {
  method: string
  path: string
}

/** The app's own route list (`app.routes`), without middleware entries and the separately fuzzed routes. */
export function fuzzableRoutes(routes: readonly Route[]): Route[] {
  const seen = new Set<string>()
  return routes.filter((r) => {
    const key = `${r.method} ${r.path}`
    // A GET or HEAD route is sent a body with POST (as the abuse test does): its POST limit counts.
    const sent = r.method === 'GET' || r.method === 'HEAD' ? 'POST' : r.method
    if (r.method === 'ALL' || bodyLimitFor(sent, r.path) === undefined || seen.has(key)) return false
    seen.add(key)
    return true
  })
}

const short = fc.string({ maxLength: 24 })
const garbage = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 200 })
const mostly = <T, U>(valid: fc.Arbitrary<T>, hostile: fc.Arbitrary<U>) => fc.oneof({ weight: 9, arbitrary: valid }, { weight: 1, arbitrary: hostile })
const scalar = fc.oneof(short, fc.integer(), fc.double(), fc.boolean(), fc.constant(null))
const junk = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }), fc.dictionary(short, scalar, { maxKeys: 3 }))

const domain = fc.constantFrom('example.lv', 'fuzz.lv', 'www.fuzz.lv', 'nope.lv', 'https://fuzz2.lv/', 'not a domain', '')
const password = fc.constantFrom('', 'short', 'aaaaaaaaaaaa', 'password123', 'a long enough passphrase', 'x'.repeat(1025))
const FIELDS = {
  email: mostly(fc.constantFrom('anna@example.lv', 'janis@example.lv', 'a@b', 'not-an-email', ''), junk),
  password: mostly(password, junk),
  current: mostly(password, junk),
  next: mostly(password, junk),
  setup_token: mostly(fc.constantFrom('', 'wrong', 'x'.repeat(43)), junk),
  domain: mostly(domain, junk),
  site: mostly(domain, junk),
  name: mostly(short, junk),
  sites: mostly(fc.array(domain, { maxLength: 3 }), junk),
  public: mostly(fc.boolean(), junk),
  min_crowd: mostly(fc.integer({ min: 0, max: 120 }), junk),
  rules: mostly(fc.array(fc.record({ match: fc.constantFrom('/blog/**', '/*', '/a', 'no-slash', '/(['), section: fc.constantFrom('Blog', 'A', '', 'ā') }), { maxLength: 3 }), junk),
  hostnames: mostly(fc.option(fc.array(fc.constantFrom('example.lv', '*.example.lv', 'localhost', '*', 'ķekava.lv', ''), { minLength: 0, maxLength: 3 })), junk),
  dimensions: mostly(fc.subarray(['visit:source', 'event:page', 'visit:country', 'nonsense']), junk),
  finest: mostly(fc.constantFrom('day', 'week', 'month', 'year'), junk),
  coarsest: mostly(fc.constantFrom('day', 'week', 'month', 'year'), junk),
  k: mostly(fc.integer({ min: 0, max: 30 }), junk),
  epsilon: mostly(fc.constantFrom('1', '0', '-1', 'NaN', 0.5), junk),
  budget: mostly(fc.constantFrom('5', '0', 'x', 10), junk),
}
const fields = fc
  .record(FIELDS, { requiredKeys: [] })
  .chain((o) => fc.oneof({ weight: 9, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: fc.dictionary(short, junk, { maxKeys: 2 }) }).map((extra) => ({ ...extra, ...o })))

type Body = { text: string; type: string } | { oversize: number; type: string } | undefined
const body: fc.Arbitrary<Body> = fc.oneof(
  { weight: 10, arbitrary: fields.map((o) => ({ text: JSON.stringify(o), type: 'application/json' })) },
  { weight: 2, arbitrary: fields.map((o) => ({ text: new URLSearchParams(Object.entries(o).map(([k, v]) => [k, typeof v === 'string' ? v : (JSON.stringify(v) ?? '')])).toString(), type: 'application/x-www-form-urlencoded' })) },
  { weight: 1, arbitrary: fc.tuple(fc.json(), fc.constantFrom('application/json', 'text/plain', 'multipart/form-data; boundary=x')).map(([text, type]) => ({ text, type })) },
  { weight: 1, arbitrary: garbage.map((text) => ({ text, type: 'application/json' })) },
  // Past the route's limit by this factor (1.0–1.25 of the limit, plus a byte).
  { weight: 1, arbitrary: fc.tuple(fc.double({ min: 0, max: 0.25, noNaN: true }), fc.constantFrom('application/json', 'application/x-www-form-urlencoded')).map(([over, type]) => ({ oversize: over, type })) },
  { weight: 2, arbitrary: fc.constant(undefined) },
)

const headerChar = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c))
const headerValue = fc.string({ unit: headerChar, maxLength: 60 })
/** `session`: a real owner's session cookie, made by the caller. */
const credentials = (session: string) =>
  fc.record(
    {
      authorization: fc.oneof(
        { weight: 4, arbitrary: fc.constant(`Bearer ${API_KEY}`) },
        { weight: 1, arbitrary: fc.constantFrom('Bearer ', 'Bearer sk_x', 'Bearer sh_x', 'Bearer ss_x', `Bearer ${API_KEY}x`, 'Basic dGVzdA==') },
        { weight: 1, arbitrary: headerValue },
      ),
      cookie: fc.oneof(fc.constantFrom(`skaits_session=${session}`, 'skaits_session=nope', 'skaits_share=ss_x', `skaits_session=${session}; skaits_share=x`), headerValue),
      origin: fc.constantFrom('http://localhost', 'https://evil.example', 'null'),
      'sec-fetch-site': fc.constantFrom('same-origin', 'cross-site', 'none'),
    },
    { requiredKeys: [] },
  )

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']
const param = (name: string) =>
  name === 'domain'
    ? mostly(domain, short)
    : name === 'token'
      ? mostly(fc.constantFrom('sh_x', 'inv_x', 'rst_x', 'px_x', 'ss_x', 'x'), short)
      : mostly(fc.constantFrom('x', '00000000-0000-0000-0000-000000000000', '1'), short)

/** A request on one of `routes`: its own method mostly, its parameters filled in at random. */
export const manageRequest = (routes: Route[], session: string) =>
  fc
    .record({
      route: fc.constantFrom(...routes),
      method: fc.option(fc.constantFrom(...METHODS), { freq: 5 }),
      body,
      headers: credentials(session),
    })
    .chain((r) => {
      const names = [...r.route.path.matchAll(/:(\w+)|\*/g)].map((m) => m[1] ?? 'star')
      return fc.tuple(...names.map(param)).map((values) => {
        let i = 0
        const path = r.route.path.replace(/:\w+|\*/g, () => encodeURIComponent(values[i++] ?? ''))
        return { method: r.method ?? r.route.method, path, body: r.body, headers: r.headers }
      })
    })

export interface ManageFuzzReport {
  statuses: Record<number, number>
  oversized: number
}

/** What @hono/node-server puts in the context for getConnInfo: the TCP peer. */
const peer = (network: number) => ({ incoming: { socket: { remoteAddress: `198.18.${network}.9`, remotePort: 40000, remoteFamily: 'IPv4' } } })

export interface InProcessApp {
  request(path: string, init: RequestInit, env: ReturnType<typeof peer>): Response | Promise<Response>
}

/** Runs `numRuns` requests; fails on a 5xx, or on a body past its route's limit answered other than 413. */
export async function fuzzManage(app: InProcessApp, routes: Route[], session: string, numRuns: number, seed?: number): Promise<ManageFuzzReport> {
  const statuses: Record<number, number> = {}
  let oversized = 0
  let run = 0
  await fc.assert(
    fc.asyncProperty(manageRequest(routes, session), async (r) => {
      // Each run from another /24, as browsers and scripts would: the per-network limits on
      // wrong Bearer tokens and logins would otherwise answer 429 to most runs.
      const network = run++ % 250
      const bodiless = r.method === 'GET' || r.method === 'HEAD'
      // The path as the router sees it: a parameter such as `..` moves the request elsewhere.
      const limit = bodyLimitFor(r.method, new URL(r.path, 'http://localhost').pathname)
      let text: string | undefined
      if (r.body && !bodiless) text = 'text' in r.body ? r.body.text : 'x'.repeat(Math.floor((limit ?? 16_384) * (1 + r.body.oversize)) + 1)
      const headers: Record<string, string> = { ...r.headers }
      if (text !== undefined && r.body) headers['content-type'] = r.body.type
      const res = await app.request(r.path, { method: r.method, headers, body: text }, peer(network))
      await res.arrayBuffer()
      statuses[res.status] = (statuses[res.status] ?? 0) + 1
      if (res.status >= 500) throw new Error(`${r.method} ${r.path} answered ${res.status}`)
      if (text !== undefined && limit !== undefined && Buffer.byteLength(text) > limit) {
        oversized++
        if (res.status !== 413) throw new Error(`${r.method} ${r.path} took a body of ${Buffer.byteLength(text)} bytes (limit ${limit}): ${res.status}`)
      }
    }),
    { numRuns, seed, endOnFailure: true },
  )
  return { statuses, oversized }
}
