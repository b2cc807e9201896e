-- Goals (SPEC §11): the reference's statuses `blocked` and `usage_limited`. SQLite cannot
-- change a CHECK constraint in place, so the table is rebuilt with its rows.

CREATE TABLE thread_goals_0006 (
  thread_id TEXT PRIMARY KEY NOT NULL,
  goal_id TEXT NOT NULL,
  objective TEXT NOT NULL,
  status TEXT NOT NULL CHECK (
    status IN ('active', 'paused', 'blocked', 'usage_limited', 'budget_limited', 'complete')
  ),
  token_budget INTEGER CHECK (token_budget IS NULL OR token_budget >= 0),
  tokens_used INTEGER NOT NULL DEFAULT 0 CHECK (tokens_used >= 0),
  time_used_ms INTEGER NOT NULL DEFAULT 0 CHECK (time_used_ms >= 0),
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL
);

INSERT INTO thread_goals_0006 SELECT
  thread_id, goal_id, objective, status, token_budget, tokens_used, time_used_ms, created_at_ms, updated_at_ms
FROM thread_goals;

DROP TABLE thread_goals;

ALTER TABLE thread_goals_0006 RENAME TO thread_goals;

-- `goals list`: the most recently updated first.
CREATE INDEX thread_goals_updated ON thread_goals (updated_at_ms DESC, thread_id DESC);
