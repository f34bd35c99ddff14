-- Webhooks without a row per delivered event (docs/events.md, "What is stored"). The cursor batch that sends an
-- endpoint's events writes ONE row here instead of a webhook_deliveries row for every event delivered at its first
-- attempt: those events are the batch's range (after_seq, last_seq] of binding_events, filtered by the endpoint's
-- scope and by the kinds it had then (kinds, as webhook_endpoints.kinds), minus the events that do have a delivery
-- row (failed at first, waiting behind a failed one, or sent again). The admin list of deliveries derives them from
-- here. status is the HTTP status they all got (NULL when they differ); delivered is how many there were.
CREATE TABLE webhook_batches (
    endpoint_id  TEXT NOT NULL,
    after_seq    BIGINT NOT NULL,
    last_seq     BIGINT NOT NULL,
    kinds        TEXT NOT NULL,
    delivered    INTEGER NOT NULL,
    status       INTEGER NULL,
    delivered_at BIGINT NOT NULL,
    PRIMARY KEY (endpoint_id, after_seq)
);
CREATE INDEX ix_webhook_batches_delivered_at ON webhook_batches (delivered_at);
