-- A day's unique-visitor sketches are dropped by that day's rollup, never before it. Their
-- 48 h TTL raced the rollup: a server off from Friday evening to Monday morning started with
-- Friday's sketches already expired, and Friday's visitors were lost for ever (the counts
-- survived, the unique visitors did not). What keeps a sketch from being linked to an address
-- is the salt, still destroyed within 48 h of its day's start (server/privacy/salts.ts): once
-- it is gone, a stored hash cannot be recomputed from any address. The TTL left is the
-- retention every table has (applied from RETENTION_MONTHS at each start), a backstop for an
-- instance that never starts again.
ALTER TABLE visitor_sketches MODIFY TTL day + INTERVAL 25 MONTH;
