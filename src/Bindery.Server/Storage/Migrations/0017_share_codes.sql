-- One share model for both dialects (docs/sharing.md, "The share model"): a share is addressed (user_id fixed at
-- creation) or an open code (user_id NULL until someone accepts it). Open codes store only the SHA-256 of their
-- secret (code_hash); a pending share can be accepted until accepting_expire_at, an accepted one is usable until
-- sharing_expire_at (NULL: as long as the owner's binding). Accepting issues the recipient an authKey (auth_key_hash).
-- Existing rows were addressed shares without lifetimes: they get an accepting window of created_at + 7 days (a
-- pending one that is older is expired at once and pruned) and no sharing expiry (accepted ones keep the device).
-- SQLite cannot drop NOT NULL from user_id, so the table is rebuilt (the PostgreSQL variant alters it in place).
CREATE TABLE device_shares_new (
    share_id            TEXT PRIMARY KEY,
    pk                  TEXT NOT NULL,
    dk                  TEXT NOT NULL,
    owner_user_id       TEXT NOT NULL REFERENCES users (id),
    user_id             TEXT NULL REFERENCES users (id),
    created_at          BIGINT NOT NULL,
    accepted_at         BIGINT NULL,
    device_name         TEXT NULL,
    code_hash           TEXT NULL,
    accepting_expire_at BIGINT NOT NULL,
    sharing_expire_at   BIGINT NULL,
    auth_key_hash       TEXT NULL,
    FOREIGN KEY (pk, dk) REFERENCES devices (pk, dk),
    UNIQUE (pk, dk, user_id)
);

INSERT INTO device_shares_new (share_id, pk, dk, owner_user_id, user_id, created_at, accepted_at, device_name,
                               code_hash, accepting_expire_at, sharing_expire_at, auth_key_hash)
SELECT share_id, pk, dk, owner_user_id, user_id, created_at, accepted_at, device_name,
       NULL, created_at + 604800000, NULL, NULL
FROM device_shares;

DROP TABLE device_shares;

ALTER TABLE device_shares_new RENAME TO device_shares;

-- The owner's shares of a device (lists, coverMark, removal with the owner's binding).
CREATE INDEX ix_device_shares_owner ON device_shares (owner_user_id, pk, dk);
-- The recipient's shared devices, newest first.
CREATE INDEX ix_device_shares_user ON device_shares (user_id, accepted_at);
-- The expiry pruner.
CREATE INDEX ix_device_shares_accepting ON device_shares (accepting_expire_at) WHERE accepted_at IS NULL;
CREATE INDEX ix_device_shares_sharing ON device_shares (sharing_expire_at) WHERE sharing_expire_at IS NOT NULL;
-- (pk, dk, …) lookups (authKey verify, per-device limits) use the UNIQUE (pk, dk, user_id) index.
