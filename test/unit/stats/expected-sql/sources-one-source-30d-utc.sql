-- The sources list of 30 days filtered to one source, on an instance that reports in UTC.
-- Written by test/unit/stats/expected-sql.test.ts: UPDATE_EXPECTED_SQL=1 rewrites it.
-- POST /api/v2/query {"site_id":"example.lv","metrics":["visitors","visits","bounce_rate"],"date_range":"30d","dimensions":["visit:source"],"filters":[["is","visit:source",["Google"]]],"pagination":{"limit":9,"offset":0}}
-- time zone UTC, now 2026-11-22T10:00:00Z: 2026-10-24 … 2026-11-22
-- visitors_daily months summed without FINAL: 2026-10-01; sketches read: yes

-- unionQuery(plan, 'UTC', storage)
-- params:
--   site: "example.lv"
--   dim: "visit:source"
--   tz: "UTC"
--   from: 1792800000  -- 2026-10-24T00:00:00Z
--   to: 1795392000  -- 2026-11-23T00:00:00Z
--   fromDay: "2026-10-24"
--   toDay: "2026-11-22"
--   limit: 9
--   offset: 0
--   f9: ["Google"]
--   p0_from: "2026-10-24"
--   p0_to: "2026-11-23"
--   dirtyMonths: ["2026-11-01"]
--   v13_from: "2026-10-24"
--   v13_to: "2026-11-01"

    SELECT bucket, val, sum(s_pageviews) AS c_pageviews, sum(s_visits) AS c_visits, sum(s_bounces) AS c_bounces, sum(s_events) AS c_events, sum(n) AS visitors, c_visits AS visits, if(c_visits > 0, round(100 * c_bounces / c_visits), 0) AS bounce_rate
    FROM (
        SELECT '' AS bucket, value AS val, sum(pageviews) AS s_pageviews, sum(visits) AS s_visits, sum(bounces) AS s_bounces, sum(events) AS s_events, toUInt64(0) AS n
        FROM counts_hourly
        WHERE site = {site:String} AND dimension = {dim:String} AND toDate(hour) >= {p0_from:Date} AND toDate(hour) < {p0_to:Date} AND (value IN {f9:Array(String)})
        GROUP BY bucket, val
        UNION ALL
      SELECT '' AS bucket, value AS val, 0 AS s_pageviews, 0 AS s_visits, 0 AS s_bounces, 0 AS s_events, visitors AS n
      FROM visitors_daily FINAL
      WHERE site = {site:String} AND dimension = {dim:String} AND day BETWEEN {fromDay:Date} AND {toDay:Date}
        AND toStartOfMonth(day) IN {dirtyMonths:Array(Date)} AND (value IN {f9:Array(String)})
        UNION ALL
      SELECT '' AS bucket, value AS val, 0 AS s_pageviews, 0 AS s_visits, 0 AS s_bounces, 0 AS s_events, sum(visitors) AS n
      FROM visitors_daily
      WHERE site = {site:String} AND dimension = {dim:String} AND day >= {v13_from:Date} AND day < {v13_to:Date} AND (value IN {f9:Array(String)})
      GROUP BY bucket, val
        UNION ALL
      SELECT '' AS bucket, value AS val, 0 AS s_pageviews, 0 AS s_visits, 0 AS s_bounces, 0 AS s_events, uniqMerge(visitors) AS n
      FROM visitor_sketches
      WHERE site = {site:String} AND dimension = {dim:String} AND day BETWEEN {fromDay:Date} AND {toDay:Date}
        AND day NOT IN (SELECT day FROM rolled_days) AND (value IN {f9:Array(String)})
      GROUP BY day, bucket, val)
    GROUP BY bucket, val
    HAVING c_pageviews != 0 OR c_visits != 0 OR c_bounces != 0 OR c_events != 0
    ORDER BY visitors DESC, val ASC
    LIMIT {limit:UInt32} OFFSET {offset:UInt32};
