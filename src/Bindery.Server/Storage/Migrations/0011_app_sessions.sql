-- Quectel-style app accounts and sessions (docs/accounts-and-homes.md, "Accounts"; docs/quectel-api.md, "Accounts").

-- The e-mail address and phone number an account was registered with through v2/emailPwdRegister or
-- v2/phonePwdRegister (shown by userInfo). The account's username is the same identity in canonical form (the
-- lower-case address, or "+<international code><number>", as the Tencent dialect names accounts), so the unique
-- (domain_id, username) already makes each one unique per user domain; these indexes say it again for the columns.
ALTER TABLE users ADD COLUMN email TEXT NULL;
ALTER TABLE users ADD COLUMN phone TEXT NULL;
ALTER TABLE users ADD COLUMN international_code TEXT NULL;
CREATE UNIQUE INDEX ux_users_email ON users (domain_id, email);
CREATE UNIQUE INDEX ux_users_phone ON users (domain_id, international_code, phone);

-- A session opened by emailPwdLogin/phonePwdLogin belongs to a chain: the access tokens and refresh tokens that
-- descend from that one login by refreshToken. Logout, and the reuse of a spent refresh token, end the whole chain.
-- Sessions opened by Bindery's own /login have no chain (and no refresh token).
ALTER TABLE sessions ADD COLUMN chain_id TEXT NULL;
CREATE INDEX ix_sessions_chain ON sessions (chain_id);

-- Refresh tokens, stored as SHA-256 hex, single use: used_at is set by the refresh that spends one. A spent token
-- is kept until it expires (or its chain ends) so that presenting it again is recognised as theft.
CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    chain_id   TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT NULL
);
CREATE INDEX ix_refresh_tokens_chain ON refresh_tokens (chain_id);
CREATE INDEX ix_refresh_tokens_user ON refresh_tokens (user_id);

-- The `random` of each signed app request (emailPwdLogin, phonePwdLogin, sendPhoneSmsCode), as SHA-256 hex, per
-- user domain: a random is accepted once, so a captured request cannot be replayed. Kept without pruning, like the
-- pure-BT randoms (bt_randoms).
CREATE TABLE app_randoms (
    domain_id   TEXT NOT NULL,
    random_hash TEXT NOT NULL,
    used_at     BIGINT NOT NULL,
    PRIMARY KEY (domain_id, random_hash)
);

-- Accounts registered earlier under an e-mail address as username (Tencent AppCreateEmailUser, Bindery /register)
-- show it as their e-mail address.
UPDATE users SET email = username WHERE username LIKE '%@%';
