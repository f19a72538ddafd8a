//! `tollgate verify FILE`: check an exported JSON report with nothing but the file.
//!
//! What is checked, each failure one [`Problem`] that names the event:
//! - the range: `seq` ascending without gaps or repeats, from `range.first_seq` to
//!   `range.last_seq`; the first `prev_hash` is `range.start_prev_hash` (64 zeros at `seq` 1), the
//!   last `hash` is `range.end_hash`, and the database head when the range ends there;
//! - the links: each event's `prev_hash` is the previous event's `hash` (stubs included);
//! - every whole event: its fields are the ones in `hashed` (so an edited field is named), `hashed`
//!   is canonical JSON, and `sha256(prev_hash + "\n" + hashed)` is its `hash`;
//! - every approval: the signed message is a Tollgate approval for the event's app, digest,
//!   environments, approver and role; its SSHSIG verifies against the approver's key (namespace
//!   `tollgate-approval`) valid when the history appended it (the event's `at`), and the recorded
//!   fingerprint is that key's. The keys are the report's own `allowed_signers`, or, when given,
//!   a workspace's (`verify FILE --config tollgate.toml`): [`ReportKeys`];
//! - every promotion and rollback: each approval it counted is in the report, before it, signed
//!   for the same app, digest and move, and counted by no other ([`super::crosscheck`]);
//! - every anchor (an approval's signed chain head, a promotion's stated head) inside the range
//!   is an earlier event with that hash ([`super::crosscheck`]); an approval's append time is
//!   the later of its `at` and the latest `at` before it in the report;
//! - the filters: each whole event matches them, or is an approval a promotion counted;
//! - the summary: it agrees with the events;
//! - what report version 2 adds ([`super::verify`]): no stub in a report without filters, each
//!   stub's formula 2 header outside the filters, each link (a formula 1 event included whole)
//!   outside them, the seal, the `unapproved` flags re-derived under the stated policies, and,
//!   against a workspace, the signed-era moves that carry no signature.
//!
//! A file that is not a Tollgate report is an error ([`Code::BadInput`]), not a problem list.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};
use ts_rs::TS;

use super::crosscheck::{
    check_anchor, rejection_statement, signed_statement, stated_anchor, AppendOrder, AtSeq,
    Consumption,
};
use super::{Filters, Item, Summary, SummaryBuilder, FORMAT, VERSION};
use crate::domain::{canonical_json, Digest, Event, EventKind};
use crate::signing::{self, parse_allowed_signers, ApprovalMessage, TrustedKeys, NAMESPACE};
use crate::store::chain::GENESIS;
use crate::{Error, Result};

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

/// A whole event, read back from the report.
struct Whole {
    event: Event,
    /// The `at` string as written (the hash covers the string).
    at: String,
    hashed: String,
    in_filter: bool,
    /// A formula 1 event outside the filters, included whole in place of a stub.
    link: bool,
    /// `unapproved` as the report states it.
    unapproved: bool,
}

enum Entry {
    Whole(Box<Whole>),
    Stub {
        seq: i64,
        prev_hash: String,
        hash: String,
        /// Its formula 2 header text (version 2).
        hashed: Option<String>,
    },
}

impl Entry {
    fn seq(&self) -> i64 {
        match self {
            Entry::Whole(w) => w.event.seq,
            Entry::Stub { seq, .. } => *seq,
        }
    }
    fn prev_hash(&self) -> &str {
        match self {
            Entry::Whole(w) => &w.event.prev_hash,
            Entry::Stub { prev_hash, .. } => prev_hash,
        }
    }
    fn hash(&self) -> &str {
        match self {
            Entry::Whole(w) => &w.event.hash,
            Entry::Stub { hash, .. } => hash,
        }
    }
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

fn is_hash(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
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
        let sealed_by = self.check_version_2(&entries);
        let (approvals, verified, mut signed_ok) = self.check_approvals(&wholes);
        let (rejections, rejections_verified, rejections_ok) = self.check_rejections(&wholes);
        signed_ok.extend(rejections_ok);
        let (signed_events, event_signatures_verified) = self.check_event_signatures(&wholes);
        self.check_moves(&wholes);
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
            approvals,
            signatures_verified: verified,
            keys: match &self.keys {
                ReportKeys::Report => "report".into(),
                ReportKeys::Workspace { .. } => "workspace".into(),
            },
            keys_from: match &self.keys {
                ReportKeys::Report => "the report's own allowed_signers".into(),
                ReportKeys::Workspace { from, .. } => format!("the approvers of {from}"),
            },
            anchored_seq,
            signed_events,
            event_signatures_verified,
            rejections,
            rejection_signatures_verified: rejections_verified,
            links,
            sealed_by,
            unproven: self.unproven,
            warnings: self.warnings,
            problems: self.problems,
        }
    }

    /// The checks of [`super::verify`]: stubs and links, the seal, the re-derived `unapproved`
    /// flags, and (against a workspace) the signed-era moves without a signature. Returns who
    /// sealed the report, when the seal verified.
    fn check_version_2(&mut self, entries: &[Entry]) -> Option<String> {
        use super::verify::{conflicts, seal, stubs, unapproved, unsigned};
        let filters: Filters = self
            .top
            .get("filters")
            .and_then(|f| serde_json::from_value(f.clone()).ok())
            .unwrap_or_default();
        let mut unproven_stubs = 0;
        let mut headers: Vec<(i64, stubs::StubHeader)> = Vec::new();
        for e in entries {
            match e {
                Entry::Stub {
                    seq,
                    prev_hash,
                    hash,
                    hashed,
                } => {
                    let c = stubs::check_stub(
                        self.version,
                        &filters,
                        *seq,
                        prev_hash,
                        hash,
                        hashed.as_deref(),
                    );
                    for p in c.problems {
                        self.problem(Some(*seq), p);
                    }
                    unproven_stubs += u64::from(c.unproven);
                    if let Some(h) = c.header {
                        headers.push((*seq, h));
                    }
                }
                Entry::Whole(w) if w.link => {
                    if let Some(p) =
                        stubs::check_link(&filters, &w.event.app, &w.event.env, w.event.at)
                    {
                        self.problem(Some(w.event.seq), p);
                    }
                }
                Entry::Whole(_) => {}
            }
        }
        if unproven_stubs > 0 {
            self.unproven.push(format!(
                "{unproven_stubs} link stubs of this version 1 report carry no header: nothing shows they were outside the filters"
            ));
        }
        // The unapproved flags, from event 1 on, under the stated policies.
        let policies = self.top.get("policies").cloned();
        let starts_at_one = entries.iter().map(Entry::seq).min() == Some(1);
        if let Some(policies) = policies.as_ref().filter(|_| starts_at_one) {
            let mut lane: Vec<unapproved::LaneEvent<'_>> = Vec::new();
            let mut stub_headers = headers.iter().peekable();
            for e in entries {
                match e {
                    Entry::Whole(w) => lane.push(unapproved::LaneEvent {
                        seq: w.event.seq,
                        kind: w.event.kind,
                        app: &w.event.app,
                        env: &w.event.env,
                        digest: w.event.digest.as_ref().map(|d| d.as_str()),
                        stated: (!w.link).then_some(w.unapproved),
                    }),
                    Entry::Stub { seq, .. } => {
                        while stub_headers.next_if(|(s, _)| s < seq).is_some() {}
                        if let Some((_, h)) = stub_headers.next_if(|(s, _)| s == seq) {
                            if let Some(kind) = crate::domain::EventKind::parse(&h.kind) {
                                lane.push(unapproved::LaneEvent {
                                    seq: *seq,
                                    kind,
                                    app: &h.app,
                                    env: &h.env,
                                    digest: h.digest.as_deref(),
                                    stated: None,
                                });
                            }
                        }
                    }
                }
            }
            for (seq, why) in unapproved::check(lane, policies) {
                self.problem(Some(seq), why);
            }
        }
        // The conflicts stated, re-derived from the whole history (a report without stubs from
        // event 1 on).
        let whole_history = starts_at_one && entries.iter().all(|e| matches!(e, Entry::Whole(_)));
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
        // Signed-era moves without a signature, against a workspace.
        if let ReportKeys::Workspace { .. } = self.keys {
            let mut era = unsigned::SignedEra::default();
            for e in entries {
                if let Entry::Whole(w) = e {
                    match era.event(&w.event) {
                        Some(unsigned::Unsigned::Warning(why)) => {
                            self.warnings.push(Problem::new(Some(w.event.seq), why))
                        }
                        Some(unsigned::Unsigned::Problem(why)) => {
                            self.problem(Some(w.event.seq), why)
                        }
                        None => {}
                    }
                }
            }
        }
        let keys = match &self.keys {
            ReportKeys::Report => seal::SealKeys::Report,
            ReportKeys::Workspace {
                identities, from, ..
            } => seal::SealKeys::Workspace { identities, from },
        };
        let outcome = seal::check(self.top, keys, self.allow_unsealed);
        for p in outcome.problems {
            self.problem(None, p);
        }
        self.unproven.extend(outcome.unproven);
        outcome.sealed_by
    }

    /// Records, promotions and rollbacks with a signed message: the message must say what the
    /// event says ([`signed_statement`]); against a workspace, the signature must verify with a
    /// key it lists for the actor (previous keys by append time). Returns how many carry one
    /// and how many verified.
    fn check_event_signatures(&mut self, wholes: &BTreeMap<i64, &Whole>) -> (u64, u64) {
        let mut order = AppendOrder::default();
        let mut checks: Vec<(i64, String, String, String)> = Vec::new();
        let mut signed = 0;
        for (&seq, w) in wholes {
            let appended = order.event(&w.event);
            let (message, signature) = match signed_statement(&w.event) {
                Ok(Some(pair)) => pair,
                Ok(None) => continue,
                Err(why) => {
                    self.problem(Some(seq), why);
                    continue;
                }
            };
            signed += 1;
            let ReportKeys::Workspace {
                identities, from, ..
            } = &self.keys
            else {
                continue;
            };
            let actor = w.event.actor.clone().unwrap_or_default();
            if identities.of(&actor).is_none() {
                let why = format!(
                    "{} signed by {actor}, who is not an approver or signer in {from}",
                    w.event.kind.as_str()
                );
                self.problem(Some(seq), why);
                continue;
            }
            match identities.key_for(&actor, appended, &signature) {
                Ok(key) => checks.push((seq, message, signature, key)),
                Err(why) => self.problem(Some(seq), why),
            }
        }
        let items: Vec<(&[u8], &str, &str)> = checks
            .iter()
            .map(|(_, m, s, k)| (m.as_bytes(), s.as_str(), k.as_str()))
            .collect();
        let mut verified = 0;
        for ((seq, ..), result) in checks.iter().zip(signing::verify_many(&items)) {
            match result {
                Ok(_) => verified += 1,
                Err(e) => self.problem(Some(*seq), e.message),
            }
        }
        (signed, verified)
    }

    /// Read `events`; entries that are not events at all are problems and left out.
    fn read_events(&mut self) -> Vec<Entry> {
        let Some(list) = self.top.get("events").and_then(Value::as_array) else {
            self.problem(None, "the report has no \"events\" list");
            return Vec::new();
        };
        let mut out = Vec::with_capacity(list.len());
        for (i, v) in list.iter().enumerate() {
            let obj = v.as_object();
            let seq = obj.and_then(|o| o.get("seq")).and_then(Value::as_i64);
            let hash_of = |k: &str| {
                obj.and_then(|o| o.get(k))
                    .and_then(Value::as_str)
                    .filter(|h| is_hash(h))
                    .map(str::to_string)
            };
            let (Some(o), Some(seq), Some(prev_hash), Some(hash)) =
                (obj, seq, hash_of("prev_hash"), hash_of("hash"))
            else {
                self.problem(
                    seq,
                    format!("entry {} of \"events\" is not an event: it needs seq, and prev_hash and hash as 64 lower-case hex digits", i + 1),
                );
                continue;
            };
            if o.get("stub").and_then(Value::as_bool) == Some(true) {
                out.push(Entry::Stub {
                    seq,
                    prev_hash,
                    hash,
                    hashed: o.get("hashed").and_then(Value::as_str).map(str::to_string),
                });
                continue;
            }
            match read_whole(o, seq, prev_hash, hash) {
                Ok(w) => out.push(Entry::Whole(Box::new(w))),
                Err(why) => self.problem(Some(seq), why),
            }
        }
        out
    }

    /// Order, gaps, links, and the stated ends of the range.
    fn check_range(&mut self, entries: &[Entry]) -> (Option<i64>, Option<i64>, Option<String>) {
        // Order as written.
        for pair in entries.windows(2) {
            let (a, b) = (pair[0].seq(), pair[1].seq());
            if b == a {
                self.problem(Some(b), "appears twice");
            } else if b < a {
                self.problem(
                    Some(b),
                    format!("is out of order: it comes after event {a}"),
                );
            }
        }
        let mut sorted: Vec<&Entry> = entries.iter().collect();
        sorted.sort_by_key(|e| e.seq());
        sorted.dedup_by_key(|e| e.seq());
        // Gaps and links, in seq order.
        for pair in sorted.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            if b.seq() > a.seq() + 1 {
                let missing = if b.seq() == a.seq() + 2 {
                    format!("event {} is missing", a.seq() + 1)
                } else {
                    format!("events {} to {} are missing", a.seq() + 1, b.seq() - 1)
                };
                self.problems.push(Problem::worded(
                    a.seq() + 1,
                    format!(
                        "{missing} (between events {} and {}): a report's range has no gaps, so it was removed from the file",
                        a.seq(),
                        b.seq()
                    ),
                ));
            } else if b.prev_hash() != a.hash() {
                self.problem(
                    Some(b.seq()),
                    format!(
                        "prev_hash does not link to the hash of event {}: the chain is broken here",
                        a.seq()
                    ),
                );
            }
        }
        let range = self.top.get("range").and_then(Value::as_object);
        let stated = |k: &str| range.and_then(|r| r.get(k)).cloned().unwrap_or(Value::Null);
        let (first, last) = (sorted.first(), sorted.last());
        let first_seq = first.map(|e| e.seq());
        let last_seq = last.map(|e| e.seq());
        let end_hash = last.map(|e| e.hash().to_string());
        if range.is_none() {
            self.problem(None, "the report has no \"range\"");
        } else {
            let checks = [
                ("first_seq", first_seq.map(Value::from)),
                ("last_seq", last_seq.map(Value::from)),
                ("start_prev_hash", first.map(|e| Value::from(e.prev_hash()))),
                ("end_hash", end_hash.clone().map(Value::from)),
            ];
            for (k, actual) in checks {
                let actual = actual.unwrap_or(Value::Null);
                if stated(k) != actual {
                    self.problem(
                        None,
                        format!(
                            "range.{k} is {} but the events give {}: the range was edited or events were added or removed at its ends",
                            short(&stated(k)),
                            short(&actual)
                        ),
                    );
                }
            }
        }
        if let Some(f) = first {
            if f.seq() == 1 && f.prev_hash() != GENESIS {
                self.problem(
                    Some(1),
                    "prev_hash of the first event of the history is not 64 zeros",
                );
            }
        }
        // The database head stated at export time.
        let db = self.top.get("database").and_then(Value::as_object);
        let head_seq = db.and_then(|d| d.get("head_seq")).and_then(Value::as_i64);
        let head_hash = db.and_then(|d| d.get("head_hash")).and_then(Value::as_str);
        match (last, head_seq, head_hash) {
            (Some(l), Some(hs), Some(hh)) => {
                if l.seq() > hs {
                    self.problem(
                        Some(l.seq()),
                        format!("is after the database head (event {hs}) stated in the report"),
                    );
                } else if l.seq() == hs && l.hash() != hh {
                    self.problem(
                        Some(l.seq()),
                        "ends the history but its hash is not the database head stated in the report",
                    );
                }
            }
            (_, None, _) | (_, _, None) => self.problem(
                None,
                "the report states no database head (database.head_seq, database.head_hash)",
            ),
            _ => {}
        }
        (first_seq, last_seq, end_hash)
    }

    /// The fields against `hashed`, and `hashed` against `hash`.
    fn check_content(&mut self, w: &Whole) {
        let seq = Some(w.event.seq);
        let formula_2 = w.hashed.starts_with(crate::store::chain::FORMULA_2_PREFIX);
        let text = w
            .hashed
            .strip_prefix(crate::store::chain::FORMULA_2_PREFIX)
            .unwrap_or(&w.hashed);
        let hashed: Value = match serde_json::from_str(text) {
            Ok(v @ Value::Object(_)) => v,
            _ => {
                self.problem(seq, "its \"hashed\" text is not a JSON object");
                return;
            }
        };
        let mut fields = fields_of(w);
        if formula_2 {
            let data = fields.remove("data").unwrap_or(Value::Null);
            fields.insert(
                "data_sha256".into(),
                Value::from(crate::store::chain::data_sha256(&data)),
            );
        }
        let mut differs = false;
        for (k, v) in &fields {
            let h = hashed.get(k).unwrap_or(&Value::Null);
            if h != v {
                differs = true;
                self.problem(
                    seq,
                    format!(
                        "{k} is {} in the report but {} in the hashed content: the event was edited",
                        short(v),
                        short(h)
                    ),
                );
            }
        }
        if let Some(extra) = hashed
            .as_object()
            .and_then(|o| o.keys().find(|k| !fields.contains_key(*k)))
        {
            differs = true;
            self.problem(
                seq,
                format!("the hashed content has a field {extra:?} that no event has"),
            );
        }
        if !differs && canonical_json(&hashed) != text {
            self.problem(
                seq,
                "its \"hashed\" text is not canonical JSON (sorted keys, no white space)",
            );
        }
        let preimage = format!("{}\n{}", w.event.prev_hash, w.hashed);
        if hex::encode(Sha256::digest(preimage.as_bytes())) != w.event.hash {
            self.problem(
                seq,
                "its hash is not sha256(prev_hash + \"\\n\" + hashed): the hashed text or the hash was edited",
            );
        }
    }

    /// Messages, signatures against the keys ([`ReportKeys`]), fingerprints. Returns the
    /// approvals, the signatures that verified, and the seqs of those.
    fn check_approvals(
        &mut self,
        wholes: &BTreeMap<i64, &Whole>,
    ) -> (u64, u64, std::collections::HashSet<i64>) {
        let signers_text = self.top.get("allowed_signers").and_then(Value::as_str);
        if signers_text.is_none() {
            self.problem(None, "the report has no \"allowed_signers\" text");
        }
        let (own, bad_lines) = parse_allowed_signers(signers_text.unwrap_or_default());
        for line in bad_lines {
            self.problem(
                None,
                format!(
                    "allowed_signers line {line} is not `principal [options] key-type base64-key`"
                ),
            );
        }
        let (signers, where_keys) = match &self.keys {
            ReportKeys::Report => (own, "the report's allowed_signers".to_string()),
            ReportKeys::Workspace { keys, from, .. } => (keys.clone(), from.clone()),
        };
        let mut checks: Vec<(i64, String, &str, &str, String)> = Vec::new();
        let mut approvals = 0;
        let mut order = AppendOrder::default();
        for (&seq, w) in wholes {
            let appended = order.event(&w.event);
            if w.event.kind != EventKind::Approval {
                continue;
            }
            approvals += 1;
            let e = &w.event;
            let data_str = |k: &str| e.data_str(k);
            let (Some(message), Some(signature)) = (data_str("message"), data_str("signature"))
            else {
                self.problem(
                    Some(seq),
                    "approval without data.message and data.signature",
                );
                continue;
            };
            let m = match ApprovalMessage::parse(message.as_bytes()) {
                Ok(m) => m,
                Err(err) => {
                    self.problem(Some(seq), format!("approval message: {}", err.message));
                    continue;
                }
            };
            let expect = [
                ("app", m.app.as_str(), e.app.as_str()),
                (
                    "digest",
                    m.digest.as_str(),
                    e.digest.as_ref().map_or("", |d| d.as_str()),
                ),
                ("to", m.to.as_str(), e.env.as_str()),
                ("from", m.from.as_str(), data_str("from").unwrap_or("")),
                (
                    "approver",
                    m.approver.as_str(),
                    e.actor.as_deref().unwrap_or(""),
                ),
                ("role", m.role.as_str(), data_str("role").unwrap_or("")),
            ];
            for (k, signed, event) in expect {
                if signed != event {
                    self.problem(
                        Some(seq),
                        format!(
                            "the signed message says {k} {signed:?} but the event says {event:?}"
                        ),
                    );
                }
            }
            if signers.of(&m.approver).is_none() {
                self.problem(
                    Some(seq),
                    format!(
                        "approver {} has no key in {where_keys} (namespace {NAMESPACE}): the signature cannot be checked",
                        m.approver
                    ),
                );
                continue;
            }
            match signers.key_for(&m.approver, appended, signature) {
                Ok(key) => checks.push((seq, m.approver.clone(), message, signature, key)),
                Err(why) => self.problem(
                    Some(seq),
                    format!(
                        "the signature of {} does not verify against {where_keys}: {why}",
                        m.approver
                    ),
                ),
            }
        }
        let items: Vec<(&[u8], &str, &str)> = checks
            .iter()
            .map(|(_, _, m, s, k)| (m.as_bytes(), *s, k.as_str()))
            .collect();
        let results = signing::verify_many(&items);
        let mut verified = 0;
        let mut verified_seqs = std::collections::HashSet::new();
        for ((seq, approver, _, _, _), result) in checks.iter().zip(results) {
            match result {
                Ok(ok) => {
                    verified += 1;
                    verified_seqs.insert(*seq);
                    let recorded = wholes[seq].event.data_str("fingerprint").unwrap_or("");
                    if recorded != ok.fingerprint {
                        self.problem(
                            Some(*seq),
                            format!(
                                "the recorded key fingerprint {recorded} is not the key that signed ({})",
                                ok.fingerprint
                            ),
                        );
                    }
                }
                Err(err) => self.problem(
                    Some(*seq),
                    format!(
                        "the signature of {approver} does not verify against {where_keys}: {}",
                        err.message
                    ),
                ),
            }
        }
        (approvals, verified, verified_seqs)
    }

    /// Rejections and unrejections: each message says what its event says
    /// ([`rejection_statement`]) and its signature verifies against the keys approvals are
    /// checked against ([`ReportKeys`]). Returns how many there are, how many verified, and the
    /// seqs of those.
    fn check_rejections(
        &mut self,
        wholes: &BTreeMap<i64, &Whole>,
    ) -> (u64, u64, std::collections::HashSet<i64>) {
        let (signers, where_keys) = match &self.keys {
            ReportKeys::Report => (
                parse_allowed_signers(
                    self.top
                        .get("allowed_signers")
                        .and_then(Value::as_str)
                        .unwrap_or_default(),
                )
                .0,
                "the report's allowed_signers".to_string(),
            ),
            ReportKeys::Workspace { keys, from, .. } => (keys.clone(), from.clone()),
        };
        let mut order = AppendOrder::default();
        let mut checks: Vec<(i64, String, String, String, String)> = Vec::new();
        let mut count = 0;
        for (&seq, w) in wholes {
            let appended = order.event(&w.event);
            let (m, message, signature) = match rejection_statement(&w.event) {
                Ok(Some(found)) => found,
                Ok(None) => continue,
                Err(why) => {
                    count += 1;
                    self.problem(Some(seq), why);
                    continue;
                }
            };
            count += 1;
            if signers.of(&m.signer).is_none() {
                self.problem(
                    Some(seq),
                    format!(
                        "{} {} has no key in {where_keys} (namespace {NAMESPACE}): the signature cannot be checked",
                        w.event.kind.as_str(),
                        m.signer
                    ),
                );
                continue;
            }
            match signers.key_for(&m.signer, appended, &signature) {
                Ok(key) => checks.push((seq, m.signer.clone(), message, signature, key)),
                Err(why) => self.problem(
                    Some(seq),
                    format!(
                        "the signature of {} does not verify against {where_keys}: {why}",
                        m.signer
                    ),
                ),
            }
        }
        let items: Vec<(&[u8], &str, &str)> = checks
            .iter()
            .map(|(_, _, m, s, k)| (m.as_bytes(), s.as_str(), k.as_str()))
            .collect();
        let mut ok = std::collections::HashSet::new();
        for ((seq, signer, ..), result) in checks.iter().zip(signing::verify_many(&items)) {
            match result {
                Ok(_) => {
                    ok.insert(*seq);
                }
                Err(err) => self.problem(
                    Some(*seq),
                    format!(
                        "the signature of {signer} does not verify against {where_keys}: {}",
                        err.message
                    ),
                ),
            }
        }
        (count, ok.len() as u64, ok)
    }

    /// Each approval a promotion or rollback counted is in the report, before it, signed for
    /// the same app, digest and move, and counted once ([`super::crosscheck::Consumption`]).
    fn check_moves(&mut self, wholes: &BTreeMap<i64, &Whole>) {
        let mut consumption = Consumption::default();
        for (&seq, w) in wholes {
            let e = &w.event;
            let kind = e.kind.as_str();
            for why in consumption.event(e, |a| {
                format!("the {kind} counted approval {a}, which is not in the report (removed, or made a stub)")
            }) {
                self.problem(Some(seq), why);
            }
        }
    }

    /// The chain heads approvals signed and promotions state, against the events of the range;
    /// returns the highest one a verified approval vouches for.
    fn check_anchors(
        &mut self,
        entries: &[Entry],
        wholes: &BTreeMap<i64, &Whole>,
        verified: &std::collections::HashSet<i64>,
    ) -> i64 {
        let hashes: BTreeMap<i64, &str> = entries.iter().map(|e| (e.seq(), e.hash())).collect();
        let first = hashes.keys().next().copied().unwrap_or(0);
        let mut anchored = 0;
        for (&seq, w) in wholes {
            let anchor = match stated_anchor(&w.event) {
                Ok(Some(a)) => a,
                Ok(None) => continue,
                Err(why) => {
                    self.problem(Some(seq), why);
                    continue;
                }
            };
            let at = match hashes.get(&anchor.seq) {
                Some(h) => AtSeq::Hash(h.to_string()),
                None if anchor.seq < first => AtSeq::Unknown,
                None => AtSeq::Missing,
            };
            match check_anchor(seq, w.event.kind, &anchor, at) {
                Some(why) => self.problem(Some(seq), why),
                None if verified.contains(&seq) => anchored = anchored.max(anchor.seq),
                None => {}
            }
        }
        anchored
    }

    /// Whole events match the filters, or are approvals a promotion in the report counted.
    fn check_filters(&mut self, wholes: &BTreeMap<i64, &Whole>) {
        let filters: Filters = match self.top.get("filters") {
            Some(f) => match serde_json::from_value(f.clone()) {
                Ok(f) => f,
                Err(e) => {
                    self.problem(None, format!("the report's filters are unreadable: {e}"));
                    return;
                }
            },
            None => {
                self.problem(None, "the report has no \"filters\"");
                return;
            }
        };
        let counted: std::collections::HashSet<i64> = wholes
            .values()
            .filter(|w| w.in_filter)
            .flat_map(|w| w.event.counted_approvals())
            .collect();
        for (&seq, w) in wholes {
            let matches = filters.matches(&w.event.app, &w.event.env, w.event.at);
            if w.in_filter && !matches {
                self.problem(
                    Some(seq),
                    format!(
                        "does not match the report's filters ({}) yet is marked in_filter",
                        filters.describe()
                    ),
                );
            } else if !w.in_filter && !counted.contains(&seq) {
                self.problem(
                    Some(seq),
                    "is included outside the filters, but no promotion in the report counted it",
                );
            }
        }
    }

    fn check_summary(&mut self, entries: &[Entry]) {
        let mut b = SummaryBuilder::default();
        for e in entries {
            match e {
                Entry::Whole(w) if !w.link => b.event(&w.event),
                Entry::Whole(_) | Entry::Stub { .. } => b.stub(),
            }
        }
        let actual = b.finish();
        let stated: Option<Summary> = self
            .top
            .get("summary")
            .and_then(|s| serde_json::from_value(s.clone()).ok());
        match stated {
            None => self.problem(None, "the report has no readable \"summary\""),
            Some(s) if s != actual => {
                let what = summary_difference(&s, &actual);
                self.problem(
                    None,
                    format!("the summary does not agree with the events: {what}"),
                )
            }
            Some(_) => {}
        }
    }
}

/// The first difference between a stated and a recomputed summary, in words.
fn summary_difference(stated: &Summary, actual: &Summary) -> String {
    if stated.events != actual.events {
        return format!(
            "{} events stated, {} in the report",
            stated.events, actual.events
        );
    }
    if stated.stubs != actual.stubs {
        return format!(
            "{} stubs stated, {} in the report",
            stated.stubs, actual.stubs
        );
    }
    for a in &actual.apps {
        match stated.apps.iter().find(|s| s.app == a.app) {
            None => return format!("app {} is missing from it", a.app),
            Some(s) if s != a => {
                let s_json = serde_json::to_value(s).unwrap_or_default();
                let a_json = serde_json::to_value(a).unwrap_or_default();
                let field = a_json
                    .as_object()
                    .and_then(|o| {
                        o.iter()
                            .find(|(k, v)| s_json.get(k.as_str()) != Some(*v))
                            .map(|(k, v)| {
                                format!(
                                    "app {}: {k} {} stated, {} in the events",
                                    a.app,
                                    short(s_json.get(k.as_str()).unwrap_or(&Value::Null)),
                                    short(v)
                                )
                            })
                    })
                    .unwrap_or_else(|| format!("app {}", a.app));
                return field;
            }
            Some(_) => {}
        }
    }
    "it names an app that has no events in the report".into()
}

/// The fields the hash covers, as the report states them.
fn fields_of(w: &Whole) -> Map<String, Value> {
    let e = &w.event;
    let mut m = Map::new();
    m.insert("seq".into(), Value::from(e.seq));
    m.insert("at".into(), Value::from(w.at.clone()));
    m.insert("kind".into(), Value::from(e.kind.as_str()));
    m.insert("app".into(), Value::from(e.app.clone()));
    m.insert("env".into(), Value::from(e.env.clone()));
    m.insert(
        "digest".into(),
        e.digest
            .as_ref()
            .map_or(Value::Null, |d| Value::from(d.as_str())),
    );
    m.insert(
        "actor".into(),
        e.actor.clone().map_or(Value::Null, Value::from),
    );
    m.insert("data".into(), e.data.clone());
    m
}

/// Read a whole event; `Err` is why it cannot be read.
fn read_whole(
    o: &Map<String, Value>,
    seq: i64,
    prev_hash: String,
    hash: String,
) -> std::result::Result<Whole, String> {
    let string = |k: &str| -> std::result::Result<String, String> {
        o.get(k)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| format!("{k} is missing or not a string"))
    };
    let optional = |k: &str| -> std::result::Result<Option<String>, String> {
        match o.get(k) {
            Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            _ => Err(format!("{k} is missing or neither a string nor null")),
        }
    };
    let at = string("at")?;
    let parsed_at: DateTime<Utc> = DateTime::parse_from_rfc3339(&at)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("at {at:?} is not an RFC 3339 time"))?;
    let kind_text = string("kind")?;
    let kind = EventKind::parse(&kind_text)
        .ok_or_else(|| format!("kind {kind_text:?} is not a kind this tollgate knows"))?;
    let digest = optional("digest")?
        .map(|d| Digest::parse(&d).map_err(|e| format!("digest: {}", e.message)))
        .transpose()?;
    let data = match o.get("data") {
        Some(d @ Value::Object(_)) => d.clone(),
        _ => return Err("data is missing or not a JSON object".into()),
    };
    Ok(Whole {
        event: Event {
            seq,
            at: parsed_at,
            kind,
            app: string("app")?,
            env: string("env")?,
            digest,
            actor: optional("actor")?,
            data,
            prev_hash,
            hash,
        },
        at,
        hashed: string("hashed")?,
        in_filter: o.get("in_filter").and_then(Value::as_bool).unwrap_or(true),
        link: o.get("link").and_then(Value::as_bool).unwrap_or(false),
        unapproved: o
            .get("unapproved")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    })
}

/// The approvals of a report being written, gathered to check their signatures against the
/// `allowed_signers` the report carries (what the title page and the export summary state).
#[derive(Debug, Default)]
pub struct ApprovalSignatures {
    order: AppendOrder,
    /// `(seq, appended at, approver, message, signature)`
    items: Vec<(i64, DateTime<Utc>, String, String, String)>,
    /// The same for rejections and unrejections (signed by approvers too); their failures are
    /// problems, and they are not counted as approvals.
    rejections: Vec<(i64, DateTime<Utc>, String, String, String)>,
}

/// How the approvals of a report fared against its `allowed_signers`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct SignatureCheck {
    #[ts(type = "number")]
    pub approvals: u64,
    #[ts(type = "number")]
    pub verified: u64,
    pub problems: Vec<Problem>,
}

impl ApprovalSignatures {
    pub fn item(&mut self, item: &Item) {
        let Item::Event { event, .. } = item else {
            return;
        };
        let appended = self.order.event(event);
        let list = match event.kind {
            EventKind::Approval => &mut self.items,
            EventKind::Rejection | EventKind::Unrejection => &mut self.rejections,
            _ => return,
        };
        let s = |k: &str| event.data_str(k).unwrap_or_default().to_string();
        let approver = event.actor.clone().unwrap_or_default();
        list.push((event.seq, appended, approver, s("message"), s("signature")));
    }

    pub fn check(&self, allowed_signers: &str) -> SignatureCheck {
        let (keys, _) = parse_allowed_signers(allowed_signers);
        let mut problems = Vec::new();
        let mut checks = Vec::new();
        let approvals = self.items.len();
        // Approvals first, then rejections: `i < approvals` tells them apart.
        for (i, (seq, at, approver, message, signature)) in
            self.items.iter().chain(&self.rejections).enumerate()
        {
            if keys.of(approver).is_none() {
                problems.push(Problem::new(
                    Some(*seq),
                    format!("approver {approver} has no key in allowed_signers: the signature cannot be checked"),
                ));
                continue;
            }
            match keys.key_for(approver, *at, signature) {
                Ok(key) => checks.push((*seq, i < approvals, approver, message, signature, key)),
                Err(why) => problems.push(Problem::new(
                    Some(*seq),
                    format!("the signature of {approver} does not verify: {why}"),
                )),
            }
        }
        let items: Vec<(&[u8], &str, &str)> = checks
            .iter()
            .map(|(_, _, _, m, s, k)| (m.as_bytes(), s.as_str(), k.as_str()))
            .collect();
        let mut verified = 0;
        for ((seq, approval, approver, ..), result) in
            checks.iter().zip(signing::verify_many(&items))
        {
            match result {
                Ok(_) if *approval => verified += 1,
                Ok(_) => {}
                Err(e) => problems.push(Problem::new(
                    Some(*seq),
                    format!("the signature of {approver} does not verify: {}", e.message),
                )),
            }
        }
        problems.sort_by_key(|p| p.seq);
        SignatureCheck {
            approvals: approvals as u64,
            verified,
            problems,
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
