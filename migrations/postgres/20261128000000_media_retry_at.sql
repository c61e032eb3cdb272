-- When the media worker may try a file again: it backs off after a failed fetch (and
-- leases a file while fetching it). 0: at once.
ALTER TABLE attachments ADD COLUMN next_attempt_at BIGINT NOT NULL DEFAULT 0;
