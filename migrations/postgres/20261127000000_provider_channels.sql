-- Real provider channels (issue 5): the Meta HUMAN_AGENT window extension per channel,
-- WhatsApp media ids resolved by the media worker, and the media worker's bookkeeping.

-- 1 when the Meta app has the Human Agent permission: replies may go out up to 7 days
-- after the lead's last message (tagged HUMAN_AGENT) instead of 24 hours.
ALTER TABLE channels ADD COLUMN human_agent BIGINT NOT NULL DEFAULT 1;

ALTER TABLE attachments ADD COLUMN provider_media_id TEXT;
ALTER TABLE attachments ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE attachments ADD COLUMN error TEXT;
CREATE INDEX attachments_pending ON attachments(id) WHERE status = 'pending';

-- 1 when the provider refused a reply because its window closed (Confab's clock thought
-- it open): the composer stays locked until the lead writes again.
ALTER TABLE conversations ADD COLUMN window_closed BIGINT NOT NULL DEFAULT 0;

-- A WhatsApp template reply: {"name", "language", "params"}; the body holds its text as
-- the lead sees it.
ALTER TABLE messages ADD COLUMN template TEXT;
