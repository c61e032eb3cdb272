-- Calls logged by hand or posted by the business's phone system (issue 22, point 3).
-- missed: an inbound call nobody answered (direction stays 'inbound');
-- external_id: the phone system's id of the call, so a re-posted call is not doubled;
-- created_by: the employee who logged it (NULL when the phone system posted it, or
-- the employee is gone).
ALTER TABLE calls ADD COLUMN missed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE calls ADD COLUMN external_id TEXT;
ALTER TABLE calls ADD COLUMN created_by INTEGER REFERENCES employees(id) ON DELETE SET NULL;
ALTER TABLE calls ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE calls ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
UPDATE calls SET created_at = started_at, updated_at = started_at;
CREATE UNIQUE INDEX calls_external_id ON calls(external_id) WHERE external_id IS NOT NULL;
-- The Calls page and the API: newest first, keyset-paginated on (started_at, id).
CREATE INDEX calls_list ON calls(started_at DESC, id DESC);
CREATE INDEX calls_phone ON calls(phone, started_at DESC);
