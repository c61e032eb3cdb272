-- Documents: each kind its own statuses, the document it was converted from, and when it
-- last changed (for the API's updated_since).
ALTER TABLE documents ADD COLUMN source_document_id BIGINT REFERENCES documents(id) ON DELETE SET NULL;
ALTER TABLE documents ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;
UPDATE documents SET updated_at = created_at;
-- Backfill: map the old free-form statuses onto each kind's list.
UPDATE documents SET status = CASE
    WHEN status IN ('new', 'contacted', 'won', 'lost') THEN status
    WHEN status IN ('converted', 'accepted') THEN 'won'
    WHEN status IN ('closed', 'declined') THEN 'lost'
    ELSE 'new' END WHERE kind = 'lead';
UPDATE documents SET status = CASE
    WHEN status IN ('draft', 'sent', 'accepted', 'declined') THEN status
    WHEN status IN ('won', 'approved') THEN 'accepted'
    WHEN status IN ('lost', 'rejected') THEN 'declined'
    ELSE 'draft' END WHERE kind = 'estimate';
UPDATE documents SET status = CASE
    WHEN status IN ('new', 'in_progress', 'ready', 'delivered') THEN status
    WHEN status IN ('done', 'closed', 'completed') THEN 'delivered'
    ELSE 'new' END WHERE kind = 'order';
UPDATE documents SET status = CASE
    WHEN status IN ('unpaid', 'paid', 'void') THEN status
    WHEN status IN ('cancelled', 'canceled') THEN 'void'
    ELSE 'unpaid' END WHERE kind = 'invoice';
CREATE INDEX documents_kind_status ON documents(kind, status, created_at DESC);
CREATE INDEX documents_source ON documents(source_document_id);
CREATE INDEX documents_updated ON documents(updated_at, id);
