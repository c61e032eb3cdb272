-- Where a reply stands when its provider's answer was lost (issue 21): NULL normally;
-- 'unconfirmed' when the first send's outcome is unknown (a timeout after the request
-- was written, a connection cut mid-answer, a 2xx without a readable id) and Confab is
-- waiting for the provider's own signal (an echo or status carrying "confab:<id>");
-- 'resent' once it was sent again because no signal came in time; 'resent_unconfirmed'
-- when that second send's outcome is unknown too (it fails if no signal comes).
ALTER TABLE messages ADD COLUMN confirm_state TEXT;

-- A provider status that arrived before its message's provider id was stored (a fast
-- WhatsApp `failed`), kept for a bounded time and applied when the id is stored.
CREATE TABLE pending_statuses (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    channel_id  INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    provider_id TEXT NOT NULL,
    status      TEXT NOT NULL,
    at          INTEGER,
    error       TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX pending_statuses_provider ON pending_statuses(channel_id, provider_id);
CREATE INDEX pending_statuses_created ON pending_statuses(created_at);

-- Replies leave in the order they were written, per conversation: the sender looks for
-- an earlier pending reply of the same conversation before it takes one.
CREATE INDEX messages_pending_conversation ON messages(conversation_id, id) WHERE status = 'pending';
