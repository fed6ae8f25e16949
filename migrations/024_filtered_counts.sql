-- Events not counted, per site, day and reason (server/ingest/filtered.ts): a bot, Global Privacy
-- Control, a referrer on the spam list, an excluded address range or page, a host the site does
-- not allow, a rate-limited request. Numbers only: nothing about a visitor, an address or a page.
-- Rate-limited requests are refused before their body names a site and count under site ''.
CREATE TABLE IF NOT EXISTS filtered_counts
(
    site   LowCardinality(String),
    day    Date,                    -- the day in the instance time zone
    reason LowCardinality(String),
    events UInt64                   -- events not counted
)
ENGINE = SummingMergeTree(events)
ORDER BY (site, day, reason)
-- RETENTION_MONTHS (server/db/migrate.ts)
TTL day + INTERVAL 25 MONTH;
