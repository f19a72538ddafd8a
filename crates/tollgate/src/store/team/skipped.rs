//! Artifacts a pull skipped, remembered (migration 0011) so that they are not fetched again
//! while tollgate.toml's identities are the same: untrusted, malformed, replayed, or needing a
//! newer Tollgate ([`SkipReason`]). Not part of the hash chain.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, Row};

use crate::domain::Digest;
use crate::store::Store;
use crate::team::SkipReason;
use crate::Result;

/// One remembered skipped artifact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedRow {
    pub artifact: Digest,
    /// `<registry name>/<path>` of the repository it was found in.
    pub repository: String,
    /// The image digest it is listed under.
    pub subject: Digest,
    /// Its artifact kind (`approval`, ...), or `""` when it could not be read.
    pub kind: String,
    pub reason: SkipReason,
    /// The one line the pull printed when it skipped it.
    pub line: String,
    /// [`crate::config::Config::identities_digest`] when it was skipped.
    pub identities: Digest,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn conversion(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into())
}

fn row(r: &Row<'_>) -> rusqlite::Result<SkippedRow> {
    let digest = |s: String| Digest::parse(&s).map_err(|e| conversion(e.message));
    let time = |s: String| {
        DateTime::parse_from_rfc3339(&s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(conversion)
    };
    let reason: String = r.get(4)?;
    Ok(SkippedRow {
        artifact: digest(r.get(0)?)?,
        repository: r.get(1)?,
        subject: digest(r.get(2)?)?,
        kind: r.get(3)?,
        reason: SkipReason::parse(&reason)
            .ok_or_else(|| conversion(format!("unknown skip reason '{reason}'")))?,
        line: r.get(5)?,
        identities: digest(r.get(6)?)?,
        first_seen: time(r.get(7)?)?,
        last_seen: time(r.get(8)?)?,
    })
}

const COLUMNS: &str =
    "artifact, repository, subject, kind, reason, line, identities, first_seen, last_seen";

impl Store {
    /// Remember that `artifact` was skipped now (`first_seen`/`last_seen` of `s` are ignored:
    /// now is `at`). Skipped again: the reason, line and identities are replaced, `first_seen`
    /// kept.
    pub fn remember_skipped(&mut self, s: &SkippedRow, at: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "INSERT INTO team_skipped (artifact, repository, subject, kind, reason, line, identities, first_seen, last_seen)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)
             ON CONFLICT (artifact) DO UPDATE SET
                 reason = excluded.reason, line = excluded.line, identities = excluded.identities,
                 kind = excluded.kind, last_seen = max(last_seen, excluded.last_seen)",
            params![
                s.artifact.as_str(),
                s.repository,
                s.subject.as_str(),
                s.kind,
                s.reason.as_str(),
                s.line,
                s.identities.as_str(),
                stamp(at)
            ],
        )?;
        Ok(())
    }

    /// The artifacts skipped under `subject` in `repository` while the identities were
    /// `identities` (the others are fetched again), by artifact digest.
    pub fn skipped_artifacts(
        &self,
        repository: &str,
        subject: &Digest,
        identities: &Digest,
    ) -> Result<HashMap<Digest, SkippedRow>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM team_skipped WHERE repository = ?1 AND subject = ?2 AND identities = ?3"
        ))?;
        let rows = stmt.query_map(
            params![repository, subject.as_str(), identities.as_str()],
            row,
        )?;
        let mut out = HashMap::new();
        for r in rows {
            let r = r?;
            out.insert(r.artifact.clone(), r);
        }
        Ok(out)
    }

    /// A remembered artifact seen listed again now (not fetched).
    pub fn touch_skipped(&mut self, artifact: &Digest, at: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "UPDATE team_skipped SET last_seen = max(last_seen, ?2) WHERE artifact = ?1",
            params![artifact.as_str(), stamp(at)],
        )?;
        Ok(())
    }

    /// Forget what was skipped under `subject` in `repository` under other identities than
    /// `identities` (after a pull that fetched it all again: what is still skipped is
    /// remembered anew).
    pub fn forget_stale_skipped(
        &mut self,
        repository: &str,
        subject: &Digest,
        identities: &Digest,
    ) -> Result<()> {
        self.conn.execute(
            "DELETE FROM team_skipped WHERE repository = ?1 AND subject = ?2 AND identities <> ?3",
            params![repository, subject.as_str(), identities.as_str()],
        )?;
        Ok(())
    }

    /// Every remembered skipped artifact, the most recently seen first.
    pub fn team_skipped(&self) -> Result<Vec<SkippedRow>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM team_skipped ORDER BY last_seen DESC, artifact"
        ))?;
        let rows = stmt.query_map([], row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn remembered_per_identities_and_seen_again() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("t.db")).unwrap();
        let (subject, ids) = (Digest::of(b"image"), Digest::of(b"ids"));
        let row = SkippedRow {
            artifact: Digest::of(b"a"),
            repository: "local/p/api".into(),
            subject: subject.clone(),
            kind: "approval".into(),
            reason: SkipReason::Untrusted,
            line: "untrusted approval".into(),
            identities: ids.clone(),
            first_seen: t("2026-12-01T10:00:00Z"),
            last_seen: t("2026-12-01T10:00:00Z"),
        };
        s.remember_skipped(&row, t("2026-12-01T10:00:00Z")).unwrap();
        s.touch_skipped(&row.artifact, t("2026-12-01T12:00:00Z"))
            .unwrap();
        let got = s.skipped_artifacts("local/p/api", &subject, &ids).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[&row.artifact].last_seen, t("2026-12-01T12:00:00Z"));
        assert_eq!(got[&row.artifact].first_seen, t("2026-12-01T10:00:00Z"));
        // Other identities: fetched again.
        assert!(s
            .skipped_artifacts("local/p/api", &subject, &Digest::of(b"other"))
            .unwrap()
            .is_empty());
        let mut replayed = row.clone();
        replayed.reason = SkipReason::Replayed;
        s.remember_skipped(&replayed, t("2026-12-01T13:00:00Z"))
            .unwrap();
        let all = s.team_skipped().unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].reason, SkipReason::Replayed);
        assert_eq!(all[0].first_seen, t("2026-12-01T10:00:00Z"));
    }
}
