-- Memory jobs (SPEC §8): operational state, never dropped by a rebuild. A rebuild overwrites
-- thread rows in place, so the rows below that cascade from `threads` survive it; they go
-- only with a thread whose row is deleted.

-- A thread's memory: its trace summary and the memory distilled from it.
CREATE TABLE thread_memory (
  thread_id TEXT PRIMARY KEY NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
  trace_summary TEXT NOT NULL,
  memory_summary TEXT NOT NULL,
  -- Strictly increasing per row, even when the clock has not moved.
  updated_at_ms INTEGER NOT NULL
);

CREATE INDEX thread_memory_updated ON thread_memory (updated_at_ms DESC, thread_id DESC);

-- Phase 1's output per thread, computed from the thread as of `source_updated_at_ms`.
CREATE TABLE stage1_outputs (
  thread_id TEXT PRIMARY KEY NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
  source_updated_at_ms INTEGER NOT NULL,
  raw_memory TEXT NOT NULL,
  rollout_summary TEXT NOT NULL,
  rollout_slug TEXT,
  generated_at_ms INTEGER NOT NULL,
  usage_count INTEGER,
  last_usage_ms INTEGER,
  selected_for_phase2 INTEGER NOT NULL DEFAULT 0,
  selected_for_phase2_source_updated_at_ms INTEGER
);

CREATE INDEX stage1_outputs_source_updated ON stage1_outputs (source_updated_at_ms DESC, thread_id DESC);

-- Leased jobs: `memory_stage1` keyed by thread id, and the one `memory_consolidate_global`
-- row keyed `global` that is phase 2's lock. No foreign key: a job row is bookkeeping that
-- outlives its thread harmlessly.
CREATE TABLE jobs (
  kind TEXT NOT NULL,
  job_key TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'error')),
  worker_id TEXT,
  ownership_token TEXT,
  started_at_ms INTEGER,
  finished_at_ms INTEGER,
  lease_until_ms INTEGER,
  retry_at_ms INTEGER,
  retry_remaining INTEGER NOT NULL CHECK (retry_remaining >= 0),
  last_error TEXT,
  input_watermark INTEGER,
  last_success_watermark INTEGER,
  PRIMARY KEY (kind, job_key)
);

CREATE INDEX jobs_kind_status_retry_lease ON jobs (kind, status, retry_at_ms, lease_until_ms);
