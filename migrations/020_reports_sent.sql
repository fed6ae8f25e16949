-- Reports sent (server/reports/scheduler.ts): one row when a node claims a report for a period,
-- one more when it went out. A report is sent once per subscription and period, across restarts
-- and ingest nodes: a node sends only when its claim is the first for that report. Nothing about
-- visitors: a subscription's id, a period, times.
CREATE TABLE IF NOT EXISTS reports_sent
(
    site         LowCardinality(String),
    subscription String,
    period       Date,
    node         String,
    state        LowCardinality(String), -- 'claimed', then 'sent' or 'failed'
    at           DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY (subscription, period, site, at) -- not by site first: every node reads the claims at once (cluster-ddl: replicated, not sharded)
TTL toDateTime(at) + INTERVAL 400 DAY;
