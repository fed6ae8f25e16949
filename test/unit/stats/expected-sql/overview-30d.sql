-- The dashboard's 30-day overview: the site total by day, with the top metrics.
-- Written by test/unit/stats/expected-sql.test.ts: UPDATE_EXPECTED_SQL=1 rewrites it.
-- POST /api/v2/query {"site_id":"example.lv","metrics":["visitors","visits","pageviews","views_per_visit","bounce_rate","visit_duration","time_on_page"],"date_range":"30d","dimensions":["time:day"],"include":{"time_labels":true}}
-- time zone Europe/Riga, now 2026-11-22T10:00:00Z: 2026-10-24 … 2026-11-22
-- visitors_daily months summed without FINAL: 2026-10-01; sketches read: yes

-- unionQuery(plan, 'Europe/Riga', storage)
-- params:
--   site: "example.lv"
--   dim: ""
--   tz: "Europe/Riga"
--   from: 1792789200  -- 2026-10-23T21:00:00Z
--   to: 1795384800  -- 2026-11-22T22:00:00Z
--   fromDay: "2026-10-24"
--   toDay: "2026-11-22"
--   limit: 10000
--   offset: 0
--   p0_from: 1792789200  -- 2026-10-23T21:00:00Z
--   p0_to: 1795384800  -- 2026-11-22T22:00:00Z
--   dirtyMonths: ["2026-11-01"]
--   v12_from: "2026-10-24"
--   v12_to: "2026-11-01"

    SELECT bucket, val, sum(s_pageviews) AS c_pageviews, sum(s_visits) AS c_visits, sum(s_bounces) AS c_bounces, sum(s_duration) AS c_duration, sum(s_events) AS c_events, sum(s_engaged_ms) AS c_engaged_ms, sum(s_engaged_n) AS c_engaged_n, sum(n) AS visitors, c_visits AS visits, c_pageviews AS pageviews, if(c_visits > 0, round(c_pageviews / c_visits, 2), 0) AS views_per_visit, if(c_visits > 0, round(100 * c_bounces / c_visits), 0) AS bounce_rate, if(c_visits > 0, round(c_duration / c_visits), 0) AS visit_duration, if(c_engaged_n > 0, round(c_engaged_ms / c_engaged_n / 1000), NULL) AS time_on_page
    FROM (
        SELECT toString(toDate(hour, {tz:String})) AS bucket, '' AS val, sum(pageviews) AS s_pageviews, sum(visits) AS s_visits, sum(bounces) AS s_bounces, sum(duration) AS s_duration, sum(events) AS s_events, sum(engaged_ms) AS s_engaged_ms, sum(engaged_n) AS s_engaged_n, toUInt64(0) AS n
        FROM counts_hourly
        WHERE site = {site:String} AND dimension = {dim:String} AND hour >= toDateTime({p0_from:UInt32}) AND hour < toDateTime({p0_to:UInt32}) AND (1)
        GROUP BY bucket, val
        UNION ALL
      SELECT toString(day) AS bucket, '' AS val, 0 AS s_pageviews, 0 AS s_visits, 0 AS s_bounces, 0 AS s_duration, 0 AS s_events, 0 AS s_engaged_ms, 0 AS s_engaged_n, visitors AS n
      FROM visitors_daily FINAL
      WHERE site = {site:String} AND dimension = {dim:String} AND day BETWEEN {fromDay:Date} AND {toDay:Date}
        AND toStartOfMonth(day) IN {dirtyMonths:Array(Date)} AND (1)
        UNION ALL
      SELECT toString(day) AS bucket, '' AS val, 0 AS s_pageviews, 0 AS s_visits, 0 AS s_bounces, 0 AS s_duration, 0 AS s_events, 0 AS s_engaged_ms, 0 AS s_engaged_n, sum(visitors) AS n
      FROM visitors_daily
      WHERE site = {site:String} AND dimension = {dim:String} AND day >= {v12_from:Date} AND day < {v12_to:Date} AND (1)
      GROUP BY bucket, val
        UNION ALL
      SELECT toString(day) AS bucket, '' AS val, 0 AS s_pageviews, 0 AS s_visits, 0 AS s_bounces, 0 AS s_duration, 0 AS s_events, 0 AS s_engaged_ms, 0 AS s_engaged_n, uniqMerge(visitors) AS n
      FROM visitor_sketches
      WHERE site = {site:String} AND dimension = {dim:String} AND day BETWEEN {fromDay:Date} AND {toDay:Date}
        AND day NOT IN (SELECT day FROM rolled_days) AND (1)
      GROUP BY day, bucket, val)
    GROUP BY bucket, val
    HAVING c_pageviews != 0 OR c_visits != 0 OR c_bounces != 0 OR c_duration != 0 OR c_events != 0 OR c_engaged_ms != 0 OR c_engaged_n != 0
    ORDER BY bucket ASC
    LIMIT {limit:UInt32} OFFSET {offset:UInt32}
    SETTINGS optimize_use_projections = 0;
