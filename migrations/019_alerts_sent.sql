-- When an alert was last sent per site and kind (server/reports/alerts.ts): an alert goes out at
-- most once per its period, across restarts and across the ingest nodes of a cluster (a node
-- reads the others' sends here before sending). Nothing about visitors: a site, a kind, a time.
CREATE TABLE IF NOT EXISTS alerts_sent
(
    site    LowCardinality(String),
    kind    LowCardinality(String),
    sent_at DateTime('UTC')
)
ENGINE = MergeTree
ORDER BY (kind, site, sent_at) -- not by site first: every node reads all of it (cluster-ddl: replicated, not sharded)
TTL sent_at + INTERVAL 90 DAY;
