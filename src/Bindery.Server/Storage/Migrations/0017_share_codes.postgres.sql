-- PostgreSQL version of 0017_share_codes.sql: the same columns and indexes, altered in place (PostgreSQL can drop
-- NOT NULL; SQLite rebuilds the table). Existing rows: accepting window created_at + 7 days, no sharing expiry.
ALTER TABLE device_shares ALTER COLUMN user_id DROP NOT NULL;
ALTER TABLE device_shares ADD COLUMN code_hash TEXT NULL;
ALTER TABLE device_shares ADD COLUMN accepting_expire_at BIGINT NULL;
ALTER TABLE device_shares ADD COLUMN sharing_expire_at BIGINT NULL;
ALTER TABLE device_shares ADD COLUMN auth_key_hash TEXT NULL;
UPDATE device_shares SET accepting_expire_at = created_at + 604800000;
ALTER TABLE device_shares ALTER COLUMN accepting_expire_at SET NOT NULL;

CREATE INDEX ix_device_shares_owner ON device_shares (owner_user_id, pk, dk);
CREATE INDEX ix_device_shares_user ON device_shares (user_id, accepted_at);
CREATE INDEX ix_device_shares_accepting ON device_shares (accepting_expire_at) WHERE accepted_at IS NULL;
CREATE INDEX ix_device_shares_sharing ON device_shares (sharing_expire_at) WHERE sharing_expire_at IS NOT NULL;
