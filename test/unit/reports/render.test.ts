import { describe, expect, it } from 'vitest'
import { dayNumber, isoDate, weekday } from '../../../server/calendar.ts'
import { renderReport } from '../../../server/reports/render.ts'
import { reportPeriod, type ReportData } from '../../../server/reports/report.ts'
import { dayOf } from '../../../server/time.ts'
import { decodePng } from '../../helpers/png.ts'

const today = dayOf(Date.now(), 'Europe/Riga')

describe('report periods', () => {
  it('a week is the Monday to Sunday before the send day’s week, whatever day it is sent', () => {
    for (let back = 0; back < 7; back++) {
      const send = isoDate(dayNumber(today)! - back)
      const p = reportPeriod('week', send)
      expect(weekday(dayNumber(p.from)!)).toBe(0)
      expect(dayNumber(p.to)! - dayNumber(p.from)!).toBe(6)
      expect(p.to < send && dayNumber(send)! - dayNumber(p.to)! <= 7).toBe(true)
      expect(dayNumber(p.from)! - dayNumber(p.previous.from)!).toBe(7)
    }
  })

  it('a month is the calendar month before the send day’s, the one before it compared', () => {
    const p = reportPeriod('month', today)
    expect(p.from.slice(8)).toBe('01')
    expect(isoDate(dayNumber(p.to)! + 1)).toBe(`${today.slice(0, 7)}-01`)
    expect(isoDate(dayNumber(p.previous.to)! + 1)).toBe(p.from)
    expect(p.previous.from.slice(8)).toBe('01')
    expect(reportPeriod('month', '2025-03-15')).toEqual({ kind: 'month', from: '2025-02-01', to: '2025-02-28', previous: { from: '2025-01-01', to: '2025-01-31' } })
  })
})

describe('rendering', () => {
  const period = reportPeriod('week', today)
  const data: ReportData = {
    site: 'example.lv',
    period,
    totals: {
      visitors: { value: 12345, previous: 10000, change: 23 },
      visits: { value: 1500, previous: 0, change: null },
      pageviews: { value: 4000.5, previous: 3000, change: 33 },
      bounce_rate: { value: 41.5, previous: 45, change: -4 },
      visit_duration: { value: 95, previous: 90, change: 6 },
    },
    daily: Array.from({ length: 7 }, (_, i) => ({ day: isoDate(dayNumber(period.from)! + i), visitors: i * 10 })),
    pages: [{ value: '/<script>alert(1)</script>', visitors: 12 }],
    sources: [{ value: '', visitors: 3 }],
    countries: [{ value: 'LV', visitors: 9 }],
    goals: [{ name: 'Signup', visitors: 4, conversionRate: 33.3 }],
  }
  const links = { dashboard: 'https://stats.example.lv/?site=example.lv&a=1', unsubscribe: 'https://stats.example.lv/unsubscribe/x' }

  it('makes mail-client HTML: tables, inline styles, 600 px, no script, SVG or stylesheet; visitors’ strings escaped', () => {
    const r = renderReport(data, 'en', links)
    expect(r.html).toContain('max-width:600px')
    expect(r.html).not.toMatch(/<script|<svg|<style|<link/i)
    expect(r.html).toContain('/&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(r.html).toContain('src="cid:chart@skaits"')
    expect(r.html).toContain('href="https://stats.example.lv/?site=example.lv&amp;a=1"')
    expect(r.text).toContain('Visitors: 12,345 (+23% vs. previous period)')
    expect(r.text).toContain('Bounce rate: 41.5% (-4 pp vs. previous period)')
    expect(r.text).toContain('Visit duration: 1m 35s')
    expect(r.text).toContain('Latvia  9')
    expect(r.text).toContain('Signup  4  33.3%')
    expect(r.text).toContain(links.unsubscribe)
    expect(r.subject).toMatch(/^Weekly report: example\.lv, /)
    const png = decodePng(r.attachments[0]!.png)
    expect([png.width, png.height]).toEqual([1120, 240])
  })

  it('writes Latvian with Latvian number and date formats', () => {
    const r = renderReport(data, 'lv', links)
    expect(r.html).toContain('lang="lv"')
    expect(r.text).toContain('Apmeklētāji: 12\u00a0345 (+23% pret iepriekšējo periodu)')
    expect(r.text).toContain('Atteikumu līmenis: 41,5%')
    expect(r.text).toContain('Latvija  9')
    expect(r.subject).toMatch(/^Nedēļas pārskats: example\.lv, /)
    const month = renderReport({ ...data, period: reportPeriod('month', '2025-03-15') }, 'lv', links)
    expect(month.subject).toMatch(/^Mēneša pārskats: example\.lv, 2025\. g(ada|\.) februāris$/)
  })
})
