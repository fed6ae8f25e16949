-- Partner shares: what a partner may download, under which anonymity rules. The noise key
-- makes differential-privacy noise stable per cell (a repeated download is identical).
CREATE TABLE IF NOT EXISTS partner_shares
(
    id          String,
    site        String,
    name        String,
    token_hash  String,
    dimensions  Array(String),
    finest      LowCardinality(String),   -- day | week | month
    coarsest    LowCardinality(String),
    k           UInt16,
    epsilon     String,                    -- '' when no noise is added, else an exact decimal
    budget      String,                    -- total epsilon the partner may spend
    noise_key   String,
    created_at  DateTime('UTC'),
    updated_at  DateTime64(3, 'UTC'),
    revoked     UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY id
TTL toDateTime(updated_at) + INTERVAL 30 DAY DELETE WHERE revoked = 1;

-- Which blocks of time a partner has received with noise, and the epsilon each cost.
-- Downloading the same blocks again costs nothing: their noise is the same.
CREATE TABLE IF NOT EXISTS partner_releases
(
    share_id   String,
    block      String,       -- granularity|first day|last day of a coarsest period
    epsilon    String,
    created_at DateTime('UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY (share_id, block)
TTL created_at + INTERVAL 25 MONTH;
