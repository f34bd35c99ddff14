-- Bind by SN proves nothing about who holds the device (docs/binding.md, "Bind by SN").
-- A product may require the device to open a pairing window (someone pressed its button) before an SN binding
-- is accepted; the window is single use and closes at pairing_window_expires_at (Unix ms).
ALTER TABLE products ADD COLUMN sn_pairing_required BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE devices ADD COLUMN pairing_window_expires_at BIGINT NULL;
