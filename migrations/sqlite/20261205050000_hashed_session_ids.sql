-- Session ids are now kept as their SHA-256 (app::auth::session::stored_id), never as the
-- cookie's value. The rows written before hold raw ids that no cookie's hash matches:
-- they are deleted, and everyone signs in again once.
DELETE FROM sessions;
