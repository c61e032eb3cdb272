-- One-time codes for the first-run setup page: each starting server without an owner
-- prints one (only its SHA-256 is kept); creating the owner deletes them all.
CREATE TABLE setup_codes (
    code_hash  TEXT   PRIMARY KEY,
    created_at BIGINT NOT NULL
);
