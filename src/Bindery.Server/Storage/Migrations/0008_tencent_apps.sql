-- Apps of the Tencent-style API (docs/tencent-api.md, "Apps and their login"): the AppKey an official app is built
-- with, its AppSecret (the HMAC-SHA1 key of the signed pre-login requests, kept as issued because the server
-- recomputes signatures with it) and the user domain its users log into.
CREATE TABLE tencent_apps (
    app_key    TEXT PRIMARY KEY,
    app_secret TEXT NOT NULL,
    domain_id  TEXT NOT NULL REFERENCES user_domains (id),
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX ix_tencent_apps_domain ON tencent_apps (domain_id);

-- Signed pre-login requests already accepted, per app, while their timestamp is inside the window: a replay of a
-- signed request is refused. (Not the Nonce alone: the Android app draws it from 0-9 for every user of an AppKey.)
CREATE TABLE tencent_app_signatures (
    app_key    TEXT NOT NULL,
    signature  TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (app_key, signature)
);
CREATE INDEX ix_tencent_app_signatures_expiry ON tencent_app_signatures (expires_at);
