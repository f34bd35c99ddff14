-- Webhooks (docs/events.md, "Webhooks"): endpoints the admin registers, each delivered straight from the
-- binding_events outbox by a durable per-endpoint cursor (never in a bind's transaction), and one delivery row per
-- (endpoint, event) sent: written in bulk with the cursor's move, one write per batch of events.

-- An endpoint receives the events of one user domain (scope_type 'domain') or one product ('product'). The signing
-- secret is kept as issued, like devices.device_secret: it is the HMAC key, so it cannot be hashed. cursor_seq is
-- the highest binding_events.seq already handled for it (sent, or handed to a pending delivery row): durable,
-- shared by every node. lease_owner/lease_until: the node that moves this cursor now (one at a time; a conditional
-- update takes an expired lease over).
CREATE TABLE webhook_endpoints (
    id          TEXT PRIMARY KEY,
    scope_type  TEXT NOT NULL,
    scope_id    TEXT NOT NULL,
    url         TEXT NOT NULL,
    kinds       TEXT NOT NULL,            -- comma-separated event kinds; '' = every kind
    enabled     BOOLEAN NOT NULL,
    secret      TEXT NOT NULL,
    cursor_seq  BIGINT NOT NULL,
    lease_owner TEXT NULL,
    lease_until BIGINT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX ix_webhook_endpoints_scope ON webhook_endpoints (scope_type, scope_id);

-- A copy of the event's (secret-free) columns, so a delivery outlives the event's retention. ordering_key is the
-- device (pk/dk; 'family/<fid>' for family events): one endpoint gets a device's events one at a time, in seq order.
-- state: pending, delivered, dead. lease_owner/lease_until: the node sending it now (a conditional update claims it).
CREATE TABLE webhook_deliveries (
    endpoint_id     TEXT NOT NULL,
    event_id        TEXT NOT NULL,
    event_seq       BIGINT NOT NULL,
    ordering_key    TEXT NOT NULL,
    occurred_at     BIGINT NOT NULL,
    kind            TEXT NOT NULL,
    pk              TEXT NULL,
    dk              TEXT NULL,
    user_id         TEXT NULL,
    fid             TEXT NULL,
    method          TEXT NULL,
    verified        BOOLEAN NULL,
    binding_id      TEXT NULL,
    share_id        TEXT NULL,
    owner_user_id   TEXT NULL,
    actor_type      TEXT NOT NULL,
    actor_id        TEXT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    lease_owner     TEXT NULL,
    lease_until     BIGINT NULL,
    last_status     INTEGER NULL,
    last_error      TEXT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    delivered_at    BIGINT NULL,
    PRIMARY KEY (endpoint_id, event_id)
);
-- What is due, and "is an earlier event of this device still pending for this endpoint".
CREATE INDEX ix_webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX ix_webhook_deliveries_order ON webhook_deliveries (endpoint_id, ordering_key, event_seq) WHERE state = 'pending';
-- The admin list by state, and pruning.
CREATE INDEX ix_webhook_deliveries_list ON webhook_deliveries (endpoint_id, state, event_seq);
CREATE INDEX ix_webhook_deliveries_updated ON webhook_deliveries (updated_at) WHERE state <> 'pending';
