//! Signed approvals, policy gates, promotion and rollback against a real registry and the real
//! OS keychain. Library-level tests pass the clock in; CLI-level tests kill -9 the real binary.

use tollgate::api::{self, ApproveRequest, Context};
use tollgate::Code;

use tollgate_testsupport::signed::{at, production_check, SignedWorkspace, APPROVAL_NOTE};
use tollgate_testsupport::skopeo::skopeo_retag;

/// What the tests call the digests of images A and B and the approvers (with fresh keys in the
/// real keychain, unique ids per test).
struct Names {
    a: String,
    b: String,
    alice: String,
    quinn: String,
    bob: String,
}

/// Image A in dev and image B under the tag `old`; staging needs one QA approval, production
/// (in another repository) a manager's and a QA's, 24 hours in staging and four eyes.
fn fixture() -> (SignedWorkspace, Names) {
    let f = SignedWorkspace::builder(
        "promote",
        &[
            r#"{ name = "dev", tag = "dev" }"#,
            r#"{ name = "staging", tag = "staging", policy = { approvals = 1, roles = ["qa"] } }"#,
            r#"{ name = "production", tag = "production", repository = "local/prod/api", policy = { approvals = 2, roles = ["manager", "qa"], min_soak = "24h", four_eyes = true } }"#,
        ],
    )
    .image("dev", "promote-a")
    .image("old", "promote-b")
    .approver("alice", &["manager"])
    .approver("quinn", &["qa"])
    .approver("bob", &["qa", "manager"])
    .build();
    let [a, b] = <[String; 2]>::try_from(f.digests.clone()).unwrap();
    let [alice, quinn, bob] = <[String; 3]>::try_from(f.approvers.clone()).unwrap();
    let names = Names {
        a,
        b,
        alice,
        quinn,
        bob,
    };
    (f, names)
}

/// Sync at hour 0; quinn approves A for staging at hour 1 and `actor` promotes it at hour 2.
fn sync_then_a_into_staging(f: &SignedWorkspace, n: &Names, actor: &str) {
    f.sync(&at(0));
    f.approve(&at(1), &n.quinn, "staging", &n.a, None).unwrap();
    f.promote(&at(2), "staging", &n.a, actor).unwrap();
}

/// Every approval in the history verifies with the real `ssh-keygen -Y verify`.
fn ssh_keygen_verifies_every_approval(f: &SignedWorkspace) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let signers = dir.path().join("allowed_signers");
    std::fs::write(
        &signers,
        tollgate::signing::allowed_signers(&f.ws.config.approvers),
    )
    .unwrap();
    let store = tollgate::store::Store::open(&f.ws.db_path).unwrap();
    let approvals: Vec<_> = store
        .events(&Default::default())
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == tollgate::domain::EventKind::Approval)
        .collect();
    let mut n = 0;
    for e in approvals {
        let message = e.data["message"].as_str().unwrap();
        let signature = e.data["signature"].as_str().unwrap();
        let msg = dir.path().join(format!("m{n}"));
        let sig = dir.path().join(format!("m{n}.sig"));
        std::fs::write(&msg, message).unwrap();
        std::fs::write(&sig, signature).unwrap();
        let status = std::process::Command::new("ssh-keygen")
            .args(["-Y", "verify", "-f"])
            .arg(&signers)
            .args([
                "-I",
                e.actor.as_deref().unwrap(),
                "-n",
                "tollgate-approval",
                "-s",
            ])
            .arg(&sig)
            .stdin(std::fs::File::open(&msg).unwrap())
            .output()
            .unwrap();
        assert!(
            status.status.success(),
            "ssh-keygen -Y verify refused approval {}: {}",
            e.seq,
            String::from_utf8_lossy(&status.stderr)
        );
        n += 1;
    }
    n
}

#[test]
fn dev_to_staging_to_production_with_roles_and_soak() {
    let (f, n) = fixture();
    f.sync(&at(0));

    // dev → staging: one QA approval.
    let r = f.approve(&at(1), &n.quinn, "staging", &n.a, None).unwrap();
    assert!(r.fingerprint.starts_with("SHA256:"));
    let out = f.promote(&at(2), "staging", &n.a, "release-bot").unwrap();
    assert_eq!(
        f.tag("payments/api:staging").as_deref(),
        Some(n.a.as_str()),
        "skopeo sees the promoted digest"
    );
    assert!(out.snippets.kubectl.contains(&format!("@{}", n.a)));
    assert!(out.snippets.compose.starts_with("image: ") && out.snippets.compose.ends_with(&n.a));

    // The overview shows A waiting for production, with nobody's approval yet.
    let overview = api::overview(&f.ws, &at(3)).unwrap();
    let prod = overview
        .cells
        .iter()
        .find(|c| c.status.env == "production")
        .unwrap();
    let waiting = prod.candidate.as_ref().expect("A waits for production");
    assert_eq!(waiting.digest.as_str(), n.a);
    assert!(!waiting.evaluation.passed && waiting.evaluation.counted.is_empty());
    assert!(overview
        .cells
        .iter()
        .find(|c| c.status.env == "staging")
        .unwrap()
        .candidate
        .is_none());

    // staging → production (another repository): manager + QA, 24h soak.
    f.approve(&at(3), &n.alice, "production", &n.a, None)
        .unwrap();
    f.approve(&at(3), &n.quinn, "production", &n.a, None)
        .unwrap();
    let early = f
        .promote(&at(4), "production", &n.a, "release-bot")
        .unwrap_err();
    assert_eq!(early.code, Code::Refused);
    assert!(early.message.contains("min_soak"), "{}", early.message);
    assert_eq!(
        f.tag("prod/api:production"),
        None,
        "nothing pushed when refused"
    );

    let check = production_check(&f.ws, 27, &n.a);
    assert!(check.evaluation.passed, "{:?}", check.evaluation);
    let out = f
        .promote(&at(27), "production", &n.a, "release-bot")
        .unwrap();
    assert_eq!(f.tag("prod/api:production").as_deref(), Some(n.a.as_str()));
    assert_eq!(out.promotion.approvals.len(), 2);

    let tl = api::timeline(&f.ws, "api", None).unwrap();
    let vias: Vec<_> = tl
        .iter()
        .map(|s| (s.env.as_str(), format!("{:?}", s.via)))
        .collect();
    assert!(
        vias.contains(&("staging", "Promotion".into()))
            && vias.contains(&("production", "Promotion".into())),
        "{vias:?}"
    );
    assert_eq!(ssh_keygen_verifies_every_approval(&f), 3);
    let detail = api::digest_detail(&f.ws, "api", &n.a).unwrap();
    assert_eq!(detail.approvals.len(), 3);
    assert!(detail
        .approvals
        .iter()
        .all(|a| a.verified && a.consumed && a.fingerprint.starts_with("SHA256:")));
    assert_eq!(
        detail
            .stays
            .iter()
            .map(|s| s.env.as_str())
            .collect::<Vec<_>>(),
        ["dev", "staging", "production"]
    );
    assert!(detail.image.as_ref().is_some_and(|i| i.created.is_some()));
    assert_eq!(detail.snippets.len(), 3);
    // A second promotion with the same (now consumed) approvals is refused.
    let again = f
        .promote(&at(28), "production", &n.a, "release-bot")
        .unwrap_err();
    assert!(again.message.contains("approvals"), "{}", again.message);
    let verified = api::verify(&f.ws).unwrap();
    assert!(verified.ok(), "{verified:?}");
    assert_eq!(verified.approvals, 3);
}

#[test]
fn refusals_each_say_why_and_push_nothing() {
    let (f, n) = fixture();
    // Put A into staging (bob promotes, so bob may not approve it for production).
    sync_then_a_into_staging(&f, &n, &n.bob);

    // Tag-only and malformed input.
    assert_eq!(
        f.promote(&at(30), "production", "dev", "x")
            .unwrap_err()
            .code,
        Code::InvalidReference
    );
    let bad_confirm = tollgate_testsupport::signed::rt()
        .block_on(api::approve(
            &f.ws,
            &at(30),
            ApproveRequest {
                app: "api".into(),
                to: "production".into(),
                digest: n.a.clone(),
                confirm: "000000000000".into(),
                role: None,
                note: None,
                approver: Some(n.alice.clone()),
            },
        ))
        .unwrap_err();
    assert_eq!(bad_confirm.code, Code::BadInput);
    assert!(bad_confirm.message.contains(&n.a[7..19]));

    // Valid key, wrong role.
    let e = f
        .approve(&at(30), &n.quinn, "production", &n.a, Some("manager"))
        .unwrap_err();
    assert_eq!(e.code, Code::Refused);
    assert!(
        e.message.contains("does not hold role 'manager'"),
        "{}",
        e.message
    );

    // Not enough approvers, and the missing role.
    f.approve(&at(30), &n.quinn, "production", &n.a, None)
        .unwrap();
    let e = f
        .promote(&at(30), "production", &n.a, "release-bot")
        .unwrap_err();
    assert!(
        e.message.contains("approvals") && e.message.contains("roles"),
        "{}",
        e.message
    );

    // Four-eyes: bob put A into staging; his approval does not count.
    f.approve(&at(30), &n.bob, "production", &n.a, Some("manager"))
        .unwrap();
    let e = f
        .promote(&at(31), "production", &n.a, "release-bot")
        .unwrap_err();
    assert!(
        e.message.contains("four-eyes") || e.message.contains("four_eyes"),
        "{}",
        e.message
    );

    // Replay: approvals for another digest or another environment do not count.
    let for_staging = f
        .approve(&at(31), &n.alice, "staging", &n.a, Some("manager"))
        .unwrap();
    let check = production_check(&f.ws, 31, &n.a);
    assert!(!check.evaluation.passed);
    assert!(
        !check.evaluation.counted.contains(&for_staging.event.seq),
        "an approval for staging never counts for production"
    );
    // An approval of A never counts for B (B never ran in staging at all: refused outright).
    let e = f
        .promote(&at(31), "production", &n.b, "release-bot")
        .unwrap_err();
    assert!(e.message.contains("never ran"), "{}", e.message);
    assert_eq!(
        f.tag("prod/api:production"),
        None,
        "nothing was pushed by any refusal"
    );

    // Unknown key: the approver's listed key changes (a key rotation nobody signed with).
    f.approve(&at(32), &n.alice, "production", &n.a, None)
        .unwrap();
    let check = production_check(&f.ws, 32, &n.a);
    assert!(check.evaluation.passed, "{:?}", check.evaluation);
    let rotated = f.rotate_key(&n.alice);
    let check = production_check(&rotated, 32, &n.a);
    assert!(!check.evaluation.passed);
    assert!(
        check
            .evaluation
            .ignored
            .iter()
            .any(|i| i.approver == n.alice),
        "{:?}",
        check.evaluation.ignored
    );
    f.restore_config();

    // Forged signature: alter a stored signature behind the store's back.
    f.tmp.drop_append_only_triggers();
    let seq = f.tmp.sqlite(&format!(
        "SELECT max(seq) FROM events WHERE kind='approval' AND actor='{}'",
        n.alice
    ));
    f.tmp.sqlite(&format!("UPDATE events SET data = json_set(data, '$.message', replace(json_extract(data, '$.message'), '{APPROVAL_NOTE}', 'looks fine')) WHERE seq = {seq}"));
    let e = f
        .promote(&at(33), "production", &n.a, "release-bot")
        .unwrap_err();
    assert!(
        e.message.contains("approvals") || e.message.contains("roles"),
        "{}",
        e.message
    );
    assert_eq!(f.tag("prod/api:production"), None);
    let verified = api::verify(&f.ws).unwrap();
    assert!(
        verified
            .problems
            .iter()
            .any(|p| p.seq.map(|s| s.to_string()).as_deref() == Some(seq.as_str())),
        "the altered approval is named: {verified:?}"
    );
    assert!(
        verified.chain.broken.is_some(),
        "the chain notices the edit too"
    );
}

#[test]
fn rollback_returns_to_an_earlier_digest_with_the_same_gates() {
    let (f, n) = fixture();
    sync_then_a_into_staging(&f, &n, "release-bot");
    // B reaches dev and then staging.
    skopeo_retag(&f.reg, "payments/api:old", "payments/api:dev");
    f.record(&at(3), "dev", &n.b);
    f.approve(&at(4), &n.quinn, "staging", &n.b, None).unwrap();
    f.promote(&at(5), "staging", &n.b, "release-bot").unwrap();
    assert_eq!(f.tag("payments/api:staging").as_deref(), Some(n.b.as_str()));

    let rb = |h| f.rollback(&at(h), "staging", &n.a, "release-bot");
    // The earlier approval of A for staging was consumed by the first promotion.
    let e = rb(6).unwrap_err();
    assert!(e.message.contains("approvals"), "{}", e.message);
    assert_eq!(f.tag("payments/api:staging").as_deref(), Some(n.b.as_str()));
    f.approve(&at(6), &n.quinn, "staging", &n.a, None).unwrap();
    let out = rb(7).unwrap();
    assert_eq!(out.promotion.kind, tollgate::domain::EventKind::Rollback);
    assert_eq!(f.tag("payments/api:staging").as_deref(), Some(n.a.as_str()));
    let last = api::timeline(&f.ws, "api", Some("staging"))
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(
        (last.digest.as_str(), last.via),
        (n.a.as_str(), tollgate::domain::Via::Rollback)
    );
    // A digest that never ran there is refused.
    let never = format!("sha256:{}", "1".repeat(64));
    let e = f.rollback(&at(8), "staging", &never, "x").unwrap_err();
    assert!(e.message.contains("never ran"), "{}", e.message);
}

/// `kill -9` the real CLI right after each journalled step; the next start finishes or cleanly
/// fails the promotion, no approval is lost or used twice, and the history matches the registry.
#[test]
fn a_promotion_killed_at_any_step_is_finished_or_failed_on_the_next_start() {
    for step in ["intended", "pushed", "verified"] {
        let (f, n) = fixture();
        let cli = |args: &[&str], env: &[(&str, &str)]| {
            let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_tollgate"));
            cmd.arg("--config")
                .arg(f.tmp.config())
                .args(args)
                .env("TOLLGATE_ACTOR", "release-bot");
            for (k, v) in env {
                cmd.env(k, v);
            }
            cmd.output().unwrap()
        };
        assert!(cli(&["sync"], &[]).status.success());
        f.approve(&Context::system(), &n.quinn, "staging", &n.a, None)
            .unwrap();
        let promote_a = [
            "promote", "--app", "api", "--to", "staging", "--digest", &n.a,
        ];
        let killed = cli(&promote_a, &[("TOLLGATE_TEST_KILL_AT", step)]);
        assert_eq!(
            killed.status.code(),
            None,
            "{step}: killed by a signal: {killed:?}"
        );
        let open = f.tmp.sqlite("SELECT state FROM promotions");
        assert_eq!(open, step, "journal at the step it died in");

        let next = cli(&["status"], &[]);
        assert!(next.status.success(), "{step}: {next:?}");
        let state = f.tmp.sqlite("SELECT state FROM promotions WHERE id = 1");
        let promotions = f
            .tmp
            .sqlite("SELECT count(*) FROM events WHERE kind = 'promotion'");
        let registry = f.tag("payments/api:staging");
        match step {
            "intended" => {
                assert_eq!((state.as_str(), promotions.as_str()), ("failed", "0"));
                assert_eq!(registry, None, "nothing published, nothing claimed");
                // The approval was released, not lost: the promotion can run again.
                let again = cli(&promote_a, &[]);
                assert!(again.status.success(), "{again:?}");
                assert_eq!(f.tag("payments/api:staging").as_deref(), Some(n.a.as_str()));
            }
            _ => {
                assert_eq!(
                    (state.as_str(), promotions.as_str()),
                    ("recorded", "1"),
                    "{step}"
                );
                assert_eq!(
                    registry.as_deref(),
                    Some(n.a.as_str()),
                    "the history claims only what the registry shows"
                );
                // The approval is consumed: a second promotion with it is refused.
                let again = cli(&promote_a, &[]);
                assert_eq!(again.status.code(), Some(1), "{again:?}");
            }
        }
        assert!(cli(&["verify"], &[]).status.success());
    }
}
