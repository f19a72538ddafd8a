mod git;
mod git_report;
mod git_review;

pub use git_report::{GitChange, SyncedGitEnv};

use futures::stream::{self, StreamExt};
use serde::Serialize;
use ts_rs::TS;

use crate::api::open::{self, Registries};
use crate::api::team::sync::{Interest, TeamStep};
use crate::api::Context;
use crate::config::Workspace;
use crate::domain::timeline::{decide_drift, DriftDecision};
use crate::domain::{Digest, EventKind, NewEvent};
use crate::registry::{Manifest, Registry};
use crate::store::JournalOutcome;
use crate::{Error, Result};

/// How many tags are resolved at once (the registry handle bounds requests further).
const PARALLEL_TAGS: usize = 32;

/// Progress of a running sync, for a progress bar.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SyncProgress {
    pub done: usize,
    pub total: usize,
    pub app: String,
    pub env: String,
}

/// What one environment tag looked like during this sync.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SyncedTag {
    pub app: String,
    pub env: String,
    pub repository: String,
    pub tag: String,
    #[ts(type = "string | null")]
    pub digest: Option<Digest>,
    /// The digest sync saw the previous time, when it differs from `digest`.
    #[ts(type = "string | null")]
    pub previous: Option<Digest>,
    /// After this sync the tag points to a digest it drifted to (or is missing where the history
    /// says a digest runs): it differs from what the history's current segment says, with no
    /// promotion, rollback or record explaining it (now or earlier, not acknowledged since).
    pub drift: bool,
    /// What the history said the tag points to before this sync: the current segment's digest
    /// (`null` when it has none, or when the newest change is a drift to a missing tag). A
    /// drifting tag whose `digest` differs from it drifted in this sync.
    #[ts(type = "string | null")]
    pub expected: Option<Digest>,
    /// The new drift is a failed promotion's PUT that landed late.
    pub late_promotion: Option<LatePromotion>,
}

/// A promotion whose journal entry was failed (by recovery, or after a push error) but whose
/// tag update reached the registry anyway: the tag now shows its digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct LatePromotion {
    /// The promotion journal entry (`promotions.id`).
    #[ts(type = "number")]
    pub journal: i64,
    /// Who started it.
    pub actor: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SyncReport {
    pub tags: Vec<SyncedTag>,
    /// The environments in a deployment repository's file (`git` + `file`), in the workspace's
    /// order.
    pub git: Vec<SyncedGitEnv>,
    /// Digests whose manifest and config were read for the first time.
    pub new_images: usize,
    #[ts(type = "string")]
    pub at: chrono::DateTime<chrono::Utc>,
    /// The team step (`[team] share`): teammates' events imported, untrusted ones skipped
    /// and named, unshared events published again.
    pub team: crate::api::team::sync::TeamSyncReport,
    /// The signed checkpoint step (`api::checkpoint`): published, skipped or failed, one line
    /// each; absent when `[team] share` is off or the history is empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub checkpoint: Option<crate::api::CheckpointSync>,
}

impl SyncReport {
    pub fn drifted(&self) -> impl Iterator<Item = &SyncedTag> {
        self.tags.iter().filter(|t| t.drift)
    }

    /// The git environments drifting after this sync.
    pub fn drifted_git(&self) -> impl Iterator<Item = &SyncedGitEnv> {
        self.git.iter().filter(|g| g.drift)
    }
}

/// What resolving one tag found: its digest, and its manifest when it was read by tag.
type Found = Option<(Digest, Option<Manifest>)>;

struct Target {
    app: String,
    env: String,
    repository: String,
    tag: String,
    registry: Registry,
    path: String,
}

/// Resolve every environment tag (of one app, or all), record an observation for each, and a
/// drift event where a tag moved to a digest that no promotion or record explains.
/// All or nothing for the tags: if any tag cannot be read, nothing is written and the first
/// error is returned. Never for the team channel: its problems are lines in `team.problems`.
#[tracing::instrument(skip_all, fields(workspace = %ws.config.workspace.name, app))]
pub async fn sync(
    ws: &Workspace,
    ctx: &Context,
    app: Option<&str>,
    progress: &(dyn Fn(SyncProgress) + Send + Sync),
) -> Result<SyncReport> {
    if let Some(a) = app {
        ws.app(a)?;
    }
    let mut registries = Registries::new(ws, ctx);
    let mut targets = Vec::new();
    for a in ws
        .config
        .apps
        .iter()
        .filter(|a| app.is_none_or(|n| n == a.name))
    {
        // Environments in a deployment repository are read from their file's history
        // (`git`), not here.
        for e in &a.environments {
            let Some(tag) = e.tag() else { continue };
            let repository = ws.env_repository(a, e).to_string();
            let (registry, path) = registries.get(&repository)?;
            targets.push(Target {
                app: a.name.clone(),
                env: e.name.clone(),
                repository,
                tag: tag.to_string(),
                registry,
                path,
            });
        }
    }

    // 1. Resolve every tag, in parallel. A tag never observed before is read with one GET of
    //    its manifest (its digest is the hash of the bytes received, and the manifest is needed
    //    for its metadata anyway); the others with one HEAD.
    let mut store = open::store(ws)?;
    let lasts = targets
        .iter()
        .map(|t| store.last_observation(&t.app, &t.env))
        .collect::<Result<Vec<_>>>()?;
    let total = targets.len();
    let mut done = 0;
    let mut resolved: Vec<(usize, Result<Found>)> = Vec::with_capacity(total);
    let mut results = stream::iter(targets.iter().enumerate())
        .map(|(i, t)| {
            let first = lasts[i].is_none();
            async move {
                let r = if first {
                    t.registry
                        .fetch_tag(&t.path, &t.tag)
                        .await
                        .map(|m| m.map(|m| (m.digest.clone(), Some(m))))
                } else {
                    t.registry
                        .resolve_tag(&t.path, &t.tag)
                        .await
                        .map(|d| d.map(|d| (d, None)))
                };
                (i, r)
            }
        })
        .buffer_unordered(PARALLEL_TAGS);
    while let Some((i, r)) = results.next().await {
        done += 1;
        progress(SyncProgress {
            done,
            total,
            app: targets[i].app.clone(),
            env: targets[i].env.clone(),
        });
        resolved.push((i, r));
    }
    drop(results);
    resolved.sort_by_key(|(i, _)| *i);
    let mut digests = Vec::with_capacity(total);
    let mut manifests = Vec::with_capacity(total);
    for (i, r) in resolved {
        let t = &targets[i];
        let found = r.map_err(|e| {
            e.context(format!(
                "sync {} {} ({}:{})",
                t.app, t.env, t.repository, t.tag
            ))
        })?;
        let (digest, manifest) = found.map_or((None, None), |(d, m)| (Some(d), m));
        digests.push(digest);
        manifests.push(manifest);
    }

    // 2. Read manifest + config once per digest never seen before (this also checks that the
    //    manifest bytes hash to the digest the registry claimed).
    let mut unseen: Vec<(usize, Digest)> = Vec::new();
    for (i, d) in digests.iter().enumerate() {
        if let Some(d) = d {
            if !unseen.iter().any(|(_, u)| u == d) && store.image_info(d)?.is_none() {
                unseen.push((i, d.clone()));
            }
        }
    }
    let infos: Vec<_> = stream::iter(unseen.iter())
        .map(|(i, d)| {
            let t = &targets[*i];
            let manifest = manifests[*i].as_ref();
            async move {
                let info = match manifest {
                    Some(m) => t.registry.image_info_of(&t.path, m).await,
                    None => t.registry.image_info(&t.path, d).await,
                };
                info.map_err(|e| {
                    e.context(format!(
                        "sync {} {} ({}:{})",
                        t.app, t.env, t.repository, t.tag
                    ))
                })
            }
        })
        .buffer_unordered(PARALLEL_TAGS)
        .collect()
        .await;
    let mut infos = infos.into_iter().collect::<Result<Vec<_>>>()?;

    // 2b. The environments in a deployment repository: one fetch per [[git]], each file's
    //     history walked from the last recorded commit (nothing written yet: all or nothing).
    let git_envs = git::targets(ws, app)?;
    let keys = crate::signing::TrustedKeys::from_approvers(&ws.config.identities());
    let mut git_reads = git::read(ws, &store, git_envs, &keys, ctx.clock.now()).await?;
    // The image each file pins at its tip, read once per digest never seen (best effort: a
    // digest the registry does not have is a line of that environment, not a failed sync).
    for r in git_reads.iter_mut() {
        let Some(d) = r.tip_digest() else { continue };
        if infos.iter().any(|i| i.digest == d) || store.image_info(&d)?.is_some() {
            continue;
        }
        let (registry, path) = registries.get(&r.env.repository)?;
        match registry.image_info(&path, &d).await {
            Ok(info) => infos.push(info),
            Err(e) => r.problems.push(format!(
                "{} {} {}:{} at commit {} pins {d}, which cannot be read from {}: {}; check that the digest was pushed to the registry",
                r.env.app, r.env.env, r.env.git, r.env.file, r.tip, r.env.repository, e.message
            )),
        }
    }

    // 3. The team's events on every digest a tag points to now (each environment's current
    //    digest, each candidate waiting for the next environment, each digest a tag moved to),
    //    pulled BEFORE drift is decided: a teammate's trusted promotion, rollback or record that
    //    continues the lane is imported first, so the move it explains is no drift.
    let mut interest: Vec<Interest> = Vec::new();
    for (t, d) in targets.iter().zip(&digests) {
        if let Some(d) = d {
            if !interest.iter().any(|i| i.app == t.app && &i.digest == d) {
                interest.push(Interest {
                    app: t.app.clone(),
                    digest: d.clone(),
                });
            }
        }
    }
    for r in &git_reads {
        let digests = r
            .history
            .changes
            .iter()
            .filter_map(|c| match c.state.deployed() {
                crate::gitops::Deployed::Digest(d) => Some(d),
                _ => None,
            });
        for d in digests {
            if !interest.iter().any(|i| i.app == r.env.app && i.digest == d) {
                interest.push(Interest {
                    app: r.env.app.clone(),
                    digest: d,
                });
            }
        }
    }
    store.put_image_infos(&infos)?;
    // The team channel never stops the tags from being written: a subject it cannot read is
    // one named line (kept for `team status`) and the others go on; a team step that fails as
    // a whole is one line too, and the observations and drift below are written all the same.
    let team = match TeamStep::begin(ws, ctx, &mut store, &interest, true, false).await {
        Ok(step) => step,
        Err(e) => {
            tracing::warn!(error = %e.message, "the team step failed; sync goes on without it");
            TeamStep::failed(&e)
        }
    };

    // 4. Decide observation / drift per tag against what the history says runs there (the
    //    current segment; see domain::timeline::decide_drift), then write everything in one
    //    transaction.
    let now = ctx.clock.now();
    let mut events = Vec::new();
    let mut tags = Vec::with_capacity(total);
    for ((t, digest), last) in targets.iter().zip(digests).zip(lasts) {
        let previous = last.as_ref().and_then(|o| o.digest.clone());
        let moved = matches!((&previous, &digest), (Some(p), Some(d)) if p != d);
        let head = store.head(&t.app, &t.env)?;
        let known = head.segment.is_some() || last.is_some();
        let mut decision = decide_drift(known, head.expected.as_ref(), head.drift, digest.as_ref());
        // A tag that moved to the digest of the newest promotion journal entry for it: still
        // running (not drift: it records the move when it finishes, or recovery does), or its
        // PUT landing after the entry was failed (drift, named).
        let promotion = match (&digest, decision) {
            (Some(d), DriftDecision::New) => store
                .newest_promotion(&t.app, &t.env, &t.repository, &t.tag)?
                .filter(|p| &p.digest == d),
            _ => None,
        };
        if promotion
            .as_ref()
            .is_some_and(|p| p.outcome == JournalOutcome::Open)
        {
            decision = DriftDecision::Clean;
        }
        let late_promotion = promotion
            .filter(|p| p.outcome == JournalOutcome::Failed)
            .map(|p| LatePromotion {
                journal: p.journal,
                actor: p.actor,
            });
        let new_drift = decision == DriftDecision::New;
        let data = serde_json::json!({ "repository": t.repository, "tag": t.tag });
        if new_drift {
            let mut drift_data = data.clone();
            drift_data["previous"] = serde_json::json!(previous);
            drift_data["expected"] = serde_json::json!(head.expected);
            if let Some(late) = &late_promotion {
                drift_data["late_promotion"] =
                    serde_json::json!({ "journal": late.journal, "actor": late.actor });
            }
            events.push(NewEvent {
                at: now,
                kind: EventKind::Drift,
                app: t.app.clone(),
                env: t.env.clone(),
                digest: digest.clone(),
                actor: None,
                data: drift_data,
            });
        }
        events.push(NewEvent {
            at: now,
            kind: EventKind::Observation,
            app: t.app.clone(),
            env: t.env.clone(),
            digest: digest.clone(),
            actor: None,
            data,
        });
        tags.push(SyncedTag {
            app: t.app.clone(),
            env: t.env.clone(),
            repository: t.repository.clone(),
            tag: t.tag.clone(),
            previous: if moved { previous } else { None },
            expected: head.expected,
            digest,
            drift: decision != DriftDecision::Clean,
            late_promotion,
        });
    }
    let (git_events, mut git, landed) = git::decide(ws, ctx, &store, &git_reads, now)?;
    events.extend(git_events);
    let stored = store.append_landing(events, &landed)?;
    // Promotions pushed for review that landed: shared with the team like direct ones.
    git_review::publish_landings(ws, ctx, &mut store, &stored, &landed, &mut git).await;
    // 5. Teammates' moves that are there already (now that the tags are read), and the index
    //    digests read. The observations are written: a failure here is one line, not an error.
    let team = match team.finish(ws, ctx, &mut store) {
        Ok(report) => report,
        Err(e) => {
            tracing::warn!(error = %e.message, "the team step's second half failed");
            let mut report = crate::api::team::sync::TeamSyncReport::default();
            report.problems.push(format!(
                "team channel: the team step failed after the tags were written: {}; sync again, or set [team] share = false in tollgate.toml",
                e.message
            ));
            report
        }
    };
    // 6. A signed checkpoint of the chain head, when it moved (never fails the sync).
    let checkpoint = crate::api::checkpoint::publish_after_sync(ws, ctx, &mut store).await;
    let report = SyncReport {
        tags,
        git,
        new_images: infos.len(),
        at: now,
        team,
        checkpoint,
    };
    tracing::info!(
        tags = total,
        new_images = report.new_images,
        git = report.git.len(),
        drift = report.drifted().count() + report.drifted_git().count(),
        "sync done"
    );
    Ok(report)
}

impl From<&SyncedTag> for Error {
    fn from(t: &SyncedTag) -> Error {
        let now = t.digest.as_ref().map_or("nothing", |d| d.as_str());
        let said = match &t.expected {
            Some(e) => format!("the history says {e} runs there"),
            None => "the history has no digest there".to_string(),
        };
        let new = t.expected != t.digest;
        let how = match (&t.late_promotion, &t.digest, &t.previous) {
            (Some(late), _, _) => format!(
                "moved to {now}: failed promotion {} (started by {}) landed late, after its journal entry was failed ({said})",
                late.journal, late.actor
            ),
            (None, Some(_), _) if !new => format!(
                "points to {now}, where it was moved outside Tollgate, and nobody has acknowledged it"
            ),
            (None, None, _) if !new => "is still missing: it was removed outside Tollgate, and nobody has acknowledged it".to_string(),
            (None, None, _) => format!("is missing: it was removed outside Tollgate ({said})"),
            (None, Some(_), Some(was)) if Some(was) == t.expected.as_ref() => {
                format!("moved outside Tollgate to {now} (was {was})")
            }
            (None, Some(_), Some(was)) => {
                format!("moved outside Tollgate to {now} (was {was}; {said})")
            }
            (None, Some(_), None) if t.expected.is_some() => format!("points to {now}, but {said}"),
            (None, Some(_), None) => format!("appeared outside Tollgate at {now} ({said})"),
        };
        let fix = t.digest.as_ref().map(|d| crate::Hint::Record {
            app: t.app.clone(),
            env: t.env.clone(),
            image: format!("{}@{d}", t.repository),
        });
        Error::refused(format!(
            "drift: {} {} tag {}:{} {how}; find out who moved it, then record that digest or promote the right one",
            t.app, t.env, t.repository, t.tag,
        ))
        .with_hint_opt(fix)
    }
}
