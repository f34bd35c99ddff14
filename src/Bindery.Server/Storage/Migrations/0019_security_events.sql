-- The audit log's refusals (docs/events.md, "Audit log"): one row for each failed attempt that matters for support
-- and security (a subject locked out by its guess limit, a binding code or bind token voided, a replayed device
-- request). Append-only: rows are never updated, only pruned after Audit:RefusalRetention. Nothing secret is ever
-- stored here: no code, token, secret, password, serial number or query string; only the fixed vocabulary of
-- reason/subject/proof and public ids. No foreign keys: a row outlives the device, user or domain it names.
-- (SQLite: INTEGER PRIMARY KEY AUTOINCREMENT never reuses a seq; see the PostgreSQL override for its identity.)
CREATE TABLE security_events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
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
