import { describe, expect, it } from 'vitest'
import { resolveDateRange, timeLabels } from '../../server/stats/date-range.ts'
import { plan, PlanError } from '../../server/stats/plan.ts'
import { queryRequest } from '../../server/stats/request.ts'
import { sumsOf } from '../../server/stats/metric-sql.ts'

const NOW = Date.parse('2026-11-22T10:00:00Z')
const range = { from: '2026-11-16', to: '2026-11-22' }
const SITE = { domain: 'example.lv', settings: { sections: [], sectionsSince: '2026-11-20' } }
const req = (body: Record<string, unknown>) => queryRequest.parse({ site_id: 'example.lv', date_range: '7d', ...body })

describe('date ranges', () => {
  it('resolves Plausible shortcuts to inclusive days in the time zone', () => {
    const r = (x: string) => resolveDateRange(x, NOW, 'Europe/Riga', Date.parse('2025-03-04T00:00:00Z'))
    expect(r('day')).toMatchObject({ from: '2026-11-22', to: '2026-11-22' })
    expect(r('7d')).toMatchObject({ from: '2026-11-16', to: '2026-11-22' })
    expect(r('30d')).toMatchObject({ from: '2026-10-24', to: '2026-11-22' })
    expect(r('month')).toMatchObject({ from: '2026-11-01', to: '2026-11-22' })
    expect(r('6mo')).toMatchObject({ from: '2026-06-01', to: '2026-11-22' })
    expect(r('12mo')).toMatchObject({ from: '2025-12-01', to: '2026-11-22' })
    expect(r('year')).toMatchObject({ from: '2026-01-01', to: '2026-11-22' })
    expect(r('all')).toMatchObject({ from: '2025-03-04', to: '2026-11-22' })
  })
  it('uses the time zone for "today"', () => {
    const late = Date.parse('2026-11-21T23:30:00Z')
    expect(resolveDateRange('day', late, 'Europe/Riga', 0)).toMatchObject({ from: '2026-11-22', to: '2026-11-22' })
    expect(resolveDateRange('day', late, 'UTC', 0)).toMatchObject({ from: '2026-11-21', to: '2026-11-21' })
  })
  it('rejects impossible custom ranges', () => {
    expect(resolveDateRange(['2026-02-30', '2026-03-01'], NOW, 'UTC', 0)).toHaveProperty('error')
    expect(resolveDateRange(['2026-03-02', '2026-03-01'], NOW, 'UTC', 0)).toHaveProperty('error')
  })
  it('labels every bucket of a range', () => {
    expect(timeLabels({ from: '2026-11-01', to: '2026-11-03' }, 'day')).toEqual(['2026-11-01', '2026-11-02', '2026-11-03'])
    expect(timeLabels({ from: '2026-10-30', to: '2026-11-03' }, 'month')).toEqual(['2026-10-01', '2026-11-01'])
    expect(timeLabels({ from: '2026-11-22', to: '2026-11-22' }, 'hour')).toHaveLength(24)
    expect(timeLabels({ from: '2026-11-18', to: '2026-11-24' }, 'week')).toEqual(['2026-11-16', '2026-11-23'])
  })
})

describe('query plan: one dimension at a time', () => {
  it('groups by a dimension, optionally over time', () => {
    const p = plan(req({ metrics: ['visitors'], dimensions: ['time:day', 'event:page'] }), SITE, range)
    expect(p).toMatchObject({ dimension: 'event:page', byValue: true, granularity: 'day', kind: 'page' })
  })
  it('reads a filtered dimension from its own rows', () => {
    const p = plan(req({ metrics: ['pageviews'], filters: [['contains', 'event:page', ['/blog']]] }), SITE, range)
    expect(p).toMatchObject({ dimension: 'event:page', byValue: false })
  })
  const refusals: [string, Record<string, unknown>, RegExp][] = [
    ['two dimensions', { metrics: ['visitors'], dimensions: ['event:page', 'visit:entry_page'] }, /no cross-tabulations/],
    ['pages filtered by a visit dimension', { metrics: ['visitors'], dimensions: ['event:page'], filters: [['is', 'visit:source', ['Google']]] }, /no cross-tabulations/],
    ['filters on two dimensions', { metrics: ['pageviews'], filters: [['is', 'event:page', ['/']], ['is', 'visit:entry_page', ['/']]] }, /no cross-tabulations/],
    ['visitors summed over several pages', { metrics: ['visitors'], filters: [['is', 'event:page', ['/a', '/b']]] }, /more than once/],
    ['visit duration per page', { metrics: ['visit_duration'], dimensions: ['event:page'] }, /not available/],
    ['time on page per source', { metrics: ['time_on_page'], dimensions: ['visit:entry_page'] }, /not available/],
    ['unknown dimension', { metrics: ['visitors'], dimensions: ['visit:city'] }, /unknown dimension/],
    ['order by something not asked for', { metrics: ['visitors'], order_by: [['pageviews', 'desc']] }, /order_by/],
  ]
  it.each(refusals)('refuses %s', (_name, body, message) => {
    expect(() => plan(req(body), SITE, range)).toThrowError(PlanError)
    expect(() => plan(req(body), SITE, range)).toThrowError(message)
  })
  it('refuses section visitors from before the section rules changed, but not pageviews', () => {
    const early = { from: '2026-11-10', to: '2026-11-22' }
    expect(() => plan(req({ metrics: ['visitors'], dimensions: ['event:section'] }), SITE, early)).toThrowError(/known from 2026-11-20/)
    expect(() => plan(req({ metrics: ['pageviews', 'time_on_page'], dimensions: ['event:section'] }), SITE, early)).not.toThrow()
    expect(() => plan(req({ metrics: ['visitors'], dimensions: ['event:section'] }), SITE, { from: '2026-11-20', to: '2026-11-22' })).not.toThrow()
  })
  it('allows additive metrics over several values and visits over several sources', () => {
    expect(() => plan(req({ metrics: ['pageviews', 'time_on_page'], filters: [['is', 'event:page', ['/a', '/b']]] }), SITE, range)).not.toThrow()
    expect(() => plan(req({ metrics: ['visits', 'bounce_rate'], filters: [['is_not', 'visit:entry_page', ['/']]] }), SITE, range)).not.toThrow()
  })
})

describe('the sums a query reads', () => {
  const sums = (body: Record<string, unknown>) => sumsOf(plan(req(body), SITE, range))
  it('reads those behind its metrics, and pageviews, visits and events, which make a value a row', () => {
    expect(sums({ metrics: ['visitors'], dimensions: ['visit:country'] })).toEqual(['pageviews', 'visits', 'events'])
    expect(sums({ metrics: ['visitors', 'visits', 'bounce_rate'], dimensions: ['visit:source'] })).toEqual(['pageviews', 'visits', 'bounces', 'events'])
    // A page's bounce rate is that of the visits that entered on it.
    expect(sums({ metrics: ['bounce_rate'], dimensions: ['event:page'] })).toEqual(['pageviews', 'visits', 'bounces', 'events', 'entries'])
    expect(sums({ metrics: ['visitors', 'pageviews', 'time_on_page', 'scroll_depth'], dimensions: ['event:page'] })).toEqual([
      'pageviews',
      'visits',
      'events',
      'engaged_ms',
      'engaged_n',
      'scroll_sum',
      'scroll_n',
    ])
    expect(sums({ metrics: ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration', 'time_on_page'] })).toEqual([
      'pageviews',
      'visits',
      'bounces',
      'duration',
      'events',
      'engaged_ms',
      'engaged_n',
    ])
  })
})

describe('hours per value', () => {
  const day = (from: string, today: string) => ({ from, to: from, today })
  const hourly = (extra: Record<string, unknown>) => req({ metrics: ['visits'], date_range: 'day', ...extra })
  it('exist for today only: a closed day keeps one count per value, hours for the site total alone', () => {
    expect(() => plan(hourly({ dimensions: ['time:hour', 'visit:browser'] }), SITE, day('2026-11-22', '2026-11-22'))).not.toThrow()
    expect(() => plan(hourly({ dimensions: ['time:hour', 'visit:browser'] }), SITE, day('2026-11-21', '2026-11-22'))).toThrowError(/hours by visit:browser exist only for today/)
    expect(() => plan(hourly({ dimensions: ['time:hour'], filters: [['is', 'event:page', ['/']]] }), SITE, day('2026-11-21', '2026-11-22'))).toThrowError(/hours by event:page/)
    // `time` picks hours for a single day: the same rule.
    expect(() => plan(hourly({ dimensions: ['time', 'visit:os'] }), SITE, day('2026-11-21', '2026-11-22'))).toThrowError(PlanError)
    expect(() => plan(hourly({ dimensions: ['time:hour'] }), SITE, day('2026-11-21', '2026-11-22'))).not.toThrow()
    expect(() => plan(hourly({ dimensions: ['time:day', 'visit:os'] }), SITE, day('2026-11-21', '2026-11-22'))).not.toThrow()
  })
})
