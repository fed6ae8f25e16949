-- Revenue of goals (server/goals/, docs/design.md "Goals"): every aggregate row gains two sums,
-- the amounts in the currency's minor units (cents for EUR) and how many amounts were added,
-- so the total and the average are sums and a ratio of sums like every other metric. They are
-- 0 on every row but a goal's, and compress to nearly nothing there (T64 + ZSTD).
ALTER TABLE cells_in
    ADD COLUMN IF NOT EXISTS revenue Int64 AFTER scroll_n,
    ADD COLUMN IF NOT EXISTS revenue_n Int64 AFTER revenue;

ALTER TABLE counts_hourly
    ADD COLUMN IF NOT EXISTS revenue Int64 CODEC(T64, ZSTD(1)) AFTER scroll_n,
    ADD COLUMN IF NOT EXISTS revenue_n Int64 CODEC(T64, ZSTD(1)) AFTER revenue;

-- The view that folds cells_in into counts_hourly names its columns: it is made again with the
-- new ones (nothing is written while migrations run).
DROP VIEW IF EXISTS counts_hourly_in_mv;

CREATE MATERIALIZED VIEW IF NOT EXISTS counts_hourly_in_mv TO counts_hourly AS
SELECT site, dimension, hour, value, pageviews, visits, bounces, duration, events, entries, exits,
    engaged_ms, engaged_n, scroll_sum, scroll_n, revenue, revenue_n
FROM cells_in;

-- The projections of migration 009 sum every column a query may ask: a query asking a sum a
-- projection lacks reads the hourly rows. A projection cannot be changed, only made again;
-- until a part has the new one, queries read its hours (correct, slower), as after 009.
ALTER TABLE counts_hourly DROP PROJECTION IF EXISTS counts_daily;

ALTER TABLE counts_hourly DROP PROJECTION IF EXISTS counts_weekly;

ALTER TABLE counts_hourly DROP PROJECTION IF EXISTS counts_monthly;

ALTER TABLE counts_hourly ADD PROJECTION IF NOT EXISTS counts_daily
(
    SELECT site, dimension, toDate(hour), value,
        sum(pageviews), sum(visits), sum(bounces), sum(duration), sum(events), sum(entries), sum(exits),
        sum(engaged_ms), sum(engaged_n), sum(scroll_sum), sum(scroll_n), sum(revenue), sum(revenue_n)
    GROUP BY site, dimension, toDate(hour), value
);

ALTER TABLE counts_hourly ADD PROJECTION IF NOT EXISTS counts_weekly
(
    SELECT site, dimension, toMonday(hour), value,
        sum(pageviews), sum(visits), sum(bounces), sum(duration), sum(events), sum(entries), sum(exits),
        sum(engaged_ms), sum(engaged_n), sum(scroll_sum), sum(scroll_n), sum(revenue), sum(revenue_n)
    GROUP BY site, dimension, toMonday(hour), value
);

ALTER TABLE counts_hourly ADD PROJECTION IF NOT EXISTS counts_monthly
(
    SELECT site, dimension, toStartOfMonth(hour), value,
        sum(pageviews), sum(visits), sum(bounces), sum(duration), sum(events), sum(entries), sum(exits),
        sum(engaged_ms), sum(engaged_n), sum(scroll_sum), sum(scroll_n), sum(revenue), sum(revenue_n)
    GROUP BY site, dimension, toStartOfMonth(hour), value
);

ALTER TABLE counts_hourly MATERIALIZE PROJECTION counts_daily;

ALTER TABLE counts_hourly MATERIALIZE PROJECTION counts_weekly;

ALTER TABLE counts_hourly MATERIALIZE PROJECTION counts_monthly;
