//! Tests of the evaluation of a promotion: which approvals count, each rule and its sentence.

use chrono::{DateTime, TimeZone, Utc};

use super::*;
use crate::config::PolicyConfig;
use crate::domain::{Digest, Via};
use crate::keychain::MemoryKeychain;
use crate::policy::{EarlierStays, PolicyInput, Rule, RuleResult, Target};
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
        CandidateApproval::from_signed(id, &msg, &sig, false, t(29)).unwrap()
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
            source_repository: "local/payments/api",
            entered_previous: Some(t(0)),
            previous_actor: actor,
            previous_via: Some(Via::Promotion),
            earlier_stays: None,
            returning: false,
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
        .find(|r| r.rule.as_str() == name)
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
        source_repository: "local/payments/api",
        entered_previous: None,
        previous_actor: None,
        previous_via: None,
        earlier_stays: None,
        returning: false,
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
fn approvals_count_distinct_keys_as_well_as_distinct_ids() {
    let mut f = Fixture::new();
    let alice_key = f.approvers[0].key.clone();
    // One person listed under two ids with one key (tollgate.toml refuses this; the
    // count must not depend on that).
    for alias in ["Alice@Example.com", "alias@example.com"] {
        f.approvers.push(ApproverConfig {
            id: alias.into(),
            roles: vec!["manager".into()],
            key: alice_key.clone(),
            previous_keys: vec![],
        });
    }
    let by_case = [
        f.approval(1, ALICE, "manager"),
        f.approval_by(2, "Alice@Example.com", ALICE, "manager", &f.target),
    ];
    let e = f.eval(&two_approvals(), &by_case, None);
    assert!(!e.passed, "{e:?}");
    assert_eq!(e.counted, vec![1, 2], "both verify; they are one person");
    assert_eq!(
        rule(&e, "approvals").reason,
        "needs 2 distinct approvers, has 1 (alice@example.com)"
    );
    assert_eq!(e.approvers, vec![ALICE.to_string()]);

    let by_key = [
        f.approval_by(1, "alias@example.com", ALICE, "manager", &f.target),
        f.approval(2, ALICE, "manager"),
        f.approval(3, CAROL, "qa"),
    ];
    let e = f.eval(&two_approvals(), &by_key, None);
    assert!(e.passed, "{e:?}");
    assert_eq!(
        rule(&e, "approvals").reason,
        "has 2 distinct approvers (alias@example.com, carol@example.com), needs 2"
    );
    let e = f.eval(&two_approvals(), &by_key[..2], None);
    assert!(!e.passed, "one key is one approver: {e:?}");
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
    assert_eq!(
        rule(&e, "roles").reason,
        "needs an approval from each of manager, qa; missing qa; has manager (alice@example.com)"
    );

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
        source_repository: "local/payments/api",
        entered_previous: Some(t(0)),
        previous_actor: None,
        previous_via: Some(Via::Promotion),
        earlier_stays: None,
        returning: false,
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
    let note = "bob@example.com put this digest into staging and may not approve it (four-eyes)";
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
    assert!(e.ignored[1].reason.contains(
        "the record says bob@example.com as \"qa\" but the signed message says carol@example.com"
    ));
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
        CandidateApproval::from_signed(1, &msg, &sig, false, t(1))
            .unwrap()
            .signature_verified
    );
    let altered = String::from_utf8(msg)
        .unwrap()
        .replace("looks good", "looks bad!");
    assert!(
        !CandidateApproval::from_signed(1, altered.as_bytes(), &sig, false, t(1))
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
        approval_max_age: None,
        checks: Vec::new(),
        rollback: None,
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

fn soak_24h() -> PolicyConfig {
    PolicyConfig {
        min_soak: Some("24h".into()),
        ..Default::default()
    }
}

#[test]
fn min_soak_counts_only_the_current_stay() {
    let mut f = Fixture::new();
    f.now = t(24 * 8);
    let policy = soak_24h();
    // It ran a minute last week and was replaced: not there now.
    let gone = PolicyInput {
        entered_previous: None,
        earlier_stays: Some(EarlierStays {
            longest: Duration::minutes(1),
            left: t(1),
        }),
        ..input(&f, &policy)
    };
    let e = evaluate(&gone);
    assert!(!e.passed);
    assert_eq!(
        rule(&e, "min_soak").reason,
        "this digest is no longer in staging (another digest replaced it at 2026-11-25T01:00:00Z; its longest stay there was 1m); the soak time counts only its current stay, which needs 24h: promote what runs in staging now"
    );
    // Even a long earlier stay does not count for a promotion...
    let long_ago = PolicyInput {
        earlier_stays: Some(EarlierStays {
            longest: Duration::days(3),
            left: t(72),
        }),
        ..gone
    };
    assert!(!evaluate(&long_ago).passed);
    // ...while its current stay does, from when it began.
    let back = PolicyInput {
        entered_previous: Some(f.now - Duration::hours(2)),
        ..long_ago
    };
    let e = evaluate(&back);
    assert!(!e.passed);
    assert!(rule(&e, "min_soak")
        .reason
        .starts_with("soaked 2h in staging, needs 24h (ready at "));
    // For a rollback (it ran in production before), a finished stay long enough counts.
    let e = evaluate(&PolicyInput {
        returning: true,
        ..back
    });
    assert!(e.passed, "{e:?}");
    assert_eq!(
        rule(&e, "min_soak").reason,
        "soaked 3d in staging before it was replaced there, needs 24h (a rollback: it ran in production before)"
    );
    let e = evaluate(&PolicyInput {
        returning: true,
        ..gone
    });
    assert!(
        !e.passed,
        "a rollback still needs a stay as long as min_soak"
    );
}

#[test]
fn durations_too_long_fail_the_rule_instead_of_panicking() {
    let f = Fixture::new();
    for text in ["100000000d", "200000000000d"] {
        let policy = PolicyConfig {
            min_soak: Some(text.into()),
            approval_max_age: Some(text.into()),
            approvals: 1,
            ..Default::default()
        };
        let e = evaluate(&input(&f, &policy));
        assert!(!e.passed);
        assert!(
            rule(&e, "min_soak").reason.contains("too long a duration"),
            "{e:?}"
        );
        let e = f.eval(&policy, &[f.approval(1, ALICE, "manager")], None);
        assert!(e.counted.is_empty(), "an unreadable max age counts nothing");
        assert!(e.ignored[0].reason.contains("approval_max_age"), "{e:?}");
    }
}

#[test]
fn four_eyes_fails_closed_when_nobody_is_known_to_have_put_it_there() {
    let f = Fixture::new();
    let policy = PolicyConfig {
        approvals: 1,
        four_eyes: true,
        ..Default::default()
    };
    let approvals = [f.approval(1, ALICE, "manager")];
    for (via, how) in [
        (Via::Drift, ": it arrived there by drift (the tag moved outside Tollgate) and no record names who deployed it"),
        (Via::Observed, ": it was first seen there by a sync and no record names who deployed it"),
    ] {
        let e = evaluate(&PolicyInput {
            approvals: &approvals,
            previous_via: Some(via),
            ..input(&f, &policy)
        });
        assert!(!e.passed, "{via:?}: {e:?}");
        let r = rule(&e, "four_eyes");
        assert!(!r.passed && r.blocking);
        assert_eq!(
            r.reason,
            format!("no one is known to have put this digest into staging{how}, so four-eyes cannot tell who may not approve it")
        );
        assert_eq!(
            r.fix,
            Some(crate::Hint::RecordWho {
                app: "api".into(),
                env: "staging".into(),
                image: format!("local/payments/api@{}", f.target.digest),
            })
        );
    }
    // Once a record names who deployed it, four-eyes holds again.
    let e = evaluate(&PolicyInput {
        approvals: &approvals,
        previous_via: Some(Via::Observed),
        previous_actor: Some(BOB),
        ..input(&f, &policy)
    });
    assert!(e.passed, "{e:?}");
}

#[test]
fn four_eyes_compares_identities_not_spellings() {
    let f = Fixture::new();
    let policy = PolicyConfig {
        approvals: 1,
        four_eyes: true,
        ..Default::default()
    };
    // "bob" deployed it; bob@example.com's approval does not count.
    let e = f.eval(&policy, &[f.approval(1, BOB, "qa")], Some("bob"));
    assert!(!e.passed);
    assert!(e.counted.is_empty());
    assert_eq!(
        e.ignored[0].reason,
        "approval by bob@example.com ignored: bob put this digest into staging and may not approve it (four-eyes)"
    );
    // Someone else named bob, at another domain, is another person.
    let e = f.eval(
        &policy,
        &[f.approval(1, BOB, "qa")],
        Some("bob@corp.example"),
    );
    assert!(e.passed, "{e:?}");
}

#[test]
fn a_stay_that_began_by_drift_blocks_until_a_record_vouches_for_it() {
    let f = Fixture::new();
    let policy = two_approvals();
    let approvals = [f.approval(1, ALICE, "manager"), f.approval(2, CAROL, "qa")];
    let drifted = PolicyInput {
        approvals: &approvals,
        previous_via: Some(Via::Drift),
        ..input(&f, &policy)
    };
    let e = evaluate(&drifted);
    assert!(!e.passed, "{e:?}");
    let r = rule(&e, "provenance");
    assert!(!r.passed && r.blocking);
    assert_eq!(
        r.reason,
        "this digest came into staging by drift (the tag moved outside Tollgate) and no record vouches for it yet: it counts once someone records it as right"
    );
    // The fix names the real repository the source environment reads, never a placeholder.
    assert_eq!(
        r.fix,
        Some(crate::Hint::Record {
            app: "api".into(),
            env: "staging".into(),
            image: format!("local/payments/api@{}", f.target.digest),
        })
    );
    let names: Vec<&str> = e.rules.iter().map(|r| r.rule.as_str()).collect();
    assert_eq!(names, ["approvals", "provenance", "signatures"]);

    let e = evaluate(&PolicyInput {
        previous_actor: Some(BOB),
        ..drifted
    });
    assert!(e.passed, "{e:?}");
    assert_eq!(
        rule(&e, "provenance").reason,
        "this digest came into staging by drift; bob@example.com vouched for it with a record"
    );
    // Even into an environment without a policy.
    let e = evaluate(&PolicyInput {
        policy: None,
        ..drifted
    });
    assert!(!e.passed);
    assert!(!rule(&e, "provenance").passed);
    assert!(rule(&e, "policy").passed);
}

#[test]
fn approvals_older_than_approval_max_age_do_not_count() {
    let mut f = Fixture::new();
    let policy = PolicyConfig {
        approvals: 1,
        approval_max_age: Some("7d".into()),
        ..Default::default()
    };
    let mut old = f.approval(1, ALICE, "manager");
    old.appended_at = t(0);
    f.now = t(24 * 7);
    let e = f.eval(&policy, std::slice::from_ref(&old), None);
    assert!(e.passed, "exactly 7 days old still counts: {e:?}");
    f.now = t(24 * 8);
    let e = f.eval(&policy, &[old], None);
    assert!(!e.passed);
    let why = "approval by alice@example.com ignored: it was signed 8d ago (2026-11-25T00:00:00Z), older than approval_max_age 7d; sign a fresh one";
    assert_eq!(e.ignored[0].reason, why);
    assert_eq!(
        rule(&e, "approvals").reason,
        format!("needs 1 distinct approver, has none; {why}")
    );
    assert!(
        rule(&e, "signatures").passed,
        "an old approval is not a broken one"
    );
}

#[test]
fn rule_names_serialize_as_their_snake_case_names() {
    let all = [
        Rule::Policy,
        Rule::Approvals,
        Rule::Roles,
        Rule::MinSoak,
        Rule::FourEyes,
        Rule::Provenance,
        Rule::Signatures,
    ];
    for r in all {
        assert_eq!(
            serde_json::to_value(r).unwrap(),
            serde_json::Value::from(r.as_str())
        );
        assert_eq!(
            serde_json::from_value::<Rule>(r.as_str().into()).unwrap(),
            r
        );
    }
    assert_eq!(format!("{:<10}|", Rule::MinSoak), "min_soak  |");
}

#[test]
fn durations_read_like_people_write_them() {
    assert_eq!(human(Duration::seconds(45)), "45s");
    assert_eq!(human(Duration::minutes(150)), "2h30m");
    assert_eq!(human(Duration::hours(24)), "1d");
    assert_eq!(human(Duration::seconds(-5)), "0s");
}

/// What the app shows of a rule is its reason: a sentence that names no CLI flag, no command
/// line and no placeholder for the person to fill in. The fix is the rule's `fix`, as facts
/// each front end words for itself (the CLI with its flags). Every rule, failed and passed, in
/// every way it can be reached here.
#[test]
fn no_rule_reason_names_a_cli_flag_or_a_placeholder() {
    let f = Fixture::new();
    let policies = [
        PolicyConfig::default(),
        two_approvals(),
        PolicyConfig {
            approvals: 1,
            roles: vec!["manager".into(), "qa".into()],
            min_soak: Some("24h".into()),
            four_eyes: true,
            ..Default::default()
        },
        PolicyConfig {
            min_soak: Some("a day".into()),
            ..Default::default()
        },
    ];
    let approvals = [
        f.approval(1, ALICE, "manager"),
        f.approval(2, CAROL, "qa"),
        f.approval_by(3, EVE, "mallory@example.com", "qa", &f.target),
    ];
    let mut seen = 0;
    let mut fixes = 0;
    for policy in &policies {
        for via in [
            None,
            Some(Via::Promotion),
            Some(Via::Rollback),
            Some(Via::Record),
            Some(Via::Observed),
            Some(Via::Drift),
        ] {
            for actor in [None, Some(BOB)] {
                for approvals in [&approvals[..0], &approvals[..]] {
                    for entered in [None, Some(t(0)), Some(t(29))] {
                        let e = evaluate(&PolicyInput {
                            approvals,
                            previous_via: via,
                            previous_actor: actor,
                            entered_previous: entered,
                            ..input(&f, policy)
                        });
                        for r in &e.rules {
                            assert_app_facing(&r.reason);
                            seen += 1;
                            fixes += usize::from(r.fix.is_some());
                        }
                        for i in &e.ignored {
                            assert_app_facing(&i.reason);
                        }
                    }
                }
            }
        }
    }
    assert!(seen > 100 && fixes > 10, "{seen} reasons, {fixes} fixes");
}

/// A sentence the app may show: no `--flag`, no `tollgate …` command line, no placeholder.
pub(crate) fn assert_app_facing(text: &str) {
    for bad in [
        "--",
        "`tollgate",
        "REPOSITORY",
        " TEXT",
        " ID",
        "HEX",
        "YOUR-ID",
    ] {
        assert!(!text.contains(bad), "{bad:?} in: {text}");
    }
}
