-- Fleet (issue 20): a thread row belongs to the host whose connection wrote it. Each
-- connection sets `rollout_state.host_id` when it connects, and the projections' one INSERT
-- (the same text as SQLite's, which has no host) takes it from there.
ALTER TABLE threads ALTER COLUMN host_id SET DEFAULT current_setting('rollout_state.host_id');

-- `threads.id` is the key every projection table references, so a rollout copied to a second
-- host has one row for both. The projector refuses to write another host's thread (a typed
-- failure naming both); this is the last guard, for two hosts projecting a new copy at once:
-- a projection's upsert of another host's row fails instead of moving the row to its files.
-- `UPDATE OF projected_offset`: projections set it, operational updates (memory mode) do not.
CREATE FUNCTION threads_refuse_other_host() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'thread % is projected by host "%"; this host is "%": a rollout copied to two hosts',
    OLD.id, OLD.host_id, current_setting('rollout_state.host_id')
    USING ERRCODE = 'P0001', HINT = 'rollout-state: thread of another host';
END
$$;
CREATE TRIGGER threads_own_host BEFORE UPDATE OF projected_offset ON threads
  FOR EACH ROW WHEN (OLD.host_id IS DISTINCT FROM current_setting('rollout_state.host_id'))
  EXECUTE FUNCTION threads_refuse_other_host();
