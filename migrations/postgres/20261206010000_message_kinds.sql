-- What a message is (issue 21): a lead's text, or another thing the lead did that the
-- thread shows as a line of its own (a tapped button, a reaction, an ad it came from, an
-- unsent message …). `detail` holds what such a line quotes: for a reaction, the text of
-- the message reacted to.
ALTER TABLE messages ADD COLUMN kind TEXT NOT NULL DEFAULT 'text';
ALTER TABLE messages ADD COLUMN detail TEXT;
