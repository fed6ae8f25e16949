import { describe, expect, it } from 'vitest'
import { compileGoals, goalInput, type Goal } from '../../server/goals/goals.ts'
import { money, toMinor } from '../../server/goals/money.ts'
import { parseEvent } from '../../server/ingest/schema.ts'
import type { Cell } from '../../server/sessions/cells.ts'
import { foldCells } from '../helpers/cells.ts'
import { Sessions, type GoalHit, type Hit } from '../../server/sessions/sessions.ts'
import { dimension, DIMENSIONS, funnelRows, goalBreakdown, type DimensionName } from '../../server/vocabulary/dimensions.ts'
import { compileFunnels } from '../../server/goals/funnels.ts'
import { mulberry32 } from '../helpers/random.ts'

const section = (page: string) => page.split('/')[1] || '/'
const pv = (page: string, goals?: GoalHit[]): Hit & { funnels?: unknown } => ({ kind: 'pageview', page, section: section(page), props: [], goals })
const custom = (name: string, page: string, goals?: GoalHit[], interactive?: boolean): Hit => ({
  kind: 'custom',
  name,
  page,
  section: section(page),
  props: [],
  goals,
  interactive,
})
const DIMS = () =>
  [
    ['visit:source', 'Google'],
    ['visit:country', 'LV'],
    ['visit:device', 'Mobile'],
  ] as [string, string][]

const fold = (cells: Cell[], into = new Map<string, Record<string, number>>()) => foldCells(cells, into, { uniq: true })

describe('goals in a visit', () => {
  it('counts a conversion once per visit and every completion, on the goal and on each dimension alone', () => {
    const s = new Sessions(30 * 60_000, 1000)
    const rows = fold(s.record('v', undefined, pv('/'), 0, DIMS))
    fold(s.record('v', undefined, custom('Purchase', '/cart', [{ id: 7, revenue: 1599 }]), 1000, DIMS), rows)
    fold(s.record('v', undefined, custom('Purchase', '/cart', [{ id: 7, revenue: 401 }]), 2000, DIMS), rows)
    const conv = { visits: 1, events: 2, revenue: 2000, revenue_n: 2, uniq: 1 }
    expect(rows.get('event:goal=7')).toEqual(conv)
    expect(rows.get('goal:7|visit:source=Google')).toEqual(conv)
    expect(rows.get('goal:7|visit:country=LV')).toEqual(conv)
    expect(rows.get('goal:7|visit:device=Mobile')).toEqual(conv)
    expect(rows.get('goal:7|visit:entry_page=/')).toEqual(conv)
    expect(rows.get('goal:7|event:page=/cart')).toEqual(conv)
    expect(rows.get('goal:7|event:section=cart')).toEqual(conv)
    // No exit page: it moves after the conversion.
    expect([...rows.keys()].filter((k) => k.startsWith('goal:7|visit:exit_page'))).toEqual([])
  })

  it('keeps revenue in another currency apart, per currency, and off the goal rows', () => {
    const s = new Sessions(30 * 60_000, 1000)
    const rows = fold(s.record('v', undefined, pv('/'), 0, DIMS))
    fold(s.record('v', undefined, custom('Purchase', '/', [{ id: 2, otherCurrency: { currency: 'USD', minor: 500 } }]), 1000, DIMS), rows)
    expect(rows.get('event:goal=2')).toEqual({ visits: 1, events: 1, uniq: 1 })
    expect(rows.get('goal:2|revenue:currency=USD')).toEqual({ revenue: 500, revenue_n: 1 })
  })

  it('gives an ISP learned after a conversion the goal tallies of the visit so far', () => {
    const s = new Sessions(30 * 60_000, 1000)
    s.record('v', undefined, pv('/'), 0, DIMS)
    s.record('v', undefined, custom('Signup', '/', [{ id: 1 }]), 1000, DIMS)
    s.record('v', undefined, custom('Signup', '/', [{ id: 1 }]), 2000, DIMS)
    const rows = fold(s.addVisitDimension('v', 'visit:isp', 'tet.lv'))
    expect(rows.get('goal:1|visit:isp=tet.lv')).toEqual({ visits: 1, events: 2, uniq: 1 })
  })

  it('takes back the bounce for an interactive custom event, not for one sent with i: false', () => {
    const s = new Sessions(30 * 60_000, 1000)
    const a = fold(s.record('a', undefined, pv('/'), 0, DIMS))
    fold(s.record('a', undefined, custom('Newsletter', '/', undefined, false), 1000, DIMS), a)
    expect(a.get('=')?.bounces).toBe(1)
    const b = fold(s.record('b', undefined, pv('/'), 0, DIMS))
    fold(s.record('b', undefined, custom('Newsletter', '/'), 1000, DIMS), b)
    for (const key of ['=', 'visit:source=Google', 'visit:entry_page=/', 'visit:exit_page=/', 'event:page=/', 'event:section=/']) {
      expect(b.get(key)?.bounces ?? 0, key).toBe(0)
    }
    // A second pageview after it takes nothing back twice.
    fold(s.record('b', undefined, pv('/x'), 2000, DIMS), b)
    expect(b.get('=')?.bounces ?? 0).toBe(0)
    expect(b.get('visit:exit_page=/x')?.bounces ?? 0).toBe(0)
  })

  it('never stores two visit dimensions together: every row is one dimension, or a goal and one dimension (random visits)', () => {
    const funnels = compileFunnels([
      { id: 1, name: 'f', steps: [{ page: '/p1' }, { event: 'E1' }, { page: '/p2' }], dimensions: ['visit:source', 'visit:device', 'visit:entry_page'], since: 0 },
      { id: 2, name: 'g', steps: [{ page: '/p0' }, { page: '/p3' }], dimensions: ['visit:country'], since: 0 },
    ])
    const next = mulberry32(21)
    const rnd = { int: (n: number) => Math.floor(next() * n) }
    const s = new Sessions(30 * 60_000, 100_000)
    const seen = new Set<string>()
    const visitDims = () =>
      (['visit:source', 'visit:referrer', 'visit:channel', 'visit:utm_campaign', 'visit:browser', 'visit:os', 'visit:device', 'visit:country'] as const).map(
        (d) => [d, `${d}-${rnd.int(3)}`] as [string, string],
      )
    for (let i = 0; i < 3000; i++) {
      const key = `v${rnd.int(200)}`
      const page = `/p${rnd.int(5)}`
      const goals = rnd.int(3) === 0 ? [{ id: 1 + rnd.int(3), revenue: rnd.int(1000) }] : undefined
      const hit = rnd.int(2) ? pv(page, goals) : custom(`E${rnd.int(3)}`, page, goals, rnd.int(2) === 0)
      hit.kind !== 'engagement' && (hit.funnels = hit.kind === 'pageview' ? funnels.pageview(page) : funnels.custom(hit.name))
      for (const c of s.record(key, undefined, hit, i * 1000, visitDims)) seen.add(c.dimension)
      if (rnd.int(50) === 0) for (const c of s.addVisitDimension(key, 'visit:isp', 'x.lv')) seen.add(c.dimension)
    }
    const kinds = [...seen]
    expect(kinds.some((d) => d.startsWith('goal:'))).toBe(true)
    expect(kinds.some((d) => d.startsWith('funnel:') && d.includes('|'))).toBe(true)
    for (const d of kinds) {
      if (d === '') continue
      const known = dimension(d) ?? (d.startsWith('event:props:') ? {} : undefined)
      expect(known, d).toBeDefined()
      const ofGoal = goalBreakdown(d)
      if (d.startsWith('funnel:')) {
        // A funnel's step, or one step by exactly one dimension of the vocabulary.
        const rows = funnelRows(d)
        expect(rows, d).toBeDefined()
        if (rows!.length === 3) expect(Object.keys(DIMENSIONS)).toContain(rows![2])
      } else if (d.startsWith('goal:')) {
        expect(ofGoal, d).toBeDefined()
        // The part after the goal is exactly one dimension of the vocabulary (or the revenue's currency).
        expect([...Object.keys(DIMENSIONS), 'revenue:currency']).toContain(ofGoal![1])
      } else {
        expect(Object.keys(DIMENSIONS).includes(d as DimensionName) || d.startsWith('event:props:'), d).toBe(true)
      }
    }
  })
})

describe('goal definitions', () => {
  const goal = (g: Partial<Goal>): Goal => ({ id: 1, name: 'x', since: 0, ...g })

  it('matches events by name and pages by the section globs, counted goals only', () => {
    const m = compileGoals([
      goal({ id: 1, event: 'Signup' }),
      goal({ id: 2, page: '/order/*/done' }),
      goal({ id: 3, page: '/blog/**' }),
      goal({ id: 4, event: 'Old', until: 5 }),
    ])
    expect(m.custom('Signup').map((g) => g.id)).toEqual([1])
    expect(m.custom('Old')).toEqual([])
    expect(m.pageview('/order/17/done').map((g) => g.id)).toEqual([2])
    expect(m.pageview('/order/17/x/done')).toEqual([])
    expect(m.pageview('/blog').map((g) => g.id)).toEqual([3])
    expect(compileGoals(undefined).any).toBe(false)
  })

  it('reads Plausible names and says what is wrong', () => {
    expect(goalInput.parse({ goal_type: 'page', page_path: 'thanks' })).toEqual({ name: 'Visit /thanks', page: '/thanks', event: undefined, currency: undefined })
    expect(goalInput.parse({ event_name: 'Purchase', currency: 'EUR', display_name: 'Buy' })).toMatchObject({ name: 'Buy', event: 'Purchase', currency: 'EUR' })
    expect(goalInput.safeParse({ event: 'A', page: '/b' }).success).toBe(false)
    expect(goalInput.safeParse({ page: '/b', currency: 'EUR' }).success).toBe(false)
    expect(goalInput.safeParse({ event: 'A', currency: 'EURO' }).success).toBe(false)
  })
})

describe('money', () => {
  it('turns amounts into minor units exactly, by the currency', () => {
    expect(toMinor('15.99', 'EUR')).toEqual({ ok: true, minor: 1599 })
    expect(toMinor(15.99, 'EUR')).toEqual({ ok: true, minor: 1599 })
    expect(toMinor('0.005', 'EUR')).toEqual({ ok: true, minor: 1 })
    expect(toMinor('1500', 'JPY')).toEqual({ ok: true, minor: 1500 })
    expect(toMinor('1.2345', 'KWD')).toEqual({ ok: true, minor: 1235 })
    expect(toMinor('-4.5', 'EUR')).toEqual({ ok: true, minor: -450 })
    for (const bad of ['12,50', '1e3', '', 'abc', null, {}, Infinity, '2000000000']) expect(toMinor(bad, 'EUR').ok, String(bad)).toBe(false)
  })

  it('shows money as Plausible does', () => {
    expect(money(123450, 'EUR')).toEqual({ short: '€1.2K', long: '€1,234.50', value: 1234.5, currency: 'EUR' })
    expect(money(800, 'EUR')).toEqual({ short: '€8.0', long: '€8.00', value: 8, currency: 'EUR' })
  })

  it('takes revenue in the Events API shapes, and refuses a bad one naming the field', () => {
    const base = { n: 'Purchase', u: 'https://example.lv/', d: 'example.lv' }
    const ok = (extra: object) => {
      const r = parseEvent({ ...base, ...extra })
      return r.ok ? r.event.revenue : r.reason
    }
    expect(ok({ revenue: { amount: '15.99', currency: 'EUR' } })).toEqual({ currency: 'EUR', minor: 1599 })
    expect(ok({ $: { amount: 3, currency: 'USD' } })).toEqual({ currency: 'USD', minor: 300 })
    expect(ok({ $: '{"amount":"2.5","currency":"EUR"}' })).toEqual({ currency: 'EUR', minor: 250 })
    expect(ok({ $: {} })).toBeUndefined()
    expect(ok({ revenue: { amount: 'x', currency: 'EUR' } })).toMatch(/^revenue\.amount: /)
    expect(ok({ $: { amount: 1, currency: 'XYZ' } })).toMatch(/^\$\.currency: /)
    const i = parseEvent({ ...base, i: false })
    expect(i.ok && i.event.interactive).toBe(false)
    const path = parseEvent({ ...base, n: '404', u: 'https://example.lv/missing?x=1' })
    expect(path.ok && path.event.props).toEqual([['path', '/missing']])
  })
})
