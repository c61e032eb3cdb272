-- A client created from a conversation remembers the channel it came from and stays
-- private (shared = 0) to the employees who can see one of its conversations or that
-- channel, until someone with the Documents permission shares it with the team (recorded
-- in shared_at and shared_by). Clients made any other way are shared. Existing clients were
-- all made from conversations (or by the demo, without one): those whose contacts are all
-- on one channel become private to it, as they would be if made now; the others stay shared.
ALTER TABLE clients ADD COLUMN origin_channel_id BIGINT REFERENCES channels(id) ON DELETE SET NULL;
ALTER TABLE clients ADD COLUMN shared BIGINT NOT NULL DEFAULT 1;
ALTER TABLE clients ADD COLUMN shared_at BIGINT;
ALTER TABLE clients ADD COLUMN shared_by BIGINT REFERENCES employees(id) ON DELETE SET NULL;

UPDATE clients
   SET origin_channel_id = (SELECT MIN(ct.channel_id) FROM contacts ct WHERE ct.client_id = clients.id),
       shared = 0
 WHERE (SELECT COUNT(DISTINCT ct.channel_id) FROM contacts ct WHERE ct.client_id = clients.id) = 1;
