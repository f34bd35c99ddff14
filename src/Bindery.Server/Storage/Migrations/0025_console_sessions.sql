-- The admin console's state, in the database so that any node can serve any request of a signed-in browser
-- (docs/console.md, "Several nodes"): nothing of the console lives in one node's memory.

-- A signed-in console session. id_hash is the SHA-256 hex of the random id the browser's cookie carries (the id
-- itself is never stored). A session ends at sign-out (row deleted), after the idle timeout since last_seen_at, or
-- after the maximum lifetime since started_at; expired rows are deleted when the next session starts.
CREATE TABLE console_sessions (
    id_hash      TEXT PRIMARY KEY,
    started_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX ix_console_sessions_last_seen ON console_sessions (last_seen_at);

-- ASP.NET Core Data Protection's key ring (the keys behind the console's antiforgery tokens), one XML element per
-- key as Data Protection writes it: shared by every node, so a form rendered by one node is accepted by another.
CREATE TABLE data_protection_keys (
    name       TEXT PRIMARY KEY,
    xml        TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
