-- What a device has done that an app waiting to bind it may ask about (docs/tencent-api.md, "Why provisioning
-- failed"): when it first and last connected over MQTT, and the outcome of its last bind-token report (0 accepted,
-- else the refusal's catalogue code), whichever transport it used. Nothing secret: no token, no password.
CREATE TABLE device_activity (
    pk                 TEXT NOT NULL,
    dk                 TEXT NOT NULL,
    first_connected_at BIGINT NULL,
    last_connected_at  BIGINT NULL,
    last_report_at     BIGINT NULL,
    last_report_code   INTEGER NULL,
    PRIMARY KEY (pk, dk)
);
