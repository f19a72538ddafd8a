-- Signed checkpoints (not chained: this desktop's record of what it published). Per team
-- repository (`<registry name>/<path>`): the last checkpoint this desktop published there
-- (its tag, signer, key fingerprint, chain position and artifact digest; NULL before the
-- first) and the one line its last attempt answered (published, or why not: no listed key,
-- push denied, registry unreachable), shown by `tollgate team status`.
CREATE TABLE checkpoints (
    repository   TEXT PRIMARY KEY,
    tag          TEXT,
    signer       TEXT,
    fingerprint  TEXT,
    seq          INTEGER,
    hash         TEXT,
    artifact     TEXT,
    published_at TEXT,
    line         TEXT NOT NULL,
    tried_at     TEXT NOT NULL
) WITHOUT ROWID;
