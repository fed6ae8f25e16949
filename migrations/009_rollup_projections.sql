-- Daily, weekly and monthly sums of counts_hourly (and weekly and monthly ones of
-- visitors_daily), kept by ClickHouse itself as projections: every insert, merge and mutation
-- (a site's rename or deletion, a relabel of its sections, the TTL) updates them with the rows
-- they sum, so nothing else has to know they exist. The Stats API reads whole months, weeks and
-- days from them and only the hours at a range's edges from the hourly rows
-- (server/stats/pieces.ts): a 30-day panel of a busy site reads about 6 rows a value instead of
-- 720, a 12-month one about 15 instead of 8,760.
-- A SummingMergeTree merge adds rows up; ClickHouse refuses projections on such tables unless
-- told what to do with them on merges: rebuild them from the merged part.
ALTER TABLE counts_hourly MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild';

ALTER TABLE counts_hourly ADD PROJECTION IF NOT EXISTS counts_daily
(
    SELECT site, dimension, toDate(hour), value,
        sum(pageviews), sum(visits), sum(bounces), sum(duration), sum(events), sum(entries), sum(exits),
        sum(engaged_ms), sum(engaged_n), sum(scroll_sum), sum(scroll_n)
    GROUP BY site, dimension, toDate(hour), value
);

ALTER TABLE counts_hourly ADD PROJECTION IF NOT EXISTS counts_weekly
(
    SELECT site, dimension, toMonday(hour), value,
        sum(pageviews), sum(visits), sum(bounces), sum(duration), sum(events), sum(entries), sum(exits),
        sum(engaged_ms), sum(engaged_n), sum(scroll_sum), sum(scroll_n)
    GROUP BY site, dimension, toMonday(hour), value
);

ALTER TABLE counts_hourly ADD PROJECTION IF NOT EXISTS counts_monthly
(
    SELECT site, dimension, toStartOfMonth(hour), value,
        sum(pageviews), sum(visits), sum(bounces), sum(duration), sum(events), sum(entries), sum(exits),
        sum(engaged_ms), sum(engaged_n), sum(scroll_sum), sum(scroll_n)
    GROUP BY site, dimension, toStartOfMonth(hour), value
);

-- Existing rows get them in the background; until a part has them, queries read its hours.
ALTER TABLE counts_hourly MATERIALIZE PROJECTION counts_daily;

ALTER TABLE counts_hourly MATERIALIZE PROJECTION counts_weekly;

ALTER TABLE counts_hourly MATERIALIZE PROJECTION counts_monthly;

-- Weekly and monthly sums of daily unique visitors. visitors_daily is a ReplacingMergeTree
-- (a day rolled up twice is stored twice until a merge): the Stats API reads these only for
-- months whose parts hold each key once, and the rows themselves with FINAL for the others.
ALTER TABLE visitors_daily MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild';

ALTER TABLE visitors_daily ADD PROJECTION IF NOT EXISTS visitors_weekly
(
    SELECT site, dimension, toMonday(day), value, sum(visitors)
    GROUP BY site, dimension, toMonday(day), value
);

ALTER TABLE visitors_daily ADD PROJECTION IF NOT EXISTS visitors_monthly
(
    SELECT site, dimension, toStartOfMonth(day), value, sum(visitors)
    GROUP BY site, dimension, toStartOfMonth(day), value
);

ALTER TABLE visitors_daily MATERIALIZE PROJECTION visitors_weekly;

ALTER TABLE visitors_daily MATERIALIZE PROJECTION visitors_monthly;
