import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { splitRange, type Piece } from '../../server/stats/pieces.ts'

const s = (iso: string) => Date.parse(iso.length === 10 ? `${iso}T00:00:00Z` : iso) / 1000
const show = (p: Piece) => `${p.level} ${new Date(p.from * 1000).toISOString().slice(0, 13)}…${new Date(p.to * 1000).toISOString().slice(0, 13)}`
const ALL = ['month', 'week', 'day'] as const

describe('splitting a range into months, weeks, days and hours', () => {
  it('takes whole months, then whole weeks, then days, coarsest first', () => {
    // 12 months in UTC: 2025-12-01 … 2026-11-22 (a Sunday).
    expect(splitRange(s('2025-12-01'), s('2026-11-23'), [...ALL]).map(show)).toEqual([
      'month 2025-12-01T00…2026-11-01T00',
      'day 2026-11-01T00…2026-11-02T00',
      'week 2026-11-02T00…2026-11-23T00',
    ])
    // 30 days: 2026-10-24 (a Saturday) … 2026-11-22.
    expect(splitRange(s('2026-10-24'), s('2026-11-23'), [...ALL]).map(show)).toEqual([
      'day 2026-10-24T00…2026-10-26T00',
      'week 2026-10-26T00…2026-11-23T00',
    ])
  })

  it('leaves the hours at the edges of a day that is not a UTC day', () => {
    // A day in Europe/Riga (UTC+2 in winter).
    expect(splitRange(s('2026-11-20T22:00:00Z'), s('2026-11-21T22:00:00Z'), [...ALL]).map(show)).toEqual([
      'hour 2026-11-20T22…2026-11-21T22',
    ])
    expect(splitRange(s('2026-11-13T22:00:00Z'), s('2026-11-21T22:00:00Z'), [...ALL]).map(show)).toEqual([
      'hour 2026-11-13T22…2026-11-14T00',
      'day 2026-11-14T00…2026-11-21T00',
      'hour 2026-11-21T00…2026-11-21T22',
    ])
  })

  it('keeps to the levels it is given', () => {
    expect(splitRange(s('2025-12-01'), s('2026-11-23'), ['month', 'day']).map((p) => p.level)).toEqual(['month', 'day'])
    expect(splitRange(s('2025-12-01'), s('2026-11-23'), []).map((p) => p.level)).toEqual(['hour'])
  })

  it('covers every hour of any range exactly once, in order', () => {
    const hour = fc.integer({ min: s('2024-01-01') / 3600, max: s('2027-12-31') / 3600 }).map((h) => h * 3600)
    const levels = fc.subarray([...ALL]).map((l) => (l.includes('day') ? l : []))
    fc.assert(
      fc.property(hour, fc.integer({ min: 1, max: 24 * 800 }), levels, (from, hours, lv) => {
        const to = from + hours * 3600
        const pieces = splitRange(from, to, lv)
        let at = from
        for (const p of pieces) {
          expect(p.from).toBe(at)
          expect(p.to).toBeGreaterThan(p.from)
          if (p.level !== 'hour') {
            expect(p.from % 86_400).toBe(0)
            expect(p.to % 86_400).toBe(0)
          }
          if (p.level === 'week') expect([new Date(p.from * 1000).getUTCDay(), new Date(p.to * 1000).getUTCDay()]).toEqual([1, 1])
          if (p.level === 'month') expect([new Date(p.from * 1000).getUTCDate(), new Date(p.to * 1000).getUTCDate()]).toEqual([1, 1])
          expect(lv.includes(p.level as never) || p.level === 'hour').toBe(true)
          at = p.to
        }
        expect(at).toBe(to)
      }),
      { numRuns: 2000 },
    )
  })
})
