-- One-dimension counts: (site, dimension, hour, value) -> sums. No row ever holds two
-- dimensions, so no cross-tabulation can be read back. dimension '' is the site total.
CREATE TABLE IF NOT EXISTS counts_hourly
(
    site       LowCardinality(String),
    dimension  LowCardinality(String),
    hour       DateTime('UTC'),
    value      String,
    pageviews  Int64,
    visits     Int64,
    bounces    Int64,
    duration   Int64,
    events     Int64,
    entries    Int64,
    exits      Int64,
    engaged_ms Int64,
    engaged_n  Int64,
    scroll_sum Int64,
    scroll_n   Int64
)
ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (site, dimension, hour, value)
TTL hour + INTERVAL 25 MONTH;

CREATE MATERIALIZED VIEW IF NOT EXISTS counts_hourly_mv TO counts_hourly AS
SELECT
    site,
    cells.dimension AS dimension,
    toStartOfHour(ts) AS hour,
    cells.value AS value,
    sum(cells.pageviews) AS pageviews,
    sum(cells.visits) AS visits,
    sum(cells.bounces) AS bounces,
    sum(cells.duration) AS duration,
    sum(cells.events) AS events,
    sum(cells.entries) AS entries,
    sum(cells.exits) AS exits,
    sum(cells.engaged_ms) AS engaged_ms,
    sum(cells.engaged_n) AS engaged_n,
    sum(cells.scroll_sum) AS scroll_sum,
    sum(cells.scroll_n) AS scroll_n
FROM events_in
ARRAY JOIN cells
GROUP BY site, dimension, hour, value;
