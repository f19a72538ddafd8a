//! [`evaluate`] composes the rules of [`super::rules`], in order: `approvals`, `roles`,
//! `min_soak`, `four_eyes` (or `policy` when none is set), `provenance`, and the advisory
//! `signatures`, after deciding which approvals count ([`sort`]).

use chrono::{DateTime, Duration, Utc};
use ssh_key::PublicKey;

use super::identity::same_identity;
use super::rules::{self, describe, human, rule, secs};
use super::{CandidateApproval, Evaluation, IgnoredApproval, PolicyInput, Rule};
use crate::config::{ApproverConfig, PolicyConfig};
use crate::signing::{approver_keys, parse_approver_key, pick};

/// Decide whether the promotion `input.target` may go ahead. Pure: the same input always gives
/// the same evaluation.
///
/// An approval counts only if its approver is listed in `tollgate.toml`, the signing key is the
/// key listed for that approver, the signature verifies, the record matches the signed message,
/// the message names this app, digest, source and target, it was not used by a promotion yet,
/// it is not older than `approval_max_age`, the approver holds the claimed role, and (with
/// `four_eyes`) the approver is not the one who put the digest into the source environment.
pub fn evaluate(input: &PolicyInput) -> Evaluation {
    let Some(policy) = input.policy else {
        let mut rules = vec![rule(
            Rule::Policy,
            true,
            "no policy: no approval needed".into(),
        )];
        rules.extend(rules::provenance(input));
        return Evaluation {
            passed: rules.iter().all(|r| r.passed || !r.blocking),
            rules,
            counted: Vec::new(),
            ignored: Vec::new(),
            approvers: Vec::new(),
            approvals_needed: 0,
            roles_needed: Vec::new(),
        };
    };
    let sorted = sort(input, policy);
    let mut rules: Vec<_> = [
        rules::approvals(policy, &sorted),
        rules::roles(policy, &sorted),
        rules::min_soak(input, policy),
        rules::four_eyes(input, policy, &sorted),
    ]
    .into_iter()
    .flatten()
    .collect();
    if rules.is_empty() {
        rules.push(rule(
            Rule::Policy,
            true,
            "the policy sets no gate: no approval needed".into(),
        ));
    }
    rules.extend(rules::provenance(input));
    rules.extend(rules::signatures(input, &sorted));

    Evaluation {
        passed: rules.iter().all(|r| r.passed || !r.blocking),
        rules,
        counted: sorted.valid.iter().map(|a| a.id).collect(),
        approvers: rules::people(&sorted.valid)
            .into_iter()
            .map(str::to_string)
            .collect(),
        ignored: sorted.ignored,
        approvals_needed: policy.approvals,
        roles_needed: policy.roles.clone(),
    }
}

/// The approvals on record, sorted into those that count and those set aside (with why).
pub(super) struct Sorted<'a> {
    /// The approvals that count, in the order given.
    pub valid: Vec<&'a CandidateApproval>,
    /// The others, by `id`.
    pub ignored: Vec<IgnoredApproval>,
    /// Reasons of the approvals whose record, signature or keys disagree (the `signatures` rule).
    pub tampered: Vec<String>,
    /// Four-eyes: why the deployer's own approvals were set aside, when some were.
    pub four_eyes_note: Option<String>,
    /// What a failing count rule adds to its reason: why approvals were set aside.
    why_not_more: Vec<String>,
}

impl Sorted<'_> {
    /// `reason`, and when the rule fails, why approvals were set aside.
    pub fn explain(&self, mut reason: String, passed: bool) -> String {
        if !passed && !self.why_not_more.is_empty() {
            reason.push_str("; ");
            reason.push_str(&self.why_not_more.join("; "));
        }
        reason
    }
}

/// Check each approval ([`check`]), then (with `four_eyes`) set aside those of whoever put the
/// digest into the source environment.
fn sort<'a>(input: &'a PolicyInput, policy: &PolicyConfig) -> Sorted<'a> {
    let max_age = MaxAge::of(policy);
    let mut valid: Vec<&CandidateApproval> = Vec::new();
    let mut ignored: Vec<IgnoredApproval> = Vec::new();
    let mut tampered: Vec<String> = Vec::new();
    for a in input.approvals {
        match check(input, &max_age, a) {
            Ok(()) => valid.push(a),
            Err(skip) => {
                let reason = format!("approval by {} ignored: {}", a.approver, skip.why);
                if skip.signature {
                    tampered.push(reason.clone());
                }
                ignored.push(IgnoredApproval {
                    id: a.id,
                    approver: a.approver.clone(),
                    reason,
                });
            }
        }
    }

    let from = &input.target.from;
    let actor = input.previous_actor.filter(|_| policy.four_eyes);
    let mut four_eyes_note = None;
    let mut why_not_more: Vec<String> = ignored.iter().map(|i| i.reason.clone()).collect();
    if let Some(actor) = actor {
        let (own, others): (Vec<_>, Vec<_>) = valid
            .into_iter()
            .partition(|a| same_identity(actor, &a.approver));
        valid = others;
        if !own.is_empty() {
            let note =
                format!("{actor} put this digest into {from} and may not approve it (four-eyes)");
            for a in own {
                let reason = format!("approval by {} ignored: {note}", a.approver);
                ignored.push(IgnoredApproval {
                    id: a.id,
                    approver: a.approver.clone(),
                    reason,
                });
            }
            why_not_more.insert(0, note.clone());
            four_eyes_note = Some(note);
        }
    }
    ignored.sort_by_key(|i| i.id);
    Sorted {
        valid,
        ignored,
        tampered,
        four_eyes_note,
        why_not_more,
    }
}

/// `approval_max_age` as set: none, a duration (with its text), or a setting that does not
/// parse (then no approval counts: the policy fails closed).
enum MaxAge<'a> {
    None,
    Set(Duration, &'a str),
    Invalid(String),
}

impl<'a> MaxAge<'a> {
    fn of(policy: &'a PolicyConfig) -> Self {
        match (
            policy.approval_max_age.as_deref(),
            policy.approval_max_age(),
        ) {
            (Some(text), Ok(Some(d))) => MaxAge::Set(d, text.trim()),
            (Some(text), Err(e)) => MaxAge::Invalid(format!(
                "approval_max_age {text:?} in tollgate.toml: {}",
                e.message
            )),
            _ => MaxAge::None,
        }
    }

    /// Why an approval appended at `at` is too old at `now`, if it is.
    fn too_old(&self, at: DateTime<Utc>, now: DateTime<Utc>) -> Option<String> {
        match self {
            MaxAge::None => None,
            MaxAge::Invalid(why) => Some(why.clone()),
            MaxAge::Set(max, text) => {
                let age = now - at;
                (age > *max).then(|| {
                    format!(
                        "it was signed {} ago ({}), older than approval_max_age {text}; sign a fresh one",
                        human(age),
                        secs(at)
                    )
                })
            }
        }
    }
}

/// Why one approval does not count. `signature` marks reasons that mean the record, the
/// signature or the keys disagree (shown by the `signatures` rule).
struct Skip {
    why: String,
    signature: bool,
}

fn check(input: &PolicyInput, max_age: &MaxAge, a: &CandidateApproval) -> Result<(), Skip> {
    let broken = |why: String| Skip {
        why,
        signature: true,
    };
    let not_for_this = |why: String| Skip {
        why,
        signature: false,
    };
    let m = &a.message;
    if a.approver != m.approver || a.role != m.role {
        return Err(broken(format!(
            "the record says {} as {:?} but the signed message says {} as {:?}",
            a.approver, a.role, m.approver, m.role
        )));
    }
    let Some(approver) = input.approvers.iter().find(|p| p.id == a.approver) else {
        return Err(broken(format!(
            "{} is not an approver in tollgate.toml",
            a.approver
        )));
    };
    if parse_approver_key(approver).is_err() {
        return Err(broken(format!(
            "the key listed for {} in tollgate.toml is not a valid Ed25519 key",
            a.approver
        )));
    }
    let Ok(signer) = PublicKey::from_openssh(a.signer_key.trim()) else {
        return Err(broken("the key that signed it is unreadable".into()));
    };
    pick(
        &approver_keys(approver),
        &a.approver,
        &signer,
        Some(a.appended_at),
    )
    .map_err(broken)?;
    if !a.signature_verified {
        return Err(broken(
            "its signature does not verify: the message or signature was altered".into(),
        ));
    }
    let signed_for = m.target();
    if &signed_for != input.target {
        return Err(not_for_this(format!(
            "it approves {}, not {}",
            describe(&signed_for),
            describe(input.target)
        )));
    }
    if a.consumed {
        return Err(not_for_this("it was already used by a promotion".into()));
    }
    // Counted from the earlier of the signing time and the append time: an approval imported
    // from a teammate is appended late, and must not look younger than it is.
    let signed = a
        .message
        .signed_at()
        .map_or(a.appended_at, |s| s.min(a.appended_at));
    if let Some(why) = max_age.too_old(signed, input.now) {
        return Err(not_for_this(why));
    }
    if !holds(approver, &a.role) {
        return Err(not_for_this(format!(
            "{} does not hold role {:?} in tollgate.toml (has: {})",
            a.approver,
            a.role,
            if approver.roles.is_empty() {
                "none".into()
            } else {
                approver.roles.join(", ")
            }
        )));
    }
    Ok(())
}

/// An empty claimed role is "no particular role": it counts toward `approvals`, never `roles`.
fn holds(approver: &ApproverConfig, role: &str) -> bool {
    role.is_empty() || approver.roles.iter().any(|r| r == role)
}

#[cfg(test)]
pub(crate) mod tests;
