-- Incidents (`tollgate incident open|close`) are events of kinds `incident` and
-- `incident_close`, chained like every other. This index finds an app's incidents (of one
-- digest, or all) without walking its whole history: every checklist reads them.
-- IF NOT EXISTS: a database taken back to an older schema by hand (as the upgrade tests do)
-- still holds the index on the events table.
CREATE INDEX IF NOT EXISTS events_incidents ON events (app, digest, seq)
    WHERE kind IN ('incident', 'incident_close');
