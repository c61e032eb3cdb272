-- Full-text search over message text, so that a word finds its conversations without
-- scanning every message. SQLite uses an FTS5 table kept in step by triggers; here a
-- generated tsvector column on messages (kept in step by PostgreSQL itself, and filled
-- for the messages already there) with a GIN index. The application queries
--     WHERE m.search @@ to_tsquery('simple', confab_fold($1))
-- No extension (unaccent, pg_trgm): the migrations run in whatever schema is current,
-- alongside other schemas of the same database running them too.

-- Lower case without diacritics, like FTS5's `unicode61 remove_diacritics 2`, for the
-- accented letters of Portuguese, Spanish, French and German. Upper-case accented letters
-- are listed too because lower() leaves them alone under the C collation. The two strings
-- of translate() have the same length (54 characters), letter for letter.
CREATE FUNCTION confab_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
        SELECT translate(
            lower($1),
            'áàâãäåéèêëíìîïóòôõöúùûüçñýÿÁÀÂÃÄÅÉÈÊËÍÌÎÏÓÒÔÕÖÚÙÛÜÇÑÝŸ',
            'aaaaaaeeeeiiiiooooouuuucnyyaaaaaaeeeeiiiiooooouuuucnyy'
        )
    $$;

ALTER TABLE messages
    ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('simple', confab_fold(body))) STORED;
CREATE INDEX messages_search ON messages USING GIN (search);
