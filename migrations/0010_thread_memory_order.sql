-- Memory (SPEC §11): writes to `thread_memory` are ordered per database, not only per row, so
-- "last N for a cwd" returns a rewrite ahead of an older write made in the same millisecond.
-- `write_seq` is one more than the highest in the table at each upsert; existing rows are
-- numbered in their (updated_at_ms, thread_id) order.

ALTER TABLE thread_memory ADD COLUMN write_seq INTEGER NOT NULL DEFAULT 0;

UPDATE thread_memory SET write_seq = (
  SELECT count(*) FROM thread_memory AS older
  WHERE older.updated_at_ms < thread_memory.updated_at_ms
    OR (older.updated_at_ms = thread_memory.updated_at_ms AND older.thread_id <= thread_memory.thread_id)
);

CREATE INDEX thread_memory_write_seq ON thread_memory (write_seq DESC);
