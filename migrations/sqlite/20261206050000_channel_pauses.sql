-- A provider's rate limit pauses the whole channel (issue 21, point 5): replies wait until
-- this instant (UTC ms) without counting attempts; NULL when the channel is not paused.
ALTER TABLE channels ADD COLUMN paused_until INTEGER;
