import { describe, expect, it } from 'vitest'
import type { Cell } from '../../server/sessions/cells.ts'
import { foldCells } from '../helpers/cells.ts'
import { Sessions, type Hit } from '../../server/sessions/sessions.ts'

const section = (page: string) => page.split('/')[1] || '/'
const pv = (page: string): Hit => ({ kind: 'pageview', page, section: section(page), props: [] })
const noDims = () => [] as [string, string][]

/** Sums cells into rows, as the aggregate tables do. */
const fold = (cells: Cell[], into = new Map<string, Record<string, number>>()) => foldCells(cells, into, {})

describe('sessions as increments', () => {
  it('counts a visit and a bounce at the first pageview and takes the bounce back at the second', () => {
    const s = new Sessions(30 * 60_000, 1000)
    const rows = fold(s.record('v', undefined, pv('/a'), 0, noDims))
    expect(rows.get('=')).toMatchObject({ visits: 1, bounces: 1, pageviews: 1 })
    fold(s.record('v', undefined, pv('/b'), 12_500, noDims), rows)
    expect(rows.get('=')).toEqual({ visits: 1, bounces: 0, pageviews: 2, duration: 12, events: 2 })
    expect(rows.get('event:page=/a')).toEqual({ pageviews: 1, events: 1, visits: 1, entries: 1, exits: 0, bounces: 0 })
    expect(rows.get('event:page=/b')).toEqual({ pageviews: 1, events: 1, visits: 1, exits: 1 })
  })

  it('moves the whole visit from the old exit page to the new one', () => {
    const s = new Sessions(30 * 60_000, 1000)
    const rows = fold(s.record('v', undefined, pv('/a'), 0, noDims))
    fold(s.record('v', undefined, pv('/b'), 10_000, noDims), rows)
    fold(s.record('v', undefined, pv('/c'), 25_000, noDims), rows)
    const exitA = rows.get('visit:exit_page=/a')!
    const exitB = rows.get('visit:exit_page=/b')!
    expect(Object.values(exitA).every((n) => n === 0)).toBe(true)
    expect(Object.values(exitB).every((n) => n === 0)).toBe(true)
    expect(rows.get('visit:exit_page=/c')).toEqual({ visits: 1, pageviews: 3, duration: 25, events: 3 })
  })

  it('gives visit dimensions the visit totals, read only once at the start', () => {
    let reads = 0
    const dims = () => {
      reads++
      return [['visit:source', 'Google']] as [string, string][]
    }
    const s = new Sessions(30 * 60_000, 1000)
    const rows = fold(s.record('v', undefined, pv('/a'), 0, dims))
    fold(s.record('v', undefined, pv('/b'), 5000, dims), rows)
    expect(reads).toBe(1)
    expect(rows.get('visit:source=Google')).toEqual({ visits: 1, pageviews: 2, bounces: 0, duration: 5, events: 2 })
  })

  it('starts a new visit after the idle timeout', () => {
    const s = new Sessions(30 * 60_000, 1000)
    const rows = fold(s.record('v', undefined, pv('/a'), 0, noDims))
    fold(s.record('v', undefined, pv('/a'), 30 * 60_000 + 1, noDims), rows)
    expect(rows.get('=')).toMatchObject({ visits: 2, bounces: 2, pageviews: 2 })
  })

  it('continues a visit across midnight under yesterday\'s key', () => {
    const s = new Sessions(30 * 60_000, 1000)
    const rows = fold(s.record('old', undefined, pv('/a'), 0, noDims))
    fold(s.record('new', 'old', pv('/b'), 60_000, noDims), rows)
    expect(rows.get('=')).toMatchObject({ visits: 1, bounces: 0, pageviews: 2 })
    expect(s.size).toBe(1)
  })

  it('sums engaged time and keeps the deepest scroll once per visit and page', () => {
    const s = new Sessions(30 * 60_000, 1000)
    const rows = fold(s.record('v', undefined, pv('/a'), 0, noDims))
    const engage = (ms: number, sd: number, t: number): Hit => ({ kind: 'engagement', page: '/a', section: 'a', engagedMs: ms, scrollDepth: sd })
    fold(s.record('v', undefined, engage(3000, 40, 0), 3000, noDims), rows)
    fold(s.record('v', undefined, engage(2000, 80, 0), 9000, noDims), rows)
    fold(s.record('v', undefined, engage(1000, 60, 0), 12_000, noDims), rows)
    expect(rows.get('event:page=/a')).toMatchObject({ engaged_ms: 6000, engaged_n: 1, scroll_sum: 80, scroll_n: 1 })
    expect(rows.get('=')).toMatchObject({ duration: 12, bounces: 1 })
  })

  it('marks the visitor for unique counts on every row but the exit page', () => {
    const s = new Sessions(30 * 60_000, 1000)
    const cells = s.record('v', undefined, pv('/a'), 0, noDims)
    const uniq = Object.fromEntries(cells.map((c) => [c.dimension, c.uniq]))
    expect(uniq).toEqual({ '': 1, 'visit:entry_page': 1, 'visit:exit_page': 0, 'event:page': 1, 'event:section': 1, 'event:name': 1 })
  })

  it('mirrors page rows on their section and counts a visit once per section', () => {
    const s = new Sessions(30 * 60_000, 1000)
    const rows = fold(s.record('v', undefined, pv('/blog/a'), 0, noDims))
    fold(s.record('v', undefined, pv('/blog/b'), 1000, noDims), rows)
    fold(s.record('v', undefined, pv('/shop/x'), 2000, noDims), rows)
    expect(rows.get('event:section=blog')).toEqual({ pageviews: 2, events: 2, visits: 1, entries: 1, exits: 0, bounces: 0 })
    expect(rows.get('event:section=shop')).toEqual({ pageviews: 1, events: 1, visits: 1, exits: 1 })
  })

  it('forgets idle visits and evicts the least recently seen beyond the maximum', () => {
    const s = new Sessions(1000, 3)
    for (const k of ['a', 'b', 'c', 'd']) s.record(k, undefined, pv('/'), 0, noDims)
    expect(s.size).toBe(3)
    s.record('b', undefined, pv('/x'), 500, noDims)
    expect(s.sweep(1200)).toBe(2)
    expect(s.size).toBe(1)
  })
})
