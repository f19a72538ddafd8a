//! `verify`: the database's chain and signatures; `verify_report`: an exported JSON report.

use std::path::Path;

use serde::Serialize;
use ts_rs::TS;

use crate::api::open;
use crate::config::Workspace;
use crate::domain::statement::{message_sha256, signed_ahead, Replays};
use crate::domain::{Event, EventKind};
use crate::policy::rejected::may_say;
use crate::report::crosscheck::{
    check_anchor, rejection_statement, signed_statement, stated_anchor, AppendOrder, AtSeq,
    Consumption,
};
use crate::report::verify::{check_report_bytes, ReportKeys};
use crate::signing::{self, Anchor};
use crate::store::{ChainReport, EventFilter};
use crate::{Error, Result};

pub use crate::report::verify::{Problem, ReportVerification};

/// What `tollgate verify` found in the database.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct VerifyReport {
    pub chain: ChainReport,
    /// Approval events whose signature was checked against tollgate.toml's keys.
    #[ts(type = "number")]
    pub approvals: u64,
    /// Records, promotions and rollbacks (and teammates' `unplaced` ones) whose signature was
    /// checked against the keys tollgate.toml lists for their actor (approvers and
    /// `[[signers]]`).
    #[ts(type = "number")]
    pub signed_events: u64,
    /// Records, promotions and rollbacks without a signature: written before events were
    /// signed, or a promotion a recovery finished without the actor's key (`data.unsigned`).
    #[ts(type = "number")]
    pub unsigned_events: u64,
    /// Rejections and unrejections whose signature was checked against the keys tollgate.toml
    /// lists for their signer (approvers only: CI identities may not reject).
    #[ts(type = "number")]
    pub rejections: u64,
    /// The highest event a signed approval (message version 2) vouches for: events up to it
    /// cannot be removed or rewritten without `verify` noticing while that approval survives.
    /// Events after it could be removed without a trace (0: nothing is anchored).
    #[ts(type = "number")]
    pub anchored_seq: i64,
    /// Every problem besides the chain: an approval that does not verify, a promotion whose
    /// approvals are not for its move or were used twice, a chain head signed by an approval
    /// or stated by a promotion that the chain no longer has. Empty when all holds.
    pub problems: Vec<Problem>,
    /// The team conflicts of the history (`domain::conflicts`): each is also one problem
    /// (`conflict: …`), so `verify` exits 1 while the history holds one. They are not damage to
    /// the chain: two signed statements that cannot both be right, which people resolve.
    pub conflicts: Vec<crate::domain::conflicts::Conflict>,
    /// Findings that are not failures: a recovery's promotion or rollback without a signature
    /// in the signed era (with its reason).
    pub warnings: Vec<Problem>,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.chain.broken.is_none() && self.problems.is_empty()
    }
}

/// Walk the database's hash chain and check, from the chained events alone:
/// - every approval's signature against the keys tollgate.toml lists (a previous key only for
///   what the history appended by its `until`), and every rejection's and unrejection's the
///   same way (approvers only), with its message saying what its event says;
/// - every signed record, promotion and rollback, and every `unplaced` event (a teammate's move
///   this history does not place): its signed message says what its event says, and its
///   signature verifies against the keys tollgate.toml lists for its signer;
/// - every promotion and rollback: the approvals it counted are earlier approvals signed for
///   its app, digest and move, none counted twice;
/// - every anchor (the head an approval signed, the head a promotion states): an earlier event
///   of the chain with that hash;
/// - a witness outside the chain: every promotion the (unchained) journal marks recorded is in
///   the chain, which catches a cut tail as long as the journal was left alone;
/// - the team conflicts (`domain::conflicts`): one problem each.
///
/// An approval's append time is the later of its `at` and the latest before it
/// ([`AppendOrder`]): a previous key cannot gain by setting an approval's `at` back.
#[tracing::instrument(skip(ws), fields(workspace = %ws.config.workspace.name))]
pub fn verify(ws: &Workspace) -> Result<VerifyReport> {
    let store = open::store(ws)?;
    let chain = store.verify_chain()?;
    let mut problems = Vec::new();
    let mut signed: Vec<(i64, String, String, String)> = Vec::new();
    let mut anchors: Vec<(i64, EventKind, Anchor)> = Vec::new();
    let mut consumption = Consumption::default();
    let mut evidence =
        crate::report::evidence::EvidenceLedger::under(Some(super::export::policies(ws)));
    let mut order = AppendOrder::default();
    let trusted = signing::TrustedKeys::from_approvers(&ws.config.approvers);
    let identities = signing::TrustedKeys::from_approvers(&ws.config.identities());
    let mut events: Vec<(i64, String, String, String)> = Vec::new();
    let mut rejections: Vec<(i64, String, String, String)> = Vec::new();
    let mut unsigned_events = 0;
    let mut replays = Replays::default();
    let mut markers = AnchoringMarkers::default();
    let mut emergency = crate::report::emergency::EmergencyLedger::new(true);
    store.for_each_event(&EventFilter::default(), |e| {
        // An emergency rollback was allowed by tollgate.toml's `rollback = { approvals = N }`.
        for why in emergency.event(&e, |app, env| env_policy(ws, app, env)) {
            problems.push(Problem::new(Some(e.seq), why));
        }
        markers.event(&store, &e, &mut problems)?;
        let appended = order.event(&e);
        for why in statement_problems(ws, &mut replays, &e) {
            problems.push(Problem::new(Some(e.seq), why));
        }
        match stated_anchor(&e) {
            Ok(Some(a)) => anchors.push((e.seq, e.kind, a)),
            Ok(None) => {}
            Err(why) => problems.push(Problem::new(Some(e.seq), why)),
        }
        for why in consumption.event(&e, |a| {
            format!(
                "the {} counted event {a}, which is not an approval in the history",
                e.kind.as_str()
            )
        }) {
            problems.push(Problem::new(Some(e.seq), why));
        }
        for why in evidence.event(&e, |c| {
            Some(format!(
                "the {} relied on attestation {c}, which is not a check in the history before it",
                e.kind.as_str()
            ))
        }) {
            problems.push(Problem::new(Some(e.seq), why));
        }
        match signed_statement(&e) {
            Ok(Some((message, signature))) => {
                let actor = e.actor.clone().unwrap_or_default();
                match identities.of(&actor) {
                    Some(_) => match identities.key_for(&actor, appended, &signature) {
                        Ok(key) => events.push((e.seq, message, signature, key)),
                        Err(reason) => problems.push(Problem::new(Some(e.seq), reason)),
                    },
                    None => problems.push(Problem::new(
                        Some(e.seq),
                        format!(
                            "{} signed by {actor}, who is not an approver or signer in tollgate.toml",
                            e.kind.as_str()
                        ),
                    )),
                }
            }
            Ok(None) if matches!(e.kind, EventKind::Record | EventKind::Promotion | EventKind::Rollback) => {
                unsigned_events += 1;
            }
            Ok(None) => {}
            Err(why) => problems.push(Problem::new(Some(e.seq), why)),
        }
        match rejection_statement(&e) {
            Ok(Some((m, message, signature))) => match trusted.of(&m.signer) {
                Some(_) => match trusted.key_for(&m.signer, appended, &signature) {
                    Ok(key) => rejections.push((e.seq, message, signature, key)),
                    Err(reason) => problems.push(Problem::new(Some(e.seq), reason)),
                },
                None => problems.push(Problem::new(
                    Some(e.seq),
                    format!(
                        "{} signed by {}, who is not an approver in tollgate.toml",
                        e.kind.as_str(),
                        m.signer
                    ),
                )),
            },
            Ok(None) => {}
            Err(why) => problems.push(Problem::new(Some(e.seq), why)),
        }
        if e.kind == EventKind::Approval {
            let text = |k: &str| e.data_str(k).unwrap_or_default().to_string();
            let approver = e.actor.clone().unwrap_or_default();
            let (message, signature) = (text("message"), text("signature"));
            match trusted.of(&approver) {
                Some(_) => match trusted.key_for(&approver, appended, &signature) {
                    Ok(key) => signed.push((e.seq, message, signature, key)),
                    Err(reason) => problems.push(Problem::new(Some(e.seq), reason)),
                },
                None => problems.push(Problem::new(
                    Some(e.seq),
                    format!("approval by {approver}, who is not an approver in tollgate.toml"),
                )),
            }
        }
        Ok(())
    })?;
    let items: Vec<(&[u8], &str, &str)> = signed
        .iter()
        .map(|(_, m, s, k)| (m.as_bytes(), s.as_str(), k.as_str()))
        .collect();
    let mut verified = std::collections::HashSet::new();
    for ((seq, ..), result) in signed.iter().zip(signing::verify_many(&items)) {
        match result {
            Ok(_) => {
                verified.insert(*seq);
            }
            Err(e) => problems.push(Problem::new(Some(*seq), e.message)),
        }
    }
    let items: Vec<(&[u8], &str, &str)> = events
        .iter()
        .map(|(_, m, s, k)| (m.as_bytes(), s.as_str(), k.as_str()))
        .collect();
    for ((seq, ..), result) in events.iter().zip(signing::verify_many(&items)) {
        if let Err(e) = result {
            problems.push(Problem::new(Some(*seq), e.message));
        }
    }
    let items: Vec<(&[u8], &str, &str)> = rejections
        .iter()
        .map(|(_, m, s, k)| (m.as_bytes(), s.as_str(), k.as_str()))
        .collect();
    for ((seq, ..), result) in rejections.iter().zip(signing::verify_many(&items)) {
        match result {
            Ok(_) => {
                verified.insert(*seq);
            }
            Err(e) => problems.push(Problem::new(Some(*seq), e.message)),
        }
    }
    let mut anchored_seq = 0;
    for (seq, kind, anchor) in &anchors {
        let at = match store.hash_at(anchor.seq)? {
            Some(h) => AtSeq::Hash(h),
            None => AtSeq::Missing,
        };
        match check_anchor(*seq, *kind, anchor, at) {
            Some(why) => problems.push(Problem::new(Some(*seq), why)),
            None if verified.contains(seq) => anchored_seq = anchored_seq.max(anchor.seq),
            None => {}
        }
    }
    let (head_seq, _) = store.chain_head()?;
    if let Some(highest) = anchors.iter().map(|(_, _, a)| a.seq).max() {
        if head_seq < highest {
            problems.push(Problem::new(
                None,
                format!("the chain ends at event {head_seq}, below event {highest} that a signature or promotion vouches for: events were removed"),
            ));
        }
    }
    for (id, seq) in store.recorded_promotions_not_in_chain()? {
        problems.push(Problem::new(
            None,
            format!("the promotion journal says promotion {id} was recorded as event {seq}, which the chain does not have (or not as that promotion): events were removed or rewritten"),
        ));
    }
    let conflicts = super::conflicts::of(&store, None, None)?;
    for c in &conflicts {
        problems.push(Problem::new(
            c.events.first().map(|e| e.seq),
            format!("conflict: {}", c.description),
        ));
    }
    problems.sort_by_key(|p| p.seq);
    Ok(VerifyReport {
        conflicts,
        warnings: markers.warnings,
        approvals: signed.len() as u64,
        signed_events: events.len() as u64,
        unsigned_events,
        rejections: rejections.len() as u64,
        chain,
        anchored_seq,
        problems,
    })
}

/// What the rules of a signed statement (`domain::statement`) find wrong with event `e`: a
/// copy of an earlier event's signed message (a replay: it counts for nothing), a message
/// signed more than 5 minutes after the history appended it, and a rejection or unrejection
/// whose signer holds no role a covered policy names (`policy::rejected::may_say`).
fn statement_problems(ws: &Workspace, replays: &mut Replays, e: &Event) -> Vec<String> {
    let mut out = Vec::new();
    let Some(text) = e.data_str("message") else {
        return out;
    };
    let sha = message_sha256(text.as_bytes());
    if let Some(first) = replays.see(e.seq, e.kind, Some(&sha)) {
        if e.kind != EventKind::Unplaced {
            out.push(format!(
                "the {} replays event {first} (the same signed message, sha256 {}): a signed statement counts once, so it counts for nothing and explains no tag move",
                e.kind.as_str(),
                &sha[..12]
            ));
        }
    }
    let signed_at = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("at").and_then(|a| a.as_str()).map(str::to_string))
        .and_then(|a| crate::domain::parse_time(&a).ok());
    if let Some(why) = signed_at.and_then(|s| signed_ahead(s, e.at)) {
        out.push(format!(
            "the {}'s signed message is dated ahead of the history: {why}",
            e.kind.as_str()
        ));
    }
    if let (Ok(Some((m, _, _))), Ok(app)) = (rejection_statement(e), ws.app(&e.app)) {
        let approver = ws.config.approvers.iter().find(|a| a.id == m.signer);
        if let Err(why) = may_say(approver, &m.signer, app, m.env.as_deref(), &m.role) {
            if approver.is_some() {
                out.push(format!("the {} does not count: {why}", e.kind.as_str()));
            }
        }
    }
    out
}

/// [`statement_problems`] of every whole event of a JSON report, against workspace `ws` (`verify
/// FILE --config`): replays of a signed message, messages dated ahead of their event, and
/// rejections signed in a role no covered policy names. A report that does not parse has its
/// problems named by the report check already.
fn report_statement_problems(ws: &Workspace, bytes: &[u8]) -> Vec<Problem> {
    let Ok(report) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return Vec::new();
    };
    let mut replays = Replays::default();
    let mut out = Vec::new();
    for v in report
        .get("events")
        .and_then(|e| e.as_array())
        .into_iter()
        .flatten()
    {
        if v.get("stub").is_some() {
            continue;
        }
        let Ok(e) = serde_json::from_value::<Event>(v.clone()) else {
            continue;
        };
        for why in statement_problems(ws, &mut replays, &e) {
            out.push(Problem::new(Some(e.seq), why));
        }
    }
    out
}

/// What anchoring rests on and no signature covers (issue 17), checked event by event during
/// the walk: every approval or verdict marked `imported` names a team artifact this history
/// imported as that event ([`crate::report::verify::imported`]), and every record, promotion
/// and rollback after the first signed one carries a signature
/// ([`crate::report::verify::unsigned`]): problems, or warnings for a recovery's unsigned
/// promotion or rollback.
#[derive(Default)]
struct AnchoringMarkers {
    era: crate::report::verify::unsigned::SignedEra,
    warnings: Vec<Problem>,
}

impl AnchoringMarkers {
    fn event(
        &mut self,
        store: &crate::store::Store,
        e: &crate::domain::Event,
        problems: &mut Vec<Problem>,
    ) -> Result<()> {
        use crate::report::verify::{imported, unsigned::Unsigned};
        let found = imported::check(e, |artifact| {
            Ok(store
                .team_artifact(artifact)?
                .map(|a| (a.event_seq, a.imported == Some(false))))
        })?;
        if let Some(why) = found {
            problems.push(Problem::new(Some(e.seq), why));
        }
        match self.era.event(e) {
            Some(Unsigned::Problem(why)) => problems.push(Problem::new(Some(e.seq), why)),
            Some(Unsigned::Warning(why)) => self.warnings.push(Problem::new(Some(e.seq), why)),
            None => {}
        }
        Ok(())
    }
}

/// What tollgate.toml's policy of `app` × `env` says to the emergency rollback rule.
fn env_policy(ws: &Workspace, app: &str, env: &str) -> crate::report::emergency::EnvPolicy {
    let policy = ws
        .app(app)
        .ok()
        .and_then(|a| a.environments.iter().find(|e| e.name == env))
        .and_then(|e| e.policy.as_ref());
    crate::report::emergency::EnvPolicy {
        gated: policy.is_some(),
        rollback: policy.and_then(|p| p.rollback).map(|r| r.approvals),
    }
}

/// Check an exported JSON report offline: chain links, content hashes, the range without gaps,
/// anchors, consumed approvals, the filters and the summary, and every approval signature:
/// against the report's own `allowed_signers` (`keys` `None`: a report forged whole, with its
/// own keys, passes that), or against the approvers of a workspace's tollgate.toml. The result
/// says which ([`ReportVerification::keys`]). Problems are listed (one line each); a file that is
/// not a Tollgate report is an error ([`crate::Code::BadInput`]).
///
/// The report's seal must verify (against its own key line, or the key the workspace lists for
/// its signer); a report without one is a problem unless `allow_unsealed`, which lists what is
/// then unproven ([`ReportVerification::unproven`]).
#[tracing::instrument(skip(keys), fields(path = %path.display(), keys = keys.map_or("report", |_| "workspace")))]
pub fn verify_report(
    path: &Path,
    keys: Option<&Workspace>,
    allow_unsealed: bool,
) -> Result<ReportVerification> {
    let workspace = keys;
    let bytes = std::fs::read(path).map_err(|e| {
        Error::bad_input(format!(
            "cannot read {}: {e}; pass the path of a JSON report from `tollgate export --format json`",
            path.display()
        ))
    })?;
    let keys = match keys {
        None => ReportKeys::Report,
        Some(ws) => ReportKeys::Workspace {
            keys: signing::TrustedKeys::from_approvers(&ws.config.approvers),
            identities: signing::TrustedKeys::from_approvers(&ws.config.identities()),
            from: ws.config_path.display().to_string(),
        },
    };
    let mut result = check_report_bytes(&bytes, &path.display().to_string(), keys, allow_unsealed)?;
    if let Some(ws) = workspace {
        result
            .problems
            .extend(report_statement_problems(ws, &bytes));
        result.problems.sort_by_key(|p| p.seq);
    }
    tracing::info!(
        events = result.events,
        problems = result.problems.len(),
        "report checked"
    );
    Ok(result)
}
