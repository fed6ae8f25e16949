-- The ISPs of 12 months: whole months, weeks and days from their sums, the hours at the edges.
-- Written by test/unit/stats/expected-sql.test.ts: UPDATE_EXPECTED_SQL=1 rewrites it.
-- POST /api/v2/query {"site_id":"example.lv","metrics":["visitors","visits","visit_duration"],"date_range":"12mo","dimensions":["visit:isp"],"pagination":{"limit":9,"offset":0}}
-- time zone Europe/Riga, now 2026-11-22T10:00:00Z: 2025-12-01 … 2026-11-22
-- visitors_daily months summed without FINAL: 2025-12-01, 2026-01-01, 2026-02-01, 2026-03-01, 2026-04-01, 2026-05-01, 2026-06-01, 2026-07-01, 2026-08-01, 2026-09-01, 2026-10-01; sketches read: yes

-- unionQuery(plan, 'Europe/Riga', storage)
-- params:
--   site: "example.lv"
--   dim: "visit:isp"
--   tz: "Europe/Riga"
--   from: 1764540000  -- 2025-11-30T22:00:00Z
--   to: 1795384800  -- 2026-11-22T22:00:00Z
--   fromDay: "2025-12-01"
--   toDay: "2026-11-22"
--   limit: 9
--   offset: 0
--   p0_from: 1764540000  -- 2025-11-30T22:00:00Z
--   p0_to: 1764547200  -- 2025-12-01T00:00:00Z
--   p1_from: "2025-12-01"
--   p1_to: "2026-11-01"
--   p2_from: "2026-11-01"
--   p2_to: "2026-11-02"
--   p3_from: "2026-11-02"
--   p3_to: "2026-11-16"
--   p4_from: "2026-11-16"
--   p4_to: "2026-11-22"
--   p5_from: 1795305600  -- 2026-11-22T00:00:00Z
--   p5_to: 1795384800  -- 2026-11-22T22:00:00Z
--   dirtyMonths: ["2026-11-01"]
--   v22_from: "2025-12-01"
--   v22_to: "2026-11-01"

    SELECT bucket, val, sum(s_pageviews) AS c_pageviews, sum(s_visits) AS c_visits, sum(s_duration) AS c_duration, sum(s_events) AS c_events, sum(n) AS visitors, c_visits AS visits, if(c_visits > 0, round(c_duration / c_visits), 0) AS visit_duration
    FROM (
        SELECT '' AS bucket, value AS val, sum(pageviews) AS s_pageviews, sum(visits) AS s_visits, sum(duration) AS s_duration, sum(events) AS s_events, toUInt64(0) AS n
        FROM counts_hourly
        WHERE site = {site:String} AND dimension = {dim:String} AND hour >= toDateTime({p0_from:UInt32}) AND hour < toDateTime({p0_to:UInt32}) AND (1)
        GROUP BY bucket, val
        UNION ALL
        SELECT '' AS bucket, value AS val, sum(pageviews) AS s_pageviews, sum(visits) AS s_visits, sum(duration) AS s_duration, sum(events) AS s_events, toUInt64(0) AS n
        FROM counts_hourly
        WHERE site = {site:String} AND dimension = {dim:String} AND toStartOfMonth(hour) >= {p1_from:Date} AND toStartOfMonth(hour) < {p1_to:Date} AND (1)
        GROUP BY bucket, val
        UNION ALL
        SELECT '' AS bucket, value AS val, sum(pageviews) AS s_pageviews, sum(visits) AS s_visits, sum(duration) AS s_duration, sum(events) AS s_events, toUInt64(0) AS n
        FROM counts_hourly
        WHERE site = {site:String} AND dimension = {dim:String} AND toDate(hour) >= {p2_from:Date} AND toDate(hour) < {p2_to:Date} AND (1)
        GROUP BY bucket, val
        UNION ALL
        SELECT '' AS bucket, value AS val, sum(pageviews) AS s_pageviews, sum(visits) AS s_visits, sum(duration) AS s_duration, sum(events) AS s_events, toUInt64(0) AS n
        FROM counts_hourly
        WHERE site = {site:String} AND dimension = {dim:String} AND toMonday(hour) >= {p3_from:Date} AND toMonday(hour) < {p3_to:Date} AND (1)
        GROUP BY bucket, val
        UNION ALL
        SELECT '' AS bucket, value AS val, sum(pageviews) AS s_pageviews, sum(visits) AS s_visits, sum(duration) AS s_duration, sum(events) AS s_events, toUInt64(0) AS n
        FROM counts_hourly
        WHERE site = {site:String} AND dimension = {dim:String} AND toDate(hour) >= {p4_from:Date} AND toDate(hour) < {p4_to:Date} AND (1)
        GROUP BY bucket, val
        UNION ALL
        SELECT '' AS bucket, value AS val, sum(pageviews) AS s_pageviews, sum(visits) AS s_visits, sum(duration) AS s_duration, sum(events) AS s_events, toUInt64(0) AS n
        FROM counts_hourly
        WHERE site = {site:String} AND dimension = {dim:String} AND hour >= toDateTime({p5_from:UInt32}) AND hour < toDateTime({p5_to:UInt32}) AND (1)
        GROUP BY bucket, val
        UNION ALL
      SELECT '' AS bucket, value AS val, 0 AS s_pageviews, 0 AS s_visits, 0 AS s_duration, 0 AS s_events, visitors AS n
      FROM visitors_daily FINAL
      WHERE site = {site:String} AND dimension = {dim:String} AND day BETWEEN {fromDay:Date} AND {toDay:Date}
        AND toStartOfMonth(day) IN {dirtyMonths:Array(Date)} AND (1)
        UNION ALL
      SELECT '' AS bucket, value AS val, 0 AS s_pageviews, 0 AS s_visits, 0 AS s_duration, 0 AS s_events, sum(visitors) AS n
      FROM visitors_daily
      WHERE site = {site:String} AND dimension = {dim:String} AND toStartOfMonth(day) >= {v22_from:Date} AND toStartOfMonth(day) < {v22_to:Date} AND (1)
      GROUP BY bucket, val
        UNION ALL
      SELECT '' AS bucket, value AS val, 0 AS s_pageviews, 0 AS s_visits, 0 AS s_duration, 0 AS s_events, uniqMerge(visitors) AS n
      FROM visitor_sketches
      WHERE site = {site:String} AND dimension = {dim:String} AND day BETWEEN {fromDay:Date} AND {toDay:Date}
        AND day NOT IN (SELECT day FROM rolled_days) AND (1)
      GROUP BY day, bucket, val)
    GROUP BY bucket, val
    HAVING c_pageviews != 0 OR c_visits != 0 OR c_duration != 0 OR c_events != 0
    ORDER BY visitors DESC, val ASC
    LIMIT {limit:UInt32} OFFSET {offset:UInt32};
