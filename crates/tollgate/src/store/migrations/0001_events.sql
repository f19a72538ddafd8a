-- The hash-chained event log. `seq` is 1, 2, 3, ... with no gaps; each row's `hash` covers its
-- content and the previous row's hash (see store::chain::event_hash). Rows are never changed or
-- removed: the triggers below refuse it, and `tollgate verify` notices if they were dropped.
CREATE TABLE events (
    seq       INTEGER PRIMARY KEY,
    at        TEXT    NOT NULL,  -- RFC 3339 UTC with milliseconds: 2026-11-25T08:00:00.000Z
    kind      TEXT    NOT NULL,  -- observation | record | approval | promotion | rollback | drift
    app       TEXT    NOT NULL,
    env       TEXT    NOT NULL,
    digest    TEXT,              -- sha256:<64 hex>; NULL when the tag did not exist
    actor     TEXT,
    data      TEXT    NOT NULL,  -- canonical JSON object
    prev_hash TEXT    NOT NULL,
    hash      TEXT    NOT NULL
);

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: a history row cannot be changed');
END;

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: a history row cannot be deleted');
END;

-- Per app x environment lookups by kind (explained_since, drift) and per-app exports.
CREATE INDEX events_by_app_env_kind ON events (app, env, kind, seq);
-- Exports of a period.
CREATE INDEX events_by_at ON events (at);
