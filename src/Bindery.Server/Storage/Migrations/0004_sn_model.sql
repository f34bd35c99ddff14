-- Bind by SN proves nothing about who holds the device (docs/binding.md, "Bind by SN").
-- A product may require the device to open a pairing window (someone pressed its button) before an SN binding
-- is accepted; the window is single use and closes at pairing_window_expires_at (Unix ms).
ALTER TABLE products ADD COLUMN sn_pairing_required BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE devices ADD COLUMN pairing_window_expires_at BIGINT NULL;

-- Failed bind-by-SN attempts, one row each, counted per product and per user domain over Binding:SnWindow.
-- Append-only on purpose: concurrent failures insert rows of their own instead of updating one hot counter row,
-- which under PostgreSQL's SERIALIZABLE isolation would make racing refusals conflict with each other.
CREATE TABLE sn_failures (
    pk        TEXT NOT NULL,
    domain_id TEXT NOT NULL,
    failed_at BIGINT NOT NULL
);
CREATE INDEX ix_sn_failures_pk ON sn_failures (pk, failed_at);
CREATE INDEX ix_sn_failures_domain ON sn_failures (domain_id, failed_at);
