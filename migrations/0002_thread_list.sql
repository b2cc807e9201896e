-- Thread listing (SPEC §5): the source kind as a column for filters, and indexes that serve
-- every filter and sort with a keyset range on (sort key, id).

ALTER TABLE threads ADD COLUMN source_kind TEXT NOT NULL DEFAULT '';

UPDATE threads SET source_kind = CASE
  WHEN json_valid(source) AND json_type(source) = 'object'
    THEN (SELECT key FROM json_each(threads.source) LIMIT 1)
  ELSE source
END;

CREATE INDEX threads_archived_cwd_created ON threads (archived, cwd, created_at_ms DESC, id DESC);
CREATE INDEX threads_archived_cwd_updated ON threads (archived, cwd, updated_at_ms DESC, id DESC);
