//! The facts a promotion gate looks at, gathered from the workspace and the history: which
//! environment a digest comes from, its stays there in append time, how and by whom it got
//! there (or who vouched for it), whether it ran in the target before, and the approvals on
//! record.

use chrono::{DateTime, Utc};
use serde::Serialize;
use ts_rs::TS;

use crate::api::{actor, open};
use crate::config::{AppConfig, EnvConfig, PolicyConfig, Workspace};
use crate::domain::{Digest, Segment, Via};
use crate::policy::incidents::Incident;
use crate::policy::{
    self, Attestation, CandidateApproval, EarlierStays, Evaluation, PolicyInput, Rule, Target,
};
use crate::store::Store;
use crate::{Error, Result};

/// What promoting `digest` into `to` would do, and whether the policy allows it now.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct PromotionCheck {
    pub app: String,
    pub from: String,
    pub to: String,
    #[ts(type = "string")]
    pub digest: Digest,
    /// The digest the target environment has now (`None`: nothing yet).
    #[ts(type = "string | null")]
    pub current: Option<Digest>,
    /// When the digest entered `from` (its current stay there, else its last one, as the
    /// timeline shows it), and who put it there or vouched for it with a later record (an
    /// approver's id where the name is one).
    #[ts(type = "string | null")]
    pub entered_from: Option<DateTime<Utc>>,
    pub entered_by: Option<String>,
    pub evaluation: Evaluation,
    /// The passing attestations the `checks` rule relies on, one per required check that
    /// passes (in the policy's order).
    pub evidence: Vec<Attestation>,
    /// As a rollback: the checklist under the policy's `rollback = { approvals = N }` (an
    /// emergency rollback, which also needs a reason). Absent when the policy sets no such
    /// rule, the ordinary checklist passes, or the digest did not run in `to` before in a stay
    /// that counts. A promotion never uses it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub emergency: Option<EmergencyRollback>,
    /// Set by the rollback use case when it goes on as an emergency rollback: the reason given
    /// (then `evaluation` is the emergency checklist). Never shown at the boundary.
    #[serde(skip)]
    #[ts(skip)]
    pub reason: Option<String>,
}

/// The checklist of an emergency rollback.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct EmergencyRollback {
    /// The distinct approvers it needs (`rollback = { approvals = N }`); roles still apply.
    pub approvals_needed: u32,
    /// The checklist with `approvals` needing that many; every other rule as for a promotion.
    pub evaluation: Evaluation,
}

/// Parse the digest and find the app, the target environment and its source (the one before).
pub(crate) fn resolve<'a>(
    ws: &'a Workspace,
    app: &str,
    to: &str,
    digest: &str,
) -> Result<(&'a AppConfig, &'a EnvConfig, &'a EnvConfig, Digest)> {
    let digest = Digest::parse(digest)?;
    let a = ws.app(app)?;
    let target = ws.env(a, to)?;
    let source = ws.previous_env(a, to).ok_or_else(|| {
        Error::bad_input(format!("{to} is the first environment of {app}: nothing is promoted into it; deployments there are recorded"))
    })?;
    Ok((a, target, source, digest))
}

/// The most recent stay of `digest` in `env`.
pub(crate) fn last_stay(
    store: &Store,
    app: &str,
    env: &str,
    digest: &Digest,
) -> Result<Option<Segment>> {
    Ok(store
        .timeline(app, Some(env))?
        .into_iter()
        .rev()
        .find(|s| &s.digest == digest))
}

/// The approvals on record for this app, target environment and digest, as the policy sees them.
pub(crate) fn candidates(
    store: &Store,
    app: &str,
    to: &str,
    digest: &Digest,
) -> Result<Vec<CandidateApproval>> {
    let events = store.approval_events(app, to, digest)?;
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let in_use = store.approvals_in_use()?;
    // Consumed by a promotion this history knows, local or a teammate's (by its signed bytes).
    let consumed = store.consumed_approval_ids(app)?;
    let mut out = Vec::new();
    // A signed statement counts once: a copy of an approval already on record (imported again
    // before replays were refused) is not a second approval.
    let mut seen = std::collections::HashSet::new();
    for e in events {
        let message = e.data_str("message").unwrap_or_default();
        let signature = e.data_str("signature").unwrap_or_default();
        if !message.is_empty() && !seen.insert(crate::signing::approval_id(message.as_bytes())) {
            tracing::warn!(seq = e.seq, "a replayed approval is not counted");
            continue;
        }
        let used = in_use.contains(&e.seq)
            || consumed.contains(&crate::signing::approval_id(message.as_bytes()));
        match CandidateApproval::from_signed(
            e.seq,
            message.as_bytes(),
            signature,
            used,
            store.approval_appended_at(&e)?,
        ) {
            Ok(c) => out.push(c),
            Err(err) => tracing::warn!(seq = e.seq, error = %err, "unreadable approval ignored"),
        }
    }
    Ok(out)
}

/// What the gate knows about a digest's stays in the source environment of a promotion.
#[derive(Debug, Default)]
struct SourceStay {
    /// The stay considered: the current one, else the newest.
    stay: Option<Segment>,
    /// When the current stay began, in append time (`None`: not there now).
    entered: Option<DateTime<Utc>>,
    /// Who put it there, or vouched for it with a later record, as an identity.
    actor: Option<String>,
    earlier: Option<EarlierStays>,
}

/// Read the digest's stays in `env`: each in append time (from when the history learned of it
/// to when it learned of the next digest there), and who is accountable for the one considered.
/// A finished stay counts only its incident-free time (`incidents`, the digest's incidents).
fn source_stay(
    ws: &Workspace,
    store: &Store,
    app: &str,
    env: &str,
    digest: &Digest,
    incidents: &[Incident],
) -> Result<SourceStay> {
    let segments = store.timeline(app, Some(env))?;
    let mut out = SourceStay::default();
    let mut considered = None;
    for (i, s) in segments.iter().enumerate() {
        if &s.digest != digest {
            continue;
        }
        considered = Some(i);
        let Some(next) = segments.get(i + 1) else {
            continue;
        };
        let since = store.event(s.seq)?.appended_at();
        let left = store.event(next.seq)?.appended_at();
        let length = policy::incidents::incident_free(incidents, env, digest, since, left);
        let longest = out.earlier.map_or(length, |e| e.longest.max(length));
        out.earlier = Some(EarlierStays { longest, left });
    }
    let Some(i) = considered else {
        return Ok(out);
    };
    let stay = &segments[i];
    let next = segments.get(i + 1).map(|s| s.seq);
    if next.is_none() {
        out.entered = Some(store.event(stay.seq)?.appended_at());
    }
    let actor = match &stay.actor {
        Some(a) => Some(a.clone()),
        None => store
            .last_vouch(app, env, digest, stay.seq, next)?
            .and_then(|e| e.actor),
    };
    out.actor = actor.map(|a| actor::recorded_identity(ws, &a));
    out.stay = Some(stay.clone());
    Ok(out)
}

/// Evaluate the target environment's policy for promoting `digest` from `from` into `to`.
/// When the target's policy sets `rollback = { approvals = N }`, the ordinary checklist fails
/// and the digest ran in `to` before in a stay that counts ([`emergency_eligible`]), the check
/// also holds the checklist of an emergency rollback (`emergency`): the rollback use case may
/// use it, a promotion never does.
pub(crate) fn evaluate(
    ws: &Workspace,
    store: &Store,
    now: DateTime<Utc>,
    app: &AppConfig,
    from: &EnvConfig,
    to: &EnvConfig,
    digest: &Digest,
) -> Result<PromotionCheck> {
    let incidents = crate::api::incident::incidents_of(ws, store, app, Some(digest))?;
    let source = source_stay(ws, store, &app.name, &from.name, digest, &incidents)?;
    let returning = store.ran_in(&app.name, &to.name, digest)?;
    let approvals = candidates(store, &app.name, &to.name, digest)?;
    let target = Target {
        app: app.name.clone(),
        digest: digest.clone(),
        from: from.name.clone(),
        to: to.name.clone(),
    };
    // Soak counts incident-free time: from the close of the last incident on this digest in
    // the source environment during the stay, when there was one.
    let (incident_rule, soak_reset) =
        crate::api::incident::gate_facts(&incidents, app, &from.name, digest, source.entered);
    let entered_previous = match (&soak_reset, source.entered) {
        (Some(reset), Some(entered)) => Some(reset.at.max(entered)),
        _ => source.entered,
    };
    let input = PolicyInput {
        policy: to.policy.as_ref(),
        now,
        approvers: &ws.config.approvers,
        approvals: &approvals,
        target: &target,
        source_repository: ws.env_repository(app, from),
        entered_previous,
        previous_actor: source.actor.as_deref(),
        previous_via: source.stay.as_ref().map(|s| s.via),
        earlier_stays: source.earlier,
        returning,
    };
    let extra = Extra {
        soak_note: soak_reset.as_ref().map(policy::incidents::soak_note),
        incident_rule,
        rejected_rule: crate::api::reject::rejected_rule(ws, store, app, &to.name, digest)?,
        checks_required: to.policy.as_ref().is_some_and(|p| !p.checks.is_empty()),
        outcomes: {
            let required = to
                .policy
                .as_ref()
                .map(|p| p.checks.clone())
                .unwrap_or_default();
            crate::api::attest::outcomes(ws, store, app, &required, digest)?
        },
        pinned: pinned_rule(store, app, to)?,
    };
    let evaluation = extra.apply(policy::evaluate(&input));
    let current = store.head(&app.name, &to.name)?.segment.map(|s| s.digest);
    let emergency = match to.policy.as_ref().and_then(|p| Some((p, p.rollback?))) {
        Some((p, rule)) if !evaluation.passed && current.as_ref() != Some(digest) => {
            let mut lane = store.timeline(&app.name, Some(&to.name))?;
            store.flag_unapproved(&mut lane, &|a, e| crate::api::status::gated(ws, a, e))?;
            if emergency_eligible(&lane, digest) {
                let relaxed = PolicyConfig {
                    approvals: rule.approvals,
                    ..p.clone()
                };
                let mut evaluation = extra.apply(policy::evaluate(&PolicyInput {
                    policy: Some(&relaxed),
                    ..input
                }));
                if let Some(r) = (evaluation.rules.iter_mut()).find(|r| r.rule == Rule::Approvals) {
                    r.reason = format!(
                        "{} (an emergency rollback: rollback = {{ approvals = {} }} in the policy)",
                        r.reason, rule.approvals
                    );
                }
                Some(EmergencyRollback {
                    approvals_needed: rule.approvals,
                    evaluation,
                })
            } else {
                None
            }
        }
        _ => None,
    };
    Ok(PromotionCheck {
        app: app.name.clone(),
        from: from.name.clone(),
        to: to.name.clone(),
        digest: digest.clone(),
        current,
        entered_from: source.stay.as_ref().map(|s| s.from),
        entered_by: source.actor,
        evaluation,
        evidence: extra
            .outcomes
            .into_iter()
            .filter_map(|o| o.passed_by)
            .collect(),
        emergency,
        reason: None,
    })
}

/// May an emergency rollback return to `digest`: it ran in this lane (`lane`: one environment's
/// segments, oldest first, flagged `unapproved`) in an earlier stay that did not begin by drift
/// and was not an unapproved record (a sync's baseline counts). The current stay is not one.
pub(crate) fn emergency_eligible(lane: &[Segment], digest: &Digest) -> bool {
    let earlier = lane.len().saturating_sub(1);
    lane[..earlier]
        .iter()
        .any(|s| &s.digest == digest && s.via != Via::Drift && !s.unapproved)
}

/// What the gate adds to the policy's own rules: incidents, rejections, required checks and
/// the pinned note, the same for the ordinary checklist and an emergency rollback's.
struct Extra {
    soak_note: Option<String>,
    incident_rule: Option<policy::RuleResult>,
    rejected_rule: Option<policy::RuleResult>,
    checks_required: bool,
    outcomes: Vec<policy::CheckOutcome>,
    pinned: Option<policy::RuleResult>,
}

impl Extra {
    fn apply(&self, mut evaluation: Evaluation) -> Evaluation {
        if let Some(note) = &self.soak_note {
            if let Some(r) = (evaluation.rules.iter_mut()).find(|r| r.rule == Rule::MinSoak) {
                r.reason = format!("{}; {note}", r.reason);
            }
        }
        // An incident open on the digest in the source environment blocks it whatever the
        // other rules say (shown once the digest had an incident there).
        if let Some(rule) = &self.incident_rule {
            evaluation.passed &= rule.passed;
            evaluation.rules.insert(0, rule.clone());
        }
        // A digest rejected for the target (or an earlier environment, or every one) is
        // refused whatever the other rules say: the `rejected` rule comes first.
        if let Some(rule) = &self.rejected_rule {
            evaluation.rules.insert(0, rule.clone());
            evaluation.passed = false;
        }
        // Evidence the policy requires (`checks`): one rule per check, blocking.
        if self.checks_required {
            for r in (evaluation.rules.iter_mut()).filter(|r| r.rule == Rule::Policy) {
                r.reason =
                    "the policy needs no approval: the evidence it requires decides (checks)"
                        .into();
            }
        }
        for o in &self.outcomes {
            evaluation.passed &= o.result.passed;
            evaluation.rules.push(o.result.clone());
        }
        if let Some(rule) = &self.pinned {
            evaluation.rules.push(rule.clone());
        }
        evaluation
    }
}

/// A deployment file that references the image by tag only: said, never blocking (the
/// promotion is what pins it).
fn pinned_rule(
    store: &Store,
    app: &AppConfig,
    to: &EnvConfig,
) -> Result<Option<policy::RuleResult>> {
    let (Some(place), Some(tag)) = (
        to.git_target(),
        store
            .last_observation(&app.name, &to.name)?
            .as_ref()
            .and_then(|o| o.data_str("deployed_by_tag").map(str::to_string)),
    ) else {
        return Ok(None);
    };
    Ok(Some(policy::RuleResult {
        rule: Rule::Pinned,
        passed: false,
        reason: format!(
            "{}:{} deploys {} by tag {tag}, not pinned by digest: what runs there cannot be proven; this promotion pins it by digest",
            place.git, place.file, app.name
        ),
        blocking: false,
        fix: None,
    }))
}

/// The policy checklist for promoting `digest` of `app` into `to`, before anyone clicks.
#[tracing::instrument(skip(ws, now), fields(workspace = %ws.config.workspace.name))]
pub fn check(
    ws: &Workspace,
    now: DateTime<Utc>,
    app: &str,
    to: &str,
    digest: &str,
) -> Result<PromotionCheck> {
    let (a, target, source, digest) = resolve(ws, app, to, digest)?;
    let store = open::store(ws)?;
    evaluate(ws, &store, now, a, source, target, &digest)
}

/// One line per unmet blocking rule: what the CLI prints and the UI lists when refusing.
pub(crate) fn unmet(check: &PromotionCheck) -> Vec<String> {
    check
        .evaluation
        .rules
        .iter()
        .filter(|r| r.blocking && !r.passed)
        .map(|r| format!("{}: {}", r.rule, r.reason))
        .collect()
}

/// The refusal of a promotion whose checklist is not met: one line per unmet blocking rule,
/// with the fix of the first of them that has one.
pub(crate) fn refusal(check: &PromotionCheck) -> Error {
    let error = Error::refused(unmet(check).join("\n"));
    let fix = check
        .evaluation
        .rules
        .iter()
        .filter(|r| r.blocking && !r.passed)
        .find_map(|r| r.fix.clone());
    match fix {
        Some(hint) => error.with_hint(hint),
        None => error,
    }
}
