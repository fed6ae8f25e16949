import { describe, expect, it } from 'vitest'
import { Sessions, type Hit } from '../../server/sessions/sessions.ts'

const pv = (page: string): Hit => ({ kind: 'pageview', page, section: '/', props: [] })
const noDims = () => [] as [string, string][]
const WINDOW = 5 * 60_000
const T0 = Date.parse('2026-12-07T12:00:00Z')

describe('current visitors (Sessions.activeSince)', () => {
  it('counts the visits of a site seen in the window, as they move, end and are evicted', () => {
    const s = new Sessions(30 * 60_000, 5)
    s.record('a', undefined, pv('/'), T0, noDims, 'x.lv')
    s.record('b', undefined, pv('/'), T0 + 1000, noDims, 'x.lv')
    s.record('c', undefined, pv('/'), T0 + 2000, noDims, 'y.lv')
    expect(s.activeSince('x.lv', T0 + 2000, WINDOW)).toBe(2)
    expect(s.activeSince('y.lv', T0 + 2000, WINDOW)).toBe(1)
    expect(s.activeSince('z.lv', T0 + 2000, WINDOW)).toBe(0)
    // 'a' is seen again: still one visit, now seen later.
    s.record('a', undefined, pv('/next'), T0 + 200_000, noDims, 'x.lv')
    expect(s.activeSince('x.lv', T0 + 200_000, WINDOW)).toBe(2)
    // 'b' leaves the window, 'a' stays in it.
    expect(s.activeSince('x.lv', T0 + 302_000, WINDOW)).toBe(1)
    expect(s.activeSince('x.lv', T0 + 600_000, WINDOW)).toBe(0)
    // Beyond SESSION_MAX the least recently seen visits are forgotten, and no longer counted.
    for (const k of ['d', 'e', 'f', 'g']) s.record(k, undefined, pv('/'), T0 + 201_000, noDims, 'y.lv')
    expect(s.activeSince('x.lv', T0 + 201_000, WINDOW)).toBe(1)
    expect(s.activeSince('y.lv', T0 + 201_000, WINDOW)).toBe(4)
  })

  it('stops counting visits the sweep ends (idle time shorter than the window)', () => {
    const s = new Sessions(60_000, 100)
    s.record('a', undefined, pv('/'), T0, noDims, 'x.lv')
    s.record('b', undefined, pv('/'), T0 + 90_000, noDims, 'x.lv')
    expect(s.activeSince('x.lv', T0 + 100_000, WINDOW)).toBe(2)
    expect(s.sweep(T0 + 100_000)).toBe(1)
    expect(s.activeSince('x.lv', T0 + 100_000, WINDOW)).toBe(1)
  })

  it('agrees with a count over every visit, for many visits at random times', () => {
    const s = new Sessions(30 * 60_000, 2000)
    const last = new Map<string, { site: string; at: number }>()
    let now = T0
    let seed = 7
    const random = () => ((seed = (seed * 48271) % 2147483647) / 2147483647)
    for (let i = 0; i < 20_000; i++) {
      now += Math.floor(random() * 200)
      const key = `v${Math.floor(random() * 3000)}`
      const site = last.get(key)?.site ?? (random() < 0.5 ? 'x.lv' : 'y.lv')
      s.record(key, undefined, pv('/'), now, noDims, site)
      last.delete(key)
      last.set(key, { site, at: now })
      if (last.size > 2000) last.delete(last.keys().next().value!)
      if (i % 997 === 0) {
        const expected = [...last.values()].filter((v) => v.site === 'x.lv' && Math.floor(v.at / 1000) >= Math.floor((now - WINDOW) / 1000)).length
        expect(s.activeSince('x.lv', now, WINDOW)).toBe(expected)
      }
    }
  })

  it('does not walk the visits: as fast with 100,000 visits in memory as with none', () => {
    const s = new Sessions(30 * 60_000, 300_000)
    const time = () => {
      const started = performance.now()
      for (let i = 0; i < 2000; i++) s.activeSince('x.lv', T0 + 10_000, WINDOW)
      return performance.now() - started
    }
    time() // warm up
    const empty = time()
    for (let i = 0; i < 100_000; i++) s.record(`v${i}`, undefined, pv('/'), T0 + (i % 10_000), noDims, i % 2 ? 'x.lv' : 'y.lv')
    expect(s.activeSince('x.lv', T0 + 10_000, WINDOW)).toBe(50_000)
    const full = time()
    // A walk over 100,000 visits takes half a millisecond or more each time: 2,000 calls, a second or more.
    expect(full).toBeLessThan(Math.max(empty * 5, 100))
  })
})
