-- The top pages of 30 days by visitors: the leading pages by visitors, then the counts of those pages alone.
-- Written by test/unit/stats/expected-sql.test.ts: UPDATE_EXPECTED_SQL=1 rewrites it.
-- POST /api/v2/query {"site_id":"example.lv","metrics":["visitors","pageviews","time_on_page","scroll_depth"],"date_range":"30d","dimensions":["event:page"],"pagination":{"limit":9,"offset":0}}
-- time zone Europe/Riga, now 2026-11-22T10:00:00Z: 2026-10-24 … 2026-11-22
-- visitors_daily months summed without FINAL: 2026-10-01; sketches read: yes

-- 1. uniquesQuery(plan, 'Europe/Riga', storage, 9)
-- params:
--   site: "example.lv"
--   dim: "event:page"
--   tz: "Europe/Riga"
--   from: 1792789200  -- 2026-10-23T21:00:00Z
--   to: 1795384800  -- 2026-11-22T22:00:00Z
--   fromDay: "2026-10-24"
--   toDay: "2026-11-22"
--   limit: 9
--   offset: 0
--   leading: 9
--   dirtyMonths: ["2026-11-01"]
--   v11_from: "2026-10-24"
--   v11_to: "2026-11-01"

    SELECT val, sum(n) AS n FROM (
      SELECT '' AS bucket, value AS val, visitors AS n
      FROM visitors_daily FINAL
      WHERE site = {site:String} AND dimension = {dim:String} AND day BETWEEN {fromDay:Date} AND {toDay:Date}
        AND toStartOfMonth(day) IN {dirtyMonths:Array(Date)} AND (1)
      UNION ALL
      SELECT '' AS bucket, value AS val, sum(visitors) AS n
      FROM visitors_daily
      WHERE site = {site:String} AND dimension = {dim:String} AND day >= {v11_from:Date} AND day < {v11_to:Date} AND (1)
      GROUP BY bucket, val
      UNION ALL
      SELECT '' AS bucket, value AS val, uniqMerge(visitors) AS n
      FROM visitor_sketches
      WHERE site = {site:String} AND dimension = {dim:String} AND day BETWEEN {fromDay:Date} AND {toDay:Date}
        AND day NOT IN (SELECT day FROM rolled_days) AND (1)
      GROUP BY day, bucket, val
    ) GROUP BY val
    HAVING n > 0
    ORDER BY n DESC, val ASC
    LIMIT {leading:UInt32}
    SETTINGS optimize_use_projections = 0;

-- 2. unionQuery(plan, 'Europe/Riga', storage, known: the first step's answer)
-- params:
--   site: "example.lv"
--   dim: "event:page"
--   tz: "Europe/Riga"
--   from: 1792789200  -- 2026-10-23T21:00:00Z
--   to: 1795384800  -- 2026-11-22T22:00:00Z
--   fromDay: "2026-10-24"
--   toDay: "2026-11-22"
--   limit: 9
--   offset: 0
--   known: ["/","/blog/","/pricing","/docs/","/blog/clickhouse-aggregates","/about","/docs/install","/contact","/blog/privacy"]
--   knownVisitors: [4210,1980,1204,987,640,512,433,310,296]
--   p0_from: 1792789200  -- 2026-10-23T21:00:00Z
--   p0_to: 1792800000  -- 2026-10-24T00:00:00Z
--   p1_from: "2026-10-24"
--   p1_to: "2026-10-26"
--   p2_from: "2026-10-26"
--   p2_to: "2026-11-16"
--   p3_from: "2026-11-16"
--   p3_to: "2026-11-22"
--   p4_from: 1795305600  -- 2026-11-22T00:00:00Z
--   p4_to: 1795384800  -- 2026-11-22T22:00:00Z

    SELECT bucket, val, sum(s_pageviews) AS c_pageviews, sum(s_visits) AS c_visits, sum(s_events) AS c_events, sum(s_engaged_ms) AS c_engaged_ms, sum(s_engaged_n) AS c_engaged_n, sum(s_scroll_sum) AS c_scroll_sum, sum(s_scroll_n) AS c_scroll_n, transform(val, {known:Array(String)}, {knownVisitors:Array(UInt64)}, toUInt64(0)) AS visitors, c_pageviews AS pageviews, if(c_engaged_n > 0, round(c_engaged_ms / c_engaged_n / 1000), NULL) AS time_on_page, if(c_scroll_n > 0, round(c_scroll_sum / c_scroll_n), NULL) AS scroll_depth
    FROM (
        SELECT '' AS bucket, value AS val, sum(pageviews) AS s_pageviews, sum(visits) AS s_visits, sum(events) AS s_events, sum(engaged_ms) AS s_engaged_ms, sum(engaged_n) AS s_engaged_n, sum(scroll_sum) AS s_scroll_sum, sum(scroll_n) AS s_scroll_n, toUInt64(0) AS n
        FROM counts_hourly
        WHERE site = {site:String} AND dimension = {dim:String} AND hour >= toDateTime({p0_from:UInt32}) AND hour < toDateTime({p0_to:UInt32}) AND ((1) AND value IN {known:Array(String)})
        GROUP BY bucket, val
        UNION ALL
        SELECT '' AS bucket, value AS val, sum(pageviews) AS s_pageviews, sum(visits) AS s_visits, sum(events) AS s_events, sum(engaged_ms) AS s_engaged_ms, sum(engaged_n) AS s_engaged_n, sum(scroll_sum) AS s_scroll_sum, sum(scroll_n) AS s_scroll_n, toUInt64(0) AS n
        FROM counts_hourly
        WHERE site = {site:String} AND dimension = {dim:String} AND toDate(hour) >= {p1_from:Date} AND toDate(hour) < {p1_to:Date} AND ((1) AND value IN {known:Array(String)})
        GROUP BY bucket, val
        UNION ALL
        SELECT '' AS bucket, value AS val, sum(pageviews) AS s_pageviews, sum(visits) AS s_visits, sum(events) AS s_events, sum(engaged_ms) AS s_engaged_ms, sum(engaged_n) AS s_engaged_n, sum(scroll_sum) AS s_scroll_sum, sum(scroll_n) AS s_scroll_n, toUInt64(0) AS n
        FROM counts_hourly
        WHERE site = {site:String} AND dimension = {dim:String} AND toMonday(hour) >= {p2_from:Date} AND toMonday(hour) < {p2_to:Date} AND ((1) AND value IN {known:Array(String)})
        GROUP BY bucket, val
        UNION ALL
        SELECT '' AS bucket, value AS val, sum(pageviews) AS s_pageviews, sum(visits) AS s_visits, sum(events) AS s_events, sum(engaged_ms) AS s_engaged_ms, sum(engaged_n) AS s_engaged_n, sum(scroll_sum) AS s_scroll_sum, sum(scroll_n) AS s_scroll_n, toUInt64(0) AS n
        FROM counts_hourly
        WHERE site = {site:String} AND dimension = {dim:String} AND toDate(hour) >= {p3_from:Date} AND toDate(hour) < {p3_to:Date} AND ((1) AND value IN {known:Array(String)})
        GROUP BY bucket, val
        UNION ALL
        SELECT '' AS bucket, value AS val, sum(pageviews) AS s_pageviews, sum(visits) AS s_visits, sum(events) AS s_events, sum(engaged_ms) AS s_engaged_ms, sum(engaged_n) AS s_engaged_n, sum(scroll_sum) AS s_scroll_sum, sum(scroll_n) AS s_scroll_n, toUInt64(0) AS n
        FROM counts_hourly
        WHERE site = {site:String} AND dimension = {dim:String} AND hour >= toDateTime({p4_from:UInt32}) AND hour < toDateTime({p4_to:UInt32}) AND ((1) AND value IN {known:Array(String)})
        GROUP BY bucket, val)
    GROUP BY bucket, val
    HAVING c_pageviews != 0 OR c_visits != 0 OR c_events != 0 OR c_engaged_ms != 0 OR c_engaged_n != 0 OR c_scroll_sum != 0 OR c_scroll_n != 0
    ORDER BY visitors DESC, val ASC
    LIMIT {limit:UInt32} OFFSET {offset:UInt32};
