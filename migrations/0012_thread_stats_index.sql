-- `rollout-state stats` (issue 18): the window's threads grouped by day, model and cwd. With
-- every column it reads in one index, ordered by creation time per archived state, a window is
-- one index range per state and no table row is read (the rows carry titles and first
-- messages: 1.4 GB at 1M threads).
CREATE INDEX threads_stats ON threads (archived, created_at_ms, model, cwd, tokens_used);
