-- Pushes to devices over MQTT (docs/device-api.md, "Pushes to the device"): bind_device / unbind_device messages,
-- written by the binding lifecycle in the same transaction as the binding change, delivered at least once (QoS 1) by
-- the node holding the device's MQTT connection, kept while the device is offline, expired after Mqtt:PushLifetime
-- (counted from created_at) and pruned. No foreign keys: a push outlives the device's registration (admin deletion).
-- PostgreSQL version of 0014_device_pushes.sql: the only difference is seq, a BIGINT identity column.
CREATE TABLE device_pushes (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    push_id      TEXT NOT NULL UNIQUE,
    pk           TEXT NOT NULL,
    dk           TEXT NOT NULL,
    method       TEXT NOT NULL,
    payload      TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    delivered_at BIGINT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    sent_round   TEXT NULL
);

-- A device's undelivered pushes in order.
CREATE INDEX ix_device_pushes_pending ON device_pushes (pk, dk, seq) WHERE delivered_at IS NULL;
-- Expiry pruning.
CREATE INDEX ix_device_pushes_time ON device_pushes (created_at);
