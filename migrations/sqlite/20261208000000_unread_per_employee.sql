-- Read state is each employee's own (issue 24, point 1): a row is an open conversation
-- holding messages this employee has not read yet (or marked unread). A lead's message
-- adds to the row of every active employee who may use its channel; reading deletes the
-- reader's row only; archiving deletes the conversation's rows (it is dealt with). The
-- list reads the acting employee's row by key; the Unread filter and the tab's count read
-- only their rows (channel_id is here so the count keeps to the employee's channels from
-- the index alone), so none of them grows with the team.
-- conversations.unread_count keeps a meaning of its own: messages nobody has seen yet
-- (the first employee to read them tells the lead's app they were seen).
CREATE TABLE unread_marks (
    employee_id     INTEGER NOT NULL REFERENCES employees(id) ON DELETE CASCADE,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    channel_id      INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    unread_count    INTEGER NOT NULL CHECK (unread_count > 0),
    PRIMARY KEY (employee_id, conversation_id)
) WITHOUT ROWID;
CREATE INDEX unread_marks_conversation ON unread_marks(conversation_id);
CREATE INDEX unread_marks_employee_channel ON unread_marks(employee_id, channel_id);

-- What was unread for the team is unread for each of its members.
INSERT INTO unread_marks (employee_id, conversation_id, channel_id, unread_count)
SELECT a.employee_id, c.id, c.channel_id, c.unread_count
  FROM conversations c
  JOIN channel_access a ON a.channel_id = c.channel_id
  JOIN employees e ON e.id = a.employee_id AND e.active = 1
 WHERE c.unread_count > 0 AND c.status = 'open';

-- The list's Unread filter now reads unread_marks: the team-wide partial indexes would
-- only cost the ingest their upkeep.
DROP INDEX conversations_unread_list;
DROP INDEX conversations_channel_unread_list;
