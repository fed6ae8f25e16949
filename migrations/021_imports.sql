-- Imports of a site's history (server/imports/): Plausible's CSV export, GoatCounter's CSV export,
-- web-server access logs. Nothing about a visitor is stored: an import's record holds its source,
-- file names, periods and counts of what was read; its rows are the same daily aggregates the
-- rollup leaves for a closed day, kept apart per import so that the import can be deleted with
-- everything it wrote and never counted twice.

-- One row per import, replaced as it goes (status, counts); `info` is JSON (imports/store.ts).
CREATE TABLE IF NOT EXISTS imports
(
    id         String,
    site       LowCardinality(String),
    status     LowCardinality(String), -- 'staging', 'writing', 'done', 'failed', 'deleting', 'deleted'
    info       String,
    updated_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (id) -- not by site first: small, and every node reads all of it (cluster-ddl: replicated)
-- RETENTION_MONTHS (server/db/migrate.ts): no row an import wrote lives longer than its record
TTL toDateTime(updated_at) + INTERVAL 25 MONTH;

-- What an import wrote (and, until it is written, what it will write): one row per day and
-- value of one dimension, with the day's unique visitors when the source knows them, the site
-- total also per hour when the source has hours (access logs, GoatCounter). The import's
-- counts in counts_hourly and visitors in visitors_daily / visitors_hourly are made from these
-- rows, and taken back from them when the import is deleted.
CREATE TABLE IF NOT EXISTS import_rows
(
    site       LowCardinality(String),
    import_id  String,
    file       UInt16,                 -- the number of the input file within the import
    day        Date,                   -- the day in the instance time zone
    hour       DateTime('UTC'),        -- the hour of the site total, other dimensions: the start of the day
    dimension  LowCardinality(String),
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
    scroll_n   Int64,
    revenue    Int64,
    revenue_n  Int64,
    visitors   UInt64,
    has_visitors UInt8                 -- 0: the source does not say (no visitors row is written)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (site, import_id, file, dimension, day, value)
TTL day + INTERVAL 25 MONTH;
