import { describe, expect, it } from 'vitest'
import { compileFunnels, funnelInput, resolveSteps, type Funnel } from '../../server/goals/funnels.ts'
import type { Cell } from '../../server/sessions/cells.ts'
import { foldCells } from '../helpers/cells.ts'
import { Sessions, type FunnelHit, type Hit } from '../../server/sessions/sessions.ts'
import { funnelRows } from '../../server/vocabulary/dimensions.ts'

const FUNNEL: Funnel = {
  id: 3,
  name: 'Checkout',
  steps: [{ page: '/pricing' }, { event: 'Signup' }, { page: '/welcome/**' }],
  dimensions: ['visit:source', 'visit:entry_page'],
  since: 0,
}
const matcher = compileFunnels([FUNNEL])
const section = (page: string) => page.split('/')[1] || '/'
const pv = (page: string): Hit => ({ kind: 'pageview', page, section: section(page), props: [], funnels: matcher.pageview(page) as FunnelHit[] | undefined })
const ev = (name: string): Hit => ({ kind: 'custom', name, page: '/x', section: 'x', props: [], funnels: matcher.custom(name) as FunnelHit[] | undefined })
const DIMS = () => [['visit:source', 'Google'], ['visit:device', 'Mobile']] as [string, string][]

const fold = (cells: Cell[], into = new Map<string, Record<string, number>>()) => foldCells(cells, into, { uniq: true, only: (d) => d.startsWith('funnel:') })

describe('funnels in a visit', () => {
  it('reaches each step once, in order, with the seconds since step 1, on the step and by each chosen dimension', () => {
    const s = new Sessions(30 * 60_000, 1000)
    const rows = new Map<string, Record<string, number>>()
    const walk: [Hit, number][] = [
      [pv('/'), 0],
      [ev('Signup'), 5_000], // before step 1: nothing
      [pv('/pricing'), 10_000], // step 1
      [pv('/pricing'), 20_000], // again: nothing
      [ev('Signup'), 40_500], // step 2, 30 s after step 1
      [ev('Signup'), 50_000], // again: nothing
      [pv('/welcome/new'), 70_000], // step 3, 60 s
    ]
    for (const [hit, at] of walk) fold(s.record('v', undefined, hit, at, DIMS), rows)
    expect(Object.fromEntries(rows)).toEqual({
      'funnel:3=1': { visits: 1, uniq: 1 },
      'funnel:3=2': { visits: 1, duration: 30, uniq: 1 },
      'funnel:3=3': { visits: 1, duration: 60, uniq: 1 },
      'funnel:3:1|visit:source=Google': { visits: 1, uniq: 1 },
      'funnel:3:2|visit:source=Google': { visits: 1, duration: 30, uniq: 1 },
      'funnel:3:3|visit:source=Google': { visits: 1, duration: 60, uniq: 1 },
      'funnel:3:1|visit:entry_page=/': { visits: 1, uniq: 1 },
      'funnel:3:2|visit:entry_page=/': { visits: 1, duration: 30, uniq: 1 },
      'funnel:3:3|visit:entry_page=/': { visits: 1, duration: 60, uniq: 1 },
    })
    // Every stored name is one funnel's step, or one step by one dimension.
    for (const key of rows.keys()) expect(funnelRows(key.split('=')[0]!), key).toBeDefined()
  })

  it('starts again in a new visit, and counts nothing for steps met out of order', () => {
    const s = new Sessions(30 * 60_000, 1000)
    const rows = fold(s.record('v', undefined, pv('/welcome/x'), 0, DIMS))
    fold(s.record('v', undefined, ev('Signup'), 1000, DIMS), rows)
    fold(s.record('v', undefined, pv('/pricing'), 2000, DIMS), rows)
    // 31 minutes later: a new visit, whose Signup is no step 1.
    fold(s.record('v', undefined, ev('Signup'), 2000 + 31 * 60_000, DIMS), rows)
    expect(rows.get('funnel:3=1')).toEqual({ visits: 1, uniq: 1 })
    expect(rows.get('funnel:3=2')).toBeUndefined()
  })
})

describe('funnel definitions', () => {
  it('takes 2 to 8 steps and up to 3 allowed dimensions, and resolves goals to what they count', () => {
    expect(funnelInput.safeParse({ name: 'a', steps: [{ page: '/' }] }).success).toBe(false)
    expect(funnelInput.safeParse({ name: 'a', steps: Array(9).fill({ page: '/' }) }).success).toBe(false)
    expect(funnelInput.safeParse({ name: 'a', steps: [{ page: '/' }, { page: '/b' }], dimensions: ['visit:isp'] }).success).toBe(false)
    expect(funnelInput.safeParse({ name: 'a', steps: [{ page: '/' }, { page: '/b' }], dimensions: ['visit:exit_page'] }).success).toBe(false)
    const ok = funnelInput.parse({ name: 'a', steps: [{ page: '/' }, { goal: 'Buy' }], dimensions: ['visit:channel'] })
    expect(resolveSteps(ok.steps, [{ id: 1, name: 'Buy', event: 'Purchase', since: 0 }])).toEqual([{ page: '/' }, { event: 'Purchase' }])
    expect(resolveSteps(ok.steps, [])).toEqual({ unknownGoal: 'Buy' })
  })
})
