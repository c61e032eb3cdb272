-- The list of one channel (a chip in the inbox) walks its conversations newest first,
-- like the whole list does with conversations_list.
CREATE INDEX conversations_channel_list ON conversations(channel_id, status, last_message_at DESC, id DESC);
DROP INDEX conversations_channel;

-- A phone number's hover card finds the contacts with that number.
CREATE INDEX contacts_phone ON contacts(phone);
