-- Where each known event artifact came from (issue 17, "anchoring cannot be turned off by an
-- unsigned field"): 'local' when this desktop published its own event, 'imported' when a sync
-- pulled a teammate's. An approval or verdict marked imported must name an artifact of origin
-- 'imported'. Rows from before this migration are NULL (not known: judged as before).
ALTER TABLE team_artifacts ADD COLUMN origin TEXT CHECK (origin IN ('local', 'imported'));
