-- Saved replies (issue 24, point 4): the team's snippets, typed with "/" in the composer.
-- body may hold placeholders ({client.name} …) filled for the conversation at hand.
CREATE TABLE saved_replies (
    id         INTEGER PRIMARY KEY,
    title      TEXT    NOT NULL UNIQUE,
    body       TEXT    NOT NULL,
    updated_by INTEGER REFERENCES employees(id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
