import { describe, expect, it } from 'vitest'
import { pagePath } from '../../server/ingest/page-path.ts'
import { normalizeDomain, parseEvent } from '../../server/ingest/schema.ts'

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
