//! `tollgate verify FILE`: check an exported JSON report with nothing but the file, one file per
//! check. [`check_report_bytes`] reads the report and runs them in this order; each failure is one
//! [`Problem`] that names the event:
//!
//! - [`events`]: the entries of `events`, read back as whole events, links and stubs;
//! - [`range`]: `seq` ascending without gaps or repeats, from `range.first_seq` to
//!   `range.last_seq`; each `prev_hash` is the previous event's `hash` (stubs included); the first
//!   `prev_hash` is `range.start_prev_hash` (64 zeros at `seq` 1), the last `hash` is
//!   `range.end_hash`, and the database head when the range ends there;
//! - [`hashes`]: every whole event's fields are the ones in `hashed` (so an edited field is
//!   named), `hashed` is canonical JSON, and `sha256(prev_hash + "\n" + hashed)` is its `hash`;
//! - what report version 2 adds: [`stubs`] (no stub in a report without filters, each stub's
//!   formula 2 header outside the filters, each link outside them), [`unapproved`] (the
//!   `unapproved` flags re-derived under the stated policies), [`conflicts`] (the conflicts a
//!   report of the whole history states, re-derived from its events by the team conflict
//!   rules, `domain::conflicts`), [`unsigned`] (against a
//!   workspace, the signed-era moves that carry no signature) and [`seal`] (the exporting
//!   identity's seal; without one a report verifies only with `--allow-unsealed`);
//! - [`approvals`]: every approval's signed message is a Tollgate approval for the event's app,
//!   digest, environments, approver and role; its SSHSIG verifies against the approver's key
//!   (namespace `tollgate-approval`) valid when the history appended it, and the recorded
//!   fingerprint is that key's. The keys are the report's own `allowed_signers`, or, when given,
//!   a workspace's (`verify FILE --config tollgate.toml`): [`ReportKeys`];
//! - [`rejections`]: every rejection and unrejection says what its event says and its
//!   signature verifies against the same keys;
//! - [`signed_events`]: every record, promotion and rollback with a signed message says what its
//!   event says, and against a workspace its signature verifies;
//! - [`git_commits`]: every commit object an event carries hashes to the commit it names, and
//!   a promotion's, rollback's or signed deployment's commit is signed (namespace `git`) by its
//!   actor's listed key;
//! - [`moves`]: each approval a promotion or rollback counted is in the report, before it,
//!   signed for the same app, digest and move, and counted by no other
//!   ([`super::crosscheck`]);
//! - [`anchors`]: every anchor (an approval's signed chain head, a promotion's stated head)
//!   inside the range is an earlier event with that hash ([`super::crosscheck`]); an approval's
//!   append time is the later of its `at` and the latest `at` before it in the report;
//! - [`filters`]: each whole event matches them, or is an approval a promotion counted;
//! - [`summary`]: it agrees with the events.
//!
//! [`imported`], [`stubs`], [`unsigned`] and [`conflicts`] hold rules `api::verify` applies to
//! the database too. A file that is not a Tollgate report is an error ([`Code::BadInput`]), not
//! a problem list. Pure rules otherwise: no clock, no I/O (the team artifacts are looked up by the caller's
//! closure).
//!
//! [`Code::BadInput`]: crate::Code::BadInput

mod anchors;
mod approvals;
pub mod conflicts;
mod events;
mod filters;
mod git_commits;
mod hashes;
pub mod imported;
mod moves;
mod range;
mod rejections;
pub mod seal;
mod signed_events;
pub mod stubs;
mod summary;
pub mod unapproved;
pub mod unsigned;

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;
use serde_json::{Map, Value};
use ts_rs::TS;

use super::{FORMAT, VERSION};
use crate::signing::{self, TrustedKeys, VerifiedSignature};
use crate::{Error, Result};
use events::{starts_at_one, Entry, Whole};

/// The outcome of checking a report: `problems` is empty when every check held.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ReportVerification {
    pub version: u32,
    pub workspace: String,
    pub generated_at: String,
    /// Whole events in the report.
    #[ts(type = "number")]
    pub events: u64,
    /// Link stubs in the report.
    #[ts(type = "number")]
    pub stubs: u64,
    #[ts(type = "number | null")]
    pub first_seq: Option<i64>,
    #[ts(type = "number | null")]
    pub last_seq: Option<i64>,
    /// The hash of the last event of the range: compare it with the database's history
    /// (`tollgate verify`) or with a head published elsewhere.
    pub end_hash: Option<String>,
    /// Approvals in the report, and how many of their signatures verified.
    #[ts(type = "number")]
    pub approvals: u64,
    #[ts(type = "number")]
    pub signatures_verified: u64,
    /// Where the keys the signatures were checked against came from: `"report"` (the file's
    /// own `allowed_signers`, so a report forged whole, with its own keys, passes) or
    /// `"workspace"` (a tollgate.toml's approvers).
    pub keys: String,
    /// The same in words, naming the workspace file.
    pub keys_from: String,
    /// The highest event a verified approval's signed chain head vouches for (0: none).
    #[ts(type = "number")]
    pub anchored_seq: i64,
    /// Records, promotions and rollbacks in the report that carry a signed message.
    #[ts(type = "number")]
    pub signed_events: u64,
    /// How many of their signatures verified against a workspace's listed identities
    /// (approvers and `[[signers]]`); always 0 against the report's own keys, which list
    /// approvers only.
    #[ts(type = "number")]
    pub event_signatures_verified: u64,
    /// Rejections and unrejections in the report, and how many of their signatures verified
    /// (against the same keys as approvals: approvers only).
    #[ts(type = "number")]
    pub rejections: u64,
    #[ts(type = "number")]
    pub rejection_signatures_verified: u64,
    /// Events that carry a commit of a deployment repository (`data.raw_commit`), each checked
    /// to hash to the commit it names.
    #[ts(type = "number")]
    pub git_commits: u64,
    /// Of those, the promotions, rollbacks and signed deployments whose commit signature
    /// verified against their actor's listed key (namespace `git`).
    #[ts(type = "number")]
    pub git_signatures_verified: u64,
    /// Formula 1 events outside the filters, included whole in place of stubs (counted in
    /// `stubs` too).
    #[ts(type = "number")]
    pub links: u64,
    /// The identity whose seal verified (`None`: unsealed, or the seal failed: see `problems`).
    pub sealed_by: Option<String>,
    /// What could not be proven, accepted with `--allow-unsealed` (one line each).
    pub unproven: Vec<String>,
    /// Findings that are not failures: a recovery's unsigned promotion (with `--config`).
    pub warnings: Vec<Problem>,
    pub problems: Vec<Problem>,
}

/// The keys a report's approvals are checked against.
#[derive(Debug, Clone)]
pub enum ReportKeys {
    /// The report's own `allowed_signers` text.
    Report,
    /// A workspace's approvers (`from` names its file), and every identity it lists
    /// (approvers and `[[signers]]`) for the signatures of records, promotions and rollbacks.
    Workspace {
        keys: TrustedKeys,
        identities: TrustedKeys,
        from: String,
    },
}

impl ReportVerification {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// One thing found wrong, by `tollgate verify` (the database) or `tollgate verify FILE` (a
/// report).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Problem {
    /// The event it concerns, when it concerns one.
    #[ts(type = "number | null")]
    pub seq: Option<i64>,
    /// What is wrong, without naming the event.
    pub reason: String,
    /// One line: `event <seq>: <reason>`, or the reason alone.
    pub message: String,
}

impl Problem {
    /// A problem with `seq` (named first in [`Problem::message`]), or with the whole report.
    pub fn new(seq: Option<i64>, reason: impl Into<String>) -> Self {
        let reason = reason.into();
        let message = match seq {
            Some(s) => format!("event {s}: {reason}"),
            None => reason.clone(),
        };
        Problem {
            seq,
            reason,
            message,
        }
    }

    /// A problem about `seq` whose line already says which events it concerns.
    fn worded(seq: i64, message: String) -> Self {
        Problem {
            seq: Some(seq),
            reason: message.clone(),
            message,
        }
    }
}

/// Check the bytes of a JSON report. `name` is how the file is called in errors.
/// `allow_unsealed`: a report without a seal is checked anyway, and what that leaves unproven
/// is listed ([`ReportVerification::unproven`]) instead of being a problem.
pub fn check_report_bytes(
    bytes: &[u8],
    name: &str,
    keys: ReportKeys,
    allow_unsealed: bool,
) -> Result<ReportVerification> {
    let not_report = |why: &str| {
        Error::bad_input(format!(
            "{name} is not a Tollgate audit report ({why}); pass a file written by `tollgate export --format json`"
        ))
    };
    let root: Value =
        serde_json::from_slice(bytes).map_err(|e| not_report(&format!("not JSON: {e}")))?;
    let Some(top) = root.as_object() else {
        return Err(not_report("not a JSON object"));
    };
    if top.get("format").and_then(Value::as_str) != Some(FORMAT) {
        return Err(not_report(&format!("no \"format\": \"{FORMAT}\"")));
    }
    let version = match top.get("version").and_then(Value::as_u64) {
        Some(v) if (1..=u64::from(VERSION)).contains(&v) => v,
        Some(v) => {
            return Err(Error::bad_input(format!(
                "{name} is a version {v} report; this tollgate reads versions 1 to {VERSION}: verify it with a newer tollgate"
            )))
        }
        None => return Err(not_report("no version")),
    };
    Ok(Checker::new(top, keys, version, allow_unsealed).run())
}

struct Checker<'a> {
    top: &'a Map<String, Value>,
    keys: ReportKeys,
    version: u64,
    allow_unsealed: bool,
    problems: Vec<Problem>,
    warnings: Vec<Problem>,
    unproven: Vec<String>,
}

/// A signature whose key was found, waiting for the one batch verification of its kind
/// ([`verify_pending`]).
struct Pending {
    seq: i64,
    /// Who signed: the approver (approvals, rejections) or the actor (records and moves).
    signer: String,
    message: String,
    signature: String,
    /// The signer's key valid when the history appended the event.
    key: String,
}

/// Verify every pending signature at once ([`signing::verify_many`] spreads a long list over
/// the cores); the results come in the same order.
fn verify_pending(pending: &[Pending]) -> Vec<Result<VerifiedSignature>> {
    let items: Vec<(&[u8], &str, &str)> = pending
        .iter()
        .map(|p| (p.message.as_bytes(), p.signature.as_str(), p.key.as_str()))
        .collect();
    signing::verify_many(&items)
}

/// What one signature check counted: the signed events of its kind, and the `seq`s of those
/// whose signature verified.
struct Signatures {
    signed: u64,
    verified: HashSet<i64>,
}

impl Signatures {
    fn verified(&self) -> u64 {
        self.verified.len() as u64
    }
}

fn short(v: &Value) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if s.chars().count() > 100 {
        format!("{}…", s.chars().take(97).collect::<String>())
    } else {
        s
    }
}

impl<'a> Checker<'a> {
    fn new(
        top: &'a Map<String, Value>,
        keys: ReportKeys,
        version: u64,
        allow_unsealed: bool,
    ) -> Self {
        Checker {
            top,
            keys,
            version,
            allow_unsealed,
            problems: Vec::new(),
            warnings: Vec::new(),
            unproven: Vec::new(),
        }
    }

    fn problem(&mut self, seq: Option<i64>, message: impl Into<String>) {
        self.problems.push(Problem::new(seq, message));
    }

    fn text(&self, key: &str) -> String {
        self.top
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    }

    /// Every check, in order; one event's problems together, report-wide ones first.
    fn run(mut self) -> ReportVerification {
        let entries = self.read_events();
        let (first_seq, last_seq, end_hash) = self.check_range(&entries);
        let wholes: BTreeMap<i64, &Whole> = entries
            .iter()
            .filter_map(|e| match e {
                Entry::Whole(w) if !w.link => Some((w.event.seq, &**w)),
                Entry::Whole(_) | Entry::Stub { .. } => None,
            })
            .collect();
        for e in &entries {
            if let Entry::Whole(w) = e {
                self.check_content(w);
            }
        }
        let headers = self.check_stubs(&entries);
        self.check_unapproved(&entries, &headers);
        self.check_conflicts(&entries);
        self.check_unsigned(&entries);
        let sealed_by = self.check_seal();
        let approvals = self.check_approvals(&wholes);
        let rejections = self.check_rejections(&wholes);
        let signed_events = self.check_event_signatures(&wholes);
        let git = self.check_git_commits(&wholes);
        let elsewhere: HashSet<i64> = entries
            .iter()
            .map(Entry::seq)
            .filter(|s| !wholes.contains_key(s))
            .collect();
        let first = entries.iter().map(Entry::seq).min().unwrap_or(0);
        self.check_moves(&wholes, &elsewhere, first);
        let signed_ok: HashSet<i64> = approvals
            .verified
            .union(&rejections.verified)
            .copied()
            .collect();
        let anchored_seq = self.check_anchors(&entries, &wholes, &signed_ok);
        self.check_filters(&wholes);
        self.check_summary(&entries);
        // One event's problems together, report-wide ones first.
        self.problems.sort_by_key(|p| p.seq.unwrap_or(i64::MIN));
        let links = entries
            .iter()
            .filter(|e| matches!(e, Entry::Whole(w) if w.link))
            .count() as u64;
        let stubs = entries.len() as u64 - wholes.len() as u64;
        ReportVerification {
            version: self.version as u32,
            workspace: self.text("workspace"),
            generated_at: self.text("generated_at"),
            events: wholes.len() as u64,
            stubs,
            first_seq,
            last_seq,
            end_hash,
            approvals: approvals.signed,
            signatures_verified: approvals.verified(),
            keys: match &self.keys {
                ReportKeys::Report => "report".into(),
                ReportKeys::Workspace { .. } => "workspace".into(),
            },
            keys_from: match &self.keys {
                ReportKeys::Report => "the report's own allowed_signers".into(),
                ReportKeys::Workspace { from, .. } => format!("the approvers of {from}"),
            },
            anchored_seq,
            signed_events: signed_events.signed,
            event_signatures_verified: signed_events.verified(),
            rejections: rejections.signed,
            rejection_signatures_verified: rejections.verified(),
            git_commits: git.commits,
            git_signatures_verified: git.verified,
            links,
            sealed_by,
            unproven: self.unproven,
            warnings: self.warnings,
            problems: self.problems,
        }
    }

    /// The conflicts stated, re-derived from the whole history ([`conflicts::check`]): only a
    /// report without stubs from event 1 on holds it.
    fn check_conflicts(&mut self, entries: &[Entry]) {
        let whole_history =
            starts_at_one(entries) && entries.iter().all(|e| matches!(e, Entry::Whole(_)));
        if whole_history {
            let events: Vec<&crate::domain::Event> = entries
                .iter()
                .filter_map(|e| match e {
                    Entry::Whole(w) => Some(&w.event),
                    Entry::Stub { .. } => None,
                })
                .collect();
            if let Some(why) = conflicts::check(&events, self.top.get("conflicts")) {
                self.problem(None, why);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_a_report_is_an_error() {
        for bytes in [&b"not json"[..], b"[]", b"{\"format\":\"x\"}"] {
            let e = check_report_bytes(bytes, "f.json", ReportKeys::Report, false).unwrap_err();
            assert_eq!(e.code, crate::Code::BadInput);
            assert!(e
                .message
                .starts_with("f.json is not a Tollgate audit report"));
        }
        let e = check_report_bytes(
            br#"{"format":"tollgate.audit-report","version":9}"#,
            "f.json",
            ReportKeys::Report,
            false,
        )
        .unwrap_err();
        assert!(e.message.contains("version 9"), "{}", e.message);
    }
}
