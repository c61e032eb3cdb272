-- API token scopes (comma-separated: phone-card:read, conversations:read,
-- conversations:write) and an optional expiry. Tokens made before scopes existed keep
-- doing what they did; a new token names its scopes itself.
ALTER TABLE api_tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT '';
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT;
UPDATE api_tokens SET scopes = 'phone-card:read,conversations:read,conversations:write';
