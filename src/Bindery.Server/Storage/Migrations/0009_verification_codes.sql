-- One-time codes sent to a phone number or e-mail address to prove it belongs to the person registering or
-- resetting a password (docs/tencent-api.md, "Verification codes"). Stored hashed; a new code replaces the old one.
CREATE TABLE verification_codes (
    domain_id  TEXT NOT NULL,
    target     TEXT NOT NULL,              -- the account name: e-mail address or +<country code><number>
    purpose    TEXT NOT NULL,              -- register, resetpass
    code_hash  TEXT NOT NULL,
    sent_at    BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    failures   INTEGER NOT NULL,
    used_at    BIGINT NULL,
    PRIMARY KEY (domain_id, target, purpose)
);
