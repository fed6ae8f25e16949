-- Two-factor login (server/auth/totp.ts). One row per owner who started or finished enrolling:
-- the TOTP secret only sealed (AES-256-GCM under a key derived from SALT_KEY_FILE, which lives
-- outside DATA_DIR), the recovery codes only as keyed hashes, and the last 30-second step a
-- code was accepted for, so that no code logs in twice. Versioned by updated_at like the
-- access tables, and every node reads the rows back. Nothing here is about visitors.
CREATE TABLE IF NOT EXISTS two_factor
(
    owner_id      String,
    secret_sealed String,
    enabled       UInt8,          -- 0: enrolment started, not confirmed with a code yet
    last_step     Int64,          -- the newest step a code was accepted for (0: none)
    recovery      Array(String),  -- hashes of the recovery codes not used yet
    created_at    DateTime('UTC'),
    updated_at    DateTime64(3, 'UTC'),
    deleted       UInt8 DEFAULT 0 -- turned off, or the owner removed
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY owner_id
TTL toDateTime(updated_at) + INTERVAL 30 DAY DELETE WHERE deleted = 1;

-- The owners' rule for everyone: whether every owner must use two-factor login. One row,
-- versioned, the newest wins. An old version merges away, the newest is kept.
CREATE TABLE IF NOT EXISTS two_factor_policy
(
    id         String,        -- always 'policy'
    required   UInt8,
    set_by     String,        -- an owner's id, 'admin' or 'cli'
    updated_at DateTime64(3, 'UTC'),
    deleted    UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY id
TTL toDateTime(updated_at) + INTERVAL 30 DAY DELETE WHERE deleted = 1
