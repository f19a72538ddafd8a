-- Registry metadata per manifest digest: a cache, not history (not chained, replaceable).
CREATE TABLE image_info (
    digest TEXT PRIMARY KEY,
    json   TEXT NOT NULL
) WITHOUT ROWID;
