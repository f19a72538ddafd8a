//! Promotion and rollback: re-publish the exact manifest bytes of an approved digest under the
//! target environment's tag, read the tag back, and record it — as a journalled state machine
//! (intended → pushed → verified → recorded) that survives the process dying at any step.
//! An environment that lives in a deployment repository's file is promoted into by a signed
//! commit that pins the digest, through the same gate and journal ([`git`]).

mod fault;
mod git;
mod owner;
mod recover;
mod snippets;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::api::actor::signer_for;
use crate::api::gate::{self, resolve, PromotionCheck};
use crate::api::open::{self, Registries};
use crate::api::team::sync::{publish_event, pull_digest, pull_for_rollback, TeamShare};
use crate::api::Context;
use crate::config::Workspace;
use crate::domain::{Digest, Event, EventKind, NewEvent};
use crate::signing::{
    approval_id, Anchor, EventMessage, Move, MovePlace, PROMOTION_KIND, ROLLBACK_KIND,
};
use crate::store::{JournalState, NewPromotion, Promotion, Store};
use crate::{Error, Result};

pub use git::{commit_url, compare_url, git_preview, FileLineChange, GitOutcome, GitPreview};
pub(crate) use git::{forge_commit_url, GitDest};
pub use recover::recover;
pub use snippets::DeploySnippets;

#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct PromoteRequest {
    pub app: String,
    pub to: String,
    pub digest: String,
    /// Who promotes (recorded as the event's actor).
    #[serde(skip)]
    pub actor: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct RollbackRequest {
    pub app: String,
    pub env: String,
    pub digest: String,
    /// Why: required when the rollback passes only under the policy's
    /// `rollback = { approvals = N }` (an emergency rollback), and then signed with it.
    #[serde(default)]
    #[ts(optional)]
    pub reason: Option<String>,
    #[serde(skip)]
    pub actor: String,
}

/// A step of a running promotion, for the UI and the CLI to show as it happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum PromotionStep {
    /// The policy holds; the intent is journalled and the approvals reserved.
    Intended,
    /// The manifest (and its blobs) are published under the target tag.
    Pushed,
    /// The target tag was read back and resolves to the approved digest.
    Verified,
    /// The promotion is in the history.
    Recorded,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct PromotionOutcome {
    pub promotion: Promotion,
    /// The history event; `null` for a commit pushed to a review branch (`push = "branch"`),
    /// which is recorded when a sync sees it reach the branch.
    pub event: Option<Event>,
    pub check: PromotionCheck,
    pub snippets: DeploySnippets,
    /// What was published to the team's registry: the artifact, or why it is not shared yet;
    /// `null` when sharing is off or the registry is an OCI layout.
    pub shared: Option<TeamShare>,
    /// A rollback that went on without reading the team's events on its digest: what it could
    /// not read, in one line (also in the event's `data.team_unread`); `null` otherwise.
    pub team_unread: Option<String>,
    /// The signed commit of a promotion into a deployment repository's file; `null` for a tag.
    pub git: Option<GitOutcome>,
}

/// Where a promotion goes: a registry tag, or a deployment repository's file.
enum Dest {
    Tag(String),
    Git(git::GitDest),
}

impl Dest {
    fn of(ws: &Workspace, env: &crate::config::EnvConfig, repository: &str) -> Result<Dest> {
        match (env.tag(), env.git_target()) {
            (Some(tag), _) => Ok(Dest::Tag(tag.to_string())),
            (None, Some(t)) => {
                let git = ws.git(&t.git)?;
                Ok(Dest::Git(git::GitDest::new(
                    ws,
                    crate::store::GitPlace {
                        git: t.git.clone(),
                        file: t.file.clone(),
                        image: t.image.clone(),
                        branch: git.branch.clone(),
                    },
                    repository,
                )?))
            }
            (None, None) => Err(Error::internal(format!(
                "environment {} has no target",
                env.name
            ))),
        }
    }
}

/// Promote `digest` of `app` from the previous environment into `to`.
#[tracing::instrument(skip_all, fields(app = %req.app, to = %req.to))]
pub async fn promote(
    ws: &Workspace,
    ctx: &Context,
    req: PromoteRequest,
    progress: &(dyn Fn(PromotionStep) + Send + Sync),
) -> Result<PromotionOutcome> {
    let (app, target, source, digest) = resolve(ws, &req.app, &req.to, &req.digest)?;
    recover(ws, ctx).await?;
    let mut store = open::store(ws)?;
    if gate::last_stay(&store, &app.name, &source.name, &digest)?.is_none() {
        return Err(Error::refused(format!(
            "{digest} never ran in {} {}: promote only what ran in the previous environment",
            app.name, source.name
        )));
    }
    // Teammates' approvals, and the promotions that consumed some, as the registry has them now.
    pull_digest(ws, ctx, &mut store, &app.name, &digest, "promote").await?;
    let src_repository = ws.env_repository(app, source).to_string();
    let dst_repository = ws.env_repository(app, target).to_string();
    let dest = Dest::of(ws, target, &dst_repository)?;
    let check = gate::evaluate(ws, &store, ctx.clock.now(), app, source, target, &digest)?;
    run(
        ws,
        ctx,
        &mut store,
        EventKind::Promotion,
        check,
        src_repository,
        dst_repository,
        dest,
        req.actor,
        None,
        progress,
    )
    .await
}

/// Put an earlier digest of `env` back, with the same gates as a promotion into `env`.
#[tracing::instrument(skip_all, fields(app = %req.app, env = %req.env))]
pub async fn rollback(
    ws: &Workspace,
    ctx: &Context,
    req: RollbackRequest,
    progress: &(dyn Fn(PromotionStep) + Send + Sync),
) -> Result<PromotionOutcome> {
    let digest = Digest::parse(&req.digest)?;
    let app = ws.app(&req.app)?;
    let env = ws.env(app, &req.env)?;
    recover(ws, ctx).await?;
    let mut store = open::store(ws)?;
    let segments = store.timeline(&app.name, Some(&env.name))?;
    let current = segments.last().map(|s| s.digest.clone());
    if current.as_ref() == Some(&digest) {
        return Err(Error::refused(format!(
            "{digest} is what {} {} runs now: roll back to an earlier digest",
            app.name, env.name
        )));
    }
    if !segments.iter().any(|s| s.digest == digest) {
        return Err(Error::refused(format!(
            "{digest} never ran in {} {}: a rollback returns to a digest that ran there before (its timeline lists them)",
            app.name, env.name
        )));
    }
    let repository = ws.env_repository(app, env).to_string();
    // The bytes must still be in the registry: a rollback never rebuilds.
    let (registry, path) = Registries::new(ws, ctx).get(&repository)?;
    registry.fetch_manifest(&path, &digest).await.map_err(|e| {
        e.context(format!(
            "rollback {} {}: {digest} is no longer readable in {repository}",
            app.name, env.name
        ))
    })?;
    // The team channel never blocks a rollback: it goes on with the history held here, and
    // says (and records) what it could not read.
    let team_unread = pull_for_rollback(ws, ctx, &mut store, &app.name, &digest).await?;
    if let Some(line) = &team_unread {
        tracing::warn!(%line, "rollback without the team channel");
    }
    // Same gates as promoting into `env`: from the previous environment, or from `env` itself
    // when it is the first one.
    let source = ws.previous_env(app, &env.name).unwrap_or(env);
    let dest = Dest::of(ws, env, &repository)?;
    let mut check = gate::evaluate(ws, &store, ctx.clock.now(), app, source, env, &digest)?;
    emergency(&mut check, req.reason.as_deref())?;
    run(
        ws,
        ctx,
        &mut store,
        EventKind::Rollback,
        check,
        repository.clone(),
        repository,
        dest,
        req.actor,
        team_unread,
        progress,
    )
    .await
}

/// A rollback the ordinary checklist refuses but the policy's `rollback = { approvals = N }`
/// lets pass goes on as an emergency rollback: with its checklist and the reason given, which
/// it needs (one line when it is missing). Any other rollback is left as it is.
fn emergency(check: &mut PromotionCheck, reason: Option<&str>) -> Result<()> {
    let Some(e) = check.emergency.as_ref().filter(|e| e.evaluation.passed) else {
        return Ok(());
    };
    if check.evaluation.passed {
        return Ok(());
    }
    let Some(reason) = reason.map(str::trim).filter(|r| !r.is_empty()) else {
        return Err(Error::bad_input(format!(
            "rollback of {} {} to {} passes only as an emergency rollback (rollback = {{ approvals = {} }} in its policy, {} counted): say why, in a line (it is signed and marked on every report)",
            check.app,
            check.to,
            check.digest,
            e.approvals_needed,
            e.evaluation.approvers.len()
        ))
        .with_hint(crate::Hint::GiveReason));
    };
    if reason.chars().any(crate::domain::is_control) {
        return Err(Error::bad_input(
            "the reason holds a line break or another control character: say it in one line",
        ));
    }
    check.evaluation = e.evaluation.clone();
    check.reason = Some(reason.to_string());
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn run(
    ws: &Workspace,
    ctx: &Context,
    store: &mut Store,
    kind: EventKind,
    check: PromotionCheck,
    src_repository: String,
    dst_repository: String,
    dest: Dest,
    actor: String,
    team_unread: Option<String>,
    progress: &(dyn Fn(PromotionStep) + Send + Sync),
) -> Result<PromotionOutcome> {
    // A rejected digest is refused first, in one line: nothing else matters until it is lifted.
    if let Some(r) = check
        .evaluation
        .rules
        .iter()
        .find(|r| r.rule == crate::policy::Rule::Rejected && !r.passed)
    {
        return Err(Error::refused(format!(
            "{} {} {}: {}",
            if kind == EventKind::Rollback {
                "rollback of"
            } else {
                "promotion of"
            },
            check.digest,
            format_args!("into {} {}", check.app, check.to),
            r.reason
        ))
        .with_hint_opt(r.fix.clone()));
    }
    if actor.trim().is_empty() {
        return Err(Error::bad_input("who is promoting? nothing names them")
            .with_hint(crate::Hint::NameActor));
    }
    // The actor signs the event: refused before anything moves when it has no listed key.
    signer_for(ws, ctx, actor.trim())?;
    // One promotion at a time into a tag or file (checked again, atomically, when the entry
    // begins).
    let open = match &dest {
        Dest::Tag(tag) => store.journal_open_for(&dst_repository, tag)?,
        Dest::Git(g) => store.journal_open_for_git(&g.place)?,
    };
    if let Some(open) = open {
        return Err(crate::store::journal_busy(&open));
    }
    if !check.evaluation.passed {
        return Err(gate::refusal(&check));
    }
    let tag = match dest {
        Dest::Tag(tag) => tag,
        Dest::Git(g) => {
            return git::run(
                ws,
                ctx,
                store,
                kind,
                check,
                src_repository,
                dst_repository,
                g,
                actor,
                team_unread,
                progress,
            )
            .await
        }
    };
    let mut registries = Registries::new(ws, ctx);
    let (src, src_path) = registries.get(&src_repository)?;
    let (dst, dst_path) = registries.get(&dst_repository)?;
    let previous = dst.resolve_tag(&dst_path, &tag).await?;
    // What the approver's move changes, kept in the event for the reports (best effort).
    let diff = crate::api::diff::summary_for_promotion(
        (&src, &src_path),
        (&dst, &dst_path),
        &check.app,
        &check.to,
        &check.digest,
        previous.as_ref(),
    )
    .await;

    let entry = store.journal_begin(&NewPromotion {
        kind,
        app: check.app.clone(),
        from_env: check.from.clone(),
        to_env: check.to.clone(),
        digest: check.digest.clone(),
        src_repository: src_repository.clone(),
        dst_repository: dst_repository.clone(),
        tag: tag.clone(),
        git: None,
        approvals: check.evaluation.counted.clone(),
        evaluation: crate::api::attest::evaluation_with_evidence(&check)?,
        actor: actor.clone(),
        previous,
        at: ctx.clock.now(),
        owner: owner::this_process(),
        emergency_reason: check.reason.clone(),
    })?;
    // Keeps the entry marked as running; dropped on any return, it releases an entry left
    // undecided to the next recovery.
    let _heartbeat = owner::Heartbeat::for_entry(store, &entry, ctx.clock.clone());
    progress(PromotionStep::Intended);
    fault::point("intended");

    let pushed = src
        .copy_image(&src_path, &check.digest, &dst, &dst_path, &tag)
        .await;
    if let Err(e) = pushed {
        pushed_anyway(ctx, store, &entry, &dst, &dst_path, e).await?;
    }
    store.journal_advance(entry.id, JournalState::Pushed, ctx.clock.now())?;
    progress(PromotionStep::Pushed);
    fault::point("pushed");

    let event = recover::verify_and_record(
        ws,
        ctx,
        store,
        &entry,
        &dst,
        &dst_path,
        false,
        &Notes {
            diff: diff.as_ref(),
            team_unread: team_unread.as_deref(),
            raw_commit: None,
        },
    )
    .await?;
    progress(PromotionStep::Verified);
    progress(PromotionStep::Recorded);
    let promotion = store.journal_get(entry.id)?;
    let snippets = DeploySnippets::new(ws, &check.app, &dst_repository, &check.digest)?;
    let team = publish_event(ws, ctx, store, &event).await?;
    Ok(PromotionOutcome {
        promotion,
        event: Some(event),
        check,
        snippets,
        shared: team,
        team_unread,
        git: None,
    })
}

/// After a push error: the manifest PUT may have been applied though its answer was lost, so
/// read the tag back before failing the entry. `Ok` when the tag shows the approved digest (the
/// promotion goes on to be recorded); otherwise the entry is failed and its approvals released,
/// or, when the tag cannot be read either, left open for the next recovery to decide.
async fn pushed_anyway(
    ctx: &Context,
    store: &mut Store,
    entry: &Promotion,
    dst: &crate::registry::Registry,
    dst_path: &str,
    e: Error,
) -> Result<()> {
    match dst.resolve_tag(dst_path, &entry.tag).await {
        Ok(Some(seen)) if seen == entry.digest => {
            tracing::warn!(
                id = entry.id,
                "the push reported an error ({}), but the tag shows the approved digest: recording",
                e.message
            );
            Ok(())
        }
        Ok(_) => {
            store.journal_fail(entry.id, &e.message, ctx.clock.now())?;
            Err(e.context(format!(
                "promotion {} failed while pushing (the tag does not show the digest), nothing was recorded",
                entry.id
            )))
        }
        Err(read) => Err(e.context(format!(
            "promotion {} stopped while pushing and the tag cannot be read back to tell whether it moved ({}); it stays open and the next tollgate command finishes or fails it",
            entry.id, read.message
        ))),
    }
}

/// What a promotion's or rollback's event keeps besides its journal entry (not signed).
#[derive(Debug, Default)]
pub(super) struct Notes<'a> {
    /// The release diff read at promote time, when it could be.
    pub diff: Option<&'a crate::diff::DiffSummary>,
    /// A rollback that went on without reading the team's events on its digest: what it could
    /// not read (`data.team_unread`).
    pub team_unread: Option<&'a str>,
    /// The signed commit object of a promotion into a deployment file (`data.raw_commit`).
    pub raw_commit: Option<&'a str>,
}

/// The history event of a finished promotion. It states the chain head it is appended after
/// (`head`, `head_seq`: the last event when it was made), so that `tollgate verify` notices
/// events below it removed or rewritten while it was left as it was.
///
/// It is signed by the actor's listed key (a `tollgate.promotion` or `tollgate.rollback`
/// message: `data.message`, `data.signature`, `data.fingerprint`, `data.key_source`). A
/// promotion finished by a recovery on a machine without the actor's key is recorded all the
/// same (the tag did move) with `data.unsigned` saying why, and `verify` reports it.
///
/// `data.diff` (when the release diff could be read at promote time) holds its revision range
/// and risk flags ([`crate::diff::DiffSummary`]); `data.team_unread`, a rollback that went on
/// without reading the team channel of its digest; neither is part of the signed message.
///
/// A promotion into a deployment repository's file has no `tag`; it has `git`, `file`,
/// `branch` (and `image`, the selector, when there is one), `commit` (the signed commit's id,
/// hex) and `raw_commit` (the exact commit object, `gpgsig` included, as UTF-8 text: what
/// `git cat-file commit` prints). Sync recognises Tollgate's own commits by `data.commit`.
pub(super) fn promotion_event(
    ws: &Workspace,
    ctx: &Context,
    store: &Store,
    entry: &Promotion,
    at: chrono::DateTime<chrono::Utc>,
    recovered: bool,
    notes: &Notes<'_>,
) -> Result<NewEvent> {
    let (head_seq, head) = store.chain_head()?;
    let mut data = serde_json::json!({
        "from": entry.from_env,
        "to": entry.to_env,
        "repository": entry.dst_repository,
        "source_repository": entry.src_repository,
        "tag": entry.tag,
        "previous": entry.previous,
        "approvals": entry.approvals,
        "evaluation": entry.evaluation,
        "journal": entry.id,
        "recovered": recovered,
        "head": head,
        "head_seq": head_seq,
    });
    if let (Some(g), Some(map)) = (&entry.git, data.as_object_mut()) {
        map.remove("tag");
        map.insert("git".into(), g.git.clone().into());
        map.insert("file".into(), g.file.clone().into());
        map.insert("branch".into(), g.branch.clone().into());
        if let Some(image) = &g.image {
            map.insert("image".into(), image.clone().into());
        }
        map.insert("commit".into(), entry.commit.clone().into());
        map.insert(
            "raw_commit".into(),
            notes.raw_commit.unwrap_or_default().into(),
        );
    }
    // The revision range and risk flags of the release diff, for the reports (not signed).
    if let Some(d) = notes.diff {
        data["diff"] = serde_json::to_value(d).map_err(|e| Error::internal(e.to_string()))?;
    }
    // A rollback that went on without reading the team channel says so (not signed).
    if let Some(line) = notes.team_unread {
        data["team_unread"] = line.into();
    }
    // An emergency rollback says so, with its reason (both also in the signed message).
    if let Some(reason) = &entry.emergency_reason {
        data["emergency"] = true.into();
        data["reason"] = reason.clone().into();
    }
    match sign_promotion(
        ws,
        ctx,
        store,
        entry,
        at,
        &Anchor {
            seq: head_seq,
            hash: head,
        },
    ) {
        Ok(signed) => {
            for (k, v) in signed {
                data[k] = v.into();
            }
        }
        Err(e) => {
            tracing::warn!(id = entry.id, error = %e.message, "promotion recorded unsigned");
            data["unsigned"] = e.message.into();
        }
    }
    Ok(NewEvent {
        at,
        kind: entry.kind,
        app: entry.app.clone(),
        env: entry.to_env.clone(),
        digest: Some(entry.digest.clone()),
        actor: Some(entry.actor.clone()),
        data,
    })
}

/// The signed message of a finished promotion or rollback and its signature, as event data.
fn sign_promotion(
    ws: &Workspace,
    ctx: &Context,
    store: &Store,
    entry: &Promotion,
    at: chrono::DateTime<chrono::Utc>,
    head: &Anchor,
) -> Result<Vec<(&'static str, String)>> {
    let signer = signer_for(ws, ctx, &entry.actor)?;
    let approvals = approval_ids(store, entry)?;
    let (kind, from) = match entry.kind {
        EventKind::Rollback => (ROLLBACK_KIND, None),
        _ => (PROMOTION_KIND, Some(entry.from_env.clone())),
    };
    let message = EventMessage::new(
        Move {
            kind,
            app: entry.app.clone(),
            env: entry.to_env.clone(),
            from,
            digest: entry.digest.clone(),
            previous: entry.previous.clone(),
            repository: entry.dst_repository.clone(),
            // A deployment file has no tag: its message (version 2) names the `[[git]]`, the
            // file and the signed commit, so a teammate checks the commit on the branch.
            place: match &entry.git {
                Some(g) => MovePlace::Git {
                    git: g.git.clone(),
                    file: g.file.clone(),
                    commit: entry.commit.clone().ok_or_else(|| {
                        Error::internal(format!(
                            "promotion {} into {} has no commit to sign",
                            entry.id,
                            g.describe()
                        ))
                    })?,
                },
                None => MovePlace::Tag(entry.tag.clone()),
            },
            approvals,
            deployed_at: None,
        },
        signer.id(),
        at,
        head,
    );
    let message = match &entry.emergency_reason {
        Some(reason) => message.emergency(reason),
        None => message,
    };
    let bytes = message.to_bytes();
    let signature = signer.sign(&bytes)?;
    Ok(vec![
        ("message", String::from_utf8_lossy(&bytes).into_owned()),
        ("signature", signature),
        ("fingerprint", signer.fingerprint()),
        ("key_source", signer.source().kind().to_string()),
    ])
}

/// The sha256 of each approval's signed message that `entry` consumes (the promotion message's
/// and the commit trailers' `approvals`).
fn approval_ids(store: &Store, entry: &Promotion) -> Result<Vec<String>> {
    let mut approvals = Vec::new();
    for seq in &entry.approvals {
        let approval = store.event(*seq)?;
        let message = approval.data["message"]
            .as_str()
            .ok_or_else(|| Error::internal(format!("approval {seq} holds no signed message")))?;
        approvals.push(approval_id(message.as_bytes()));
    }
    Ok(approvals)
}
