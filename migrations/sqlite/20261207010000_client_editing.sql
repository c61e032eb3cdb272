-- Clients are made, edited, merged and deleted by hand and through /api/v1.
--
-- client_history: what happened to a client, shown on its page: 'created', 'updated'
-- (detail: the changed fields), 'merged' (detail: the client merged into this one),
-- 'shared', 'imported'. Rows go with their client.
CREATE TABLE client_history (
    id          INTEGER PRIMARY KEY,
    client_id   INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    employee_id INTEGER REFERENCES employees(id) ON DELETE SET NULL,
    what        TEXT NOT NULL CHECK (what IN ('created', 'updated', 'merged', 'shared', 'imported')),
    detail      TEXT -- JSON
);
CREATE INDEX client_history_client ON client_history(client_id, at DESC, id DESC);

-- The Clients list pages by (name, id) and the API by id; lookups by email (duplicates,
-- the API's filter) and by the last change (the API's updated_since).
DROP INDEX clients_name;
CREATE INDEX clients_name_id ON clients(name, id);
CREATE INDEX clients_email ON clients(email);
CREATE INDEX clients_updated ON clients(updated_at, id);

-- Idempotency keys of /api/v1 create requests: a repeated POST with the same key (for the
-- same employee) answers the stored response instead of creating again. A row is inserted
-- before the work starts (status NULL: in progress), so two concurrent requests with one
-- key cannot both create. Kept 24 hours.
CREATE TABLE api_idempotency_keys (
    id          INTEGER PRIMARY KEY,
    employee_id INTEGER NOT NULL REFERENCES employees(id) ON DELETE CASCADE,
    idem_key    TEXT NOT NULL,
    route       TEXT NOT NULL,
    body_hash   TEXT NOT NULL,
    status      INTEGER,
    response    TEXT,
    created_at  INTEGER NOT NULL,
    UNIQUE (employee_id, idem_key)
);
CREATE INDEX api_idempotency_keys_created ON api_idempotency_keys(created_at);
