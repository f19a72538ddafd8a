//! The rules, in order: which approvals count, then `approvals`, `roles`, `min_soak`,
//! `four_eyes`, and the advisory `signatures`.

use chrono::{Duration, SecondsFormat};
use ssh_key::PublicKey;

use super::{CandidateApproval, Evaluation, IgnoredApproval, PolicyInput, RuleResult, Target};
use crate::config::ApproverConfig;
use crate::signing::{approver_keys, parse_approver_key, pick};

/// Decide whether the promotion `input.target` may go ahead. Pure: the same input always gives
/// the same evaluation.
///
/// An approval counts only if its approver is listed in `tollgate.toml`, the signing key is the
/// key listed for that approver, the signature verifies, the record matches the signed message,
/// the message names this app, digest, source and target, it was not used by a promotion yet,
/// the approver holds the claimed role, and (with `four_eyes`) the approver is not the one who
/// put the digest into the source environment.
pub fn evaluate(input: &PolicyInput) -> Evaluation {
    let Some(policy) = input.policy else {
        return Evaluation {
            passed: true,
            rules: vec![rule("policy", true, "no policy: no approval needed".into())],
            counted: Vec::new(),
            ignored: Vec::new(),
            approvers: Vec::new(),
            approvals_needed: 0,
            roles_needed: Vec::new(),
        };
    };

    let mut valid: Vec<&CandidateApproval> = Vec::new();
    let mut ignored: Vec<IgnoredApproval> = Vec::new();
    let mut tampered: Vec<String> = Vec::new();
    for a in input.approvals {
        match check(input, a) {
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

    // Four-eyes: whoever put the digest into the source environment may not approve it.
    let from = &input.target.from;
    let actor = input.previous_actor.filter(|_| policy.four_eyes);
    let mut four_eyes_note = None;
    // What a failing count rule adds to its reason: why approvals were set aside.
    let mut why_not_more: Vec<String> = ignored.iter().map(|i| i.reason.clone()).collect();
    if let Some(actor) = actor {
        let (own, others): (Vec<_>, Vec<_>) = valid
            .into_iter()
            .partition(|a| a.approver.eq_ignore_ascii_case(actor));
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
    let explain = |mut reason: String, passed: bool| {
        if !passed && !why_not_more.is_empty() {
            reason.push_str("; ");
            reason.push_str(&why_not_more.join("; "));
        }
        reason
    };

    let mut rules = Vec::new();
    if policy.approvals > 0 {
        let approvers = distinct(valid.iter().map(|a| a.approver.as_str()));
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
        rules.push(rule("approvals", passed, explain(reason, passed)));
    }
    if !policy.roles.is_empty() {
        let mut have = Vec::new();
        let mut missing = Vec::new();
        for role in &policy.roles {
            let by = distinct(
                valid
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
        rules.push(rule("roles", passed, explain(reason, passed)));
    }
    if policy.min_soak.is_some() {
        rules.push(soak_rule(
            input,
            policy.min_soak.as_deref().unwrap_or_default(),
            policy.min_soak(),
        ));
    }
    if policy.four_eyes {
        let reason = match (input.previous_actor, &four_eyes_note) {
            (_, Some(note)) => format!("{note}; that approval does not count"),
            (Some(actor), None) => format!("{actor} put this digest into {from} and has not approved it (four-eyes)"),
            (None, None) => format!("no one is recorded as having put this digest into {from}, so no approver is excluded (four-eyes)"),
        };
        rules.push(rule("four_eyes", true, reason));
    }
    if rules.is_empty() {
        rules.push(rule(
            "policy",
            true,
            "the policy sets no gate: no approval needed".into(),
        ));
    }
    if !input.approvals.is_empty() {
        let checked = input.approvals.len() - tampered.len();
        let passed = tampered.is_empty();
        let reason = if passed {
            format!(
                "{checked} approval{} on record verif{} against the keys in tollgate.toml",
                plural(checked),
                if checked == 1 { "ies" } else { "y" }
            )
        } else {
            tampered.join("; ")
        };
        rules.push(RuleResult {
            rule: "signatures".into(),
            passed,
            reason,
            blocking: false,
        });
    }

    Evaluation {
        passed: rules.iter().all(|r| r.passed || !r.blocking),
        rules,
        counted: valid.iter().map(|a| a.id).collect(),
        ignored,
        approvers: distinct(valid.iter().map(|a| a.approver.as_str()))
            .into_iter()
            .map(str::to_string)
            .collect(),
        approvals_needed: policy.approvals,
        roles_needed: policy.roles.clone(),
    }
}

/// Why one approval does not count. `signature` marks reasons that mean the record, the
/// signature or the keys disagree (shown by the `signatures` rule).
struct Skip {
    why: String,
    signature: bool,
}

fn check(input: &PolicyInput, a: &CandidateApproval) -> Result<(), Skip> {
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
        a.appended_at,
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

fn soak_rule(input: &PolicyInput, text: &str, min: crate::Result<Option<Duration>>) -> RuleResult {
    let from = &input.target.from;
    let min = match min {
        Ok(Some(d)) => d,
        Ok(None) => return rule("min_soak", true, "no minimum soak time".into()),
        Err(e) => {
            return rule(
                "min_soak",
                false,
                format!("min_soak {text:?} in tollgate.toml: {}", e.message),
            )
        }
    };
    // The minimum as written in tollgate.toml, so people recognise their own setting.
    let needs = text.trim();
    let Some(entered) = input.entered_previous else {
        return rule(
            "min_soak",
            false,
            format!("no record of this digest in {from}; it needs {needs} there first"),
        );
    };
    let soaked = (input.now - entered).max(Duration::zero());
    if soaked >= min {
        rule(
            "min_soak",
            true,
            format!("soaked {} in {from}, needs {needs}", human(soaked)),
        )
    } else {
        let ready = (entered + min).to_rfc3339_opts(SecondsFormat::Secs, true);
        rule(
            "min_soak",
            false,
            format!(
                "soaked {} in {from}, needs {needs} (ready at {ready})",
                human(soaked)
            ),
        )
    }
}

fn rule(name: &str, passed: bool, reason: String) -> RuleResult {
    RuleResult {
        rule: name.into(),
        passed,
        reason,
        blocking: true,
    }
}

fn describe(t: &Target) -> String {
    format!("{} {} {} → {}", t.app, t.digest.short(), t.from, t.to)
}

fn distinct<'a>(items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
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

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};

    use super::*;
    use crate::config::PolicyConfig;
    use crate::domain::Digest;
    use crate::keychain::MemoryKeychain;
    use crate::signing::{generate_key, sign, Anchor, ApprovalMessage};

    const ALICE: &str = "alice@example.com"; // manager
    const CAROL: &str = "carol@example.com"; // qa
    const BOB: &str = "bob@example.com"; // qa, deploys to staging
    const EVE: &str = "eve@example.com"; // qa, but her record is signed by mallory's key

    struct Fixture {
        kc: MemoryKeychain,
        approvers: Vec<ApproverConfig>,
        target: Target,
        now: DateTime<Utc>,
    }

    fn t(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap() + Duration::hours(h.into())
    }

    impl Fixture {
        fn new() -> Self {
            let kc = MemoryKeychain::default();
            let mut approvers = Vec::new();
            for (id, roles) in [
                (ALICE, vec!["manager"]),
                (CAROL, vec!["qa"]),
                (BOB, vec!["qa", "manager"]),
                (EVE, vec!["qa"]),
            ] {
                let key = generate_key(id, &kc).unwrap().public_key;
                approvers.push(ApproverConfig {
                    id: id.into(),
                    roles: roles.into_iter().map(String::from).collect(),
                    key,
                    previous_keys: vec![],
                });
            }
            generate_key("mallory@example.com", &kc).unwrap();
            let target = Target {
                app: "api".into(),
                digest: Digest::of(b"v2"),
                from: "staging".into(),
                to: "production".into(),
            };
            Fixture {
                kc,
                approvers,
                target,
                now: t(30),
            }
        }

        /// An approval signed by `signer`'s key, recorded as `approver`'s, for `target`.
        fn approval_by(
            &self,
            id: i64,
            approver: &str,
            signer: &str,
            role: &str,
            target: &Target,
        ) -> CandidateApproval {
            let msg = ApprovalMessage::new(target, approver, role, t(29), None, &Anchor::genesis())
                .to_bytes();
            let sig = sign(signer, &msg, &self.kc).unwrap();
            CandidateApproval::from_signed(id, &msg, &sig, false).unwrap()
        }

        fn approval(&self, id: i64, approver: &str, role: &str) -> CandidateApproval {
            self.approval_by(id, approver, approver, role, &self.target)
        }

        fn eval(
            &self,
            policy: &PolicyConfig,
            approvals: &[CandidateApproval],
            actor: Option<&str>,
        ) -> Evaluation {
            evaluate(&PolicyInput {
                policy: Some(policy),
                now: self.now,
                approvers: &self.approvers,
                approvals,
                target: &self.target,
                entered_previous: Some(t(0)),
                previous_actor: actor,
            })
        }
    }

    fn two_approvals() -> PolicyConfig {
        PolicyConfig {
            approvals: 2,
            ..Default::default()
        }
    }

    fn rule<'e>(e: &'e Evaluation, name: &str) -> &'e RuleResult {
        e.rules
            .iter()
            .find(|r| r.rule == name)
            .unwrap_or_else(|| panic!("no rule {name} in {e:?}"))
    }

    #[test]
    fn no_policy_needs_no_approval() {
        let f = Fixture::new();
        let e = evaluate(&PolicyInput {
            policy: None,
            now: f.now,
            approvers: &f.approvers,
            approvals: &[],
            target: &f.target,
            entered_previous: None,
            previous_actor: None,
        });
        assert!(e.passed);
        assert_eq!(e.rules.len(), 1);
        assert_eq!(e.rules[0].reason, "no policy: no approval needed");
    }

    #[test]
    fn approvals_counts_distinct_approvers() {
        let f = Fixture::new();
        let one = [
            f.approval(1, ALICE, "manager"),
            f.approval(2, ALICE, "manager"),
        ];
        let e = f.eval(&two_approvals(), &one, None);
        assert!(!e.passed);
        assert_eq!(
            rule(&e, "approvals").reason,
            "needs 2 distinct approvers, has 1 (alice@example.com)"
        );
        assert_eq!(e.counted, vec![1, 2]);

        let two = [f.approval(1, ALICE, "manager"), f.approval(2, CAROL, "qa")];
        let e = f.eval(&two_approvals(), &two, None);
        assert!(e.passed, "{e:?}");
        assert_eq!(
            rule(&e, "approvals").reason,
            "has 2 distinct approvers (alice@example.com, carol@example.com), needs 2"
        );
        assert_eq!(e.counted, vec![1, 2]);
        assert!(rule(&e, "signatures").passed);
        assert_eq!(
            rule(&e, "signatures").reason,
            "2 approvals on record verify against the keys in tollgate.toml"
        );

        let e = f.eval(&two_approvals(), &[], None);
        assert_eq!(
            rule(&e, "approvals").reason,
            "needs 2 distinct approvers, has none"
        );
    }

    #[test]
    fn roles_need_one_counted_approval_each() {
        let f = Fixture::new();
        let policy = PolicyConfig {
            roles: vec!["manager".into(), "qa".into()],
            ..Default::default()
        };
        let e = f.eval(&policy, &[f.approval(1, ALICE, "manager")], None);
        assert!(!e.passed);
        assert_eq!(rule(&e, "roles").reason, "needs an approval from each of manager, qa; missing qa; has manager (alice@example.com)");

        let e = f.eval(
            &policy,
            &[f.approval(1, ALICE, "manager"), f.approval(2, CAROL, "qa")],
            None,
        );
        assert!(e.passed, "{e:?}");
        assert_eq!(
            rule(&e, "roles").reason,
            "has an approval from each role: manager (alice@example.com), qa (carol@example.com)"
        );
    }

    #[test]
    fn a_role_the_approver_does_not_hold_does_not_count() {
        let f = Fixture::new();
        let policy = PolicyConfig {
            roles: vec!["qa".into()],
            ..Default::default()
        };
        let e = f.eval(&policy, &[f.approval(1, ALICE, "qa")], None);
        assert!(!e.passed);
        assert!(e.counted.is_empty());
        let why = "approval by alice@example.com ignored: alice@example.com does not hold role \"qa\" in tollgate.toml (has: manager)";
        assert_eq!(e.ignored[0].reason, why);
        assert_eq!(
            rule(&e, "roles").reason,
            format!("needs an approval from each of qa; missing qa; {why}")
        );
    }

    #[test]
    fn min_soak_against_now() {
        let mut f = Fixture::new();
        let policy = PolicyConfig {
            min_soak: Some("24h".into()),
            ..Default::default()
        };
        f.now = t(3);
        let e = f.eval(&policy, &[], None);
        assert!(!e.passed);
        assert_eq!(
            rule(&e, "min_soak").reason,
            "soaked 3h in staging, needs 24h (ready at 2026-11-26T00:00:00Z)"
        );
        f.now = t(26);
        let e = f.eval(&policy, &[], None);
        assert!(e.passed);
        assert_eq!(
            rule(&e, "min_soak").reason,
            "soaked 1d2h in staging, needs 24h"
        );

        let e = evaluate(&PolicyInput {
            entered_previous: None,
            ..input(&f, &policy)
        });
        assert!(!e.passed);
        assert_eq!(
            rule(&e, "min_soak").reason,
            "no record of this digest in staging; it needs 24h there first"
        );

        let bad = PolicyConfig {
            min_soak: Some("a day".into()),
            ..Default::default()
        };
        let e = f.eval(&bad, &[], None);
        assert!(!e.passed);
        assert!(rule(&e, "min_soak")
            .reason
            .starts_with("min_soak \"a day\" in tollgate.toml: "));
    }

    fn input<'a>(f: &'a Fixture, policy: &'a PolicyConfig) -> PolicyInput<'a> {
        PolicyInput {
            policy: Some(policy),
            now: f.now,
            approvers: &f.approvers,
            approvals: &[],
            target: &f.target,
            entered_previous: Some(t(0)),
            previous_actor: None,
        }
    }

    #[test]
    fn four_eyes_excludes_whoever_put_it_in_the_previous_env() {
        let f = Fixture::new();
        let policy = PolicyConfig {
            approvals: 2,
            four_eyes: true,
            ..Default::default()
        };
        let approvals = [f.approval(1, BOB, "qa"), f.approval(2, ALICE, "manager")];
        let e = f.eval(&policy, &approvals, Some(BOB));
        assert!(!e.passed);
        assert_eq!(e.counted, vec![2]);
        let note =
            "bob@example.com put this digest into staging and may not approve it (four-eyes)";
        assert_eq!(
            rule(&e, "approvals").reason,
            format!("needs 2 distinct approvers, has 1 (alice@example.com); {note}")
        );
        assert_eq!(
            rule(&e, "four_eyes").reason,
            format!("{note}; that approval does not count")
        );
        assert_eq!(
            e.ignored[0].reason,
            format!("approval by bob@example.com ignored: {note}")
        );

        // Ids are compared without regard to case: BOB@example.com is bob@example.com.
        let e = f.eval(&policy, &approvals, Some("BOB@example.com"));
        assert_eq!(e.counted, vec![2]);

        let approvals = [f.approval(1, CAROL, "qa"), f.approval(2, ALICE, "manager")];
        let e = f.eval(&policy, &approvals, Some(BOB));
        assert!(e.passed, "{e:?}");
        assert_eq!(
            rule(&e, "four_eyes").reason,
            "bob@example.com put this digest into staging and has not approved it (four-eyes)"
        );

        let off = two_approvals();
        let approvals = [f.approval(1, BOB, "qa"), f.approval(2, ALICE, "manager")];
        assert!(
            f.eval(&off, &approvals, Some(BOB)).passed,
            "four_eyes = false lets the deployer approve"
        );
    }

    #[test]
    fn replayed_approvals_do_not_count() {
        let f = Fixture::new();
        let other_digest = Target {
            digest: Digest::of(b"v1"),
            ..f.target.clone()
        };
        let other_env = Target {
            from: "dev".into(),
            to: "staging".into(),
            ..f.target.clone()
        };
        let other_app = Target {
            app: "web".into(),
            ..f.target.clone()
        };
        let approvals = [
            f.approval_by(1, ALICE, ALICE, "manager", &other_digest),
            f.approval_by(2, CAROL, CAROL, "qa", &other_env),
            f.approval_by(3, CAROL, CAROL, "qa", &other_app),
        ];
        let e = f.eval(
            &PolicyConfig {
                approvals: 1,
                ..Default::default()
            },
            &approvals,
            None,
        );
        assert!(!e.passed);
        assert!(e.counted.is_empty());
        let short = f.target.digest.short();
        assert_eq!(
            e.ignored[0].reason,
            format!("approval by alice@example.com ignored: it approves api {} staging → production, not api {short} staging → production", Digest::of(b"v1").short())
        );
        assert!(e.ignored[1]
            .reason
            .contains(&format!("it approves api {short} dev → staging")));
        assert!(e.ignored[2]
            .reason
            .contains(&format!("it approves web {short} staging → production")));
        assert!(rule(&e, "approvals")
            .reason
            .contains("ignored: it approves web"));
    }

    #[test]
    fn consumed_approvals_do_not_count() {
        let f = Fixture::new();
        let mut used = f.approval(1, ALICE, "manager");
        used.consumed = true;
        let e = f.eval(
            &PolicyConfig {
                approvals: 1,
                ..Default::default()
            },
            &[used],
            None,
        );
        assert!(!e.passed);
        assert!(e.counted.is_empty());
        assert_eq!(
            e.ignored[0].reason,
            "approval by alice@example.com ignored: it was already used by a promotion"
        );
    }

    #[test]
    fn unknown_keys_and_approvers_do_not_count_and_are_flagged() {
        let f = Fixture::new();
        let forged = f.approval_by(1, EVE, "mallory@example.com", "qa", &f.target);
        let fp = crate::signing::fingerprint(&forged.signer_key).unwrap();
        let stranger = f.approval_by(
            2,
            "mallory@example.com",
            "mallory@example.com",
            "qa",
            &f.target,
        );
        let good = f.approval(3, CAROL, "qa");
        let e = f.eval(
            &PolicyConfig {
                approvals: 1,
                ..Default::default()
            },
            &[forged, stranger, good],
            None,
        );
        assert!(e.passed, "enough valid approvals remain: {e:?}");
        assert_eq!(e.counted, vec![3]);
        let eve = format!("approval by eve@example.com ignored: key {fp} is not the key listed for eve@example.com in tollgate.toml");
        let mallory = "approval by mallory@example.com ignored: mallory@example.com is not an approver in tollgate.toml";
        assert_eq!(e.ignored[0].reason, eve);
        assert_eq!(e.ignored[1].reason, mallory);
        let sigs = rule(&e, "signatures");
        assert!(!sigs.passed && !sigs.blocking);
        assert_eq!(sigs.reason, format!("{eve}; {mallory}"));
    }

    #[test]
    fn altered_or_mismatched_records_do_not_count() {
        let f = Fixture::new();
        let mut altered = f.approval(1, ALICE, "manager");
        altered.signature_verified = false;
        let mut relabelled = f.approval(2, CAROL, "qa");
        relabelled.approver = BOB.into();
        let e = f.eval(
            &PolicyConfig {
                approvals: 1,
                ..Default::default()
            },
            &[altered, relabelled],
            None,
        );
        assert!(!e.passed);
        assert!(e.counted.is_empty());
        assert_eq!(e.ignored[0].reason, "approval by alice@example.com ignored: its signature does not verify: the message or signature was altered");
        assert!(e.ignored[1].reason.contains("the record says bob@example.com as \"qa\" but the signed message says carol@example.com"));
    }

    #[test]
    fn from_signed_notices_an_altered_message() {
        let f = Fixture::new();
        let msg = ApprovalMessage::new(
            &f.target,
            ALICE,
            "manager",
            t(1),
            Some("looks good"),
            &Anchor::genesis(),
        )
        .to_bytes();
        let sig = sign(ALICE, &msg, &f.kc).unwrap();
        assert!(
            CandidateApproval::from_signed(1, &msg, &sig, false)
                .unwrap()
                .signature_verified
        );
        let altered = String::from_utf8(msg)
            .unwrap()
            .replace("looks good", "looks bad!");
        assert!(
            !CandidateApproval::from_signed(1, altered.as_bytes(), &sig, false)
                .unwrap()
                .signature_verified
        );
    }

    #[test]
    fn the_full_production_policy() {
        let f = Fixture::new();
        let policy = PolicyConfig {
            approvals: 2,
            roles: vec!["manager".into(), "qa".into()],
            min_soak: Some("24h".into()),
            four_eyes: true,
        };
        let approvals = [f.approval(1, ALICE, "manager"), f.approval(2, CAROL, "qa")];
        let e = f.eval(&policy, &approvals, Some(BOB));
        assert!(e.passed, "{e:?}");
        let names: Vec<&str> = e.rules.iter().map(|r| r.rule.as_str()).collect();
        assert_eq!(
            names,
            ["approvals", "roles", "min_soak", "four_eyes", "signatures"]
        );
        assert_eq!(e.counted, vec![1, 2]);
    }

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(human(Duration::seconds(45)), "45s");
        assert_eq!(human(Duration::minutes(150)), "2h30m");
        assert_eq!(human(Duration::hours(24)), "1d");
        assert_eq!(human(Duration::seconds(-5)), "0s");
    }
}
