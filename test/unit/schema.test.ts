import { describe, expect, it } from 'vitest'
import { pagePath } from '../../server/ingest/page-path.ts'
import fc from 'fast-check'
import { parseEvent, parseTrackerEvent, parseWire } from '../../server/ingest/schema.ts'
import { normalizeDomain } from '../../server/sites/domain.ts'

describe('event schema', () => {
  it('accepts short and long keys alike', () => {
    const short = parseEvent({ n: 'pageview', u: 'https://example.lv/a', d: 'example.lv', r: 'https://x.lv/', w: 390 })
    const long = parseEvent({ name: 'pageview', url: 'https://example.lv/a', domain: 'example.lv', referrer: 'https://x.lv/', screen_width: 390 })
    expect(short).toEqual(long)
    expect(short.ok && short.event.screenWidth).toBe(390)
  })
  it('reads engagement fields and props given as an object or a JSON string', () => {
    const e = parseEvent({ n: 'engagement', u: 'https://example.lv/', d: 'example.lv', e: 1500, sd: 70 })
    expect(e.ok && [e.event.engagedMs, e.event.scrollDepth]).toEqual([1500, 70])
    const p1 = parseEvent({ n: 'Signup', u: 'https://example.lv/', d: 'example.lv', p: { plan: 'pro', seats: 3, trial: true } })
    const p2 = parseEvent({ n: 'Signup', u: 'https://example.lv/', d: 'example.lv', p: '{"plan":"pro","seats":3,"trial":true}' })
    expect(p1.ok && p1.event.props).toEqual([['plan', 'pro'], ['seats', '3'], ['trial', 'true']])
    expect(p2).toEqual(p1)
  })
  it('splits and normalises several domains', () => {
    const r = parseEvent({ n: 'pageview', u: 'https://example.lv/', d: 'WWW.Example.lv, shop.example.lv' })
    expect(r.ok && r.event.domains).toEqual(['example.lv', 'shop.example.lv'])
    expect(normalizeDomain('https://www.example.lv/path')).toBe('example.lv')
  })
  it('says which field is wrong', () => {
    const r = parseEvent({ n: 'pageview', u: 'mailto:a@b.lv', d: 'example.lv' })
    expect(r).toEqual({ ok: false, reason: 'u: not an http(s) URL' })
  })
})

describe('page path', () => {
  const u = (s: string) => new URL(s)
  it('keeps the path only: no query string, no fragment', () => {
    expect(pagePath(u('https://example.lv/a/b?email=x@y.lv#top'), false)).toBe('/a/b')
    expect(pagePath(u('https://example.lv'), false)).toBe('/')
  })
  it('keeps the fragment as the page in hash-routing mode, still without its query', () => {
    expect(pagePath(u('https://example.lv/app#/settings?id=5'), true)).toBe('/app#/settings')
  })
  it('decodes percent-encoding for readability but never into control characters', () => {
    expect(pagePath(u('https://example.lv/sada%C4%BCas'), false)).toBe('/sadaļas')
    expect(pagePath(u('https://example.lv/a%00b'), false)).toBe('/a%00b')
  })
})

describe('the tracker fast path', () => {
  /** A result with the URL as text: URL objects have no own properties to compare. */
  const plain = (r: ReturnType<typeof parseWire>) => (r.ok ? { ...r, event: { ...r.event, url: r.event.url.href } } : r)
  const text = fc.oneof(
    fc.constantFrom('', 'pageview', 'engagement', 'example.lv', 'www.Example.lv.', 'a.lv,b.lv', ',', 'https://example.lv/a?b=1#c'),
    fc.constantFrom('https://example.lv/', 'http://x.lv:8080/p', 'ftp://example.lv/', 'javascript:alert(1)', 'https://[::1]/', 'https://'),
    fc.string({ maxLength: 30 }),
    fc.string({ unit: 'grapheme', maxLength: 10 }),
    fc.constantFrom('a\u0000b', 'tab\there', '\u0085', 'x'.repeat(121), 'x'.repeat(1001), 'https://e.lv/' + 'x'.repeat(2000)),
  )
  const value = fc.oneof(
    text,
    fc.constantFrom(0, 1, -1, 0.5, -0, 100, 101, 100_000, 100_001, 86_400_000, 86_400_001, Number.MAX_SAFE_INTEGER, 2 ** 60, true, false, null),
    fc.integer(),
    fc.double(),
    fc.constant(undefined),
    fc.constant({}),
    fc.constant([]),
  )
  const key = fc.constantFrom('n', 'u', 'd', 'r', 'w', 'h', 'e', 'sd', 'p', 'name', 'url', 'x', '__proto__')
  const body = fc.oneof(
    fc.dictionary(key, value, { maxKeys: 9 }),
    fc.record({ n: text, u: text, d: text }, { requiredKeys: [] }).chain((b) =>
      fc.record({ r: value, w: value, h: value, e: value, sd: value }, { requiredKeys: [] }).map((rest) => ({ ...b, ...rest })),
    ),
    // Mostly valid: the tracker's own events, with now and then one value out of line.
    { weight: 4, arbitrary: fc.record({ n: fc.constantFrom('pageview', 'engagement', 'Signup'), u: fc.constantFrom('https://example.lv/p', 'https://example.lv/?utm_source=x'), d: fc.constantFrom('example.lv', 'a.lv,b.lv') }).chain((b) =>
      fc
        .record(
          {
            r: fc.oneof(fc.constantFrom('https://www.google.com/', '', null), value),
            w: fc.oneof(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 100_000 }), value),
            h: fc.oneof(fc.constantFrom(0, 1, true, false, null), value),
            e: fc.oneof(fc.integer({ min: 0, max: 86_400_000 }), fc.integer({ min: 0, max: 86_400_000 }), value),
            sd: fc.oneof(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 }), value),
          },
          { requiredKeys: [] },
        )
        .map((rest) => ({ ...b, ...rest })),
    ) },
  )

  it('accepts only what the full validation accepts, with the same result', () => {
    let fast = 0
    fc.assert(
      fc.property(body, (b) => {
        const parsed = JSON.parse(JSON.stringify(b) ?? 'null') as Record<string, unknown>
        if (typeof parsed !== 'object' || parsed === null) return
        const quick = parseTrackerEvent(parsed)
        if (quick) {
          fast++
          expect(plain(quick)).toEqual(plain(parseWire(parsed)))
        }
        expect(plain(parseEvent(parsed))).toEqual(plain(parseWire(parsed)))
      }),
      { numRuns: 5000, seed: 20261122 },
    )
    // The fast path must actually be taken for a good share of the cases, or this proves nothing.
    expect(fast).toBeGreaterThan(500)
  })

  it('takes the tracker’s own events', () => {
    const body = { n: 'engagement', u: 'https://example.lv/a', d: 'example.lv', e: 1500, sd: 70 }
    expect(parseTrackerEvent(body)).toBeDefined()
    expect(parseTrackerEvent({ ...body, p: { a: 1 } })).toBeUndefined()
  })
})
