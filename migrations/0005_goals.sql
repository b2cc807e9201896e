-- Thread goals (SPEC §9): operational state, never dropped by a rebuild. One goal per thread;
-- `goal_id` changes when the goal is replaced, and every update names the one it expects.
-- No foreign key to `threads`: a goal is the host's, not the log's, and outlives a thread row
-- that a rebuild or repair removes or has not projected yet (as in the reference, which keeps
-- goals in a database of their own).

CREATE TABLE thread_goals (
  thread_id TEXT PRIMARY KEY NOT NULL,
  goal_id TEXT NOT NULL,
  objective TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('active', 'paused', 'budget_limited', 'complete')),
  token_budget INTEGER CHECK (token_budget IS NULL OR token_budget >= 0),
  tokens_used INTEGER NOT NULL DEFAULT 0 CHECK (tokens_used >= 0),
  time_used_ms INTEGER NOT NULL DEFAULT 0 CHECK (time_used_ms >= 0),
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL
);
