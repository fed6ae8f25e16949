-- The minimum crowd: anyone but the owner (shared links, public-scoped API keys) sees no
-- value of a dimension with fewer than k visitors in the answer's period, no breakdown of a
-- period with fewer than k, and today only up to its last whole hour (server/stats/crowd.ts).
-- Every shared link gets one (5 unless its owner sets another, never below 2); a key has
-- none (0) unless it was created public-scoped.
ALTER TABLE shares ADD COLUMN IF NOT EXISTS min_crowd UInt8 DEFAULT 5;

ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS min_crowd UInt8 DEFAULT 0;
