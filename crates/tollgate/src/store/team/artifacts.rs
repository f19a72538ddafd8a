//! The event artifacts this desktop knows (migration 0006; whether each was published here or
//! imported, migration 0013), the referrers index digest it read last per subject, and the
//! approvals the promotions and rollbacks of the history consumed. Not part of the hash chain.

use rusqlite::{params, OptionalExtension, Row};

use crate::domain::Digest;
use crate::store::Store;
use crate::{Error, Result};

/// One event artifact this desktop knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamArtifact {
    pub digest: Digest,
    pub subject: Digest,
    /// `<registry name>/<path>` of the repository holding it.
    pub repository: String,
    /// `approval`, `promotion`, `rollback`, `deployment`, `rejection`, `unrejection`.
    pub kind: String,
    /// Its manifest's size in bytes.
    pub size: u64,
    /// In the registry (`false`: a push was denied; retried later).
    pub shared: bool,
    /// Its event in this history, once appended or imported.
    pub event_seq: Option<i64>,
    /// `Some(true)`: pulled from a teammate (imported); `Some(false)`: this desktop's own event,
    /// published from here; `None`: not known (a row from before migration 13).
    pub imported: Option<bool>,
}

fn digest(s: String) -> rusqlite::Result<Digest> {
    Digest::parse(&s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.message.into())
    })
}

fn row(r: &Row<'_>) -> rusqlite::Result<TeamArtifact> {
    Ok(TeamArtifact {
        digest: digest(r.get(0)?)?,
        subject: digest(r.get(1)?)?,
        repository: r.get(2)?,
        kind: r.get(3)?,
        size: r.get::<_, i64>(4)? as u64,
        shared: r.get(5)?,
        event_seq: r.get(6)?,
        imported: r.get::<_, Option<String>>(7)?.map(|o| o == "imported"),
    })
}

const COLUMNS: &str = "digest, subject, repository, kind, size, shared, event_seq, origin";

impl Store {
    /// Remember an artifact. Known already: `shared` only goes from false to true, and an
    /// `event_seq` and an origin once set are kept.
    #[tracing::instrument(level = "debug", skip_all, fields(digest = %a.digest))]
    pub fn put_team_artifact(&mut self, a: &TeamArtifact) -> Result<()> {
        let size = i64::try_from(a.size)
            .map_err(|_| Error::bad_input(format!("artifact {} is too large", a.digest)))?;
        self.conn.execute(
            "INSERT INTO team_artifacts (digest, subject, repository, kind, size, shared, event_seq, origin)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (digest) DO UPDATE SET
                 shared = max(shared, excluded.shared),
                 event_seq = coalesce(event_seq, excluded.event_seq),
                 origin = coalesce(origin, excluded.origin)",
            params![
                a.digest.as_str(),
                a.subject.as_str(),
                a.repository,
                a.kind,
                size,
                a.shared,
                a.event_seq,
                a.imported.map(|i| if i { "imported" } else { "local" })
            ],
        )?;
        Ok(())
    }

    /// Mark an artifact as in the registry.
    pub fn set_team_artifact_shared(&mut self, digest: &Digest) -> Result<()> {
        self.conn.execute(
            "UPDATE team_artifacts SET shared = 1 WHERE digest = ?1",
            [digest.as_str()],
        )?;
        Ok(())
    }

    /// The artifact with this digest, if known.
    pub fn team_artifact(&self, digest: &Digest) -> Result<Option<TeamArtifact>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM team_artifacts WHERE digest = ?1"),
                [digest.as_str()],
                row,
            )
            .optional()?)
    }

    /// The `seq` of the `unplaced` event kept for teammate artifact `artifact` (a move this
    /// history does not place), if one was appended. No `team_artifacts` row is written for
    /// such a move, so that later syncs still fetch it and import it once it fits.
    pub fn unplaced_event(&self, artifact: &Digest) -> Result<Option<i64>> {
        Ok(self
            .conn
            .query_row(
                "SELECT seq FROM events WHERE kind = 'unplaced'
                   AND json_extract(data, '$.imported.artifact') = ?1 ORDER BY seq LIMIT 1",
                [artifact.as_str()],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The artifacts known for `subject` in `repository`, by digest.
    pub fn team_artifacts(&self, repository: &str, subject: &Digest) -> Result<Vec<TeamArtifact>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM team_artifacts WHERE repository = ?1 AND subject = ?2 ORDER BY digest"
        ))?;
        let rows = stmt.query_map(params![repository, subject.as_str()], row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Artifacts whose push was denied: what a later sync tries again.
    pub fn unshared_team_artifacts(&self) -> Result<Vec<TeamArtifact>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM team_artifacts WHERE shared = 0 ORDER BY digest"
        ))?;
        let rows = stmt.query_map([], row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The referrers index digest read last for `subject` in `repository`.
    pub fn team_index_digest(&self, repository: &str, subject: &Digest) -> Result<Option<Digest>> {
        let found: Option<String> = self
            .conn
            .query_row(
                "SELECT index_digest FROM team_indexes WHERE repository = ?1 AND subject = ?2",
                params![repository, subject.as_str()],
                |r| r.get(0),
            )
            .optional()?;
        Ok(found.and_then(|d| Digest::parse(&d).ok()))
    }

    /// Remember the index digest read for `subject` (`None`: there was no index).
    pub fn set_team_index_digest(
        &mut self,
        repository: &str,
        subject: &Digest,
        index: Option<&Digest>,
    ) -> Result<()> {
        match index {
            Some(d) => self.conn.execute(
                "INSERT OR REPLACE INTO team_indexes (repository, subject, index_digest) VALUES (?1, ?2, ?3)",
                params![repository, subject.as_str(), d.as_str()],
            )?,
            None => self.conn.execute(
                "DELETE FROM team_indexes WHERE repository = ?1 AND subject = ?2",
                params![repository, subject.as_str()],
            )?,
        };
        Ok(())
    }

    /// What this history saw of `subject`'s referrers in `repository`: the index digest read
    /// last, the artifacts known to be there (shared ones), and those skipped while the
    /// identities were `identities` ([`crate::config::Config::identities_digest`]), for
    /// [`crate::team::TeamRegistry::discover`].
    pub fn team_seen(
        &self,
        repository: &str,
        subject: &Digest,
        identities: &Digest,
    ) -> Result<crate::team::Seen> {
        // Something was skipped here under other identities: read the index again, so that
        // it is fetched anew (a key added may make an untrusted artifact count).
        let stale: bool = self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM team_skipped
               WHERE repository = ?1 AND subject = ?2 AND identities <> ?3)",
            params![repository, subject.as_str(), identities.as_str()],
            |r| r.get(0),
        )?;
        Ok(crate::team::Seen {
            index_digest: if stale {
                None
            } else {
                self.team_index_digest(repository, subject)?
            },
            known: self
                .team_artifacts(repository, subject)?
                .into_iter()
                .filter(|a| a.shared)
                .map(|a| a.digest)
                .collect(),
            skipped: self
                .skipped_artifacts(repository, subject, identities)?
                .into_keys()
                .collect(),
        })
    }
}

impl Store {
    /// The approvals consumed by every promotion and rollback of `app` this history knows
    /// (local, imported, or a teammate's kept `unplaced`: it was signed, verified and may well
    /// have moved the tag): the `approvals` their signed messages list, each the sha256 of an
    /// approval's signed bytes ([`crate::signing::approval_id`]). An approval in it never
    /// counts again, whichever desktop consumed it.
    pub fn consumed_approval_ids(&self, app: &str) -> Result<std::collections::HashSet<String>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT json_extract(data, '$.message') FROM events
              WHERE app = ?1 AND kind IN ('promotion', 'rollback', 'unplaced')
                AND json_extract(data, '$.message') IS NOT NULL",
        )?;
        let rows = stmt.query_map([app], |r| r.get::<_, String>(0))?;
        let mut out = std::collections::HashSet::new();
        for text in rows {
            let text = text?;
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
                continue;
            };
            for a in v["approvals"].as_array().into_iter().flatten() {
                if let Some(id) = a.as_str() {
                    out.insert(id.to_string());
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unplaced_move_consumed_its_approvals_and_is_found_by_artifact() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("t.db")).unwrap();
        let artifact = Digest::of(b"artifact");
        assert_eq!(s.unplaced_event(&artifact).unwrap(), None);
        let message = serde_json::json!({ "approvals": ["ab12"] }).to_string();
        s.append(vec![crate::domain::NewEvent {
            at: "2026-11-25T08:00:00Z".parse().unwrap(),
            kind: crate::domain::EventKind::Unplaced,
            app: "api".into(),
            env: "staging".into(),
            digest: Some(Digest::of(b"w")),
            actor: Some("bob@example.com".into()),
            data: serde_json::json!({
                "moved": "promotion",
                "message": message,
                "imported": { "artifact": artifact.as_str(), "repository": "local/p/api" },
            }),
        }])
        .unwrap();
        assert_eq!(s.unplaced_event(&artifact).unwrap(), Some(1));
        assert_eq!(s.unplaced_event(&Digest::of(b"other")).unwrap(), None);
        assert!(s.consumed_approval_ids("api").unwrap().contains("ab12"));
        // It changed no timeline.
        assert!(s.head("api", "staging").unwrap().segment.is_none());
    }

    #[test]
    fn artifacts_and_index_digests() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("t.db")).unwrap();
        let subject = Digest::of(b"image");
        let mut a = TeamArtifact {
            digest: Digest::of(b"a"),
            subject: subject.clone(),
            repository: "local/p/api".into(),
            kind: "approval".into(),
            size: 600,
            shared: false,
            event_seq: Some(3),
            imported: Some(false),
        };
        s.put_team_artifact(&a).unwrap();
        assert_eq!(s.unshared_team_artifacts().unwrap(), vec![a.clone()]);
        let ids = Digest::of(b"ids");
        assert!(s
            .team_seen("local/p/api", &subject, &ids)
            .unwrap()
            .known
            .is_empty());
        s.set_team_artifact_shared(&a.digest).unwrap();
        // A later put (pulled again, unshared, no seq) changes neither.
        let mut again = a.clone();
        again.event_seq = None;
        s.put_team_artifact(&again).unwrap();
        a.shared = true;
        assert_eq!(s.team_artifact(&a.digest).unwrap(), Some(a.clone()));
        assert_eq!(
            s.team_seen("local/p/api", &subject, &ids).unwrap().known,
            vec![a.digest.clone()]
        );
        let idx = Digest::of(b"index");
        s.set_team_index_digest("local/p/api", &subject, Some(&idx))
            .unwrap();
        assert_eq!(
            s.team_index_digest("local/p/api", &subject).unwrap(),
            Some(idx)
        );
        s.set_team_index_digest("local/p/api", &subject, None)
            .unwrap();
        assert_eq!(s.team_index_digest("local/p/api", &subject).unwrap(), None);
    }
}
