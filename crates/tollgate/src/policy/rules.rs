//! One function per rule of the checklist. Each reads the [`PolicyInput`] (and, for the rules
//! that count approvals, the [`Sorted`] approvals) and returns its [`RuleResult`], or `None`
//! when the policy does not set it.

use chrono::{DateTime, Duration, SecondsFormat, Utc};

use super::evaluate::Sorted;
use super::{CandidateApproval, PolicyInput, Rule, RuleResult, Target};
use crate::config::PolicyConfig;
use crate::domain::Via;
use crate::hint::Hint;

/// `approvals`: enough distinct approvers among the approvals that count.
pub(super) fn approvals(policy: &PolicyConfig, sorted: &Sorted) -> Option<RuleResult> {
    if policy.approvals == 0 {
        return None;
    }
    let approvers = people(&sorted.valid);
    let (needs, has) = (policy.approvals as usize, approvers.len());
    let passed = has >= needs;
    let listed = if has == 0 {
        String::new()
    } else {
        format!(" ({})", approvers.join(", "))
    };
    let reason = if passed {
        format!(
            "has {has} distinct approver{}{listed}, needs {needs}",
            plural(has)
        )
    } else {
        let has_text = if has == 0 {
            "none".to_string()
        } else {
            has.to_string()
        };
        format!(
            "needs {needs} distinct approver{}, has {has_text}{listed}",
            plural(needs)
        )
    };
    Some(rule(
        Rule::Approvals,
        passed,
        sorted.explain(reason, passed),
    ))
}

/// `roles`: one counted approval from each role the policy names.
pub(super) fn roles(policy: &PolicyConfig, sorted: &Sorted) -> Option<RuleResult> {
    if policy.roles.is_empty() {
        return None;
    }
    let mut have = Vec::new();
    let mut missing = Vec::new();
    for role in &policy.roles {
        let by = distinct(
            sorted
                .valid
                .iter()
                .filter(|a| &a.role == role)
                .map(|a| a.approver.as_str()),
        );
        if by.is_empty() {
            missing.push(role.as_str());
        } else {
            have.push(format!("{role} ({})", by.join(", ")));
        }
    }
    let passed = missing.is_empty();
    let reason = if passed {
        format!("has an approval from each role: {}", have.join(", "))
    } else {
        let mut r = format!(
            "needs an approval from each of {}; missing {}",
            policy.roles.join(", "),
            missing.join(", ")
        );
        if !have.is_empty() {
            r.push_str(&format!("; has {}", have.join(", ")));
        }
        r
    };
    Some(rule(Rule::Roles, passed, sorted.explain(reason, passed)))
}

/// `min_soak`: the digest's *current* stay in the source environment, counted from when the
/// history learned of it, lasted at least the minimum. For a rollback (the digest ran in the
/// target before), its longest finished stay there counts too.
pub(super) fn min_soak(input: &PolicyInput, policy: &PolicyConfig) -> Option<RuleResult> {
    let text = policy.min_soak.as_deref()?;
    let from = &input.target.from;
    let min = match policy.min_soak() {
        Ok(Some(d)) => d,
        Ok(None) => return Some(rule(Rule::MinSoak, true, "no minimum soak time".into())),
        Err(e) => {
            return Some(rule(
                Rule::MinSoak,
                false,
                format!("min_soak {text:?} in tollgate.toml: {}", e.message),
            ))
        }
    };
    // The minimum as written in tollgate.toml, so people recognise their own setting.
    let needs = text.trim();
    let earlier = input
        .earlier_stays
        .filter(|e| input.returning && e.longest >= min);
    if let Some(entered) = input.entered_previous {
        let soaked = (input.now - entered).max(Duration::zero());
        if soaked >= min {
            return Some(rule(
                Rule::MinSoak,
                true,
                format!("soaked {} in {from}, needs {needs}", human(soaked)),
            ));
        }
        if let Some(e) = earlier {
            return Some(rollback_soak(input.target, e.longest, needs));
        }
        let ready = entered
            .checked_add_signed(min)
            .map(|t| format!(" (ready at {})", secs(t)))
            .unwrap_or_default();
        return Some(rule(
            Rule::MinSoak,
            false,
            format!("soaked {} in {from}, needs {needs}{ready}", human(soaked)),
        ));
    }
    if let Some(e) = earlier {
        return Some(rollback_soak(input.target, e.longest, needs));
    }
    let reason = match input.earlier_stays {
        Some(e) => format!(
            "this digest is no longer in {from} (another digest replaced it at {}; its longest stay there was {}); the soak time counts only its current stay, which needs {needs}: promote what runs in {from} now",
            secs(e.left),
            human(e.longest)
        ),
        None => format!("no record of this digest in {from}; it needs {needs} there first"),
    };
    Some(rule(Rule::MinSoak, false, reason))
}

fn rollback_soak(target: &Target, longest: Duration, needs: &str) -> RuleResult {
    rule(
        Rule::MinSoak,
        true,
        format!(
            "soaked {} in {} before it was replaced there, needs {needs} (a rollback: it ran in {} before)",
            human(longest),
            target.from,
            target.to
        ),
    )
}

/// `four_eyes`: whoever put the digest into the source environment is known, and their own
/// approvals were set aside. Fails closed when nobody is known to have put it there.
pub(super) fn four_eyes(
    input: &PolicyInput,
    policy: &PolicyConfig,
    sorted: &Sorted,
) -> Option<RuleResult> {
    if !policy.four_eyes {
        return None;
    }
    let from = &input.target.from;
    Some(match (input.previous_actor, &sorted.four_eyes_note) {
        (_, Some(note)) => rule(
            Rule::FourEyes,
            true,
            format!("{note}; that approval does not count"),
        ),
        (Some(actor), None) => rule(
            Rule::FourEyes,
            true,
            format!("{actor} put this digest into {from} and has not approved it (four-eyes)"),
        ),
        (None, None) => {
            let how = match input.previous_via {
                Some(Via::Drift) => ": it arrived there by drift (the tag moved outside Tollgate) and no record names who deployed it",
                Some(Via::Observed) => ": it was first seen there by a sync and no record names who deployed it",
                _ => "",
            };
            RuleResult {
                fix: Some(Hint::RecordWho {
                    app: input.target.app.clone(),
                    env: from.clone(),
                    image: input.source_image(),
                }),
                ..rule(
                    Rule::FourEyes,
                    false,
                    format!("no one is known to have put this digest into {from}{how}, so four-eyes cannot tell who may not approve it"),
                )
            }
        }
    })
}

/// `provenance`: a stay that began by drift (a tag moved outside Tollgate) counts only once a
/// record (or promotion) of that digest vouches for it. Shown only for such stays.
pub(super) fn provenance(input: &PolicyInput) -> Option<RuleResult> {
    if input.previous_via != Some(Via::Drift) {
        return None;
    }
    let (t, from) = (input.target, &input.target.from);
    Some(match input.previous_actor {
        Some(actor) => rule(
            Rule::Provenance,
            true,
            format!("this digest came into {from} by drift; {actor} vouched for it with a record"),
        ),
        None => RuleResult {
            fix: Some(Hint::Record {
                app: t.app.clone(),
                env: from.clone(),
                image: input.source_image(),
            }),
            ..rule(
                Rule::Provenance,
                false,
                format!(
                    "this digest came into {from} by drift (the tag moved outside Tollgate) and no record vouches for it yet: it counts once someone records it as right"
                ),
            )
        },
    })
}

/// `signatures` (advisory): every approval on record verifies against the keys in
/// tollgate.toml, or which do not.
pub(super) fn signatures(input: &PolicyInput, sorted: &Sorted) -> Option<RuleResult> {
    if input.approvals.is_empty() {
        return None;
    }
    let checked = input.approvals.len() - sorted.tampered.len();
    let passed = sorted.tampered.is_empty();
    let reason = if passed {
        format!(
            "{checked} approval{} on record verif{} against the keys in tollgate.toml",
            plural(checked),
            if checked == 1 { "ies" } else { "y" }
        )
    } else {
        sorted.tampered.join("; ")
    };
    Some(RuleResult {
        rule: Rule::Signatures,
        passed,
        reason,
        blocking: false,
        fix: None,
    })
}

pub(super) fn rule(name: Rule, passed: bool, reason: String) -> RuleResult {
    RuleResult {
        rule: name,
        passed,
        reason,
        blocking: true,
        fix: None,
    }
}

pub(super) fn describe(t: &Target) -> String {
    format!("{} {} {} → {}", t.app, t.digest.short(), t.from, t.to)
}

/// The people behind the approvals that count, each named by the id of their first approval:
/// approvals by ids that differ only in letter case, or signed with one key, are one person
/// (tollgate.toml refuses both when it loads; counted here too, so a list that slipped through
/// still cannot make one key two approvers).
pub(super) fn people<'a>(valid: &[&'a CandidateApproval]) -> Vec<&'a str> {
    let keys: Vec<_> = (valid.iter())
        .map(|a| {
            ssh_key::PublicKey::from_openssh(a.signer_key.trim())
                .map(|k| k.key_data().clone())
                .ok()
        })
        .collect();
    let same = |i: usize, j: usize| {
        valid[i].approver.eq_ignore_ascii_case(&valid[j].approver)
            || valid[i].signer_key.trim() == valid[j].signer_key.trim()
            || (keys[i].is_some() && keys[i] == keys[j])
    };
    // Each approval takes the smallest index of anything it is linked to, until nothing
    // changes: the approvals of one person then share the index of their first one.
    let mut person: Vec<usize> = (0..valid.len()).collect();
    let mut changed = true;
    while changed {
        changed = false;
        for i in 0..valid.len() {
            for j in 0..valid.len() {
                if person[j] < person[i] && same(i, j) {
                    person[i] = person[j];
                    changed = true;
                }
            }
        }
    }
    (0..valid.len())
        .filter(|&i| person[i] == i)
        .map(|i| valid[i].approver.as_str())
        .collect()
}

pub(super) fn distinct<'a>(items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

pub(super) fn secs(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `45s`, `3h`, `2h30m`, `1d2h`: days, hours and minutes (seconds only under a minute).
pub(crate) fn human(d: Duration) -> String {
    let secs = d.num_seconds().max(0);
    if secs < 60 {
        return format!("{secs}s");
    }
    let (days, hours, minutes) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    let mut out = String::new();
    for (n, unit) in [(days, "d"), (hours, "h"), (minutes, "m")] {
        if n > 0 {
            out.push_str(&format!("{n}{unit}"));
        }
    }
    out
}
