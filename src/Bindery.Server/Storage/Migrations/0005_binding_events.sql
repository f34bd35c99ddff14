-- The binding-event outbox (docs/architecture.md, "Binding events (the outbox)"): one row for every creation and
-- removal of a binding or share, written in the same transaction as the change. Rows are never updated; they are
-- pruned after Binding:EventRetention. Nothing secret is ever stored here (no authKey, code, token, secret,
-- password or serial number). No foreign keys: an event outlives the device, user or family it names.
-- (SQLite: INTEGER PRIMARY KEY AUTOINCREMENT never reuses a seq; see the PostgreSQL override for its identity.)
CREATE TABLE binding_events (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id      TEXT NOT NULL UNIQUE,
    occurred_at   BIGINT NOT NULL,
    kind          TEXT NOT NULL,
    pk            TEXT NULL,
    dk            TEXT NULL,
    user_id       TEXT NULL,
    fid           TEXT NULL,
    method        TEXT NULL,
    verified      BOOLEAN NULL,
    binding_id    TEXT NULL,
    share_id      TEXT NULL,
    owner_user_id TEXT NULL,
    actor_type    TEXT NOT NULL,
    actor_id      TEXT NULL
);

-- A device's history in order; the primary key already reads the whole stream by seq.
CREATE INDEX ix_binding_events_device ON binding_events (pk, dk, seq);
-- Retention pruning.
CREATE INDEX ix_binding_events_time ON binding_events (occurred_at);
