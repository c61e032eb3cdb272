-- Practice channels (issue 23): a Messenger, Instagram, WhatsApp or SMS channel connected
-- to the simulator built into Confab instead of the provider. `simulated` marks it
-- everywhere; the simulator keeps the lead's side of each conversation (what the lead's
-- phone shows) in the two tables below (exported with the rest).
ALTER TABLE channels ADD COLUMN simulated INTEGER NOT NULL DEFAULT 0;
-- The access token the owner made expire ("sync lost"), as SHA-256: the simulator refuses
-- it until the channel is reconnected with a new one.
ALTER TABLE channels ADD COLUMN practice_expired_token TEXT;

CREATE TABLE practice_leads (
    channel_id  INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    -- the lead's id at the provider: PSID, Instagram-scoped id, wa_id or E.164 number
    address     TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    username    TEXT,
    -- SMS: the lead's phone is off, so what Twilio sends is undelivered
    phone_off   INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (channel_id, address)
);

CREATE TABLE practice_messages (
    id          INTEGER PRIMARY KEY,
    channel_id  INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    address     TEXT    NOT NULL,
    -- the provider's id of the message: mid, wamid or Twilio SID
    provider_id TEXT    NOT NULL,
    from_lead   INTEGER NOT NULL,
    body        TEXT    NOT NULL,
    file_url    TEXT,
    -- on the lead's clock, which the lead may move forward (older = further back)
    sent_at     INTEGER NOT NULL,
    status      TEXT    NOT NULL CHECK (status IN ('sent', 'delivered', 'read', 'failed')),
    error       TEXT,
    UNIQUE (channel_id, provider_id)
);
CREATE INDEX practice_messages_lead ON practice_messages(channel_id, address, sent_at);
