-- One-time password-reset links (`POST /api/owners/<id>/reset` → `/reset/<token>`), valid 24 h.
-- Like invitations: the token only as its SHA-256 hash, versioned by updated_at, and gone a day
-- after it expires, used or not.
CREATE TABLE IF NOT EXISTS password_resets
(
    token_hash String,
    owner_id   String,
    issued_by  String,        -- an owner's id, 'admin' or 'cli'
    created_at DateTime('UTC'),
    expires_at DateTime('UTC'),
    updated_at DateTime64(3, 'UTC'),
    used       UInt8 DEFAULT 0   -- used, revoked, or replaced by a newer link
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY token_hash
TTL expires_at + INTERVAL 1 DAY;
