-- A teammate's verified promotion, rollback or record that this history does not place is kept
-- once as an `unplaced` event (its `data.imported.artifact` names the artifact it was pulled
-- as), so that the conflict rules see it. Every sync that pulls the artifact again asks whether
-- it is kept already: one index seek, on unplaced events only.
CREATE INDEX IF NOT EXISTS events_unplaced_artifact ON events (json_extract(data, '$.imported.artifact'))
    WHERE kind = 'unplaced';
