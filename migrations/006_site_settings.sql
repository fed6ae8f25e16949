-- Per-site settings as JSON (section rules and what later features need), versioned with the row.
ALTER TABLE sites ADD COLUMN IF NOT EXISTS settings String DEFAULT '{}';
