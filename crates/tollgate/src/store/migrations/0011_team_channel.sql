-- The team channel's problems and the artifacts it skipped (not chained: this desktop's view of
-- the team's registry, issue 17).
-- A subject whose referrers could not be read or kept listed (an index that is not one, a
-- listing over the caps, a re-list the registry forbids, index write contention after the
-- retries): one row per repository and subject (subject '' for the whole repository), the one
-- line sync printed, kept until a later pull of that subject succeeds.
CREATE TABLE team_problems (
    repository TEXT NOT NULL,
    subject    TEXT NOT NULL,
    app        TEXT NOT NULL,
    line       TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen  TEXT NOT NULL,
    PRIMARY KEY (repository, subject)
) WITHOUT ROWID;

-- Artifacts a pull skipped, by reason (`untrusted`, `malformed`, `replayed`, `newer`: needs a
-- newer Tollgate), with the digest of tollgate.toml's identities at the time: while they are
-- the same the artifact is not fetched again (its line is repeated from here).
CREATE TABLE team_skipped (
    artifact   TEXT PRIMARY KEY,
    repository TEXT NOT NULL,
    subject    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    reason     TEXT NOT NULL,
    line       TEXT NOT NULL,
    identities TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen  TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX team_skipped_subject ON team_skipped (repository, subject);
