-- Roles and per-site access (README "Roles"): every dashboard user, still kept in owners, has a
-- role. owner manages everything, admin manages the sites listed in sites, viewer reads their
-- dashboards. Users made before roles existed were owners and stay owners (the default).
-- An invitation carries the role and sites its acceptance gives.
ALTER TABLE owners
    ADD COLUMN IF NOT EXISTS role LowCardinality(String) DEFAULT 'owner',
    ADD COLUMN IF NOT EXISTS sites Array(String) DEFAULT [];

ALTER TABLE invitations
    ADD COLUMN IF NOT EXISTS role LowCardinality(String) DEFAULT 'owner',
    ADD COLUMN IF NOT EXISTS sites Array(String) DEFAULT [];
