import { describe, expect, it } from 'vitest'
import { estimateSeconds, Pacer, planRelabel, relabelSections } from '../../../server/sections/relabel.ts'
import { recordingDb } from '../db/recording-db.ts'

const HOUR = 3600
/** 2026-01-31 00:00 UTC: a month ends a day later. */
const JAN31 = Date.UTC(2026, 0, 31) / 1000

/** A site's hours with their rows, as planRelabel's first query answers them. */
function hoursDb(hours: { hour: number; rows: number }[], partitions: string[] = []) {
  return recordingDb((sql) => {
    if (sql.includes('count() AS rows FROM counts_hourly')) return hours.map((x) => ({ h: x.hour, rows: x.rows }))
    if (sql.includes('AS partition FROM visitors_daily')) return partitions.map((partition) => ({ partition }))
    if (sql.includes('SELECT DISTINCT value FROM counts_hourly')) return [{ value: '/a' }, { value: '/b' }]
    return []
  })
}

describe('planRelabel', () => {
  it('cuts the hours into spans of one month and at most 100,000 rows, a larger hour alone', async () => {
    const hours = [
      ...Array.from({ length: 48 }, (_, i) => ({ hour: JAN31 + i * HOUR, rows: 30_000 })),
      { hour: JAN31 + 60 * HOUR, rows: 250_000 },
      { hour: JAN31 + 61 * HOUR, rows: 5 },
    ]
    const { db } = hoursDb(hours, ['202601', 'x'])
    const plan = await planRelabel(db, 'example.lv', JAN31 + 100 * HOUR, '2026-02-04', 'UTC')
    const month = (s: number) => new Date(s * 1000).toISOString().slice(0, 7)
    for (const span of plan.spans) {
      expect(month(span.from)).toBe(month(span.to - HOUR))
      expect(span.rows <= 100_000 || span.to - span.from === HOUR).toBe(true)
    }
    // January's last day: 24 hours of 30,000 rows, three to a span; February's first in the same way.
    expect(plan.spans.map((s) => s.rows)).toEqual([...Array(16).fill(90_000), 250_000, 5])
    expect(plan.spans.slice(0, 8).map((s) => month(s.from))).toEqual(Array(8).fill('2026-01'))
    for (let i = 1; i < 16; i++) expect(plan.spans[i]!.from).toBe(plan.spans[i - 1]!.to)
    expect(plan.rows).toBe(48 * 30_000 + 250_005)
    expect(plan.visitorPartitions).toEqual([{ table: 'visitors_daily', partition: '202601' }])
    expect(estimateSeconds(plan)).toBeGreaterThanOrEqual(10)
  })

  it('plans nothing for a site without history, and says it takes a second', async () => {
    const plan = await planRelabel(hoursDb([]).db, 'example.lv', JAN31, '2026-02-01', 'UTC')
    expect(plan).toEqual({ spans: [], visitorPartitions: [], rows: 0 })
    expect(estimateSeconds(plan)).toBe(1)
  })
})

describe('relabelSections', () => {
  it('sends each span as one INSERT of its old sections negated and its pages relabeled, and reports each step', async () => {
    const { db, commands } = hoursDb([{ hour: JAN31, rows: 3 }, { hour: JAN31 + 30 * HOUR, rows: 4 }])
    const progress: unknown[] = []
    const { pages } = await relabelSections(db, 'example.lv', (p) => p.toUpperCase(), JAN31 + 40 * HOUR, '2026-02-03', 'UTC', {
      onProgress: (p) => progress.push(p),
    })
    expect(pages).toBe(2)
    expect(commands.map((c) => c.query_params)).toEqual([
      { site: 'example.lv', from: JAN31, to: JAN31 + HOUR, pages: ['/a', '/b'], sections: ['/A', '/B'] },
      { site: 'example.lv', from: JAN31 + 30 * HOUR, to: JAN31 + 31 * HOUR, pages: ['/a', '/b'], sections: ['/A', '/B'] },
    ])
    for (const c of commands) expect(c.query).toMatch(/^INSERT INTO counts_hourly [\s\S]*-pageviews AS pageviews[\s\S]*UNION ALL[\s\S]*transform\(value/)
    expect(progress.at(-1)).toEqual({ done: 2, total: 2, pages: 2 })
  })
})

describe('Pacer', () => {
  it('runs one statement at a time, each followed by a pause as long as it took', async () => {
    const pacer = new Pacer()
    const log: string[] = []
    const work = (name: string, ms: number) => async () => {
      log.push(`${name} at ${Math.round(performance.now() - t0)}`)
      await new Promise((r) => setTimeout(r, ms))
      return name
    }
    const t0 = performance.now()
    const answers = await Promise.all([pacer.run(work('a', 120)), pacer.run(work('b', 10)), pacer.run(work('c', 10))])
    expect(answers).toEqual(['a', 'b', 'c'])
    const at = log.map((l) => Number(l.split(' at ')[1]))
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(235) // a, then its pause as long
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(Pacer.MIN_PAUSE_MS + 5)
    await expect(pacer.run(() => Promise.reject(new Error('refused')))).rejects.toThrow('refused')
    expect(await pacer.run(async () => 'after')).toBe('after')
  })
})
