// The round trip: Skaits' partner export (Plausible's CSV layout) of one site, imported into
// another through the real server, answers the Stats API with the same numbers for every value
// exported. A server of its own, with a clock that moves from the traffic's day to the next.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addDays, dayOf } from '../../server/time.ts'
import { uploadImport } from '../helpers/imports.ts'
import { adminCall, browserUA, query, sendEvent, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'

const TODAY = dayOf(Date.now(), 'UTC')
const byValue = (rows: { metrics: number[]; dimensions: string[] }[]) => Object.fromEntries(rows.map((r) => [r.dimensions[0], r.metrics]))

describe('imports: the Skaits export round trip', () => {
  it("Skaits' partner export imports back into Skaits with the same numbers", async () => {
    // Another server whose clock says when: the traffic of day X, then the next day, X closed.
    const X = addDays(TODAY, -3)
    let now = Date.parse(`${X}T09:00:00Z`)
    const other: RunningSkaits = await startInProcess({ dataDir: tempDir(), clock: () => now, env: { TIMEZONE: 'UTC', SKAITS_SITES: 'a.lv,b.lv' } })
    try {
      const pages = ['/', '/blog', '/pricing']
      const refs = ['https://www.google.com/', 'https://news.ycombinator.com/', '']
      for (let v = 0; v < 30; v++) {
        const ip = `203.0.113.${v + 1}`
        const ua = browserUA(v)
        now += 60_000
        const ref = refs[v % 3]!
        await sendEvent(other.url, { n: 'pageview', u: `https://a.lv${pages[v % 3]}`, d: 'a.lv', r: ref || undefined }, { ip, ua })
        if (v % 2 === 0) {
          now += 30_000
          await sendEvent(other.url, { n: 'pageview', u: `https://a.lv${pages[(v + 1) % 3]}`, d: 'a.lv' }, { ip, ua })
        }
      }
      await other.skaits.buffer.flush()
      now = Date.parse(`${addDays(X, 1)}T09:00:00Z`)
      expect((await other.skaits.maintenance.run()).rolledUp).toContain(X)
      const dims = ['visit:source', 'event:page', 'visit:entry_page', 'visit:browser', 'visit:os', 'visit:device', 'event:section', 'visit:channel']
      const share = await adminCall(other.url, 'POST', '/api/partners', { site: 'a.lv', dimensions: dims, finest: 'day', coarsest: 'day', k: 5 })
      expect(share.status, JSON.stringify(share.json)).toBe(201)
      const res = await fetch(`${other.url}/export/${share.json.token}?from=${X}&to=${X}&granularity=day&format=csv`)
      expect(res.status).toBe(200)
      const zip = new Uint8Array(await res.arrayBuffer())
      const up = await uploadImport(other.url, 'b.lv', zip, { source: 'plausible', file: 'a-export.zip' })
      expect(up.status, JSON.stringify(up.json)).toBe(201)
      const metrics = ['visitors', 'visits', 'pageviews', 'bounce_rate', 'visit_duration']
      const ask = async (site: string, dimension?: string) => {
        // A page's row has no visit metrics (bounce rate and duration are its visits')
        const asked = dimension === 'event:page' ? ['visitors', 'visits', 'pageviews'] : metrics
        const { json } = await query(other.url, { site_id: site, metrics: asked, date_range: [X, X], ...(dimension ? { dimensions: [dimension] } : {}) })
        expect(json.results, JSON.stringify(json)).toBeDefined()
        return byValue(json.results)
      }
      expect(await ask('b.lv')).toEqual(await ask('a.lv'))
      const checked: string[] = []
      for (const d of ['visit:source', 'event:page', 'visit:browser', 'visit:os', 'visit:device']) {
        const a = await ask('a.lv', d)
        // Values of fewer than k visitors are not exported: the rest come back exactly.
        const kept = Object.fromEntries(Object.entries(a).filter(([, m]) => (m as number[])[0]! >= 5))
        expect(Object.keys(kept).length, d).toBeGreaterThan(0)
        expect(await ask('b.lv', d), d).toEqual(kept)
        checked.push(d)
      }
      expect(checked).toHaveLength(5)
    } finally {
      await other.stop()
    }
  })

})
