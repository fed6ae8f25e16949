import { describe, expect, it } from 'vitest'
import { OTHER, PROP_NAMES, PROP_VALUES, ValueCap } from '../../../server/ingest/value-cap.ts'

describe('ValueCap', () => {
  it('turns new values beyond the cap into (other) and keeps counting the ones seen before', () => {
    const cap = new ValueCap({ values: 3, propNames: 2 })
    const pages = ['/a', '/b', '/c', '/d', '/e'].map((p) => cap.value('a.lv', '2026-12-07', 'event:page', p))
    expect(pages).toEqual(['/a', '/b', '/c', OTHER, OTHER])
    expect(cap.value('a.lv', '2026-12-07', 'event:page', '/b')).toBe('/b')
    expect(cap.capped).toEqual({ 'event:page': 2 })
  })

  it('keeps a set per site and per dimension', () => {
    const cap = new ValueCap({ values: 1, propNames: 1 })
    expect(cap.value('a.lv', 'd', 'event:page', '/a')).toBe('/a')
    expect(cap.value('b.lv', 'd', 'event:page', '/b')).toBe('/b')
    expect(cap.value('a.lv', 'd', 'visit:referrer', 'x.lv')).toBe('x.lv')
    expect(cap.value('a.lv', 'd', 'event:page', '/c')).toBe(OTHER)
  })

  it('forgets everything when the day changes', () => {
    const cap = new ValueCap({ values: 1, propNames: 1 })
    cap.value('a.lv', '2026-12-07', 'event:page', '/a')
    expect(cap.value('a.lv', '2026-12-07', 'event:page', '/b')).toBe(OTHER)
    expect(cap.value('a.lv', '2026-12-08', 'event:page', '/b')).toBe('/b')
    expect(cap.size).toBe(1)
    // A late value of yesterday (an ISP answer after midnight) passes and leaves today's sets alone.
    expect(cap.value('a.lv', '2026-12-07', 'event:page', '/z')).toBe('/z')
    expect(cap.value('a.lv', '2026-12-08', 'event:page', '/c')).toBe(OTHER)
  })

  it('caps property names and all property values of a site together', () => {
    const cap = new ValueCap({ values: 2, propNames: 2 })
    expect(cap.props('a.lv', 'd', [['plan', 'free'], ['seats', '1'], ['color', 'red']])).toEqual([
      ['plan', 'free'],
      ['seats', '1'],
      [OTHER, OTHER],
    ])
    expect(cap.props('a.lv', 'd', [['plan', 'free'], ['plan', 'pro']])).toEqual([['plan', 'free'], ['plan', OTHER]])
    expect(cap.capped).toEqual({ [PROP_NAMES]: 1, [PROP_VALUES]: 2 })
  })
})
