-- Incidents (`tollgate incident open|close`) are events of kinds `incident` and
-- `incident_close`, chained like every other. This index finds an app's incidents (of one
-- digest, or all) without walking its whole history: every checklist reads them.
CREATE INDEX events_incidents ON events (app, digest, seq)
    WHERE kind IN ('incident', 'incident_close');
