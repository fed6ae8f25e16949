-- Whether a shared link shows the site's goals (conversions, rates, revenue): the owner decides
-- per link; links made before goals existed show none.
ALTER TABLE shares ADD COLUMN IF NOT EXISTS goals UInt8 DEFAULT 0;
