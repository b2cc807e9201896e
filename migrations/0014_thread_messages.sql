-- Full-text search (issue 19): the text of each thread's messages, one row per message line,
-- and an FTS5 index over it. External content: the text is stored once, in `thread_messages`;
-- the index holds only terms and positions and is kept in step by the triggers (a cascade from
-- `threads` fires them too). Tokenizer and ranking choices: docs/decisions.md, "Full-text search".

CREATE TABLE thread_messages (
  id INTEGER PRIMARY KEY,
  thread_id TEXT NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
  -- The message's line in the thread's rollout (1-based), counted across its files: a later
  -- page's lines follow the earlier pages' (paginated history, SPEC §1).
  position INTEGER NOT NULL,
  turn_index INTEGER,
  kind TEXT NOT NULL,
  text TEXT NOT NULL,
  UNIQUE (thread_id, position)
);

CREATE VIRTUAL TABLE thread_messages_fts USING fts5 (
  text,
  content = 'thread_messages',
  content_rowid = 'id',
  tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER thread_messages_indexed AFTER INSERT ON thread_messages BEGIN
  INSERT INTO thread_messages_fts (rowid, text) VALUES (new.id, new.text);
END;

CREATE TRIGGER thread_messages_unindexed AFTER DELETE ON thread_messages BEGIN
  INSERT INTO thread_messages_fts (thread_messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;

CREATE TRIGGER thread_messages_reindexed AFTER UPDATE ON thread_messages BEGIN
  INSERT INTO thread_messages_fts (thread_messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
  INSERT INTO thread_messages_fts (rowid, text) VALUES (new.id, new.text);
END;

-- What a query sees, per term (documents and occurrences): verify compares it between the live
-- index and a rebuild's, since rowids (and so the index's own pages) differ between the two.
CREATE VIRTUAL TABLE thread_messages_terms USING fts5vocab (thread_messages_fts, row);

-- Rows folded before hold no messages, and a replay must equal them: fold every file again from
-- scratch on the next catch-up, as 0009 did (thread rows and their operational state are kept).
UPDATE threads SET projected_offset = 0, projected_lines = 0, file_size = -1;
