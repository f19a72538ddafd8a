-- Who runs each open promotion journal entry, so that recovery only touches entries whose
-- process is gone: the owner's host name and process id, an identity of that process (its start
-- time, where the platform tells it, so a reused pid is not mistaken for the owner), a random
-- token of the run that holds the entry, and a heartbeat the owner refreshes while it runs.
-- Entries written before this migration have no owner: recovery treats them as abandoned.
ALTER TABLE promotions ADD COLUMN owner_host TEXT;
ALTER TABLE promotions ADD COLUMN owner_pid INTEGER;
ALTER TABLE promotions ADD COLUMN owner_started TEXT;
ALTER TABLE promotions ADD COLUMN owner_token TEXT;
ALTER TABLE promotions ADD COLUMN heartbeat_at TEXT;

-- At most one open entry per target repository and tag is enforced in journal_begin (inside its
-- write transaction); this index makes that lookup cheap.
CREATE INDEX promotions_open_tag ON promotions (dst_repository, tag)
    WHERE state NOT IN ('recorded', 'failed');
