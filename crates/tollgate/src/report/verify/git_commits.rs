//! Every event made from a commit of a deployment repository carries the exact commit object
//! (`data.raw_commit`) and its id (`data.commit`): the object must hash to that id (so the
//! report cannot swap in another commit), and a promotion, rollback or signed deployment's
//! commit must be SSH-signed (namespace `git`) by the event's actor, with a key listed for it:
//! a workspace's identities (`verify FILE --config`), else the report's own
//! `allowed_signers_git` when it has one. A promotion pushed for review and merged or squashed
//! by a forge names the signed commit apart (`data.review_commit`, `data.raw_review_commit`):
//! that object must hash to that id and carry the actor's signature, and `raw_commit` (the
//! forge's merge or squash commit, signed by the forge or not at all) is only hash-checked. An auditor does the same with stock tools (see
//! docs/src/audit/format.md): `git hash-object -t commit`, and `ssh-keygen -Y verify -n git`.

use std::collections::BTreeMap;

use super::events::Whole;
use super::{Checker, ReportKeys};
use crate::domain::EventKind;
use crate::gitops::commit_id;
use crate::report::crosscheck::AppendOrder;
use crate::signing::{parse_allowed_signers_in, verify_commit, TrustedKeys, GIT_NAMESPACE};

/// What [`Checker::check_git_commits`] counted.
pub(super) struct GitCommits {
    /// Events carrying a commit object.
    pub commits: u64,
    /// Of those that claim a signer (promotions, rollbacks, signed deployments), how many
    /// verified against a listed key of their actor.
    pub verified: u64,
}

impl Checker<'_> {
    pub(super) fn check_git_commits(&mut self, wholes: &BTreeMap<i64, &Whole>) -> GitCommits {
        let keys: Option<TrustedKeys> = match &self.keys {
            ReportKeys::Workspace { identities, .. } => Some(identities.clone()),
            ReportKeys::Report => self
                .top
                .get("allowed_signers_git")
                .and_then(serde_json::Value::as_str)
                .map(|text| parse_allowed_signers_in(GIT_NAMESPACE, text).0),
        };
        let mut order = AppendOrder::default();
        let mut counted = GitCommits {
            commits: 0,
            verified: 0,
        };
        for (&seq, w) in wholes {
            let appended = order.event(&w.event);
            let Some(raw) = w.event.data_str("raw_commit") else {
                continue;
            };
            counted.commits += 1;
            let Some(named) = w.event.data_str("commit") else {
                self.problem(
                    Some(seq),
                    "it carries a commit object but names no commit id (data.commit)",
                );
                continue;
            };
            if let Some(why) = hash_problem(raw, named, "commit") {
                self.problem(Some(seq), why);
                continue;
            }
            // Pushed for review and merged by a forge: the actor signed the review commit.
            let (raw, named) = match w.event.data_str("review_commit") {
                None => (raw, named),
                Some(review) => {
                    let Some(raw) = w.event.data_str("raw_review_commit") else {
                        self.problem(
                            Some(seq),
                            format!("it names the review commit {review} but carries no object of it (data.raw_review_commit)"),
                        );
                        continue;
                    };
                    if let Some(why) = hash_problem(raw, review, "review commit") {
                        self.problem(Some(seq), why);
                        continue;
                    }
                    (raw, review)
                }
            };
            let claims_signer = matches!(
                w.event.kind,
                EventKind::Promotion | EventKind::Rollback | EventKind::Record
            );
            let (Some(keys), true) = (&keys, claims_signer) else {
                continue;
            };
            let actor = w.event.actor.clone().unwrap_or_default();
            match verify_commit(raw.as_bytes(), keys, Some(appended)) {
                Ok(signer) if signer.identity == actor => counted.verified += 1,
                Ok(signer) => self.problem(
                    Some(seq),
                    format!(
                        "its commit {} is signed by {}, not by {actor}, whom the event names",
                        short_id(named),
                        signer.identity
                    ),
                ),
                Err(why) => self.problem(
                    Some(seq),
                    format!("its commit {}: {}", short_id(named), why.message()),
                ),
            }
        }
        counted
    }
}

/// Why the object `raw` is not the commit `named` (`what`: "commit", "review commit"), if so.
fn hash_problem(raw: &str, named: &str, what: &str) -> Option<String> {
    match commit_id(raw.as_bytes()) {
        Ok(id) if id == named => None,
        Ok(id) => Some(format!("its {what} object hashes to {id}, not to the {what} {named} it names: the object or the id was altered")),
        Err(e) => Some(e.message),
    }
}

fn short_id(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}
