//! The signed checkpoints this desktop published (migration 0012): per team repository, the
//! last one published there and the line its last attempt answered. Not part of the hash chain.

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, OptionalExtension};

use crate::store::Store;
use crate::Result;

/// What this desktop last did about checkpoints in one team repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointRow {
    /// `<registry name>/<path>`.
    pub repository: String,
    /// The last checkpoint published there: tag, signer, key fingerprint, `seq`, `hash`,
    /// artifact digest; `None` before the first.
    pub published: Option<PublishedRow>,
    /// The line the last attempt answered.
    pub line: String,
    pub tried_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedRow {
    pub tag: String,
    pub signer: String,
    pub fingerprint: String,
    pub seq: i64,
    pub hash: String,
    pub artifact: String,
    pub at: String,
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl Store {
    /// The checkpoint state of every team repository this desktop tried, by repository.
    pub fn checkpoint_rows(&self) -> Result<Vec<CheckpointRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT repository, tag, signer, fingerprint, seq, hash, artifact, published_at, line, tried_at
             FROM checkpoints ORDER BY repository",
        )?;
        let rows = stmt.query_map([], |r| {
            let published = match (
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<i64>>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, Option<String>>(7)?,
            ) {
                (
                    Some(tag),
                    Some(signer),
                    Some(fingerprint),
                    Some(seq),
                    Some(hash),
                    Some(artifact),
                    Some(at),
                ) => Some(PublishedRow {
                    tag,
                    signer,
                    fingerprint,
                    seq,
                    hash,
                    artifact,
                    at,
                }),
                _ => None,
            };
            Ok(CheckpointRow {
                repository: r.get(0)?,
                published,
                line: r.get(8)?,
                tried_at: r.get(9)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The last checkpoint published to `repository`, if any.
    pub fn checkpoint_published(&self, repository: &str) -> Result<Option<PublishedRow>> {
        let row = self
            .conn
            .query_row(
                "SELECT tag, signer, fingerprint, seq, hash, artifact, published_at FROM checkpoints
                 WHERE repository = ?1 AND seq IS NOT NULL",
                [repository],
                |r| {
                    Ok(PublishedRow {
                        tag: r.get(0)?,
                        signer: r.get(1)?,
                        fingerprint: r.get(2)?,
                        seq: r.get(3)?,
                        hash: r.get(4)?,
                        artifact: r.get(5)?,
                        at: r.get(6)?,
                    })
                },
            )
            .optional()?;
        Ok(row)
    }

    /// Remember a checkpoint just published to `repository`, with its line.
    pub fn set_checkpoint_published(
        &mut self,
        repository: &str,
        p: &PublishedRow,
        line: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO checkpoints (repository, tag, signer, fingerprint, seq, hash, artifact, published_at, line, tried_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT (repository) DO UPDATE SET tag = ?2, signer = ?3, fingerprint = ?4,
                 seq = ?5, hash = ?6, artifact = ?7, published_at = ?8, line = ?9, tried_at = ?10",
            params![
                repository,
                p.tag,
                p.signer,
                p.fingerprint,
                p.seq,
                p.hash,
                p.artifact,
                p.at,
                line,
                stamp(at)
            ],
        )?;
        Ok(())
    }

    /// Remember why nothing was published to `repository` this time (the last published
    /// checkpoint, if any, is kept).
    pub fn set_checkpoint_line(
        &mut self,
        repository: &str,
        line: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO checkpoints (repository, line, tried_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (repository) DO UPDATE SET line = ?2, tried_at = ?3",
            params![repository, line, stamp(at)],
        )?;
        Ok(())
    }

    /// Whether the chain has an event other than an observation after `seq`: what makes a
    /// new checkpoint worth publishing (every sync appends observations).
    pub fn authored_after(&self, seq: i64) -> Result<bool> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM events WHERE seq > ?1 AND kind != 'observation')",
            [seq],
            |r| r.get(0),
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::disallowed_methods, reason = "any time will do here")]
    fn keeps_the_last_published_while_lines_change() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("t.db")).unwrap();
        let now = Utc::now();
        assert!(s.checkpoint_published("r/p").unwrap().is_none());
        s.set_checkpoint_line("r/p", "no key", now).unwrap();
        assert!(s.checkpoint_published("r/p").unwrap().is_none());
        let p = PublishedRow {
            tag: "t".into(),
            signer: "a".into(),
            fingerprint: "SHA256:x".into(),
            seq: 3,
            hash: "h".into(),
            artifact: "sha256:y".into(),
            at: stamp(now),
        };
        s.set_checkpoint_published("r/p", &p, "published", now)
            .unwrap();
        s.set_checkpoint_line("r/p", "denied", now).unwrap();
        assert_eq!(s.checkpoint_published("r/p").unwrap(), Some(p));
        let rows = s.checkpoint_rows().unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].line, "denied");
        assert!(!s.authored_after(0).unwrap());
    }
}
