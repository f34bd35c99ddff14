-- Pure-BT replay defences (docs/protocol.md, "Replay and tampering"): a body's random and ciphertexts are spent
-- for the device when it is presented, in a write of its own committed before the bind is decided; the bind then
-- requires that this very request spent them (request_id).

-- Which presentation spent each random. Rows from before this migration have none: they stay spent.
-- (SQLite compares TEXT with the BINARY collation, so randoms are compared byte for byte; see the PostgreSQL override.)
ALTER TABLE bt_randoms ADD COLUMN request_id TEXT NULL;

-- Each ciphertext (encryptedBindingCode, encryptedNewBindingSecret, encryptedOldBindingSecret) is accepted once per
-- device, under any random: fingerprint = lowercase hex SHA-256 of its decoded bytes.
CREATE TABLE bt_ciphertexts (
    pk          TEXT NOT NULL,
    dk          TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    request_id  TEXT NOT NULL,
    seen_at     BIGINT NOT NULL,
    PRIMARY KEY (pk, dk, fingerprint)
);
