-- PostgreSQL version of 0005_binding_events.sql. The only difference: seq is a BIGINT identity column (SQLite's
-- INTEGER PRIMARY KEY AUTOINCREMENT has no portable spelling). Identity values are handed out at insert, not at
-- commit, and a rolled-back or retried transaction leaves a gap: see docs/architecture.md on reading by seq.
CREATE TABLE binding_events (
    seq           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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

CREATE INDEX ix_binding_events_device ON binding_events (pk, dk, seq);
CREATE INDEX ix_binding_events_time ON binding_events (occurred_at);
