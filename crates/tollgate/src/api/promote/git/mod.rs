//! Promotion (and rollback) into an environment that lives in a deployment repository's file:
//! the gate is the same as for a tag; then the file at the branch's tip is edited to pin the
//! digest (that value alone), committed with the Tollgate trailers, SSH-signed by the promoter's
//! listed key and pushed fast-forward; the journal steps are those of a tag (intended → pushed
//! → verified → recorded) with the commit id.
//!
//! - **The registry.** The manifest must be readable by digest in the environment's repository
//!   (the one the file references). Images are not copied for git environments: when that
//!   repository is not the source's and does not hold the digest, the promotion is refused
//!   with what to do (copy it by digest), since a tag-less copy would leave nothing in the
//!   registry saying why it is there.
//! - **What the gate evaluated.** The file at the tip must pin the environment's current digest
//!   as the history knows it ([`crate::api::gate::PromotionCheck::current`]); when the history
//!   knows none yet (no sync of the file), what the file pins at the first read is taken as the
//!   baseline. Anything else is refused, naming the commit that changed it.
//! - **Compare-and-swap.** A push refused because the branch moved is followed by a fetch: if
//!   the file at the new tip still pins the baseline, the commit is made (and signed) again on
//!   the new tip and pushed again, at most [`ROUNDS`] times; otherwise the entry is failed (its
//!   approvals released) and one line names the commit that changed the file.
//! - **Who commits.** Author and committer are the promoter: the name is the identity id, the
//!   email the id when it is an address, else `<id>@tollgate.invalid` (a reserved domain: never
//!   a real mailbox); the time is the context's clock, in UTC.
//! - **The lock.** The clone's lock is held while reading, again while committing and
//!   pushing, and again for the read-back; not in between (a sync of another process meanwhile
//!   sees the pushed commit in flight: its journal entry is open), so two promotions of one
//!   history never wait on each other for long (the journal keeps one open entry per file).
//! - **Team sharing.** The signed `tollgate.promotion` (or `tollgate.rollback`) message is of
//!   version 2: it names `git`, `file` and `commit` (the signed commit) instead of `tag`. It is
//!   published to the team's registry like a tag's move; a teammate imports it only where the
//!   commit, on its own fetch, is on the branch and pins the signed digest in that file
//!   (`api::team::sync::agree`), so its sync then finds the commit explained. A promotion
//!   pushed for review has no event yet: the sync that sees it land records and publishes it
//!   (`api::sync::git_review`); one finished by a recovery is published by the recovery.

mod preview;
mod read;

pub(crate) use crate::gitops::contains;
pub use preview::{git_preview, FileLineChange, GitPreview};
pub(crate) use read::forge_commit_url;
pub(crate) use read::GitDest;
pub use read::{commit_url, compare_url};

use crate::api::actor::signer_for;
use crate::api::gate::PromotionCheck;
use crate::api::open::Registries;
use crate::api::Context;
use crate::config::{PushMode, Workspace};
use crate::domain::{Digest, Event, EventKind};
use crate::gitops::file::pin;
use crate::gitops::{FileCommit, PushOutcome, RemoteClone, WrittenCommit};
use crate::signing::GitPerson;
use crate::signing::PromotionTrailers;
use crate::store::{JournalState, NewPromotion, Promotion, Store};
use crate::{Error, Result};

use super::{fault, owner, promotion_event, Notes, PromotionOutcome, PromotionStep};
use read::FileAt;

/// Pushes tried when the branch keeps moving under a promotion.
const ROUNDS: usize = 3;

/// What a promotion into a deployment file did, beside the journal entry and the event.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct GitOutcome {
    pub git: String,
    pub file: String,
    pub branch: String,
    /// The signed commit.
    pub commit: String,
    /// Where a `push = "branch"` promotion pushed it (for review), else `null`.
    pub review_branch: Option<String>,
    /// The forge's page comparing the branch with the review branch, where the remote is a
    /// known forge.
    pub compare_url: Option<String>,
}

/// The part of a promotion into a deployment file after the gate passed (see the module docs).
#[allow(clippy::too_many_arguments)]
pub(super) async fn run(
    ws: &Workspace,
    ctx: &Context,
    store: &mut Store,
    kind: EventKind,
    check: PromotionCheck,
    src_repository: String,
    dst_repository: String,
    dest: GitDest,
    actor: String,
    team_unread: Option<String>,
    progress: &(dyn Fn(PromotionStep) + Send + Sync),
) -> Result<PromotionOutcome> {
    let digest = check.digest.clone();
    let place = dest.place.describe();

    let mut registries = Registries::new(ws, ctx);
    let (src, src_path) = registries.get(&src_repository)?;
    let (dst, dst_path) = registries.get(&dst_repository)?;
    if let Err(e) = dst.fetch_manifest(&dst_path, &digest).await {
        if src_repository != dst_repository {
            return Err(Error::refused(format!(
                "{digest} is not readable in {dst_repository}, the repository {place} references ({}): Tollgate copies images only into tag environments; copy it from {src_repository} to {dst_repository} by digest (every platform, e.g. with skopeo) and promote again",
                e.message
            )));
        }
        return Err(e.context(format!("{digest} is not readable in {dst_repository}")));
    }

    // The file as it is now (the lock is released again before the journal entry begins).
    let first = dest.fetch_file(&dest.open(ws)?)?;
    let baseline = match &check.current {
        Some(current) if first.digest() != Some(current) => {
            let repo = dest.open(ws)?.repo()?;
            return Err(Error::refused(format!(
                "{place} no longer pins {current}, the digest {} {} has in this history: {} changed it to {}; check again once this history has read it",
                check.app,
                check.to,
                dest.changed_by(&repo, &first.tip),
                first.image.pinned
            ))
            .with_hint(crate::Hint::Sync));
        }
        Some(current) => Some(current.clone()),
        None => first.digest().cloned(),
    };
    if first.digest() == Some(&digest) {
        return Err(Error::refused(format!(
            "{place} already pins {digest} at commit {}: nothing to commit; the next sync records it",
            first.tip
        ))
        .with_hint(crate::Hint::Sync));
    }
    let diff = crate::api::diff::summary_for_promotion(
        (&src, &src_path),
        (&dst, &dst_path),
        &check.app,
        &check.to,
        &digest,
        baseline.as_ref(),
    )
    .await;

    let entry = store.journal_begin(&NewPromotion {
        kind,
        app: check.app.clone(),
        from_env: check.from.clone(),
        to_env: check.to.clone(),
        digest: digest.clone(),
        src_repository,
        dst_repository: dst_repository.clone(),
        tag: String::new(),
        git: Some(dest.place.clone()),
        approvals: check.evaluation.counted.clone(),
        evaluation: crate::api::attest::evaluation_with_evidence(&check)?,
        actor: actor.clone(),
        previous: baseline.clone(),
        at: ctx.clock.now(),
        owner: owner::this_process(),
        emergency_reason: check.reason.clone(),
    })?;
    let _heartbeat = owner::Heartbeat::for_entry(store, &entry, ctx.clock.clone());
    progress(PromotionStep::Intended);
    fault::point("intended");

    let clone = dest.open(ws)?;
    let review_branch =
        (dest.push == PushMode::Branch).then(|| review_branch(&check.app, &check.to, &digest));
    let written = match commit_and_push(
        ws,
        ctx,
        store,
        &entry,
        &dest,
        &clone,
        first,
        baseline.as_ref(),
        review_branch.as_deref(),
    ) {
        Ok(w) => w,
        Err(Failure::Open(e)) => return Err(e),
        Err(Failure::Failed(reason)) => {
            store.journal_fail(entry.id, &reason, ctx.clock.now())?;
            return Err(Error::refused(format!(
                "promotion {} into {place} failed: {reason}; nothing was recorded and its approvals are released",
                entry.id
            )));
        }
    };
    // The clone is free again until the read-back: a sync meanwhile (another process) reads
    // the branch and finds the commit in flight.
    drop(clone);
    store.journal_advance(entry.id, JournalState::Pushed, ctx.clock.now())?;
    progress(PromotionStep::Pushed);
    fault::point("pushed");
    let snippets = super::DeploySnippets::new(ws, &check.app, &dst_repository, &digest)?;
    let compare = review_branch
        .as_deref()
        .and_then(|b| compare_url(&dest.url, &dest.place.branch, b));
    let git = GitOutcome {
        git: dest.place.git.clone(),
        file: dest.place.file.clone(),
        branch: dest.place.branch.clone(),
        commit: written.id.clone(),
        review_branch: review_branch.clone(),
        compare_url: compare,
    };
    if let Some(review) = &review_branch {
        // The stay begins when a sync sees the commit reach the branch; the approvals stay
        // consumed by the signed commit that names them.
        store.journal_review(entry.id, review, ctx.clock.now())?;
        tracing::info!(id = entry.id, %review, commit = %written.id, "pushed for review");
        return Ok(PromotionOutcome {
            promotion: store.journal_get(entry.id)?,
            event: None,
            check,
            snippets,
            shared: None,
            team_unread,
            git: Some(git),
        });
    }
    let raw = String::from_utf8_lossy(&written.raw).into_owned();
    let clone = dest.open(ws)?;
    let event = verify_and_record(
        ws,
        ctx,
        store,
        &store.journal_get(entry.id)?,
        &dest,
        &clone,
        false,
        &Notes {
            diff: diff.as_ref(),
            team_unread: team_unread.as_deref(),
            raw_commit: Some(&raw),
        },
    )?;
    drop(clone);
    progress(PromotionStep::Verified);
    progress(PromotionStep::Recorded);
    // Shared like a tag's move (a version 2 message naming git, file and commit): a teammate
    // imports it and finds the commit on its own next fetch of the branch.
    let team = super::publish_event(ws, ctx, store, &event).await?;
    Ok(PromotionOutcome {
        promotion: store.journal_get(entry.id)?,
        event: Some(event),
        check,
        snippets,
        shared: team,
        team_unread,
        git: Some(git),
    })
}

/// Why the commit did not reach the remote: the entry is failed with this reason, or (the
/// push's fate unknown) left open for a recovery.
enum Failure {
    Failed(String),
    Open(Error),
}

impl From<Error> for Failure {
    /// An error before anything was pushed fails the entry.
    fn from(e: Error) -> Self {
        Failure::Failed(e.message)
    }
}

/// Commit the pinned file on the tip it was read at and push it; on a push refused because the
/// branch moved, fetch and try again on the new tip while the file still pins `baseline`.
#[allow(clippy::too_many_arguments)]
fn commit_and_push(
    ws: &Workspace,
    ctx: &Context,
    store: &mut Store,
    entry: &Promotion,
    dest: &GitDest,
    clone: &RemoteClone,
    first: FileAt,
    baseline: Option<&Digest>,
    review_branch: Option<&str>,
) -> std::result::Result<WrittenCommit, Failure> {
    let signer = signer_for(ws, ctx, &entry.actor)?;
    let person = person(&entry.actor, ctx.clock.now());
    let message = PromotionTrailers {
        app: entry.app.clone(),
        env: entry.to_env.clone(),
        digest: entry.digest.clone(),
        from: (entry.kind != EventKind::Rollback).then(|| entry.from_env.clone()),
        approvals: super::approval_ids(store, entry)?,
    }
    .message()?;
    let place = &dest.place;
    let mut at = first;
    let mut round = 0;
    loop {
        round += 1;
        let pinned = pin(
            &place.file,
            &at.text,
            &dest.matcher,
            dest.selector.as_ref(),
            &entry.digest,
        )?;
        let written = clone.repo()?.write_file_commit(
            &FileCommit {
                branch: &place.branch,
                expected_tip: &at.tip,
                file: &place.file,
                content: pinned.text.as_bytes(),
                author: person.clone(),
                committer: person.clone(),
                message: message.clone(),
            },
            &signer,
        )?;
        store.journal_set_commit(entry.id, &written.id, ctx.clock.now())?;
        fault::point("committed");
        let pushed = match review_branch {
            Some(review) => clone.push_new_branch(&written.id, review),
            None => clone.push(&written.id, &place.branch),
        };
        let why = match pushed {
            Ok(PushOutcome::Pushed) => return Ok(written),
            Ok(PushOutcome::Rejected { why }) => why,
            // Another push updating the branch at the same moment makes the remote refuse the
            // ref update ("cannot lock ref"): when the branch did move, that is a moved branch.
            Err(e) => match pushed_anyway(dest, clone, &written, &at.tip, review_branch, e)? {
                Landed::Yes => return Ok(written),
                Landed::Moved(why) => why,
            },
        };
        if review_branch.is_some() {
            return Err(Failure::Failed(why));
        }
        if round >= ROUNDS {
            return Err(Failure::Failed(format!(
                "{why} (it moved {ROUNDS} times while promoting: try again when it is quieter)"
            )));
        }
        tracing::info!(round, %why, "the branch moved: fetching to decide again");
        let now = dest.fetch_file(clone)?;
        if now.digest() != baseline {
            let repo = clone.repo()?;
            return Err(Failure::Failed(format!(
                "{} {} moved while promoting: {} changed {} to {}",
                place.git,
                place.branch,
                dest.changed_by(&repo, &now.tip),
                place.file,
                now.image.pinned
            )));
        }
        at = now;
    }
}

/// What a fetch after a push error showed.
enum Landed {
    /// The branch has the commit: the push landed though its answer was an error.
    Yes,
    /// The branch moved from the commit's parent to something else: decide again.
    Moved(String),
}

/// After a push error: its answer may have been lost though it landed. Fetch and look; the
/// commit on the branch goes on to be recorded, a branch without it fails the entry, and a
/// remote that cannot be read either leaves the entry open for the next recovery.
fn pushed_anyway(
    dest: &GitDest,
    clone: &RemoteClone,
    written: &WrittenCommit,
    parent: &str,
    review_branch: Option<&str>,
    e: Error,
) -> std::result::Result<Landed, Failure> {
    let branch = review_branch.unwrap_or(&dest.place.branch);
    match clone.fetch(branch) {
        Ok(Some(tip)) if contains(&clone.repo().map_err(Failure::Open)?, &tip, &written.id)
            .unwrap_or(false) =>
        {
            tracing::warn!(error = %e.message, "the push reported an error, but the branch has the commit");
            Ok(Landed::Yes)
        }
        Ok(Some(tip)) if review_branch.is_none() && tip != parent => Ok(Landed::Moved(format!(
            "branch {branch} moved to {tip} during the push ({})",
            e.message
        ))),
        Ok(_) => Err(Failure::Failed(e.message)),
        Err(read) => Err(Failure::Open(e.context(format!(
            "the push stopped and {} cannot be read back to tell whether it landed ({}); the promotion stays open and the next tollgate command finishes or fails it",
            crate::gitops::remote::redact(&dest.url),
            read.message
        )))),
    }
}

/// The branch a `push = "branch"` promotion of `digest` into `app` `env` is pushed to for
/// review: `tollgate/<app>-<env>-<digest12>`.
pub(super) fn review_branch(app: &str, env: &str, digest: &Digest) -> String {
    format!("tollgate/{app}-{env}-{}", digest.short())
}

/// Author and committer of a promotion commit (see the module docs).
fn person(actor: &str, at: chrono::DateTime<chrono::Utc>) -> GitPerson {
    let email = if actor.contains('@') {
        actor.to_string()
    } else {
        format!("{actor}@tollgate.invalid")
    };
    GitPerson {
        name: actor.to_string(),
        email,
        seconds: at.timestamp(),
        offset_minutes: 0,
    }
}

/// Fetch the branch: when it contains the entry's commit, the promotion is verified and
/// recorded (its event names git, file, branch, commit and the raw commit); otherwise the entry
/// is failed and its approvals released. A fetch that fails leaves the entry open.
#[allow(clippy::too_many_arguments)]
pub(super) fn verify_and_record(
    ws: &Workspace,
    ctx: &Context,
    store: &mut Store,
    entry: &Promotion,
    dest: &GitDest,
    clone: &RemoteClone,
    recovering: bool,
    notes: &Notes<'_>,
) -> Result<Event> {
    let place = &dest.place;
    let tip = clone.fetch(&place.branch)?;
    let repo = clone.repo()?;
    let landed = match (&tip, &entry.commit) {
        (Some(tip), Some(commit)) => contains(&repo, tip, commit)?,
        _ => false,
    };
    let state = store.journal_get(entry.id)?.state;
    match (state, landed) {
        (JournalState::Recorded | JournalState::Failed | JournalState::Review, _) => {
            Err(Error::refused(format!(
                "promotion {} is already {}",
                entry.id,
                state.as_str()
            )))
        }
        (JournalState::Verified, _) | (JournalState::Intended | JournalState::Pushed, true) => {
            if let (Some(tip), Some(commit)) = (&tip, &entry.commit) {
                let holds = dest
                    .file_at(&repo, tip)
                    .is_ok_and(|f| f.digest() == Some(&entry.digest));
                if !holds {
                    tracing::warn!(id = entry.id, %commit, %tip, "the promotion commit is on the branch, but a later commit changed the file; sync records that change");
                }
            }
            if state != JournalState::Verified {
                store.journal_advance(entry.id, JournalState::Verified, ctx.clock.now())?;
                fault::point("verified");
            }
            let raw = match (notes.raw_commit, &entry.commit) {
                (Some(raw), _) => raw.to_string(),
                (None, Some(commit)) => {
                    String::from_utf8_lossy(&repo.raw_commit(commit)?).into_owned()
                }
                (None, None) => String::new(),
            };
            let now = ctx.clock.now();
            let notes = Notes {
                raw_commit: Some(&raw),
                ..*notes
            };
            store.journal_record(
                entry.id,
                promotion_event(ws, ctx, store, entry, now, recovering, &notes)?,
                None,
            )
        }
        (_, false) => {
            let reason = match (&tip, &entry.commit) {
                (None, _) => format!("branch {} is gone from {}", place.branch, place.git),
                (Some(tip), _)
                    if dest
                        .file_at(&repo, tip)
                        .ok()
                        .and_then(|f| f.digest().cloned())
                        != entry.previous =>
                {
                    format!(
                        "{} {} moved past what it evaluated: {} changed {}",
                        place.git,
                        place.branch,
                        dest.changed_by(&repo, tip),
                        place.file
                    )
                }
                (Some(_), None) => {
                    "interrupted before its commit was made; nothing was pushed".to_string()
                }
                (Some(_), Some(commit)) => format!(
                    "commit {commit} is not on {} {}: its push did not land",
                    place.git, place.branch
                ),
            };
            store.journal_fail(entry.id, &reason, ctx.clock.now())?;
            Err(Error::refused(format!(
                "promotion {} failed: {reason}; its approvals are released, nothing was recorded",
                entry.id
            )))
        }
    }
}

/// Finish or fail an abandoned git entry (called by [`super::recover`], which has claimed it).
pub(super) fn recover_entry(
    ws: &Workspace,
    ctx: &Context,
    store: &mut Store,
    entry: &Promotion,
    place: &crate::store::GitPlace,
) -> Result<Event> {
    let dest = match GitDest::new(ws, place.clone(), &entry.dst_repository) {
        Ok(dest) => dest,
        Err(e) => {
            let reason = format!(
                "cannot be recovered: {}; whether its commit reached {} is unknown, check the repository, then sync",
                e.message,
                place.describe()
            );
            match store.journal_fail(entry.id, &reason, ctx.clock.now()) {
                Err(e) if e.code == crate::Code::Refused => {}
                other => other?,
            }
            return Err(Error::refused(reason));
        }
    };
    let clone = dest.open(ws)?;
    if let (PushMode::Branch, Some(commit)) = (dest.push, &entry.commit) {
        // Pushed for review: the review branch holding the commit ends the entry in `review`.
        let review = review_branch(&entry.app, &entry.to_env, &entry.digest);
        if let Some(tip) = clone.fetch(&review)? {
            if contains(&clone.repo()?, &tip, commit)? {
                store.journal_review(entry.id, &review, ctx.clock.now())?;
                return Err(Error::refused(format!(
                    "promotion {} was pushed for review to {review}; it is recorded when a sync sees it merged",
                    entry.id
                )));
            }
        }
    }
    verify_and_record(
        ws,
        ctx,
        store,
        entry,
        &dest,
        &clone,
        true,
        &Notes::default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_promoter_is_author_and_committer_with_an_address_or_a_reserved_one() {
        let at = chrono::Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap();
        let alice = person("alice@example.com", at);
        assert_eq!(
            alice.line().unwrap(),
            format!(
                "alice@example.com <alice@example.com> {} +0000",
                at.timestamp()
            )
        );
        let bot = person("release-bot", at);
        assert_eq!(bot.email, "release-bot@tollgate.invalid");
        assert_eq!(bot.name, "release-bot");
        // An id git cannot carry is one clear error, not a broken commit.
        assert!(person("eve <x>", at).line().is_err());
    }
}
