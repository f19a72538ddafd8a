-- What Settings → Team and `tollgate team status` show (not chained: this desktop's view of
-- the team's registry). When the team step of a sync last pulled, and what it found; why each
-- unshared artifact (team_artifacts.shared = 0) is not shared yet, in the one line its last
-- push answered; every untrusted artifact seen (a Tollgate artifact whose signature does not
-- verify against tollgate.toml, or whose message does not say what it is attached to), once
-- per artifact digest, with when it was first and last seen.
CREATE TABLE team_pulls (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    at        TEXT NOT NULL,
    digests   INTEGER NOT NULL,
    imported  INTEGER NOT NULL,
    untrusted INTEGER NOT NULL
);

CREATE TABLE team_unshared_reasons (
    digest TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    at     TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE team_untrusted (
    artifact   TEXT PRIMARY KEY,
    repository TEXT NOT NULL,
    subject    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    reason     TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen  TEXT NOT NULL
) WITHOUT ROWID;
