-- Derived from `events`, maintained in the same transaction as every append, never trusted by
-- `verify` (which recomputes both tables from the events and compares).

-- The events that start a timeline segment (see store::timeline for the rules).
CREATE TABLE segments (
    app TEXT    NOT NULL,
    env TEXT    NOT NULL,
    seq INTEGER NOT NULL REFERENCES events (seq),
    PRIMARY KEY (app, env, seq)
) WITHOUT ROWID;

-- The current state of each app x environment, for `status`.
CREATE TABLE heads (
    app                  TEXT    NOT NULL,
    env                  TEXT    NOT NULL,
    segment_seq          INTEGER REFERENCES events (seq),  -- current segment's first event
    segment_digest       TEXT,
    last_observation_seq INTEGER REFERENCES events (seq),
    last_change_seq      INTEGER REFERENCES events (seq),  -- newest record/promotion/rollback/drift
    drift                INTEGER NOT NULL DEFAULT 0,       -- that newest change is a drift
    PRIMARY KEY (app, env)
) WITHOUT ROWID;
