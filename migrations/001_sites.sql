-- Sites whose events are counted. Holds no visitor data; a removed site's row is kept as a
-- tombstone (deleted = 1) until the TTL clears it.
CREATE TABLE IF NOT EXISTS sites
(
    domain     String,
    created_at DateTime('UTC'),
    updated_at DateTime64(3, 'UTC'),
    deleted    UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY domain
TTL toDateTime(updated_at) + INTERVAL 30 DAY DELETE WHERE deleted = 1;
