-- Source kinds of SPEC §11 (issue 16): the reference's `thread/list` kinds, sub-agent sources split
-- by variant, strings the reference does not write as `unknown`. `sourceKind` in
-- src/domain/SessionSource.ts computes the same for every row written from now on (a test holds
-- the two equal). Indexes for a source-kind filter: one ordered range per kind.

UPDATE threads SET source_kind = CASE
  WHEN substr(source, 1, 1) = '{' AND json_valid(source) AND json_type(source) = 'object' THEN CASE
    WHEN (SELECT count(*) FROM json_each(threads.source)) <> 1 THEN 'unknown'
    WHEN json_type(source, '$.subagent') IS NOT NULL THEN CASE
      WHEN json_type(source, '$.subagent') = 'text' AND json_extract(source, '$.subagent') = 'review'
        THEN 'subAgentReview'
      WHEN json_type(source, '$.subagent') = 'text' AND json_extract(source, '$.subagent') = 'compact'
        THEN 'subAgentCompact'
      WHEN json_type(source, '$.subagent') = 'object' AND json_type(source, '$.subagent.thread_spawn') IS NOT NULL
        THEN 'subAgentThreadSpawn'
      ELSE 'subAgentOther'
    END
    WHEN json_type(source, '$.custom') IS NOT NULL THEN 'custom'
    WHEN json_type(source, '$.internal') IS NOT NULL THEN 'internal'
    ELSE 'unknown'
  END
  WHEN source IN ('cli', 'vscode', 'exec', 'mcp', 'unknown') THEN source
  WHEN source IN ('app_server', 'appServer') THEN 'appServer'
  ELSE 'unknown'
END;

CREATE INDEX threads_archived_kind_created ON threads (archived, source_kind, created_at_ms DESC, id DESC);
CREATE INDEX threads_archived_kind_updated ON threads (archived, source_kind, updated_at_ms DESC, id DESC);
