-- PostgreSQL version of 0003_bt_replay.sql (docs/protocol.md, "Replay and tampering"). The only difference: the
-- random column gets the "C" collation, so uniqueness and lookups compare randoms byte for byte, case-sensitively,
-- whatever the cluster's default collation (SQLite's default BINARY collation already does).

ALTER TABLE bt_randoms ADD COLUMN request_id TEXT NULL;
ALTER TABLE bt_randoms ALTER COLUMN random TYPE TEXT COLLATE "C";

CREATE TABLE bt_ciphertexts (
    pk          TEXT NOT NULL,
    dk          TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    request_id  TEXT NOT NULL,
    seen_at     BIGINT NOT NULL,
    PRIMARY KEY (pk, dk, fingerprint)
);
