import fc from 'fast-check'
import { queryRows, type Db } from '../../../server/db/client.ts'
import { API_KEY } from '../../helpers/skaits.ts'

/**
 * Property-based abuse of POST /api/event and POST /api/v2/query against the real app, in
 * process (`app.request`, no sockets). Shared by test/integration/abuse.test.ts (a bounded
 * run) and bench/fuzz.ts (the full budget).
 */

const CHROME_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'

/** Any UTF-16 code unit: control characters, C1, lone surrogates, BOM, U+FFFF. */
const anyChar = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c))
/** Characters validation lets through, with the awkward ones often. */
const cleanChar = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.constantFrom('%', '%00', '%0A', '%C0%80', '%ED%A0%80', '%F0%9F', '\u00a0', '\u2028', '\ufeff', '\ufffd', '\ud83d\ude00', '\u0301', 'ā', 'ļ', '/', '//', '#', '?', '&', '=', '"', '\\', "'", ' ', '..') },
)
const hostileChar = fc.oneof(
  anyChar,
  fc.constantFrom('\u0000', '\u0007', '\u001b', '\u007f', '\u0085', '\u009f', '\ud800', '\udfff', '\udc00\ud800'),
)
/** Long strings cheaply: a short piece repeated (generating thousands of characters one by one is slow). */
const long = (unit: fc.Arbitrary<string>, max: number) =>
  fc.tuple(fc.string({ unit, minLength: 1, maxLength: 8 }), fc.integer({ min: 50, max })).map(([piece, n]) => piece.repeat(Math.ceil(n / piece.length)).slice(0, n))
const short = fc.string({ unit: cleanChar, maxLength: 24 })
/** An empty object usually, sometimes the given one (extra keys, extra headers). */
const rarely = <T extends object>(extra: fc.Arbitrary<T>) => fc.oneof({ weight: 9, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: extra })
const text = fc.oneof(
  { weight: 6, arbitrary: short },
  { weight: 2, arbitrary: fc.string({ unit: fc.oneof(cleanChar, hostileChar), maxLength: 24 }) },
  { weight: 1, arbitrary: long(cleanChar, 5000) },
  { weight: 1, arbitrary: long(hostileChar, 3000) },
)

/** Usually the valid generator, sometimes the hostile one: most cases get deep into the code. */
const mostly = <T, U>(valid: fc.Arbitrary<T>, hostile: fc.Arbitrary<U>) =>
  fc.oneof({ weight: 19, arbitrary: valid }, { weight: 1, arbitrary: hostile })

const SITES = ['example.lv', 'EXAMPLE.lv', 'www.example.lv', 'https://example.lv/', 'example.lv,example.lv', 'other.lv', '']
const url = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom('https://example.lv', 'http://example.lv', 'https://www.example.lv:8443'), short, fc.option(short), fc.option(short)).map(
    ([origin, path, query, hash]) => `${origin}/${path}${query === null ? '' : `?${query}`}${hash === null ? '' : `#${hash}`}`,
  ) },
  fc.tuple(fc.constantFrom('https://example.lv/#/', 'https://example.lv/a?utm_source=', 'https://example.lv/?ref=', 'https://example.lv/?utm_campaign=x&utm_term='), short).map(([a, b]) => a + b),
  fc.webUrl({ withFragments: true, withQueryParameters: true }),
  text,
)
const scalar = fc.oneof(text, fc.double(), fc.integer(), fc.boolean(), fc.constant(null))
const junk = fc.oneof({ maxDepth: 2 }, scalar, fc.array(scalar, { maxLength: 4 }), fc.dictionary(short, scalar, { maxKeys: 4 }))
const props = mostly(
  fc.oneof(
    fc.dictionary(short, fc.oneof(short, fc.integer(), fc.boolean()), { maxKeys: 5 }),
    fc.dictionary(short, short, { maxKeys: 3 }).map((p) => JSON.stringify(p)),
  ),
  fc.oneof(fc.dictionary(text, fc.oneof(text, fc.double(), fc.boolean()), { maxKeys: 35 }), junk),
)

/** A Plausible event, short or long keys, each field sometimes wrong or missing. */
const eventObject = fc
  .record(
    {
      n: mostly(fc.constantFrom('pageview', 'pageview', 'engagement', 'Signup', 'Lejupielāde'), fc.oneof(text, junk)),
      u: mostly(url, junk),
      d: mostly(fc.constantFrom(...SITES), fc.oneof(text, junk)),
      r: mostly(url, fc.oneof(text, junk)),
      w: mostly(fc.integer({ min: 0, max: 5000 }), fc.oneof(fc.integer({ min: -10, max: 200_000 }), fc.double(), junk)),
      p: props,
      h: mostly(fc.constantFrom(0, 1, true, false), fc.oneof(fc.constant(2), junk)),
      e: mostly(fc.integer({ min: 0, max: 100_000 }), fc.oneof(fc.integer({ min: -1, max: 100_000_000 }), fc.double(), junk)),
      sd: mostly(fc.integer({ min: 0, max: 100 }), fc.oneof(fc.integer({ min: -1, max: 101 }), junk)),
    },
    { requiredKeys: ['n', 'u', 'd'] },
  )
  .chain((o) =>
    fc.tuple(fc.boolean(), rarely(fc.dictionary(short, junk, { minKeys: 1, maxKeys: 2 }))).map(([long, extra]) => {
      // Long keys (name, url, domain, …) as the Plausible Events API also accepts.
      const keyed = long ? Object.fromEntries(Object.entries(o).map(([k, v]) => [LONG_KEYS[k] ?? k, v])) : o
      return { ...extra, ...keyed }
    }),
  )
const LONG_KEYS: Record<string, string> = { n: 'name', u: 'url', d: 'domain', r: 'referrer', w: 'screen_width', p: 'props', h: 'hashMode' }

const body = fc.oneof(
  { weight: 12, arbitrary: eventObject.map((o) => JSON.stringify(o)) },
  { weight: 1, arbitrary: fc.json() },
  { weight: 1, arbitrary: fc.string({ unit: fc.oneof(cleanChar, hostileChar), maxLength: 300 }) },
  { weight: 1, arbitrary: eventObject.map((o) => JSON.stringify(o).slice(0, -1)) },
  { weight: 1, arbitrary: fc.constantFrom('', 'null', '[]', '{}', '"x"', '1e999', '{"__proto__":{"n":"pageview"}}', '\ufeff{}') },
)

/** Header values are byte strings without CR, LF or NUL (fetch refuses anything else). */
const headerChar = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
  { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }) },
  { weight: 1, arbitrary: fc.constant(0x09) },
).map((c) => String.fromCharCode(c))
const headerValue = fc.oneof(
  { weight: 5, arbitrary: fc.string({ unit: headerChar, maxLength: 60 }) },
  { weight: 1, arbitrary: long(headerChar, 64 * 1024) },
)
const headerName = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/)
const ip = fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV4Extended(), headerValue)

const eventHeaders = fc
  .record(
    {
      'content-type': mostly(fc.constantFrom('text/plain', 'application/json', 'text/plain; charset=utf-8', 'TEXT/PLAIN', 'application/json;charset=latin1'), headerValue),
      'user-agent': mostly(fc.constant(CHROME_UA), headerValue),
      'x-forwarded-for': fc.oneof(ip, fc.array(ip, { maxLength: 4 }).map((a) => a.join(', '))),
      'sec-gpc': fc.constantFrom('1', '0', '', '0', '0', '0'),
      'sec-ch-ua': headerValue,
      'sec-ch-ua-platform': headerValue,
      'sec-ch-ua-mobile': headerValue,
      'transfer-encoding': fc.constantFrom('chunked', 'gzip', 'identity'),
    },
    { requiredKeys: ['content-type', 'user-agent'] },
  )
  .chain((h) => rarely(fc.dictionary(headerName, headerValue, { maxKeys: 3 })).map((extra) => ({ ...extra, ...h })))

const KNOWN_DIMENSIONS = [
  'event:page', 'event:section', 'event:name', 'event:props:plan', 'visit:entry_page', 'visit:exit_page', 'visit:source',
  'visit:referrer', 'visit:channel', 'visit:utm_source', 'visit:utm_medium', 'visit:utm_campaign', 'visit:utm_content',
  'visit:utm_term', 'visit:browser', 'visit:browser_version', 'visit:os', 'visit:os_version', 'visit:device',
  'visit:country', 'visit:isp', 'time', 'time:hour', 'time:day', 'time:week', 'time:month',
]
const METRICS = ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration', 'time_on_page', 'scroll_depth', 'events']
const dimension = mostly(fc.constantFrom(...KNOWN_DIMENSIONS), text)
const day = mostly(
  fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
  fc.oneof(fc.constantFrom('1900-01-01', '2026-02-30', '0000-00-00', '9999-99-99', '2026-01-01T25:00', '2026-13-01'), text),
)
const filterValue = mostly(short, fc.oneof(text, fc.constantFrom('^(', '.*', '(a+)+$', '\\', "'", '%', '_', '\u0000', '[[:alpha:]]', '(?i)x', '\\p{L}')))
const operator = mostly(fc.constantFrom('is', 'is_not', 'contains', 'contains_not', 'matches', 'matches_not'), text)
const leaf = fc.tuple(operator, dimension, mostly(fc.array(filterValue, { minLength: 1, maxLength: 3 }), junk))
const { filter } = fc.letrec((tie) => ({
  filter: mostly(
    leaf,
    fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.tuple(fc.constantFrom('and', 'or'), fc.array(tie('filter'), { maxLength: 3 })),
      fc.tuple(fc.constant('not'), tie('filter')),
      junk,
    ),
  ),
}))
/** A Stats API query: usually one dimension filtered on itself (what Skaits answers), sometimes anything. */
const queryObject = fc
  .record(
    {
      site_id: mostly(fc.constantFrom('example.lv', 'EXAMPLE.LV', 'www.example.lv'), fc.oneof(text, junk)),
      metrics: mostly(fc.subarray(METRICS, { minLength: 1 }), fc.oneof(fc.array(text, { maxLength: 3 }), junk)),
      date_range: mostly(
        fc.oneof(fc.constantFrom('day', 'today', 'yesterday', '7d', '30d', 'month', '6mo', '12mo', 'year', 'all'), fc.tuple(day, day).map((d) => d.sort())),
        fc.oneof(fc.constantFrom('0d', '9999d', '999mo', 'fortnight'), fc.tuple(day, day), text, junk),
      ),
      dimensions: mostly(fc.array(dimension, { maxLength: 1 }), fc.oneof(fc.array(dimension, { maxLength: 3 }), junk)),
      filters: mostly(fc.array(filter, { maxLength: 1 }), fc.oneof(fc.array(filter, { maxLength: 3 }), junk)),
      order_by: mostly(fc.array(fc.tuple(fc.constantFrom(...METRICS, ...KNOWN_DIMENSIONS), fc.constantFrom('asc', 'desc')), { maxLength: 2 }), fc.oneof(fc.array(fc.tuple(text, text)), junk)),
      include: mostly(fc.record({ time_labels: fc.boolean(), total_rows: fc.boolean() }, { requiredKeys: [] }), junk),
      pagination: mostly(
        fc.record({ limit: fc.integer({ min: 1, max: 10_000 }), offset: fc.integer({ min: 0, max: 1000 }) }, { requiredKeys: [] }),
        fc.oneof(fc.record({ limit: fc.oneof(fc.integer({ min: -5, max: 20_000 }), fc.double()), offset: fc.oneof(fc.integer({ min: -5, max: 2 ** 53 }), fc.double()) }), junk),
      ),
    },
    { requiredKeys: ['site_id', 'metrics', 'date_range'] },
  )
  .map((q) => {
    // Filter on the grouped dimension, as Skaits requires, unless the generator said otherwise.
    const [f] = Array.isArray(q.filters) ? q.filters : []
    const [d] = Array.isArray(q.dimensions) ? q.dimensions : []
    if (Array.isArray(f) && f.length === 3 && typeof d === 'string' && typeof f[1] === 'string' && KNOWN_DIMENSIONS.includes(f[1])) {
      return { ...q, filters: [[f[0], d, f[2]]] }
    }
    return q
  })
  .chain((o) => rarely(fc.dictionary(short, junk, { minKeys: 1, maxKeys: 1 })).map((extra) => ({ ...extra, ...o })))

const queryBody = fc.oneof(
  { weight: 12, arbitrary: queryObject.map((o) => JSON.stringify(o)) },
  { weight: 1, arbitrary: fc.json() },
  { weight: 1, arbitrary: fc.string({ unit: fc.oneof(cleanChar, hostileChar), maxLength: 300 }) },
)
const queryHeaders = fc
  .record(
    {
      authorization: mostly(fc.constant(`Bearer ${API_KEY}`), fc.oneof(fc.constantFrom('Bearer ', 'Bearer sk_x', 'Basic dGVzdA=='), headerValue)),
      'content-type': mostly(fc.constant('application/json'), headerValue),
      cookie: headerValue,
      origin: headerValue,
    },
    { requiredKeys: ['authorization'] },
  )
  .chain((h) => rarely(fc.dictionary(headerName, headerValue, { maxKeys: 2 })).map((extra) => ({ ...extra, ...h })))

/** What @hono/node-server puts in the context for getConnInfo: the TCP peer. */
const PEER = { incoming: { socket: { remoteAddress: '203.0.113.5', remotePort: 40000, remoteFamily: 'IPv4' } } }

export interface FuzzReport {
  cases: number
  statuses: Record<number, number>
}

/** The app's in-process entry point (Hono's `app.request`). */
export interface InProcessApp {
  request(path: string, init: RequestInit, env: typeof PEER): Response | Promise<Response>
}

async function fuzz(
  app: InProcessApp,
  path: string,
  bodies: fc.Arbitrary<string>,
  headers: fc.Arbitrary<Record<string, string>>,
  numRuns: number,
  seed?: number,
): Promise<FuzzReport> {
  const statuses: Record<number, number> = {}
  let run = 0
  await fc.assert(
    fc.asyncProperty(bodies, headers, async (b, h) => {
      // Each run from another /24: the limit on wrong Bearer tokens per network (tested in
      // test/integration/bearer-limit.test.ts) would otherwise answer 429 to most of the runs.
      const network = run++ % 250
      const peer = { incoming: { ...PEER.incoming, socket: { ...PEER.incoming.socket, remoteAddress: `203.0.${network}.5` } } }
      const res = await app.request(path, { method: 'POST', headers: h, body: b }, peer)
      await res.arrayBuffer()
      statuses[res.status] = (statuses[res.status] ?? 0) + 1
      if (res.status >= 500) throw new Error(`answered ${res.status}`)
    }),
    { numRuns, seed, endOnFailure: true },
  )
  return { cases: numRuns, statuses }
}

export function fuzzIngest(app: InProcessApp, numRuns: number, seed?: number): Promise<FuzzReport> {
  return fuzz(app, '/api/event', body, eventHeaders, numRuns, seed)
}

export function fuzzQuery(app: InProcessApp, numRuns: number, seed?: number): Promise<FuzzReport> {
  return fuzz(app, '/api/v2/query', queryBody, queryHeaders, numRuns, seed)
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/
const PAGE_DIMENSIONS = new Set(['event:page', 'visit:entry_page', 'visit:exit_page'])

/**
 * Every stored string is one validation allows: a known site, a known dimension (or a
 * property name of at most 300 characters), a value of valid UTF-8 without control
 * characters, no longer than the longest field (2,000; pages 1,024). Returns the violations.
 */
export async function malformedStoredValues(db: Db, sites: string[]): Promise<string[]> {
  const problems: string[] = []
  for (const table of ['counts_hourly', 'visitor_sketches']) {
    const invalidUtf8 = await queryRows<{ n: number }>(
      db,
      `SELECT count() AS n FROM ${table} WHERE NOT isValidUTF8(value) OR NOT isValidUTF8(dimension) OR NOT isValidUTF8(site)`,
    )
    if (Number(invalidUtf8[0]!.n)) problems.push(`${table}: ${invalidUtf8[0]!.n} rows with invalid UTF-8`)
    const rows = await queryRows<{ site: string; dimension: string; value: string }>(db, `SELECT DISTINCT site, dimension, value FROM ${table}`)
    for (const { site, dimension, value } of rows) {
      const where = `${table} ${JSON.stringify([site, dimension, value.slice(0, 80)])}`
      if (!sites.includes(site)) problems.push(`${where}: unknown site`)
      const known = dimension === '' || KNOWN_DIMENSIONS.includes(dimension) || /^event:props:./s.test(dimension)
      if (!known || dimension.length > 'event:props:'.length + 300) problems.push(`${where}: unexpected dimension`)
      for (const s of [dimension, value]) {
        if (CONTROL.test(s)) problems.push(`${where}: control character`)
        if (LONE_SURROGATE.test(s)) problems.push(`${where}: lone surrogate`)
      }
      if (value.length > (PAGE_DIMENSIONS.has(dimension) ? 1024 : 2000)) problems.push(`${where}: value of ${value.length} characters`)
    }
  }
  return problems
}

/** The generators themselves, for exploring failures by hand. */
export const arbitraries = { eventBody: body, eventHeaders, queryBody, queryHeaders, PEER }
