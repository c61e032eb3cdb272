-- The whole data model of DESIGN.md §2. Instants are UTC epoch milliseconds (INTEGER);
-- booleans are INTEGER 0/1 so the same SQL reads the same on PostgreSQL.

CREATE TABLE roles (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    -- comma-separated permission names: conversations, settings, documents
    permissions TEXT    NOT NULL,
    is_owner    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);

CREATE TABLE employees (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    role_id       INTEGER NOT NULL REFERENCES roles(id),
    active        INTEGER NOT NULL DEFAULT 1,
    locale        TEXT,
    created_at    INTEGER NOT NULL
);

-- Server-side sessions (tower-sessions records); employee_id lets a deactivation end them.
CREATE TABLE sessions (
    id          TEXT    PRIMARY KEY,
    employee_id INTEGER REFERENCES employees(id) ON DELETE CASCADE,
    data        TEXT    NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX sessions_employee ON sessions(employee_id);
CREATE INDEX sessions_expiry ON sessions(expires_at);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    employee_id  INTEGER NOT NULL REFERENCES employees(id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);

CREATE TABLE channels (
    id            INTEGER PRIMARY KEY,
    kind          TEXT    NOT NULL CHECK (kind IN ('sandbox', 'messenger', 'instagram', 'whatsapp', 'twilio_sms')),
    display_name  TEXT    NOT NULL,
    external_id   TEXT    NOT NULL,
    credentials   TEXT,
    status        TEXT    NOT NULL DEFAULT 'connected' CHECK (status IN ('connected', 'sync_lost', 'disconnected')),
    status_detail TEXT,
    created_at    INTEGER NOT NULL,
    UNIQUE (kind, external_id)
);

CREATE TABLE channel_access (
    channel_id  INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    employee_id INTEGER NOT NULL REFERENCES employees(id) ON DELETE CASCADE,
    PRIMARY KEY (channel_id, employee_id)
);
CREATE INDEX channel_access_employee ON channel_access(employee_id, channel_id);

CREATE TABLE clients (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    email      TEXT,
    address    TEXT,
    notes      TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX clients_name ON clients(name);

CREATE TABLE client_phones (
    id        INTEGER PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    phone     TEXT    NOT NULL, -- E.164
    label     TEXT,
    UNIQUE (client_id, phone)
);
CREATE INDEX client_phones_phone ON client_phones(phone);

-- The lead's identity on one channel (PSID, IGSID, wa_id, phone number, sandbox lead id).
CREATE TABLE contacts (
    id          INTEGER PRIMARY KEY,
    channel_id  INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    external_id TEXT    NOT NULL,
    name        TEXT,
    username    TEXT,
    phone       TEXT,
    client_id   INTEGER REFERENCES clients(id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (channel_id, external_id)
);
CREATE INDEX contacts_client ON contacts(client_id);

CREATE TABLE conversations (
    id              INTEGER PRIMARY KEY,
    channel_id      INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    contact_id      INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    status          TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'archived')),
    archived_at     INTEGER,
    archived_by     INTEGER REFERENCES employees(id) ON DELETE SET NULL,
    last_inbound_at INTEGER,
    last_message_at INTEGER NOT NULL,
    last_message_id INTEGER,
    unread_count    INTEGER NOT NULL DEFAULT 0,
    awaiting_reply  INTEGER NOT NULL DEFAULT 0,
    history_pruned_at INTEGER,
    created_at      INTEGER NOT NULL,
    UNIQUE (channel_id, contact_id)
);
-- The list: newest activity first within a status, keyset-paginated on (last_message_at, id).
CREATE INDEX conversations_list ON conversations(status, last_message_at DESC, id DESC);
CREATE INDEX conversations_channel ON conversations(channel_id, status);

CREATE TABLE documents (
    id              INTEGER PRIMARY KEY,
    kind            TEXT    NOT NULL CHECK (kind IN ('lead', 'estimate', 'order', 'invoice')),
    number          TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    title           TEXT    NOT NULL,
    amount_cents    INTEGER NOT NULL DEFAULT 0,
    currency        TEXT    NOT NULL DEFAULT 'BRL',
    client_id       INTEGER REFERENCES clients(id) ON DELETE SET NULL,
    conversation_id INTEGER REFERENCES conversations(id) ON DELETE SET NULL,
    created_at      INTEGER NOT NULL,
    UNIQUE (kind, number)
);
CREATE INDEX documents_client ON documents(client_id, created_at DESC);
CREATE INDEX documents_conversation ON documents(conversation_id);

CREATE TABLE calls (
    id               INTEGER PRIMARY KEY,
    client_id        INTEGER REFERENCES clients(id) ON DELETE SET NULL,
    phone            TEXT    NOT NULL,
    direction        TEXT    NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    started_at       INTEGER NOT NULL,
    duration_seconds INTEGER NOT NULL DEFAULT 0,
    notes            TEXT
);
CREATE INDEX calls_client ON calls(client_id, started_at DESC);

CREATE TABLE messages (
    id                 INTEGER PRIMARY KEY,
    conversation_id    INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    channel_id         INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    direction          TEXT    NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    provider_id        TEXT,
    body               TEXT    NOT NULL,
    sender_employee_id INTEGER REFERENCES employees(id) ON DELETE SET NULL,
    status             TEXT    NOT NULL CHECK (status IN ('received', 'pending', 'sent', 'delivered', 'read', 'failed')),
    error              TEXT,
    attempts           INTEGER NOT NULL DEFAULT 0,
    next_attempt_at    INTEGER,
    created_at         INTEGER NOT NULL,
    sent_at            INTEGER,
    delivered_at       INTEGER,
    read_at            INTEGER,
    -- a provider's retried webhook finds its message here and changes nothing
    UNIQUE (channel_id, provider_id)
);
CREATE INDEX messages_conversation ON messages(conversation_id, id DESC);
CREATE INDEX messages_outbox ON messages(next_attempt_at) WHERE status = 'pending';

CREATE TABLE attachments (
    id          INTEGER PRIMARY KEY,
    message_id  INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL CHECK (kind IN ('image', 'video', 'audio', 'file', 'sticker', 'location')),
    mime        TEXT,
    size_bytes  INTEGER,
    file_name   TEXT,
    storage_key TEXT,
    source_url  TEXT,
    status      TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'stored', 'failed')),
    created_at  INTEGER NOT NULL
);
CREATE INDEX attachments_message ON attachments(message_id);

-- The live feed: a monotonic id per change, streamed over SSE and replayed on resume.
CREATE TABLE events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT    NOT NULL,
    conversation_id INTEGER,
    channel_id      INTEGER,
    payload         TEXT    NOT NULL,
    created_at      INTEGER NOT NULL
);

-- Who archived, reopened, linked, sent.
CREATE TABLE audit_entries (
    id              INTEGER PRIMARY KEY,
    employee_id     INTEGER REFERENCES employees(id) ON DELETE SET NULL,
    action          TEXT    NOT NULL,
    conversation_id INTEGER REFERENCES conversations(id) ON DELETE CASCADE,
    detail          TEXT,
    created_at      INTEGER NOT NULL
);
CREATE INDEX audit_conversation ON audit_entries(conversation_id, created_at);
