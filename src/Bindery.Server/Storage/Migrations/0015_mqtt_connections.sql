-- Which node holds each device's MQTT connection. conn_id identifies one connection (a later connection of the same
-- device replaces the row); round_id changes whenever the device (re)subscribes to its service down topic, and a push
-- sent in an earlier round and not acknowledged is sent again. seen_at is refreshed by the holding node; a row not
-- refreshed for long is a dead node's and is pruned.
CREATE TABLE mqtt_connections (
    pk           TEXT NOT NULL,
    dk           TEXT NOT NULL,
    node_id      TEXT NOT NULL,
    conn_id      TEXT NOT NULL,
    round_id     TEXT NULL,
    connected_at BIGINT NOT NULL,
    seen_at      BIGINT NOT NULL,
    PRIMARY KEY (pk, dk)
);

CREATE INDEX ix_mqtt_connections_node ON mqtt_connections (node_id);
CREATE INDEX ix_mqtt_connections_seen ON mqtt_connections (seen_at);
