use serde::Serialize;
use ts_rs::TS;

use crate::api::open;
use crate::api::promote::forge_commit_url;
use crate::api::DeploySnippets;
use crate::config::Workspace;
use crate::domain::{Digest, Event, EventKind, ImageInfo, Segment};
use crate::signing;
use crate::store::EventFilter;
use crate::Result;

/// Everything known about one digest of one app: for the digest detail view.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct DigestDetail {
    pub app: String,
    #[ts(type = "string")]
    pub digest: Digest,
    /// Registry metadata (created, labels, platforms), when sync or record has read it.
    pub image: Option<ImageInfo>,
    /// Every stay of this digest in an environment (where and when it ran), oldest first.
    pub stays: Vec<Segment>,
    /// Environment tags that point to it now.
    pub tags: Vec<String>,
    /// Every approval of this digest, in any environment.
    pub approvals: Vec<ApprovalView>,
    /// Deploy snippets pinned by digest, per environment repository it ran in.
    pub snippets: Vec<EnvSnippets>,
    /// Every rejection and unrejection of this digest, oldest first, verified, with which are
    /// in force (`active`).
    pub rejections: Vec<crate::policy::Rejection>,
    /// The app's environments in order (the scopes a rejection may name).
    pub environments: Vec<String>,
    /// The commits of deployment repositories that deployed it, oldest first: each commit once
    /// per environment, from the first event that names it.
    pub commits: Vec<DeployCommit>,
    /// Every attestation of a check for this digest, oldest first, verified. (What other
    /// tools attached to it is read from the registry: [`crate::api::referrers`].)
    pub checks: Vec<crate::policy::Attestation>,
    /// The `[[checks]]` names tollgate.toml declares (what may be attested), in its order.
    pub declared_checks: Vec<String>,
}

/// A commit of a deployment repository's file that deployed the digest into an environment.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct DeployCommit {
    pub env: String,
    /// The `[[git]]` entry and the file in it.
    pub git: String,
    pub file: String,
    pub commit: String,
    /// The forge's page of the commit, where the repository's url is a known forge.
    pub commit_url: Option<String>,
    /// The event that named it: a promotion or rollback by Tollgate, a record, or a commit
    /// sync read (`observation`, `drift`).
    pub via: EventKind,
    pub actor: Option<String>,
    #[ts(type = "string")]
    pub at: chrono::DateTime<chrono::Utc>,
}

/// [`DeployCommit`]s of `digest` in `events` (one app's, in `seq` order); `link` gives the
/// forge's page of a commit of a `[[git]]` entry.
fn deploy_commits(
    events: &[Event],
    digest: &Digest,
    link: &dyn Fn(&str, &str) -> Option<String>,
) -> Vec<DeployCommit> {
    let mut out: Vec<DeployCommit> = Vec::new();
    for e in events {
        let deploys = matches!(
            e.kind,
            EventKind::Promotion
                | EventKind::Rollback
                | EventKind::Record
                | EventKind::Observation
                | EventKind::Drift
        );
        if !deploys || e.digest.as_ref() != Some(digest) {
            continue;
        }
        let (Some(git), Some(file), Some(commit)) =
            (e.data_str("git"), e.data_str("file"), e.data_str("commit"))
        else {
            continue;
        };
        if out.iter().any(|c| c.env == e.env && c.commit == commit) {
            continue;
        }
        out.push(DeployCommit {
            env: e.env.clone(),
            git: git.to_string(),
            file: file.to_string(),
            commit: commit.to_string(),
            commit_url: link(git, commit),
            via: e.kind,
            actor: e.actor.clone(),
            at: e.at,
        });
    }
    out
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct EnvSnippets {
    pub env: String,
    pub snippets: DeploySnippets,
}

/// One approval as a reviewer sees it: who, in which role, with which key, and whether it holds.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ApprovalView {
    #[ts(type = "number")]
    pub seq: i64,
    #[ts(type = "string")]
    pub at: chrono::DateTime<chrono::Utc>,
    pub approver: String,
    pub role: String,
    pub from: String,
    pub to: String,
    pub note: String,
    /// `SHA256:…` of the key that signed.
    pub fingerprint: String,
    /// The signature verifies against the key tollgate.toml lists for the approver.
    pub verified: bool,
    /// Why it does not verify, when it does not.
    pub problem: Option<String>,
    /// Used by a promotion (or reserved by one in flight).
    pub consumed: bool,
    /// A teammate's, pulled from the registry: the repository it was imported from.
    pub imported_from: Option<String>,
    /// This desktop's, not in the registry yet: why, in one line ("not shared yet: …").
    pub not_shared: Option<String>,
}

/// The digest detail of `digest` in `app`.
#[tracing::instrument(skip(ws), fields(workspace = %ws.config.workspace.name))]
pub fn digest_detail(ws: &Workspace, app: &str, digest: &str) -> Result<DigestDetail> {
    let a = ws.app(app)?;
    let digest = Digest::parse(digest)?;
    let store = open::store(ws)?;
    let image = store.image_info(&digest)?;
    let stays: Vec<Segment> = store
        .timeline(app, None)?
        .into_iter()
        .filter(|s| s.digest == digest)
        .map(|mut s| {
            crate::api::timeline::link_commit(ws, &mut s);
            s
        })
        .collect();
    let in_use = store.approvals_in_use()?;
    let unshared = store.unshared_events()?;
    let mut tags = Vec::new();
    let mut approvals = Vec::new();
    let mut snippets = Vec::new();
    for env in &a.environments {
        let head = store.head(app, &env.name)?;
        if head
            .last_observation
            .as_ref()
            .and_then(|o| o.digest.as_ref())
            == Some(&digest)
        {
            tags.push(match env.tag() {
                Some(tag) => format!("{}:{tag}", ws.env_repository(a, env)),
                None => env.place(),
            });
        }
        if stays.iter().any(|s| s.env == env.name) {
            snippets.push(EnvSnippets {
                env: env.name.clone(),
                snippets: DeploySnippets::new(ws, app, ws.env_repository(a, env), &digest)?,
            });
        }
        for e in store.approval_events(app, &env.name, &digest)? {
            let text = |k: &str| e.data_str(k).unwrap_or_default().to_string();
            let approver = e.actor.clone().unwrap_or_default();
            let check = match ws.config.approvers.iter().find(|x| x.id == approver) {
                Some(cfg) => signing::verify_approval(
                    text("message").as_bytes(),
                    &text("signature"),
                    cfg,
                    e.at,
                )
                .map(|_| ()),
                None => Err(crate::Error::new(
                    crate::Code::SignatureInvalid,
                    format!("{approver} is not an approver in tollgate.toml"),
                )),
            };
            approvals.push(ApprovalView {
                seq: e.seq,
                at: e.at,
                role: text("role"),
                from: text("from"),
                to: text("to"),
                note: text("note"),
                fingerprint: text("fingerprint"),
                verified: check.is_ok(),
                problem: check.err().map(|e| e.message),
                consumed: in_use.contains(&e.seq),
                imported_from: e
                    .data
                    .get("imported")
                    .and_then(|i| i.get("repository"))
                    .and_then(|r| r.as_str())
                    .map(str::to_string),
                not_shared: unshared.get(&e.seq).map(|why| {
                    why.clone()
                        .unwrap_or_else(|| "not shared yet: the next sync publishes it".into())
                }),
                approver,
            });
        }
    }
    approvals.sort_by_key(|a| a.seq);
    let rejections = crate::api::reject::rejections_of(ws, &store, a, Some(&digest))?;
    let events = store.events(&EventFilter {
        app: Some(app.to_string()),
        ..Default::default()
    })?;
    let commits = deploy_commits(&events, &digest, &|git, commit| {
        forge_commit_url(ws, git, commit)
    });
    let checks = crate::api::attest::attestations_of(ws, &store, a, Some(&digest))?;
    Ok(DigestDetail {
        app: app.to_string(),
        digest,
        image,
        stays,
        tags,
        approvals,
        snippets,
        rejections,
        environments: a.environments.iter().map(|e| e.name.clone()).collect(),
        commits,
        checks,
        declared_checks: ws.config.checks.iter().map(|c| c.name.clone()).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn event(
        seq: i64,
        kind: EventKind,
        env: &str,
        digest: &Digest,
        data: serde_json::Value,
    ) -> Event {
        Event {
            seq,
            at: chrono::Utc
                .with_ymd_and_hms(2026, 11, 2, 9, 0, seq as u32)
                .unwrap(),
            kind,
            app: "api".into(),
            env: env.into(),
            digest: Some(digest.clone()),
            actor: Some("alice".into()),
            data,
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    #[test]
    fn the_commits_that_deployed_a_digest_once_per_environment_oldest_first() {
        let a = Digest::parse(&format!("sha256:{}", "a".repeat(64))).unwrap();
        let b = Digest::parse(&format!("sha256:{}", "b".repeat(64))).unwrap();
        let git = |commit: &str| serde_json::json!({"git": "deploy", "file": "api.yaml", "commit": commit});
        let events = vec![
            event(1, EventKind::Observation, "production", &a, git("c1")),
            // The same commit read again by a later sync: listed once.
            event(2, EventKind::Observation, "production", &a, git("c1")),
            // Another digest, an approval and a tag observation: not commits that deployed A.
            event(3, EventKind::Promotion, "production", &b, git("c2")),
            event(4, EventKind::Approval, "production", &a, git("c3")),
            event(
                5,
                EventKind::Observation,
                "staging",
                &a,
                serde_json::json!({"tag": "staging"}),
            ),
            event(6, EventKind::Rollback, "production", &a, git("c4")),
            event(7, EventKind::Promotion, "canary", &a, git("c1")),
        ];
        let link = |git: &str, commit: &str| Some(format!("https://forge/{git}/commit/{commit}"));
        let commits = deploy_commits(&events, &a, &link);
        let got: Vec<(&str, &str, EventKind)> = commits
            .iter()
            .map(|c| (c.env.as_str(), c.commit.as_str(), c.via))
            .collect();
        assert_eq!(
            got,
            vec![
                ("production", "c1", EventKind::Observation),
                ("production", "c4", EventKind::Rollback),
                ("canary", "c1", EventKind::Promotion),
            ]
        );
        assert_eq!(
            commits[1].commit_url.as_deref(),
            Some("https://forge/deploy/commit/c4")
        );
        assert_eq!(commits[1].file, "api.yaml");
        assert_eq!(commits[1].actor.as_deref(), Some("alice"));
    }
}
