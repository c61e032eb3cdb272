-- Until when a reply is being handed to its provider (UTC ms), NULL when it is not. A
-- lease that outlives its process means the process died mid-send: the reply may or may
-- not have reached the lead, so it is shown as failed with that reason instead of being
-- sent a second time (see app/src/messages/store.rs, fail_interrupted_sends).
ALTER TABLE messages ADD COLUMN sending_until BIGINT;
