import type { Db } from '../../server/db/client.ts'
import { addDays, dayOf } from '../../server/time.ts'

/** The sums of counts_hourly (migration 004). */
export const SUMS = ['pageviews', 'visits', 'bounces', 'duration', 'events', 'entries', 'exits', 'engaged_ms', 'engaged_n', 'scroll_sum', 'scroll_n']
const COLUMNS = `(site, dimension, hour, value, ${SUMS.join(', ')})`

/**
 * `days` days of hourly rows, up to today's midnight (UTC) by the clock, for `pages` pages in
 * 10 sections (`/s3/p13` is in `s3`: their first path segment, as a site without rules has
 * them), the site total, and daily visitors of the site, of its sections and of its pages.
 */
export async function seedSectionHistory(db: Db, site: string, days: number, pages: number): Promise<void> {
  const p = { site, from: addDays(dayOf(Date.now(), 'UTC'), -days), days, pages }
  await db.command({
    query: `INSERT INTO counts_hourly ${COLUMNS}
      SELECT {site:String}, 'event:page', h, page, pv, intDiv(pv, 2), intDiv(pv, 3), pv * 7, pv, intDiv(pv, 2), intDiv(pv, 2), pv * 900, pv, pv * 40, pv
      FROM (SELECT toDateTime({from:Date}) + intDiv(number, {pages:UInt32}) * 3600 AS h,
                   concat('/s', toString(number % 10), '/p', toString(number % {pages:UInt32})) AS page,
                   toInt64(1 + cityHash64(number) % 5) AS pv
            FROM numbers({days:UInt32} * 24 * {pages:UInt32}))`,
    query_params: p,
  })
  for (const [dimension, value] of [['event:section', "splitByChar('/', value)[2]"], ['', "''"]] as const) {
    await db.command({
      query: `INSERT INTO counts_hourly ${COLUMNS}
        SELECT {site:String}, '${dimension}', hour, ${value} AS v, ${SUMS.map((c) => `sum(${c})`).join(', ')}
        FROM counts_hourly WHERE site = {site:String} AND dimension = 'event:page' GROUP BY hour, v`,
      query_params: p,
    })
  }
  await db.command({
    query: `INSERT INTO visitors_daily (site, dimension, day, value, visitors)
      SELECT {site:String}, d.1, toDate({from:Date}) + n, d.2, 1 + cityHash64(n, d.2) % 40
      FROM (SELECT number AS n FROM numbers({days:UInt32}))
      ARRAY JOIN arrayConcat([('', '')], arrayMap(i -> ('event:section', concat('s', toString(i))), range(10)),
                             arrayMap(i -> ('event:page', concat('/s', toString(i % 10), '/p', toString(i))), range({pages:UInt32}))) AS d`,
    query_params: p,
  })
}
