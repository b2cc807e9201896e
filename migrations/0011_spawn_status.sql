-- Agent graph (issue 16, SPEC §11): a thread is open or closed as an agent, and the spawn edge to
-- it carries the same status. The fold reads it from `thread_spawn_status_updated` events, so
-- it is a projection column; rows folded before hold no such event, and `open` is what a
-- replay gives them. SQLite cannot add a CHECK to an existing column: the edges table is rebuilt
-- with its rows, and its index now also orders children by id within a status.

ALTER TABLE threads ADD COLUMN spawn_status TEXT NOT NULL DEFAULT 'open'
  CHECK (spawn_status IN ('open', 'closed'));

CREATE TABLE thread_spawn_edges_0011 (
  child_thread_id TEXT PRIMARY KEY NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
  parent_thread_id TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed'))
);

-- Every edge is open, as its child's new `spawn_status` is: nothing wrote another status before.
INSERT INTO thread_spawn_edges_0011 (child_thread_id, parent_thread_id, status)
SELECT child_thread_id, parent_thread_id, 'open' FROM thread_spawn_edges;

DROP TABLE thread_spawn_edges;

ALTER TABLE thread_spawn_edges_0011 RENAME TO thread_spawn_edges;

CREATE INDEX thread_spawn_edges_parent ON thread_spawn_edges (parent_thread_id, status, child_thread_id);
