-- Gateway sub-devices (docs/binding.md, "Gateway sub-devices"; docs/data-model.md).
--
-- gateway_sub_devices: the sub-devices a gateway reported it has paired (device API POST /device/v1/sub-devices, or
-- MQTT $gateway/operation "bind"), each with the sub-device's own signature checked. The primary key is the
-- sub-device: one gateway per sub-device, so a second gateway's claim is refused by the database, whatever the race.
CREATE TABLE gateway_sub_devices (
    sub_pk      TEXT NOT NULL,
    sub_dk      TEXT NOT NULL,
    gateway_pk  TEXT NOT NULL,
    gateway_dk  TEXT NOT NULL,
    reported_at BIGINT NOT NULL,
    PRIMARY KEY (sub_pk, sub_dk),
    FOREIGN KEY (sub_pk, sub_dk) REFERENCES devices (pk, dk) ON DELETE CASCADE,
    FOREIGN KEY (gateway_pk, gateway_dk) REFERENCES devices (pk, dk) ON DELETE CASCADE
);
CREATE INDEX ix_gateway_sub_devices_gateway ON gateway_sub_devices (gateway_pk, gateway_dk);

-- sub_device_bindings: which gateway binding a sub-device binding (method SUB_DEVICE) rests on. Written with the
-- binding, in its transaction; removed with it. When the gateway binding ends, the bindings resting on it end too.
-- (pk, dk, user_id) names the binding, as UNIQUE (pk, dk, user_id) on bindings does.
CREATE TABLE sub_device_bindings (
    pk                 TEXT NOT NULL,
    dk                 TEXT NOT NULL,
    user_id            TEXT NOT NULL,
    gateway_binding_id TEXT NOT NULL,
    created_at         BIGINT NOT NULL,
    PRIMARY KEY (pk, dk, user_id)
);
CREATE INDEX ix_sub_device_bindings_gateway ON sub_device_bindings (gateway_binding_id);
