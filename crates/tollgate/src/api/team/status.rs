//! `tollgate team status` and Settings → Team: whether this workspace shares its history
//! through the registry, where, when this desktop last pulled its teammates' events, which of
//! its own events are not shared yet (and why), which untrusted artifacts it has seen, the team
//! channel's problems (a subject whose referrers could not be read or kept listed), and the
//! skipped artifacts it remembers (not fetched again until tollgate.toml's identities change).

use chrono::{DateTime, Utc};
use serde::Serialize;
use ts_rs::TS;

use crate::api::{open, Context};
use crate::config::{RegistryLocation, Workspace};
use crate::team::repository_for;
use crate::Result;

/// The team-sharing state of a workspace on this desktop.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct TeamStatus {
    /// `[team] share` in tollgate.toml (default on).
    pub sharing: bool,
    /// How to turn it the other way, in one line naming the file and the line to write.
    pub change: String,
    /// `[team] ledger`: the one repository every event goes to; `null` when each app's own.
    pub ledger: Option<String>,
    /// Where each app's events are published and pulled.
    pub repositories: Vec<TeamRepository>,
    /// When the team step of a sync last pulled; `null` before the first one.
    pub last_pull: Option<TeamPull>,
    /// This desktop's events that are not in the registry yet (every sync tries again).
    pub unshared: Vec<UnsharedEvent>,
    /// Artifacts pulled that do not count (each with its `class`): untrusted, replayed, of a
    /// message version that needs a newer Tollgate, or signed ahead of time. Ignored by the
    /// policy; they explain no tag move.
    pub untrusted: Vec<UntrustedEvent>,
    /// The team channel's problems, as the last sync (or approve, promote) that met each said;
    /// gone once a pull of that subject succeeds.
    pub problems: Vec<TeamProblem>,
    /// Artifacts skipped and remembered (untrusted, malformed, replayed, needing a newer
    /// Tollgate): not fetched again until tollgate.toml's identities change.
    pub skipped: Vec<SkippedArtifact>,
    /// The signed checkpoints of this desktop's chain head, per team repository: the last
    /// published and the line the last attempt answered (absent before the first sync).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub checkpoints: Option<Vec<TeamCheckpoint>>,
}

/// A subject whose team channel could not be read or kept listed.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct TeamProblem {
    pub app: String,
    pub repository: String,
    /// The image digest; `null` when the whole team step failed.
    pub subject: Option<String>,
    /// The one line sync printed: what is wrong, what was done, what to do.
    pub line: String,
    #[ts(type = "string")]
    pub first_seen: DateTime<Utc>,
    #[ts(type = "string")]
    pub last_seen: DateTime<Utc>,
}

/// A remembered skipped artifact.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SkippedArtifact {
    pub artifact: String,
    pub repository: String,
    pub subject: String,
    /// `approval`, `promotion`, ..., or `""` when it could not be read.
    pub kind: String,
    /// `untrusted`, `malformed`, `replayed` or `newer` (needs a newer Tollgate).
    pub reason: String,
    /// The line the pull printed when it skipped it.
    pub line: String,
    #[ts(type = "string")]
    pub first_seen: DateTime<Utc>,
    #[ts(type = "string")]
    pub last_seen: DateTime<Utc>,
}

/// What this desktop last did about checkpoints in one team repository.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct TeamCheckpoint {
    pub repository: String,
    /// The tag of the last checkpoint published there; `null` before the first.
    pub tag: Option<String>,
    /// Its event (`seq`); `null` before the first.
    #[ts(type = "number | null")]
    pub seq: Option<i64>,
    /// When it was published (RFC 3339); `null` before the first.
    pub published_at: Option<String>,
    /// The line the last attempt answered: published, or why not.
    pub line: String,
}

/// One app's team repository.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct TeamRepository {
    pub app: String,
    /// `<registry name>/<path>`.
    pub repository: String,
    /// `false` for a local OCI layout (`oci:PATH`), which cannot share.
    pub can_share: bool,
}

/// The last pull of teammates' events.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct TeamPull {
    #[ts(type = "string")]
    pub at: DateTime<Utc>,
    /// Digests of interest asked about.
    #[ts(type = "number")]
    pub digests: u64,
    /// Teammates' events imported then.
    #[ts(type = "number")]
    pub imported: u64,
    /// Untrusted artifacts found then.
    #[ts(type = "number")]
    pub untrusted: u64,
}

/// A local event whose artifact is not in the registry yet.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct UnsharedEvent {
    #[ts(type = "number")]
    pub seq: i64,
    /// `approval`, `promotion`, `rollback`, `deployment`, ...
    pub kind: String,
    pub app: String,
    pub env: String,
    pub digest: Option<String>,
    /// The artifact's digest (the same once it is shared).
    pub artifact: String,
    pub repository: String,
    /// Why not, in one line (which registry, what right to ask for).
    pub reason: String,
}

/// An artifact seen in the registry that does not count.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct UntrustedEvent {
    pub artifact: String,
    pub repository: String,
    /// The image digest it is attached to.
    pub subject: String,
    pub kind: String,
    /// Why it does not count, in one line.
    pub reason: String,
    /// `untrusted` (does not verify against tollgate.toml), `replayed` (its signed message is
    /// in this history already), `newer` (a message version that needs a newer Tollgate),
    /// `ahead` (signed more than 5 minutes after the moment it was pulled).
    pub class: String,
    #[ts(type = "string")]
    pub first_seen: DateTime<Utc>,
    #[ts(type = "string")]
    pub last_seen: DateTime<Utc>,
}

/// What the registry carries of this workspace's team history, as this desktop knows it.
#[tracing::instrument(skip_all, fields(workspace = %ws.config.workspace.name))]
pub fn team_status(ws: &Workspace, _ctx: &Context) -> Result<TeamStatus> {
    let team = &ws.config.team;
    let change = format!(
        "to turn sharing {}, write `share = {}` under `[team]` in {}",
        if team.share { "off" } else { "on" },
        !team.share,
        ws.config_path.display()
    );
    let mut repositories = Vec::with_capacity(ws.config.apps.len());
    for app in &ws.config.apps {
        let repository = repository_for(ws, app).to_string();
        let (_, location, _) = ws.resolve_repository(&repository)?;
        repositories.push(TeamRepository {
            app: app.name.clone(),
            can_share: matches!(location, RegistryLocation::Remote { .. }),
            repository,
        });
    }
    let store = open::store(ws)?;
    let last_pull = store.team_last_pull()?.map(|p| TeamPull {
        at: p.at,
        digests: p.digests,
        imported: p.imported,
        untrusted: p.untrusted,
    });
    let reasons = store.unshared_events()?;
    let mut unshared = Vec::new();
    for a in store.unshared_team_artifacts()? {
        let Some(seq) = a.event_seq else { continue };
        let event = store.event(seq)?;
        let reason = reasons.get(&seq).cloned().flatten().unwrap_or_else(|| {
            format!(
                "not shared yet: its push to {} did not get through; the next sync publishes it again",
                a.repository
            )
        });
        unshared.push(UnsharedEvent {
            seq,
            kind: a.kind,
            app: event.app,
            env: event.env,
            digest: event.digest.map(|d| d.to_string()),
            artifact: a.digest.to_string(),
            repository: a.repository,
            reason,
        });
    }
    unshared.sort_by_key(|u| u.seq);
    let untrusted = store
        .team_untrusted()?
        .into_iter()
        .map(|u| UntrustedEvent {
            artifact: u.artifact.to_string(),
            repository: u.repository,
            subject: u.subject.to_string(),
            kind: u.kind,
            reason: u.reason,
            class: u.class,
            first_seen: u.first_seen,
            last_seen: u.last_seen,
        })
        .collect();
    let problems = store
        .team_problems()?
        .into_iter()
        .map(|p| TeamProblem {
            app: p.app,
            repository: p.repository,
            subject: p.subject.map(|d| d.to_string()),
            line: p.line,
            first_seen: p.first_seen,
            last_seen: p.last_seen,
        })
        .collect();
    let skipped = store
        .team_skipped()?
        .into_iter()
        .map(|s| SkippedArtifact {
            artifact: s.artifact.to_string(),
            repository: s.repository,
            subject: s.subject.to_string(),
            kind: s.kind,
            reason: s.reason.as_str().to_string(),
            line: s.line,
            first_seen: s.first_seen,
            last_seen: s.last_seen,
        })
        .collect();
    let rows = store.checkpoint_rows()?;
    let checkpoints = (!rows.is_empty()).then(|| {
        rows.into_iter()
            .map(|r| TeamCheckpoint {
                repository: r.repository,
                tag: r.published.as_ref().map(|p| p.tag.clone()),
                seq: r.published.as_ref().map(|p| p.seq),
                published_at: r.published.map(|p| p.at),
                line: r.line,
            })
            .collect()
    });
    Ok(TeamStatus {
        checkpoints,
        sharing: team.share,
        change,
        ledger: team.ledger.clone(),
        repositories,
        last_pull,
        unshared,
        untrusted,
        problems,
        skipped,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use super::*;
    use crate::domain::SystemClock;
    use crate::keychain::MemoryKeychain;

    fn workspace(dir: &Path, team: &str) -> Workspace {
        let text = format!(
            "[workspace]\nname = \"t\"\ndatabase = \"t.db\"\n{team}\n[[registries]]\nname = \"r\"\nurl = \"http://127.0.0.1:5000\"\n[[registries]]\nname = \"o\"\nurl = \"oci:x\"\n[[apps]]\nname = \"api\"\nrepository = \"r/p/api\"\nenvironments = [{{ name = \"dev\", tag = \"dev\" }}]\n[[apps]]\nname = \"web\"\nrepository = \"o/p/web\"\nenvironments = [{{ name = \"dev\", tag = \"dev\" }}]\n"
        );
        let path = dir.join("tollgate.toml");
        std::fs::write(&path, &text).unwrap();
        Workspace::load(&path, None).unwrap()
    }

    fn ctx() -> Context {
        Context {
            clock: Arc::new(SystemClock),
            secrets: Arc::new(MemoryKeychain::default()),
        }
    }

    #[test]
    fn says_where_events_go_and_how_to_change_sharing() {
        let dir = tempfile::tempdir().unwrap();
        let ws = workspace(dir.path(), "");
        let s = team_status(&ws, &ctx()).unwrap();
        assert!(s.sharing);
        assert_eq!(
            s.change,
            format!(
                "to turn sharing off, write `share = false` under `[team]` in {}",
                ws.config_path.display()
            )
        );
        assert_eq!(s.ledger, None);
        let repos: Vec<_> = s
            .repositories
            .iter()
            .map(|r| (r.app.as_str(), r.repository.as_str(), r.can_share))
            .collect();
        assert_eq!(repos, [("api", "r/p/api", true), ("web", "o/p/web", false)]);
        assert!(s.last_pull.is_none() && s.unshared.is_empty() && s.untrusted.is_empty());

        let dir = tempfile::tempdir().unwrap();
        let ws = workspace(
            dir.path(),
            "[team]\nshare = false\nledger = \"r/tollgate/ledger\"\n",
        );
        let s = team_status(&ws, &ctx()).unwrap();
        assert!(!s.sharing);
        assert!(
            s.change
                .starts_with("to turn sharing on, write `share = true`"),
            "{}",
            s.change
        );
        assert_eq!(s.ledger.as_deref(), Some("r/tollgate/ledger"));
        assert!(s
            .repositories
            .iter()
            .all(|r| r.repository == "r/tollgate/ledger" && r.can_share));
    }
}
