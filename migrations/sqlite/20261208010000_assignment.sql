-- Assignment (issue 24, point 2): a conversation's owner among the employees who may use
-- its channel, or nobody. The Mine filter walks the assignee's own conversations.
ALTER TABLE conversations ADD COLUMN assignee_id INTEGER REFERENCES employees(id) ON DELETE SET NULL;
CREATE INDEX conversations_assignee_list ON conversations(assignee_id, status, last_message_at DESC, id DESC)
    WHERE assignee_id IS NOT NULL;

-- Per channel: new conversations go to the signed-in employees with the channel in turn
-- (auto_assign = 1); last_assignee_id is whose turn it was last.
ALTER TABLE channels ADD COLUMN auto_assign INTEGER NOT NULL DEFAULT 0;
ALTER TABLE channels ADD COLUMN last_assignee_id INTEGER REFERENCES employees(id) ON DELETE SET NULL;
