-- Team history in the registry (not chained: a record of what this desktop published and saw).
-- Every event artifact this desktop knows, published or pulled: its manifest digest, the image
-- digest it is about, the repository holding it (`<registry name>/<path>`), its kind, whether
-- it is in the registry yet (shared = 0: a push was denied, retried on a later sync), and the
-- seq of its event in this history once appended or imported.
CREATE TABLE team_artifacts (
    digest     TEXT PRIMARY KEY,
    subject    TEXT NOT NULL,
    repository TEXT NOT NULL,
    kind       TEXT NOT NULL,
    size       INTEGER NOT NULL,
    shared     INTEGER NOT NULL CHECK (shared IN (0, 1)),
    event_seq  INTEGER
) WITHOUT ROWID;
CREATE INDEX team_artifacts_subject ON team_artifacts (repository, subject);
CREATE INDEX team_artifacts_unshared ON team_artifacts (shared) WHERE shared = 0;

-- The digest of the referrers index read last for each subject, so that an unchanged index
-- costs one HEAD.
CREATE TABLE team_indexes (
    repository   TEXT NOT NULL,
    subject      TEXT NOT NULL,
    index_digest TEXT NOT NULL,
    PRIMARY KEY (repository, subject)
) WITHOUT ROWID;
