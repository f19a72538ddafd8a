-- The lanes with a teammate's move (status, the overview, verify and export judge the team
-- conflicts of those lanes only): the unplaced events and the imported promotions and
-- rollbacks, found through this partial index in one pass instead of a look at every lane's
-- promotions and rollbacks (with a JSON read of each) on every status. Its WHERE is the one
-- store/conflicts.rs asks, term for term, so that SQLite uses it.
-- IF NOT EXISTS: a database taken back to an older schema by hand (as the upgrade tests do)
-- still holds the index on the events table.
CREATE INDEX IF NOT EXISTS events_team_moves ON events (app, env, seq)
    WHERE kind = 'unplaced'
       OR (kind IN ('promotion', 'rollback') AND json_extract(data, '$.imported') IS NOT NULL);

-- The approvals an app's promotions, rollbacks and unplaced moves consumed (by their signed
-- bytes) are read for every checklist: this index holds just those moves of each app, so the
-- read does not walk every observation of the app. Its WHERE is the query's, term for term.
CREATE INDEX IF NOT EXISTS events_moves_by_app ON events (app, seq)
    WHERE kind IN ('promotion', 'rollback', 'unplaced');
