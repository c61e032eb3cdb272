-- Private notes (issue 24, point 3): the team's words in a conversation's thread, never
-- sent to the lead and never a reply. channel_id is the conversation's, so access joins
-- need not go through conversations. Mentions are the employees a note names with
-- "@name" among those who may answer the conversation (resolved when it is written).
CREATE TABLE notes (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    channel_id      INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    author_id       INTEGER REFERENCES employees(id) ON DELETE SET NULL,
    body            TEXT    NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX notes_conversation ON notes(conversation_id, id);

CREATE TABLE note_mentions (
    note_id     INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
    employee_id INTEGER NOT NULL REFERENCES employees(id) ON DELETE CASCADE,
    PRIMARY KEY (note_id, employee_id)
);
CREATE INDEX note_mentions_employee ON note_mentions(employee_id);
