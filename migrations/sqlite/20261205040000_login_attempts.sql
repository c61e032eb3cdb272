-- Sign-in attempts for the login limits (`auth::limiter`): an attempt that may check a
-- password leaves one row per limit it counts under (its account from its address, its
-- address, its account); `key` is a SHA-256 of that limit's name, email and address, so
-- neither is kept in clear. Rows older than the window are pruned.
CREATE TABLE login_attempts (
    id      INTEGER PRIMARY KEY,
    key     TEXT    NOT NULL,
    attempt TEXT    NOT NULL,
    at      INTEGER NOT NULL
);
CREATE INDEX login_attempts_key_at ON login_attempts (key, at);
CREATE INDEX login_attempts_at ON login_attempts (at);
