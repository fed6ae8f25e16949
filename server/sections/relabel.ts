import { queryRows, type Db } from '../db/client.ts'
import { storedTable } from '../db/cluster.ts'
import type { SectionOf } from './rules.ts'

const CHUNK = 1000

/**
 * Relabels the history of a site's sections after its rules changed, where the data allows
 * it: every complete hour before `cutoff` gets its section rows rebuilt from its page rows,
 * which carry every additive page metric (pageviews, events, entries, exits, bounces,
 * engaged time, scroll). Visits and unique visitors per section cannot be rebuilt from pages
 * (a visit or visitor seen on two pages of one section would count twice), so the old ones
 * are removed and the API refuses them for the relabeled days.
 */
export async function relabelSections(
  db: Db,
  site: string,
  sectionOf: SectionOf,
  cutoffS: number,
  firstNewDay: string,
  tz: string,
): Promise<{ pages: number }> {
  const p = { site, cutoff: cutoffS, day: firstNewDay, tz }
  const pages = (
    await queryRows<{ value: string }>(
      db,
      `SELECT DISTINCT value FROM counts_hourly
       WHERE site = {site:String} AND dimension = 'event:page' AND hour < toDateTime({cutoff:UInt32})`,
      p,
    )
  ).map((r) => r.value)
  const sync = { mutations_sync: '2' as const }
  const counts = await storedTable(db, 'counts_hourly')
  await db.command({
    query: `ALTER TABLE ${counts.target} DELETE
            WHERE site = {site:String} AND dimension = 'event:section' AND hour < toDateTime({cutoff:UInt32})`,
    query_params: p,
    clickhouse_settings: { ...counts.settings, ...sync },
  })
  for (let i = 0; i < pages.length; i += CHUNK) {
    const from = pages.slice(i, i + CHUNK)
    await db.command({
      query: `INSERT INTO counts_hourly
              (site, dimension, hour, value, pageviews, visits, bounces, duration, events, entries, exits,
               engaged_ms, engaged_n, scroll_sum, scroll_n)
              SELECT site, 'event:section', hour, transform(value, {from:Array(String)}, {to:Array(String)}, '') AS section,
                     sum(pageviews), 0, sum(bounces), 0, sum(events), sum(entries), sum(exits),
                     sum(engaged_ms), sum(engaged_n), sum(scroll_sum), sum(scroll_n)
              FROM counts_hourly
              WHERE site = {site:String} AND dimension = 'event:page' AND hour < toDateTime({cutoff:UInt32})
                AND value IN {from:Array(String)}
              GROUP BY site, hour, section`,
      query_params: { ...p, from, to: from.map(sectionOf) },
    })
  }
  for (const table of ['visitors_daily', 'visitors_hourly']) {
    const column = table === 'visitors_daily' ? 'day' : 'toDate(hour, {tz:String})'
    const stored = await storedTable(db, table)
    await db.command({
      // Table and column names come from the fixed list above.
      query: `ALTER TABLE ${stored.target} DELETE WHERE site = {site:String} AND dimension = 'event:section' AND ${column} < {day:Date}`,
      query_params: p,
      clickhouse_settings: { ...stored.settings, ...sync },
    })
  }
  return { pages: pages.length }
}
