-- PostgreSQL version of 0019_security_events.sql. The only difference: seq is a BIGINT identity column (SQLite's
-- INTEGER PRIMARY KEY AUTOINCREMENT has no portable spelling), as in 0005_binding_events.postgres.sql.
CREATE TABLE security_events (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at BIGINT NOT NULL,
    reason      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    proof       TEXT NULL,
    user_id     TEXT NULL,
    domain_id   TEXT NULL,
    pk          TEXT NULL,
    dk          TEXT NULL
);

-- The admin API's filters, each read newest first by seq; the primary key reads the unfiltered stream.
CREATE INDEX ix_security_events_device ON security_events (pk, dk, seq);
CREATE INDEX ix_security_events_user ON security_events (user_id, seq);
CREATE INDEX ix_security_events_domain ON security_events (domain_id, seq);
-- Retention pruning and time ranges.
CREATE INDEX ix_security_events_time ON security_events (occurred_at);

-- The audit log's binding-event filters by user and by family (binding_events already has (pk, dk, seq) and time).
CREATE INDEX ix_binding_events_user ON binding_events (user_id, seq);
CREATE INDEX ix_binding_events_fid ON binding_events (fid, seq);
