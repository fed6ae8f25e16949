-- Who may read what. None of these tables holds anything about visitors. Secrets (passwords,
-- session tokens, API keys, share links, invitations) are stored only as hashes. Every row is
-- versioned by updated_at; revoked or expired rows are removed by TTL.
CREATE TABLE IF NOT EXISTS owners
(
    id            String,
    email         String,
    password_hash String,
    created_at    DateTime('UTC'),
    updated_at    DateTime64(3, 'UTC'),
    deleted       UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY id
TTL toDateTime(updated_at) + INTERVAL 30 DAY DELETE WHERE deleted = 1;

CREATE TABLE IF NOT EXISTS owner_sessions
(
    token_hash String,
    owner_id   String,
    created_at DateTime('UTC'),
    expires_at DateTime('UTC'),
    updated_at DateTime64(3, 'UTC'),
    revoked    UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY token_hash
TTL expires_at + INTERVAL 1 DAY;

CREATE TABLE IF NOT EXISTS api_keys
(
    id         String,
    name       String,
    key_hash   String,
    sites      Array(String),   -- empty: every site
    created_at DateTime('UTC'),
    updated_at DateTime64(3, 'UTC'),
    revoked    UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY id
TTL toDateTime(updated_at) + INTERVAL 30 DAY DELETE WHERE revoked = 1;

CREATE TABLE IF NOT EXISTS shares
(
    id            String,
    site          String,
    name          String,
    token_hash    String,
    password_hash String,        -- '' when the link needs no password
    created_at    DateTime('UTC'),
    updated_at    DateTime64(3, 'UTC'),
    revoked       UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY id
TTL toDateTime(updated_at) + INTERVAL 30 DAY DELETE WHERE revoked = 1;

CREATE TABLE IF NOT EXISTS invitations
(
    token_hash String,
    email      String,
    invited_by String,
    created_at DateTime('UTC'),
    expires_at DateTime('UTC'),
    updated_at DateTime64(3, 'UTC'),
    used       UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY token_hash
TTL expires_at + INTERVAL 1 DAY;
