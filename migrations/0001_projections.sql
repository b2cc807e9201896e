-- Projections of the rollout log (SPEC §2): rebuild drops and replays them.

CREATE TABLE threads (
  id TEXT PRIMARY KEY NOT NULL,
  rollout_path TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL,
  source TEXT NOT NULL,
  thread_source TEXT,
  agent_nickname TEXT,
  agent_role TEXT,
  agent_path TEXT,
  parent_thread_id TEXT,
  forked_from_id TEXT,
  model_provider TEXT NOT NULL,
  model TEXT,
  reasoning_effort TEXT,
  cwd TEXT NOT NULL,
  cli_version TEXT NOT NULL,
  title TEXT NOT NULL,
  name TEXT,
  first_user_message TEXT,
  sandbox_policy TEXT NOT NULL,
  approval_mode TEXT NOT NULL,
  tokens_used INTEGER NOT NULL,
  git_sha TEXT,
  git_branch TEXT,
  git_origin_url TEXT,
  memory_mode TEXT,
  archived INTEGER NOT NULL DEFAULT 0,
  archived_at_ms INTEGER,
  -- How far the fold has read rollout_path: bytes of complete lines, and their count.
  projected_offset INTEGER NOT NULL,
  projected_lines INTEGER NOT NULL,
  -- The file's size when it was last folded: an unchanged size means nothing to read.
  file_size INTEGER NOT NULL,
  -- The fold's own progress (FoldProgress as JSON), so a later tail folds on exactly.
  fold_progress TEXT NOT NULL
);

CREATE INDEX threads_archived_created ON threads (archived, created_at_ms DESC, id DESC);
CREATE INDEX threads_archived_updated ON threads (archived, updated_at_ms DESC, id DESC);
CREATE INDEX threads_rollout_path ON threads (rollout_path);

CREATE TABLE thread_dynamic_tools (
  thread_id TEXT NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  namespace TEXT,
  description TEXT NOT NULL,
  input_schema TEXT NOT NULL,
  hidden INTEGER NOT NULL,
  PRIMARY KEY (thread_id, position)
);

CREATE TABLE thread_turns (
  thread_id TEXT NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
  turn_index INTEGER NOT NULL,
  turn_id TEXT,
  started_at_ms INTEGER,
  model TEXT,
  reasoning_effort TEXT,
  cwd TEXT NOT NULL,
  user_message TEXT,
  tokens_used INTEGER NOT NULL,
  PRIMARY KEY (thread_id, turn_index)
);

CREATE TABLE thread_spawn_edges (
  child_thread_id TEXT PRIMARY KEY NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
  parent_thread_id TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'open'
);

CREATE INDEX thread_spawn_edges_parent ON thread_spawn_edges (parent_thread_id, status);

-- Operational state (SPEC §2): never dropped by a rebuild.

CREATE TABLE backfill_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'complete')),
  last_watermark TEXT,
  last_success_at_ms INTEGER,
  updated_at_ms INTEGER NOT NULL,
  -- Who runs it: `pid:<pid>:<host>`; a claim whose process is gone is taken over at once.
  owner TEXT
);

INSERT INTO backfill_state (id, status, updated_at_ms) VALUES (1, 'pending', 0);
