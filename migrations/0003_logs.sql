-- Operational logs (SPEC §7): native to the database, never dropped by a rebuild. Fed in
-- batches by the Effect logger of `src/infra/logs/SqliteLogger.ts`.
-- `thread_id` is no foreign key: logs outlive their thread's row (a rebuild or repair may
-- remove it, or not have projected it yet).
-- `estimated_bytes` is the UTF-8 size of the row's rendered line `<timestamp> <LEVEL> <body>\n`
-- (see `src/domain/LogLine.ts`); the feedback export and retention budget on it.

CREATE TABLE logs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  ts INTEGER NOT NULL,
  ts_nanos INTEGER NOT NULL CHECK (ts_nanos >= 0 AND ts_nanos < 1000000000),
  level TEXT NOT NULL,
  target TEXT NOT NULL,
  message TEXT NOT NULL,
  feedback_log_body TEXT NOT NULL,
  thread_id TEXT,
  process_uuid TEXT NOT NULL,
  module_path TEXT,
  file TEXT,
  line INTEGER,
  estimated_bytes INTEGER NOT NULL CHECK (estimated_bytes >= 0)
);

-- A thread's rows newest first (the export's thread half, `logs --thread`), and the
-- processes that wrote them. The implicit rowid ends the key, so `ts, ts_nanos, id` order
-- is the index order.
CREATE INDEX logs_thread_time ON logs (thread_id, ts, ts_nanos) WHERE thread_id IS NOT NULL;

-- A process's threadless rows newest first: the export's other half. Partial, because an
-- entry in every row's index costs inserts a third of their rate; a query by process alone
-- (rare) reads `logs_time` instead.
CREATE INDEX logs_process_threadless_time ON logs (process_uuid, ts, ts_nanos) WHERE thread_id IS NULL;

-- All rows by time: retention (oldest first), time ranges, and unfiltered newest-first reads.
CREATE INDEX logs_time ON logs (ts, ts_nanos);
