//! A promotion pushed for review (`push = "branch"`) reaches the environment's branch: the sync
//! that sees it records the promotion from its journal entry (state `review`).
//!
//! A commit C that changed the file's digest lands the entry when C pins the entry's digest and
//! ([`how_landed`]):
//! - C is the signed commit itself (the review branch merged fast-forward);
//! - C is a merge one of whose parents is the signed commit (`git merge --no-ff`, a forge's
//!   merge commit);
//! - C is a squash or rebase of it: its `Tollgate-*` trailers are the signed commit's, and its
//!   change of the file is exactly the signed commit's one-line change (the file at C is the file
//!   at C's first parent with the digest pinned, nothing else).
//!
//! The event is the promotion's (or rollback's) own, made by the promote code
//! ([`crate::api::promote::promotion_event`]) from the journal entry, with `data.commit` = C and
//! `data.raw_commit` = C's object; when C is not the signed commit also `data.review_commit`
//! (the signed commit's id) and `data.raw_review_commit` (its object, signed by the actor):
//! `tollgate verify` then checks the actor's signature on the review commit and only the hash of
//! C (a forge's merge or squash commit is signed by the forge, or not at all).
//!
//! A landing is recorded on the environment's first sync too: the backfill attributes C to the
//! promotion instead of taking it as a baseline stay. Once appended, the event is published to
//! the team's registry like a direct promotion's ([`publish_landings`]): its signed message
//! names C, so a teammate imports it where its own fetch shows C on the branch.

use serde_json::Value;

use super::git::GitEnv;
use super::git_report::SyncedGitEnv;
use crate::api::Context;
use crate::config::Workspace;
use crate::domain::{Digest, EventKind, NewEvent};
use crate::gitops::file::pin;
use crate::gitops::{BareRepo, FileChange, FileHistory, FileState};
use crate::signing::PromotionTrailers;
use crate::store::{Promotion, Store};
use crate::Result;

/// How a commit brought a reviewed promotion onto the branch (`data.landed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum How {
    FastForward,
    Merged,
    Squashed,
}

impl How {
    pub fn as_str(self) -> &'static str {
        match self {
            How::FastForward => "fast_forward",
            How::Merged => "merged",
            How::Squashed => "squashed",
        }
    }
}

/// A journal entry in `review` that a commit of this sync's history landed.
pub(super) struct Landing {
    /// The index of the landing commit in `history.changes`.
    pub change: usize,
    pub entry: Promotion,
    pub how: How,
    /// The signed commit's object (what the review branch held).
    pub signed_raw: Vec<u8>,
}

/// What [`how_landed`] needs of the candidate commit.
pub(super) struct Candidate<'a> {
    pub commit: &'a str,
    /// Its other parents (a merge's merged-in commits).
    pub merged: &'a [String],
    pub trailers: Option<&'a PromotionTrailers>,
    /// The digest the file pins after it.
    pub digest: Option<&'a Digest>,
    /// Whether its change of the file is exactly the digest pinned over its first parent.
    pub only_the_digest: bool,
}

/// The rule (see the module docs): how `c` lands the entry whose signed commit is `signed`
/// (with `signed_trailers`) and which pins `digest`; `None` when it does not.
pub(super) fn how_landed(
    c: &Candidate<'_>,
    signed: &str,
    signed_trailers: Option<&PromotionTrailers>,
    digest: &Digest,
) -> Option<How> {
    if c.digest != Some(digest) {
        return None;
    }
    if c.commit == signed {
        return Some(How::FastForward);
    }
    if c.merged.iter().any(|p| p == signed) {
        return Some(How::Merged);
    }
    match (c.trailers, signed_trailers) {
        (Some(t), Some(s)) if t == s && &s.digest == digest && c.only_the_digest => {
            Some(How::Squashed)
        }
        _ => None,
    }
}

/// The message of a raw commit object (after its headers).
fn message_of(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    text.split_once("\n\n")
        .map(|(_, m)| m.to_string())
        .unwrap_or_default()
}

/// The entries of `env` in `review` that a digest change of `history` lands, each with its
/// first landing commit. An entry whose signed commit is not in the clone is left in review
/// (one line in `problems`).
pub(super) fn landings(
    store: &Store,
    repo: &BareRepo,
    env: &GitEnv,
    history: &FileHistory,
    problems: &mut Vec<String>,
) -> Result<Vec<Landing>> {
    let entries: Vec<Promotion> = store
        .journal_in_review(&env.app, &env.env)?
        .into_iter()
        .filter(|p| {
            p.git
                .as_ref()
                .is_some_and(|g| g.git == env.git && g.file == env.file && g.branch == env.branch)
        })
        .collect();
    if entries.is_empty() || history.changes.is_empty() {
        return Ok(Vec::new());
    }
    let mut out: Vec<Landing> = Vec::new();
    for entry in entries {
        let Some(signed) = entry.commit.clone() else {
            continue;
        };
        let signed_raw = match repo.raw_commit(&signed) {
            Ok(raw) => raw,
            Err(e) => {
                problems.push(format!(
                    "{} {}: promotion {} pushed for review as commit {signed} cannot be matched to the branch: {}",
                    env.app, env.env, entry.id, e.message
                ));
                continue;
            }
        };
        let signed_trailers = PromotionTrailers::parse(&message_of(&signed_raw))
            .ok()
            .flatten();
        for (i, c) in history.changes.iter().enumerate() {
            if out.iter().any(|l| l.change == i) {
                continue;
            }
            let digest = match &c.state {
                FileState::Image(image) => image.digest(),
                _ => None,
            };
            let trailers = c.trailers.as_ref().ok().and_then(Option::as_ref);
            let only_the_digest = trailers.is_some()
                && digest == Some(&entry.digest)
                && one_line(repo, env, c, &entry.digest);
            let candidate = Candidate {
                commit: &c.commit,
                merged: &c.merged,
                trailers,
                digest,
                only_the_digest,
            };
            if let Some(how) =
                how_landed(&candidate, &signed, signed_trailers.as_ref(), &entry.digest)
            {
                out.push(Landing {
                    change: i,
                    entry: entry.clone(),
                    how,
                    signed_raw: signed_raw.clone(),
                });
                break;
            }
        }
    }
    Ok(out)
}

/// Whether the file at `c` is the file at its first parent with `digest` pinned (the lossless
/// edit a promotion makes), nothing else.
fn one_line(repo: &BareRepo, env: &GitEnv, c: &FileChange, digest: &Digest) -> bool {
    let (Some(parent), Ok(Some(now))) = (&c.parent, repo.file_at(&c.commit, &env.file)) else {
        return false;
    };
    let Ok(Some(before)) = repo.file_at(parent, &env.file) else {
        return false;
    };
    let Ok(before) = String::from_utf8(before) else {
        return false;
    };
    pin(&env.file, &before, env.matcher(), env.selector(), digest)
        .is_ok_and(|p| p.text.as_bytes() == now.as_slice())
}

/// The promotion (or rollback) event of a landed entry: the promote code's event, signed at
/// `now` by the actor (unsigned, with why, on a machine without the key). The stay begins when
/// the sync sees the commit land (`now`), as a tag promotion's begins when it is recorded.
pub(super) fn landed_event(
    ws: &Workspace,
    ctx: &Context,
    store: &Store,
    l: &Landing,
    c: &FileChange,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<NewEvent> {
    let signed = l.entry.commit.clone().unwrap_or_default();
    let mut entry = l.entry.clone();
    entry.commit = Some(c.commit.clone());
    let raw = String::from_utf8_lossy(&c.raw).into_owned();
    let notes = crate::api::promote::Notes {
        raw_commit: Some(&raw),
        ..Default::default()
    };
    let mut event =
        crate::api::promote::promotion_event(ws, ctx, store, &entry, now, false, &notes)?;
    let data = &mut event.data;
    data["landed"] = l.how.as_str().into();
    data["author"] = format!("{} <{}>", c.author.name, c.author.email).into();
    if let Some(b) = &l.entry.review_branch {
        data["review_branch"] = b.clone().into();
    }
    if c.commit != signed {
        data["review_commit"] = signed.into();
        data["raw_review_commit"] =
            Value::from(String::from_utf8_lossy(&l.signed_raw).into_owned());
    }
    Ok(event)
}

/// Publish the promotion (or rollback) event of each entry in `landed` among `stored` (just
/// appended by this sync) to the team's registry, as `promote` publishes a direct one: a
/// teammate's sync imports it where its own fetch shows the commit on the branch pinning the
/// digest (`api::team::sync::agree`). What became of each is set on its change row
/// (`GitChange::shared`); a push the registry refuses keeps the event unshared (the next sync
/// publishes it). Never fails the sync (its events are written): an error is one line of the
/// environment's problems.
pub(super) async fn publish_landings(
    ws: &Workspace,
    ctx: &Context,
    store: &mut Store,
    stored: &[crate::domain::Event],
    landed: &[i64],
    rows: &mut [SyncedGitEnv],
) {
    let events = stored.iter().filter(|e| {
        matches!(e.kind, EventKind::Promotion | EventKind::Rollback)
            && e.data
                .get("journal")
                .and_then(Value::as_i64)
                .is_some_and(|j| landed.contains(&j))
    });
    for event in events {
        let shared = crate::api::team::sync::publish_event(ws, ctx, store, event).await;
        let Some(row) = rows
            .iter_mut()
            .find(|r| r.app == event.app && r.env == event.env)
        else {
            continue;
        };
        let commit = event.data_str("commit").unwrap_or_default();
        match shared {
            Ok(shared) => {
                if let Some(c) = row.changes.iter_mut().find(|c| c.commit == commit) {
                    c.shared = shared;
                }
            }
            Err(e) => {
                tracing::warn!(seq = event.seq, error = %e.message, "landed promotion not published");
                row.problems.push(format!(
                    "{} {}: the {} recorded at commit {commit} could not be shared with the team ({}); it counts here, and a teammate's sync judges the commit on its own",
                    event.app,
                    event.env,
                    event.kind.as_str(),
                    e.message
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(c: char) -> Digest {
        Digest::parse(&format!("sha256:{}", c.to_string().repeat(64))).unwrap()
    }

    fn trailers(digest: &Digest) -> PromotionTrailers {
        PromotionTrailers {
            app: "api".into(),
            env: "production".into(),
            digest: digest.clone(),
            from: Some("staging".into()),
            approvals: vec!["ab".repeat(32)],
        }
    }

    const SIGNED: &str = "1111111111111111111111111111111111111111";
    const OTHER: &str = "2222222222222222222222222222222222222222";

    #[test]
    fn the_signed_commit_itself_or_a_merge_of_it_lands_the_entry() {
        let (a, b) = (d('a'), d('b'));
        let t = trailers(&a);
        let c = |commit, merged: &'static [String], digest| Candidate {
            commit,
            merged,
            trailers: None,
            digest,
            only_the_digest: false,
        };
        assert_eq!(
            how_landed(&c(SIGNED, &[], Some(&a)), SIGNED, Some(&t), &a),
            Some(How::FastForward)
        );
        let merged = vec![SIGNED.to_string()];
        let m = Candidate {
            merged: &merged,
            ..c(OTHER, &[], Some(&a))
        };
        assert_eq!(how_landed(&m, SIGNED, Some(&t), &a), Some(How::Merged));
        // A merge that resolved the file to another digest lands nothing.
        let m = Candidate {
            merged: &merged,
            ..c(OTHER, &[], Some(&b))
        };
        assert_eq!(how_landed(&m, SIGNED, Some(&t), &a), None);
        // Another commit without trailers: nothing.
        assert_eq!(
            how_landed(&c(OTHER, &[], Some(&a)), SIGNED, Some(&t), &a),
            None
        );
    }

    #[test]
    fn a_squash_needs_the_same_trailers_digest_and_one_line_change() {
        let (a, b) = (d('a'), d('b'));
        let t = trailers(&a);
        let squash = |trailers, digest, only| Candidate {
            commit: OTHER,
            merged: &[],
            trailers,
            digest,
            only_the_digest: only,
        };
        assert_eq!(
            how_landed(&squash(Some(&t), Some(&a), true), SIGNED, Some(&t), &a),
            Some(How::Squashed)
        );
        // Forged trailers over another digest.
        assert_eq!(
            how_landed(&squash(Some(&t), Some(&b), true), SIGNED, Some(&t), &a),
            None
        );
        // The same digest, but the commit changed more of the file.
        assert_eq!(
            how_landed(&squash(Some(&t), Some(&a), false), SIGNED, Some(&t), &a),
            None
        );
        // Other trailers (another approval).
        let mut other = t.clone();
        other.approvals = vec!["cd".repeat(32)];
        assert_eq!(
            how_landed(&squash(Some(&other), Some(&a), true), SIGNED, Some(&t), &a),
            None
        );
        // No trailers read from the signed commit: no squash is recognised.
        assert_eq!(
            how_landed(&squash(Some(&t), Some(&a), true), SIGNED, None, &a),
            None
        );
    }

    #[test]
    fn the_message_of_a_raw_commit_is_after_its_headers() {
        let raw = b"tree 00\nparent 11\nauthor A <a> 1 +0000\ngpgsig -----BEGIN\n x\n -----END\n\nSubject\n\nTollgate-App: api\n";
        assert_eq!(message_of(raw), "Subject\n\nTollgate-App: api\n");
    }
}
