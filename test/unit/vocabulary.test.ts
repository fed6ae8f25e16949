// The vocabulary (server/vocabulary/) is the one list of dimensions and metrics: what the
// planner accepts, what the SQL reads, what enrichment writes and what the dashboard labels
// all come from it.
import { describe, expect, it } from 'vitest'
import { Enricher } from '../../server/enrich/enricher.ts'
import { ClientAddress } from '../../server/privacy/client-address.ts'
import { plan, PlanError } from '../../server/stats/plan.ts'
import { queryRequest } from '../../server/stats/request.ts'
import { metricSql } from '../../server/stats/metric-sql.ts'
import { DIMENSIONS, dimension, EXPORTABLE, type DimensionName } from '../../server/vocabulary/dimensions.ts'
import { METRIC_DEFS, METRICS, metricsOf, metricUnavailable, nonAdditive, SUMS } from '../../server/vocabulary/metrics.ts'

const SITE = { domain: 'example.lv', settings: { sections: [], sectionsSince: undefined } }
const RANGE = { from: '2026-01-01', to: '2026-01-31', today: undefined } as never
const names = Object.keys(DIMENSIONS) as DimensionName[]

function planFor(metrics: string[], dimensions: string[]) {
  return plan(queryRequest.parse({ site_id: SITE.domain, metrics, date_range: ['2026-01-01', '2026-01-31'], dimensions }), SITE as never, RANGE)
}

describe('vocabulary', () => {
  it('the planner accepts every dimension, and exactly the metrics its kind has', () => {
    for (const d of names) {
      const kind = DIMENSIONS[d].kind
      for (const m of METRICS) {
        const ok = metricUnavailable(m, d, { from: '2026-01-01' }) === undefined
        if (ok) expect(planFor([m], [d]).kind).toBe(kind)
        else expect(() => planFor([m], [d]), `${m} by ${d}`).toThrow(PlanError)
      }
    }
    expect(() => planFor(['visits'], ['visit:nonsense'])).toThrow('unknown dimension "visit:nonsense"')
    expect(planFor(['events'], ['event:props:plan']).kind).toBe('event')
    expect(dimension('event:props:')).toBeUndefined()
    expect(dimension(`event:props:a\u0085b`)).toBeUndefined()
  })

  it('metrics per kind, and which cannot be summed over values, as the Plausible-compatible API has always answered', () => {
    expect(metricsOf('total')).toEqual(['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration', 'time_on_page', 'scroll_depth', 'events'])
    expect(metricsOf('page')).toEqual(['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'time_on_page', 'scroll_depth', 'events'])
    expect(metricsOf('event')).toEqual(['visitors', 'events'])
    expect(metricsOf('visit')).toEqual(['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration', 'events'])
    expect(nonAdditive('visit')).toEqual(['visitors'])
    expect(nonAdditive('page')).toEqual(['visitors', 'visits', 'views_per_visit'])
    expect(metricUnavailable('visitors', 'visit:exit_page', { from: '2026-01-01' })).toBe('visitors')
    expect(metricUnavailable('visits', 'event:section', { from: '2026-01-01', sectionsSince: '2026-01-10' })).toBe('sections')
    expect(metricUnavailable('pageviews', 'event:section', { from: '2026-01-01', sectionsSince: '2026-01-10' })).toBeUndefined()
  })

  it('each metric is worked out from its sums as defined', () => {
    const sources = { visitors: 'uniques.visitors', count: (c: string) => `c.${c}` }
    const sql = (m: (typeof METRICS)[number], dim: string) => metricSql(m, planFor([m === 'visitors' ? 'visitors' : m], dim ? [dim] : []), sources as never)
    expect(sql('visitors', '')).toBe('uniques.visitors')
    expect(sql('pageviews', '')).toBe('c.pageviews')
    expect(sql('views_per_visit', '')).toBe('if(c.visits > 0, round(c.pageviews / c.visits, 2), 0)')
    expect(sql('bounce_rate', 'visit:source')).toBe('if(c.visits > 0, round(100 * c.bounces / c.visits), 0)')
    expect(sql('bounce_rate', 'event:page')).toBe('if(c.entries > 0, round(100 * c.bounces / c.entries), 0)')
    expect(sql('visit_duration', '')).toBe('if(c.visits > 0, round(c.duration / c.visits), 0)')
    expect(sql('time_on_page', '')).toBe('if(c.engaged_n > 0, round(c.engaged_ms / c.engaged_n / 1000), NULL)')
    expect(sql('scroll_depth', '')).toBe('if(c.scroll_n > 0, round(c.scroll_sum / c.scroll_n), NULL)')
    for (const m of METRICS) {
      const how = METRIC_DEFS[m].combine
      const read = 'sum' in how ? [how.sum] : 'ratio' in how ? how.ratio : []
      for (const s of read) expect(SUMS).toContain(s)
    }
  })

  it('enrichment writes only visit dimensions of the vocabulary, each from its named source', () => {
    const enricher = new Enricher({ country: () => 'LV' } as never, undefined)
    const ua = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'
    const { dims } = enricher.visitDimensions(
      { url: new URL('https://example.lv/?utm_source=news&utm_medium=email&utm_campaign=dec&utm_content=a&utm_term=b'), referrer: 'https://www.google.com/', screenWidth: 1400 },
      { address: ClientAddress.fromPeer('203.0.113.9'), userAgent: ua, header: () => undefined } as never,
      'example.lv',
    )
    expect(dims.length).toBeGreaterThan(10)
    for (const [name] of dims) {
      const d = dimension(name)
      expect(d?.kind, name).toBe('visit')
      expect(['referrer', 'user-agent', 'address'], name).toContain(d?.source)
    }
  })

  it('exportable dimensions are known, and each dimension has its labels in both languages', () => {
    for (const d of EXPORTABLE) expect(names).toContain(d)
    expect(EXPORTABLE).not.toContain('visit:exit_page')
    for (const d of names) {
      const { label, plural } = DIMENSIONS[d]
      for (const text of [label.en, label.lv, label.lvOf, plural.en, plural.lv]) expect(text.length, d).toBeGreaterThan(1)
    }
  })
})
