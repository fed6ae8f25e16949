-- Today by hour: the site total's chart.
-- Written by test/unit/stats/expected-sql.test.ts: UPDATE_EXPECTED_SQL=1 rewrites it.
-- POST /api/v2/query {"site_id":"example.lv","metrics":["visitors","visits","pageviews"],"date_range":"day","dimensions":["time:hour"],"include":{"time_labels":true}}
-- time zone Europe/Riga, now 2026-11-22T10:00:00Z: 2026-11-22 … 2026-11-22
-- visitors_daily months summed without FINAL: 2026-11-01; sketches read: yes

-- unionQuery(plan, 'Europe/Riga', storage)
-- params:
--   site: "example.lv"
--   dim: ""
--   tz: "Europe/Riga"
--   from: 1795298400  -- 2026-11-21T22:00:00Z
--   to: 1795384800  -- 2026-11-22T22:00:00Z
--   fromDay: "2026-11-22"
--   toDay: "2026-11-22"
--   limit: 10000
--   offset: 0
--   p0_from: 1795298400  -- 2026-11-21T22:00:00Z
--   p0_to: 1795384800  -- 2026-11-22T22:00:00Z

    SELECT bucket, val, sum(s_pageviews) AS c_pageviews, sum(s_visits) AS c_visits, sum(s_events) AS c_events, sum(n) AS visitors, c_visits AS visits, c_pageviews AS pageviews
    FROM (
        SELECT formatDateTime(toTimeZone(hour, {tz:String}), '%Y-%m-%d %H:00:00') AS bucket, '' AS val, sum(pageviews) AS s_pageviews, sum(visits) AS s_visits, sum(events) AS s_events, toUInt64(0) AS n
        FROM counts_hourly
        WHERE site = {site:String} AND dimension = {dim:String} AND hour >= toDateTime({p0_from:UInt32}) AND hour < toDateTime({p0_to:UInt32}) AND (1)
        GROUP BY bucket, val
        UNION ALL
      SELECT formatDateTime(toTimeZone(hour, {tz:String}), '%Y-%m-%d %H:00:00') AS bucket, '' AS val, 0 AS s_pageviews, 0 AS s_visits, 0 AS s_events, visitors AS n
      FROM visitors_hourly FINAL
      WHERE site = {site:String} AND dimension = {dim:String} AND hour >= toDateTime({from:UInt32}) AND hour < toDateTime({to:UInt32}) AND (1)
        UNION ALL
      SELECT formatDateTime(toTimeZone(hour, {tz:String}), '%Y-%m-%d %H:00:00') AS bucket, '' AS val, 0 AS s_pageviews, 0 AS s_visits, 0 AS s_events, uniqMerge(visitors) AS n
      FROM visitor_sketches
      WHERE site = {site:String} AND dimension = {dim:String} AND day BETWEEN {fromDay:Date} AND {toDay:Date} AND hour >= toDateTime({from:UInt32}) AND hour < toDateTime({to:UInt32})
        AND day NOT IN (SELECT day FROM rolled_days) AND (1)
      GROUP BY hour, bucket, val)
    GROUP BY bucket, val
    HAVING c_pageviews != 0 OR c_visits != 0 OR c_events != 0
    ORDER BY bucket ASC
    LIMIT {limit:UInt32} OFFSET {offset:UInt32}
    SETTINGS optimize_use_projections = 0;
