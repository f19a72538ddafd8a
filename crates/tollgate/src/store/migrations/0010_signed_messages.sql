-- Every signed statement in the history, by the sha256 of its exact message bytes
-- (`data.message`), so that one is never imported twice and a copy already in the history
-- counts for nothing (domain::statement). Derived from the events like `segments`: filled for
-- the rows of older databases right after this migration (in Rust: SQLite has no sha256), and in
-- the append transaction of every event that carries a message. `replay_of`: the earlier event
-- (not an `unplaced` one) that carries the same bytes, when there is one.
CREATE TABLE signed_messages (
    seq       INTEGER PRIMARY KEY,
    sha256    TEXT    NOT NULL,
    kind      TEXT    NOT NULL,
    replay_of INTEGER
);
CREATE INDEX signed_messages_by_sha256 ON signed_messages (sha256, seq);
CREATE INDEX signed_messages_replays ON signed_messages (seq) WHERE replay_of IS NOT NULL;

-- Why an artifact seen in the registry was skipped: `untrusted` (does not verify against
-- tollgate.toml), `replayed` (its signed message is in the history already), `newer` (a message
-- version this Tollgate does not know yet), `ahead` (signed after the moment it was pulled).
ALTER TABLE team_untrusted ADD COLUMN class TEXT NOT NULL DEFAULT 'untrusted';
