-- The thread list's parent filter (issue 16): a thread's children in page order. Partial, so only
-- spawned threads pay for them.
CREATE INDEX threads_parent_created ON threads (parent_thread_id, archived, created_at_ms DESC, id DESC)
  WHERE parent_thread_id IS NOT NULL;
CREATE INDEX threads_parent_updated ON threads (parent_thread_id, archived, updated_at_ms DESC, id DESC)
  WHERE parent_thread_id IS NOT NULL;
