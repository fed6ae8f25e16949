-- Unique-visitor sketches exist only while their day's salt may: partitioned by day, dropped
-- by the daily rollup, and TTL'd at 48 h after the day's start as a backstop.
CREATE TABLE IF NOT EXISTS visitor_sketches
(
    site      LowCardinality(String),
    day       Date,
    hour      DateTime('UTC'),
    dimension LowCardinality(String),
    value     String,
    visitors  AggregateFunction(uniq, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY day
ORDER BY (site, dimension, hour, value)
TTL day + INTERVAL 2 DAY
SETTINGS ttl_only_drop_parts = 1, old_parts_lifetime = 60;

CREATE MATERIALIZED VIEW IF NOT EXISTS visitor_sketches_mv TO visitor_sketches AS
SELECT site, day, toStartOfHour(ts) AS hour, cells.dimension AS dimension, cells.value AS value,
    uniqState(visitor) AS visitors
FROM events_in
ARRAY JOIN cells
WHERE cells.uniq = 1
GROUP BY site, day, hour, dimension, value;

-- What outlives the salt: plain integers, written by the rollup when a day closes.
-- ReplacingMergeTree makes the rollup idempotent: running it twice writes the same rows.
CREATE TABLE IF NOT EXISTS visitors_daily
(
    site      LowCardinality(String),
    dimension LowCardinality(String),
    day       Date,
    value     String,
    visitors  UInt64
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (site, dimension, day, value)
TTL day + INTERVAL 25 MONTH;

CREATE TABLE IF NOT EXISTS visitors_hourly
(
    site      LowCardinality(String),
    dimension LowCardinality(String),
    hour      DateTime('UTC'),
    value     String,
    visitors  UInt64
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (site, dimension, hour, value)
TTL hour + INTERVAL 25 MONTH;

-- Days whose sketches have been turned into integers; queries read sketches only for others.
CREATE TABLE IF NOT EXISTS rolled_days
(
    day       Date,
    rolled_at DateTime('UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY day
TTL day + INTERVAL 25 MONTH;
