-- The fold changed (issue 16, SPEC §11): a turn context's `permission_profile` wins over its
-- `sandbox_policy`, `thread_settings_applied` sets model, effort and approval, and `cwd` is stored
-- normalised. Rows folded before hold the old values, and a replay must equal them: mark every
-- row "nothing folded", as a rebuild does, so the next catch-up folds each file again from
-- scratch. Thread rows are kept (operational state keyed on them survives).
UPDATE threads SET projected_offset = 0, projected_lines = 0, file_size = -1;
