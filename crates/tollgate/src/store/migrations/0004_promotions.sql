-- The promotion journal: the state machine of each promotion or rollback in flight
-- (intended -> pushed -> verified -> recorded, or failed). It is operational state, not history:
-- the history event is appended in the same transaction that marks an entry recorded.
-- An approval reserved by an open or recorded entry cannot be used by another promotion.
CREATE TABLE promotions (
    id             INTEGER PRIMARY KEY,
    kind           TEXT    NOT NULL,  -- promotion | rollback
    app            TEXT    NOT NULL,
    from_env       TEXT    NOT NULL,
    to_env         TEXT    NOT NULL,
    digest         TEXT    NOT NULL,
    src_repository TEXT    NOT NULL,
    dst_repository TEXT    NOT NULL,
    tag            TEXT    NOT NULL,
    approvals      TEXT    NOT NULL,  -- JSON array of approval event seqs
    evaluation     TEXT    NOT NULL,  -- JSON: the policy checklist at the time
    actor          TEXT    NOT NULL,
    previous       TEXT,              -- digest the target tag pointed to before
    state          TEXT    NOT NULL,  -- intended | pushed | verified | recorded | failed
    error          TEXT,
    event_seq      INTEGER,           -- the history event, once recorded
    created_at     TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL
);

CREATE INDEX promotions_open ON promotions (state) WHERE state NOT IN ('recorded', 'failed');

-- Which approval is reserved (or consumed) by which journal entry; one entry per approval.
CREATE TABLE promotion_approvals (
    approval_seq INTEGER PRIMARY KEY,
    promotion_id INTEGER NOT NULL REFERENCES promotions (id)
);
