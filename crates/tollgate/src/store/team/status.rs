//! What the team step of a sync leaves for Settings → Team and `tollgate team status`
//! (migration 0007): the last pull, why unshared artifacts are not shared yet, and the
//! untrusted artifacts seen; and (migration 0011) the team channel's problems, one per subject
//! whose referrers could not be read or kept listed. Not part of the hash chain.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, OptionalExtension, Row};

use crate::domain::Digest;
use crate::store::Store;
use crate::{Error, Result};

/// When the team step of a sync last pulled, and what it found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamPullRow {
    pub at: DateTime<Utc>,
    /// Digests of interest asked about.
    pub digests: u64,
    /// Teammates' events imported.
    pub imported: u64,
    /// Artifacts that did not verify.
    pub untrusted: u64,
}

/// An untrusted artifact seen in the registry (deduplicated by its digest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UntrustedRow {
    pub artifact: Digest,
    /// `<registry name>/<path>` of the repository it was found in.
    pub repository: String,
    /// The image digest it is attached to.
    pub subject: Digest,
    /// `approval`, `promotion`, ...
    pub kind: String,
    /// Why it does not count, in one line.
    pub reason: String,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    /// Why it was skipped: `untrusted`, `replayed` (its signed message is in the history
    /// already), `newer` (needs a newer Tollgate), `ahead` (signed after the moment it was
    /// pulled).
    pub class: String,
}

/// A subject whose team channel could not be read or kept listed, as the last sync that met it
/// said (kept until a pull of that subject succeeds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProblemRow {
    pub repository: String,
    /// The image digest; `None` for a problem with the whole repository.
    pub subject: Option<Digest>,
    pub app: String,
    /// The one line sync printed: what is wrong, what was done, what to do.
    pub line: String,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

fn problem_row(r: &Row<'_>) -> rusqlite::Result<ProblemRow> {
    let subject: String = r.get(1)?;
    Ok(ProblemRow {
        repository: r.get(0)?,
        subject: if subject.is_empty() {
            None
        } else {
            Some(digest(subject)?)
        },
        app: r.get(2)?,
        line: r.get(3)?,
        first_seen: time(r.get(4)?)?,
        last_seen: time(r.get(5)?)?,
    })
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn time(s: String) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(&s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into())
        })
}

fn digest(s: String) -> rusqlite::Result<Digest> {
    Digest::parse(&s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.message.into())
    })
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn untrusted_row(r: &Row<'_>) -> rusqlite::Result<UntrustedRow> {
    Ok(UntrustedRow {
        artifact: digest(r.get(0)?)?,
        repository: r.get(1)?,
        subject: digest(r.get(2)?)?,
        kind: r.get(3)?,
        reason: r.get(4)?,
        first_seen: time(r.get(5)?)?,
        last_seen: time(r.get(6)?)?,
        class: r.get(7)?,
    })
}

impl Store {
    /// Remember the team step of a sync that just pulled (replacing the previous one).
    pub fn set_team_last_pull(
        &mut self,
        at: DateTime<Utc>,
        digests: usize,
        imported: usize,
        untrusted: usize,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO team_pulls (id, at, digests, imported, untrusted)
             VALUES (1, ?1, ?2, ?3, ?4)",
            params![stamp(at), count(digests), count(imported), count(untrusted)],
        )?;
        Ok(())
    }

    /// The team step of a sync that pulled last, if any did.
    pub fn team_last_pull(&self) -> Result<Option<TeamPullRow>> {
        Ok(self
            .conn
            .query_row(
                "SELECT at, digests, imported, untrusted FROM team_pulls WHERE id = 1",
                [],
                |r| {
                    Ok(TeamPullRow {
                        at: time(r.get(0)?)?,
                        digests: r.get::<_, i64>(1)?.max(0) as u64,
                        imported: r.get::<_, i64>(2)?.max(0) as u64,
                        untrusted: r.get::<_, i64>(3)?.max(0) as u64,
                    })
                },
            )
            .optional()?)
    }

    /// Why artifact `digest` is not shared yet (`None`: it is shared now; the reason goes).
    pub fn set_team_unshared_reason(
        &mut self,
        digest: &Digest,
        reason: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        match reason {
            Some(r) => self.conn.execute(
                "INSERT OR REPLACE INTO team_unshared_reasons (digest, reason, at) VALUES (?1, ?2, ?3)",
                params![digest.as_str(), r, stamp(at)],
            )?,
            None => self.conn.execute(
                "DELETE FROM team_unshared_reasons WHERE digest = ?1",
                [digest.as_str()],
            )?,
        };
        Ok(())
    }

    /// The local events not shared yet, by their `seq`, each with the one line its last push
    /// answered (`None` when none was kept).
    pub fn unshared_events(&self) -> Result<HashMap<i64, Option<String>>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT a.event_seq, r.reason FROM team_artifacts a
             LEFT JOIN team_unshared_reasons r ON r.digest = a.digest
             WHERE a.shared = 0 AND a.event_seq IS NOT NULL",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Remember an untrusted artifact seen now: once per artifact digest, keeping when it was
    /// first seen and the latest reason.
    pub fn note_team_untrusted(
        &mut self,
        artifact: &Digest,
        repository: &str,
        subject: &Digest,
        kind: &str,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.note_team_skipped(artifact, repository, subject, kind, "untrusted", reason, at)
    }

    /// Remember an artifact skipped now, filed under `class` (`untrusted`, `replayed`, `newer`,
    /// `ahead`): once per artifact digest, keeping when it was first seen and the latest class
    /// and reason.
    #[allow(clippy::too_many_arguments)]
    pub fn note_team_skipped(
        &mut self,
        artifact: &Digest,
        repository: &str,
        subject: &Digest,
        kind: &str,
        class: &str,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO team_untrusted (artifact, repository, subject, kind, reason, first_seen, last_seen, class)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)
             ON CONFLICT (artifact) DO UPDATE SET
                 reason = excluded.reason,
                 class = excluded.class,
                 last_seen = max(last_seen, excluded.last_seen)",
            params![
                artifact.as_str(),
                repository,
                subject.as_str(),
                kind,
                reason,
                stamp(at),
                class
            ],
        )?;
        Ok(())
    }

    /// An untrusted artifact remembered and seen listed again now (not fetched again).
    pub fn touch_team_untrusted(&mut self, artifact: &Digest, at: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "UPDATE team_untrusted SET last_seen = max(last_seen, ?2) WHERE artifact = ?1",
            params![artifact.as_str(), stamp(at)],
        )?;
        Ok(())
    }

    /// Every untrusted artifact seen, the most recently seen first.
    pub fn team_untrusted(&self) -> Result<Vec<UntrustedRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT artifact, repository, subject, kind, reason, first_seen, last_seen, class
             FROM team_untrusted ORDER BY last_seen DESC, artifact",
        )?;
        let rows = stmt.query_map([], untrusted_row)?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| Error::database(format!("team_untrusted: {e}")))
    }
}

impl Store {
    /// Keep the team channel problem of `subject` in `repository` met now (replacing the line,
    /// keeping when it was first met).
    pub fn note_team_problem(
        &mut self,
        repository: &str,
        subject: Option<&Digest>,
        app: &str,
        line: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO team_problems (repository, subject, app, line, first_seen, last_seen)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)
             ON CONFLICT (repository, subject) DO UPDATE SET
                 app = excluded.app, line = excluded.line,
                 last_seen = max(last_seen, excluded.last_seen)",
            params![
                repository,
                subject.map_or("", Digest::as_str),
                app,
                line,
                stamp(at)
            ],
        )?;
        Ok(())
    }

    /// The problem of `subject` in `repository` is gone (a pull of it succeeded).
    pub fn clear_team_problem(&mut self, repository: &str, subject: Option<&Digest>) -> Result<()> {
        self.conn.execute(
            "DELETE FROM team_problems WHERE repository = ?1 AND subject = ?2",
            params![repository, subject.map_or("", Digest::as_str)],
        )?;
        Ok(())
    }

    /// Every team channel problem kept, the most recently met first.
    pub fn team_problems(&self) -> Result<Vec<ProblemRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT repository, subject, app, line, first_seen, last_seen
             FROM team_problems ORDER BY last_seen DESC, repository, subject",
        )?;
        let rows = stmt.query_map([], problem_row)?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| Error::database(format!("team_problems: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::TeamArtifact;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn last_pull_unshared_reasons_and_untrusted_artifacts() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("t.db")).unwrap();
        assert_eq!(s.team_last_pull().unwrap(), None);
        s.set_team_last_pull(t("2026-12-01T10:00:00Z"), 4, 1, 0)
            .unwrap();
        s.set_team_last_pull(t("2026-12-01T11:00:00Z"), 5, 0, 2)
            .unwrap();
        let pull = s.team_last_pull().unwrap().unwrap();
        assert_eq!(
            (pull.at, pull.digests, pull.imported, pull.untrusted),
            (t("2026-12-01T11:00:00Z"), 5, 0, 2)
        );

        let a = TeamArtifact {
            digest: Digest::of(b"a"),
            subject: Digest::of(b"image"),
            repository: "local/p/api".into(),
            kind: "approval".into(),
            size: 600,
            shared: false,
            event_seq: Some(7),
            imported: Some(false),
        };
        s.put_team_artifact(&a).unwrap();
        assert_eq!(s.unshared_events().unwrap(), HashMap::from([(7, None)]));
        s.set_team_unshared_reason(&a.digest, Some("not shared yet: denied"), pull.at)
            .unwrap();
        assert_eq!(
            s.unshared_events().unwrap(),
            HashMap::from([(7, Some("not shared yet: denied".to_string()))])
        );
        s.set_team_artifact_shared(&a.digest).unwrap();
        s.set_team_unshared_reason(&a.digest, None, pull.at)
            .unwrap();
        assert!(s.unshared_events().unwrap().is_empty());

        let forged = Digest::of(b"forged");
        let subject = Digest::of(b"image");
        for (at, why) in [
            ("2026-12-01T10:00:00Z", "signed by key X"),
            ("2026-12-01T12:00:00Z", "signed by key Y"),
            ("2026-12-01T11:00:00Z", "signed by key Z"),
        ] {
            s.note_team_untrusted(&forged, "local/p/api", &subject, "approval", why, t(at))
                .unwrap();
        }
        let seen = s.team_untrusted().unwrap();
        assert_eq!(seen.len(), 1, "deduplicated by artifact");
        assert_eq!(seen[0].first_seen, t("2026-12-01T10:00:00Z"));
        assert_eq!(seen[0].last_seen, t("2026-12-01T12:00:00Z"));
        assert_eq!(seen[0].reason, "signed by key Z");
        assert_eq!(seen[0].subject, subject);
    }

    #[test]
    fn problems_are_kept_per_subject_until_cleared() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("t.db")).unwrap();
        let subject = Digest::of(b"image");
        for (at, line) in [
            ("2026-12-01T10:00:00Z", "one"),
            ("2026-12-01T11:00:00Z", "two"),
        ] {
            s.note_team_problem("local/p/api", Some(&subject), "api", line, t(at))
                .unwrap();
        }
        s.note_team_problem(
            "local/p/api",
            None,
            "api",
            "whole",
            t("2026-12-01T09:00:00Z"),
        )
        .unwrap();
        let all = s.team_problems().unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].subject, Some(subject.clone()));
        assert_eq!(all[0].line, "two");
        assert_eq!(all[0].first_seen, t("2026-12-01T10:00:00Z"));
        assert_eq!(all[1].subject, None);
        s.clear_team_problem("local/p/api", Some(&subject)).unwrap();
        assert_eq!(s.team_problems().unwrap().len(), 1);
    }
}
