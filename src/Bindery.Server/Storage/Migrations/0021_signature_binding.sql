-- Signature binding (Tencent AppSigBindDeviceInFamily; docs/binding.md, "Signature binding"): each signature a
-- device computed, named by (device, DeviceTimestamp, ConnId), binds at most once. A presentation whose signature
-- checks out claims its row in a write of its own, committed before the bind is decided; the bind then requires
-- that this very presentation claimed it (presentation_id), so a signature is spent whatever the bind answers and
-- a replay finds the row taken. The primary key decides between racing presentations. Rows older than a day are
-- deleted by the next claim for the same device and by the periodic guess pruning (a timestamp that old is refused anyway).
CREATE TABLE tencent_sig_uses (
    pk               TEXT NOT NULL,
    dk               TEXT NOT NULL,
    device_timestamp BIGINT NOT NULL,   -- the signed DeviceTimestamp (Unix s)
    conn_id          TEXT NOT NULL,     -- the signed ConnId ('' when the app sent none)
    presentation_id  TEXT NOT NULL,
    used_at          BIGINT NOT NULL,   -- Unix ms
    PRIMARY KEY (pk, dk, device_timestamp, conn_id)
);
