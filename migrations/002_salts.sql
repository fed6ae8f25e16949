-- One random 32-byte salt per day (instance time zone). Destroyed by Skaits within 48 h of
-- its day's start (see server/privacy/salts.ts); the TTL is a backstop if Skaits is down.
CREATE TABLE IF NOT EXISTS salts
(
    day  Date,
    salt String
)
ENGINE = ReplacingMergeTree
ORDER BY day
TTL day + INTERVAL 2 DAY
SETTINGS old_parts_lifetime = 1;
