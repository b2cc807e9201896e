-- Paginated history (issue 16 item 5, SPEC §1): a thread continued in further files keeps the
-- files before its current one here, in order, with their sizes when folded (JSON; NULL for a
-- thread of one file).
ALTER TABLE threads ADD COLUMN earlier_files TEXT;
