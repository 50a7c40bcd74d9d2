-- +goose Up
-- Accounts (SPEC 12.2): users with a role and an argon2id password hash,
-- log-in sessions and API tokens (both stored as the sha256 of a random
-- secret, never the secret), and the state that slows down repeated failed
-- log-ins. Only new tables: a database with users still works with a binary
-- that predates them. Times are unix milliseconds.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    name_key      TEXT NOT NULL UNIQUE,       -- the name in lower case: names are unique whatever their case
    role          TEXT NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
    password_hash TEXT NOT NULL,              -- $argon2id$v=19$m=...,t=...,p=...$salt$hash
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    hash       TEXT PRIMARY KEY,              -- sha256 of the cookie's secret, hex
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL               -- slides with use, never past the longest life
);
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE tokens (
    id           TEXT PRIMARY KEY,
    hash         TEXT NOT NULL UNIQUE,        -- sha256 of the token, hex
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    label        TEXT NOT NULL,
    label_key    TEXT NOT NULL UNIQUE,        -- the label in lower case: labels name one token in the audit trail
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER                      -- NULL until first used; written at most once a minute
);
CREATE INDEX tokens_by_user ON tokens (user_id);

-- Failed log-ins per key ("user:<hash of the name>", "addr:<client address>").
CREATE TABLE login_throttle (
    key          TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    last_at      INTEGER NOT NULL,
    locked_until INTEGER NOT NULL
);

-- +goose Down
DROP TABLE login_throttle;
DROP TABLE tokens;
DROP TABLE sessions;
DROP TABLE users;
