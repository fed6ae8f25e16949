import { queryRows, type Db } from '../db/client.ts'
import { addDays, startOfDay } from '../time.ts'

export interface DayRow {
  day: string
  dimension: string
  value: string
  visitors: number
  visits: number
  pageviews: number
  bounces: number
  /** seconds, summed over visits */
  duration: number
}

/** The last day whose unique visitors are final integers (its sketches were rolled up). */
export async function lastClosedDay(db: Db): Promise<string | undefined> {
  const [row] = await queryRows<{ d: string }>(db, "SELECT toString(max(day)) AS d FROM rolled_days WHERE day > '1970-01-01'")
  return row?.d && row.d !== '1970-01-01' ? row.d : undefined
}

/** Daily counts of one site for some dimensions ('' = totals), from closed days only. */
export async function loadDays(db: Db, site: string, dimensions: string[], from: string, to: string, tz: string): Promise<DayRow[]> {
  const params = {
    site,
    dims: dimensions,
    tz,
    from,
    to,
    fromS: Math.floor(startOfDay(from, tz) / 1000),
    toS: Math.floor(startOfDay(addDays(to, 1), tz) / 1000),
  }
  const counts = await queryRows<Record<string, string | number>>(
    db,
    `SELECT toString(toDate(hour, {tz:String})) AS day, dimension, value,
            sum(visits) AS visits, sum(pageviews) AS pageviews, sum(bounces) AS bounces, sum(duration) AS duration
     FROM counts_hourly
     WHERE site = {site:String} AND dimension IN {dims:Array(String)}
       AND hour >= toDateTime({fromS:UInt32}) AND hour < toDateTime({toS:UInt32})
     GROUP BY day, dimension, value
     HAVING visits != 0 OR pageviews != 0`,
    params,
  )
  // Aliases never repeat a column's name: ClickHouse would read the alias in the WHERE.
  const visitors = await queryRows<{ d: string; dimension: string; value: string; visitors: number }>(
    db,
    `SELECT toString(day) AS d, dimension, value, visitors FROM visitors_daily FINAL
     WHERE site = {site:String} AND dimension IN {dims:Array(String)} AND day BETWEEN {from:Date} AND {to:Date}`,
    params,
  )
  const rows = new Map<string, DayRow>()
  const row = (day: string, dimension: string, value: string) => {
    const key = `${day}\u0000${dimension}\u0000${value}`
    let r = rows.get(key)
    if (!r) rows.set(key, (r = { day, dimension, value, visitors: 0, visits: 0, pageviews: 0, bounces: 0, duration: 0 }))
    return r
  }
  for (const c of counts) {
    const r = row(String(c.day), String(c.dimension), String(c.value))
    r.visits = Number(c.visits)
    r.pageviews = Number(c.pageviews)
    r.bounces = Number(c.bounces)
    r.duration = Number(c.duration)
  }
  for (const v of visitors) row(v.d, v.dimension, v.value).visitors = Number(v.visitors)
  return [...rows.values()]
}
