-- The list filtered to conversations awaiting a reply, or unread, walks only those: when
-- few match, walking the whole list (or a channel's) to find them took milliseconds per
-- page at 100,000 conversations.
CREATE INDEX conversations_awaiting_list ON conversations(status, last_message_at DESC, id DESC) WHERE awaiting_reply = 1;
CREATE INDEX conversations_channel_awaiting_list ON conversations(channel_id, status, last_message_at DESC, id DESC) WHERE awaiting_reply = 1;
CREATE INDEX conversations_unread_list ON conversations(status, last_message_at DESC, id DESC) WHERE unread_count > 0;
CREATE INDEX conversations_channel_unread_list ON conversations(channel_id, status, last_message_at DESC, id DESC) WHERE unread_count > 0;
