//! Saying no: signed rejections and unrejections against a real registry and the real OS
//! keychain (run under `scripts/with-keychain.sh`). The gate refuses a rejected digest (and the
//! registry shows nothing moved, read with `skopeo`), the scope covers an environment and the
//! later ones, the reason and a role are required, CI identities may not, and every rejection
//! verifies with the real `ssh-keygen -Y verify` against the allowed_signers Tollgate exports.

use std::process::Command;

use tollgate::api::{self, Context, ExportFormat, ExportRequest, RejectRequest};
use tollgate::domain::EventKind;
use tollgate::policy::Rule;
use tollgate::Code;

use tollgate_testsupport::signed::{at, rt, t0, SignedWorkspace};
use tollgate_testsupport::skopeo::skopeo_retag;

/// The ids the tests use, with fresh keys in the keychain.
struct Names {
    a: String,
    b: String,
    /// qa: staging's policy names it.
    quinn: String,
    /// manager: production's policy names it.
    alice: String,
    /// ops: no policy names it.
    dave: String,
}

/// Image A in dev and image B under the tag `old`; staging needs a QA approval, production a
/// manager's.
fn fixture(name: &str) -> (SignedWorkspace, Names) {
    let f = SignedWorkspace::builder(
        name,
        &[
            r#"{ name = "dev", tag = "dev" }"#,
            r#"{ name = "staging", tag = "staging", policy = { approvals = 1, roles = ["qa"] } }"#,
            r#"{ name = "production", tag = "production", policy = { approvals = 1, roles = ["manager"] } }"#,
        ],
    )
    .image("dev", &format!("{name}-a"))
    .image("old", &format!("{name}-b"))
    .approver("quinn", &["qa"])
    .approver("alice", &["manager"])
    .approver("dave", &["ops"])
    .build();
    let [a, b] = <[String; 2]>::try_from(f.digests.clone()).unwrap();
    let [quinn, alice, dave] = <[String; 3]>::try_from(f.approvers.clone()).unwrap();
    (
        f,
        Names {
            a,
            b,
            quinn,
            alice,
            dave,
        },
    )
}

fn request(who: &str, digest: &str, env: Option<&str>, reason: &str) -> RejectRequest {
    RejectRequest {
        app: "api".into(),
        digest: digest.into(),
        confirm: digest[7..19].into(),
        reason: reason.into(),
        env: env.map(str::to_string),
        approver: Some(who.into()),
    }
}

fn reject(
    f: &SignedWorkspace,
    ctx: &Context,
    who: &str,
    digest: &str,
    env: Option<&str>,
    reason: &str,
) -> tollgate::Result<api::RejectionReceipt> {
    rt().block_on(api::reject(&f.ws, ctx, request(who, digest, env, reason)))
}

fn unreject(
    f: &SignedWorkspace,
    ctx: &Context,
    who: &str,
    digest: &str,
    env: Option<&str>,
    reason: &str,
) -> tollgate::Result<api::RejectionReceipt> {
    rt().block_on(api::unreject(&f.ws, ctx, request(who, digest, env, reason)))
}

/// The checklist of `digest` into `to`, `hours` after t0.
fn check(f: &SignedWorkspace, hours: i64, to: &str, digest: &str) -> api::PromotionCheck {
    api::check(
        &f.ws,
        t0() + chrono::Duration::hours(hours),
        "api",
        to,
        digest,
    )
    .unwrap()
}

/// The failed `rejected` rule of a checklist, if it has one.
fn rejected(check: &api::PromotionCheck) -> Option<String> {
    check
        .evaluation
        .rules
        .iter()
        .find(|r| r.rule == Rule::Rejected)
        .map(|r| {
            assert!(
                !r.passed && r.blocking,
                "the rule shows only failed and blocking"
            );
            r.reason.clone()
        })
}

#[test]
fn a_rejected_digest_is_refused_until_it_is_unrejected() {
    let (f, n) = fixture("reject-flow");
    f.sync(&at(0));
    f.approve(&at(1), &n.quinn, "staging", &n.a, None).unwrap();
    assert!(check(&f, 1, "staging", &n.a).evaluation.passed);

    let receipt = reject(
        &f,
        &at(2),
        &n.quinn,
        &n.a,
        Some("staging"),
        " crashes on start (INC-7) ",
    )
    .unwrap();
    assert_eq!(receipt.event.kind, EventKind::Rejection);
    assert_eq!(receipt.event.env, "staging");
    assert_eq!(receipt.rejection.reason, "crashes on start (INC-7)");
    assert_eq!(receipt.rejection.role, "qa");
    assert!(receipt.rejection.verified && receipt.rejection.active);
    assert!(receipt.message.contains(r#""kind":"tollgate.rejection""#));

    // The checklist: a failed, blocking `rejected` rule first, naming who, when and why.
    let c = check(&f, 3, "staging", &n.a);
    assert!(!c.evaluation.passed);
    assert_eq!(c.evaluation.rules[0].rule, Rule::Rejected);
    let reason = rejected(&c).expect("the rejected rule");
    for part in [
        n.quinn.as_str(),
        "(qa)",
        "2026-11-02T11:00:00Z",
        "crashes on start (INC-7)",
        "staging and later",
    ] {
        assert!(reason.contains(part), "{part:?} not in: {reason}");
    }
    // The fix is a fact the CLI words with its flags (below); the reason names no command.
    assert!(!reason.contains("tollgate unreject"), "{reason}");
    // The same in the CLI: exit 1, the rule marked FAIL.
    let run = f
        .tmp
        .run(&["check", "--app", "api", "--to", "staging", "--digest", &n.a]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("FAIL rejected")
            && run.stdout.contains("crashes on start (INC-7)")
            && run.stdout.contains("`tollgate unreject --app api --digest"),
        "{}",
        run.stdout
    );

    // promote is refused with one line and nothing moves in the registry.
    let e = f.promote(&at(3), "staging", &n.a, &n.quinn).unwrap_err();
    assert_eq!(e.code, Code::Refused);
    assert!(!e.message.contains('\n'), "one line: {}", e.message);
    assert!(
        e.message.contains("rejected for staging and later"),
        "{}",
        e.message
    );
    let run = f.tmp.run(&[
        "promote", "--app", "api", "--to", "staging", "--digest", &n.a, "--actor", &n.quinn,
    ]);
    run.fails_with(1, &["rejected for staging and later", "crashes on start"]);
    assert_eq!(
        f.tag("payments/api:staging"),
        None,
        "skopeo: no staging tag was written"
    );

    // Lifted by someone else holding a role the covered policies name (alice: manager).
    let lifted = unreject(
        &f,
        &at(4),
        &n.alice,
        &n.a,
        Some("staging"),
        "fixed in the config, not the image",
    )
    .unwrap();
    assert_eq!(lifted.event.kind, EventKind::Unrejection);
    assert_eq!(lifted.rejection.role, "manager");
    assert!(rejected(&check(&f, 5, "staging", &n.a)).is_none());
    f.promote(&at(5), "staging", &n.a, &n.quinn).unwrap();
    assert_eq!(
        f.tag("payments/api:staging").as_deref(),
        Some(n.a.as_str()),
        "skopeo: staging now holds A"
    );
    // The history keeps both, and the detail view shows them.
    let detail = api::digest_detail(&f.ws, "api", &n.a).unwrap();
    let kinds: Vec<(EventKind, bool)> = detail
        .rejections
        .iter()
        .map(|r| (r.kind, r.active))
        .collect();
    assert_eq!(
        kinds,
        [
            (EventKind::Rejection, false),
            (EventKind::Unrejection, false)
        ]
    );
    // Nothing left to lift: a second unreject is refused.
    let e = unreject(&f, &at(6), &n.alice, &n.a, Some("staging"), "again").unwrap_err();
    assert_eq!(e.code, Code::Refused);
    assert!(e.message.contains("not rejected at all"), "{}", e.message);
}

#[test]
fn a_rejection_covers_its_environment_and_the_later_ones_only() {
    let (f, n) = fixture("reject-scope");
    f.sync(&at(0));
    // B runs in dev now, A ran there before.
    skopeo_retag(&f.reg, "payments/api:old", "payments/api:dev");
    f.record(&at(1), "dev", &n.b);

    reject(&f, &at(2), &n.quinn, &n.a, Some("staging"), "leaks memory").unwrap();
    assert!(rejected(&check(&f, 3, "staging", &n.a)).is_some());
    assert!(rejected(&check(&f, 3, "production", &n.a)).is_some());
    assert!(
        rejected(&check(&f, 3, "staging", &n.b)).is_none(),
        "only that digest"
    );
    // dev is not covered: rolling dev back to A goes ahead.
    f.rollback(&at(3), "dev", &n.a, &n.quinn).unwrap();
    assert_eq!(f.tag("payments/api:dev").as_deref(), Some(n.a.as_str()));

    // Rejected for production only: staging is open again once staging's rejection is lifted.
    reject(
        &f,
        &at(4),
        &n.alice,
        &n.a,
        Some("production"),
        "not for customers",
    )
    .unwrap();
    unreject(
        &f,
        &at(5),
        &n.quinn,
        &n.a,
        Some("staging"),
        "fine for testing",
    )
    .unwrap();
    assert!(rejected(&check(&f, 6, "staging", &n.a)).is_none());
    let prod = rejected(&check(&f, 6, "production", &n.a)).unwrap();
    assert!(
        prod.contains("production and later") && prod.contains("not for customers"),
        "{prod}"
    );
    // An unrejection lifts exactly its scope: lifting "every environment" is refused here.
    let e = unreject(&f, &at(6), &n.alice, &n.a, None, "all").unwrap_err();
    assert!(
        e.message
            .contains("it is rejected for production and later"),
        "{}",
        e.message
    );

    // Without --env, every environment: dev too, so a rollback of dev to A is refused.
    skopeo_retag(&f.reg, "payments/api:old", "payments/api:dev");
    f.record(&at(7), "dev", &n.b);
    reject(&f, &at(8), &n.quinn, &n.a, None, "security advisory GHSA-1").unwrap();
    let e = f.rollback(&at(9), "dev", &n.a, &n.quinn).unwrap_err();
    assert_eq!(e.code, Code::Refused);
    assert!(!e.message.contains('\n'), "one line: {}", e.message);
    assert!(
        e.message.contains("every environment") && e.message.contains("GHSA-1"),
        "{}",
        e.message
    );
    assert_eq!(
        f.tag("payments/api:dev").as_deref(),
        Some(n.b.as_str()),
        "dev still holds B"
    );
    let all = api::rejections(&f.ws, "api", None).unwrap();
    let in_force: Vec<Option<&str>> = all
        .iter()
        .filter(|r| r.active)
        .map(|r| r.env.as_deref())
        .collect();
    assert_eq!(in_force, [Some("production"), None]);
}

#[test]
fn a_reason_and_a_role_are_required_and_ci_may_not_reject() {
    let (f, n) = fixture("reject-refusals");
    f.sync(&at(0));
    let before = f.tmp.event_count();
    for bad in ["", "   ", "two\nlines", &"x".repeat(501)] {
        let e = reject(&f, &at(1), &n.quinn, &n.a, None, bad).unwrap_err();
        assert_eq!(e.code, Code::BadInput, "{bad:?}: {}", e.message);
    }
    // dave holds ops, which no policy names.
    let e = reject(&f, &at(1), &n.dave, &n.a, None, "no").unwrap_err();
    assert_eq!(e.code, Code::Refused);
    assert!(
        e.message.contains("holds no role") && e.message.contains("qa, manager"),
        "{}",
        e.message
    );
    // quinn (qa) may not reject for production alone: its policy names manager only.
    let e = reject(&f, &at(1), &n.quinn, &n.a, Some("production"), "no").unwrap_err();
    assert!(
        e.message.contains("holds no role") && e.message.contains("production"),
        "{}",
        e.message
    );
    // A CI identity ([[signers]]) may not.
    let e = reject(&f, &at(1), "ci@example.com", &n.a, None, "no").unwrap_err();
    assert_eq!(e.code, Code::Refused);
    assert!(e.message.contains("CI identities may not"), "{}", e.message);
    // The confirmation must repeat the digest's first 12 hex digits.
    let mut wrong = request(&n.quinn, &n.a, None, "no");
    wrong.confirm = "000000000000".into();
    assert_eq!(
        rt().block_on(api::reject(&f.ws, &at(1), wrong))
            .unwrap_err()
            .code,
        Code::BadInput
    );
    // Unknown environment, and a digest the history never saw.
    let e = reject(&f, &at(1), &n.quinn, &n.a, Some("qa"), "no").unwrap_err();
    assert_eq!(e.code, Code::BadInput);
    let never = format!("sha256:{}", "e".repeat(64));
    let e = reject(&f, &at(1), &n.quinn, &never, None, "no").unwrap_err();
    assert!(e.message.contains("never ran"), "{}", e.message);
    assert_eq!(f.tmp.event_count(), before, "nothing was appended");

    // The CLI: one line, exit 2 without a reason; exit 1 without a role.
    let cli_reject = |reason: &str, who: &str, more: &[&str]| {
        let mut args = vec![
            "reject",
            "--app",
            "api",
            "--digest",
            &n.a,
            "--confirm",
            &n.a[7..19],
            "--reason",
            reason,
            "--approver",
            who,
        ];
        args.extend_from_slice(more);
        f.tmp.run(&args)
    };
    cli_reject("", &n.quinn, &[]).fails_with(2, &["reason is empty"]);
    cli_reject("no", &n.dave, &[]).fails_with(1, &["holds no role"]);
    let run = cli_reject("broken", &n.quinn, &["--env", "staging", "--json"]);
    run.ok();
    assert_eq!(run.json()["rejection"]["env"], "staging");
    // Twice the same scope is refused.
    let e = reject(&f, &at(2), &n.alice, &n.a, Some("staging"), "again").unwrap_err();
    assert!(e.message.contains("already rejected"), "{}", e.message);
}

#[test]
fn rejections_verify_with_ssh_keygen_and_in_verify_and_exports() {
    let (f, n) = fixture("reject-verify");
    f.sync(&at(0));
    reject(
        &f,
        &at(1),
        &n.quinn,
        &n.a,
        Some("staging"),
        "fails the smoke test",
    )
    .unwrap();
    unreject(
        &f,
        &at(2),
        &n.alice,
        &n.a,
        Some("staging"),
        "smoke test fixed",
    )
    .unwrap();
    reject(
        &f,
        &at(3),
        &n.alice,
        &n.a,
        None,
        "CVE-2026-0001 in the base image",
    )
    .unwrap();

    // `tollgate verify`: every rejection signature checked against tollgate.toml's keys.
    let v = api::verify(&f.ws).unwrap();
    assert!(v.ok(), "{:?}", v.problems);
    assert_eq!(v.rejections, 3);

    // The JSON export: the rejections with their signed bytes, verified offline.
    let json = f.tmp.path().join("audit.json");
    api::export(
        &f.ws,
        &tollgate_testsupport::signed::ctx_at(t0() + chrono::Duration::hours(4)),
        ExportRequest::everything(ExportFormat::Json, &json),
    )
    .unwrap();
    let checked = api::verify_report(&json, None, true).unwrap();
    assert!(checked.ok(), "{:?}", checked.problems);
    assert_eq!(
        (checked.rejections, checked.rejection_signatures_verified),
        (3, 3)
    );
    assert!(
        checked.anchored_seq > 0,
        "rejections sign the chain head too"
    );

    // ssh-keygen -Y verify against the allowed_signers text the export carries.
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let signers = dir.path().join("allowed_signers");
    std::fs::write(&signers, report["allowed_signers"].as_str().unwrap()).unwrap();
    let events: Vec<&serde_json::Value> = report["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| matches!(e["kind"].as_str(), Some("rejection" | "unrejection")))
        .collect();
    assert_eq!(events.len(), 3);
    for (i, e) in events.iter().enumerate() {
        let msg = dir.path().join(format!("m{i}"));
        let sig = dir.path().join(format!("m{i}.sig"));
        std::fs::write(&msg, e["data"]["message"].as_str().unwrap()).unwrap();
        std::fs::write(&sig, e["data"]["signature"].as_str().unwrap()).unwrap();
        let ssh = |signers: &std::path::Path, id: &str| {
            Command::new("ssh-keygen")
                .args(["-Y", "verify", "-f"])
                .arg(signers)
                .args(["-I", id, "-n", "tollgate-approval", "-s"])
                .arg(&sig)
                .stdin(std::fs::File::open(&msg).unwrap())
                .output()
                .expect("ssh-keygen (openssh-client) is installed")
        };
        let out = ssh(&signers, e["actor"].as_str().unwrap());
        assert!(
            out.status.success(),
            "ssh-keygen -Y verify refused event {}: {}",
            e["seq"],
            String::from_utf8_lossy(&out.stderr)
        );
        // Altered by one character, it no longer verifies.
        let text = e["data"]["message"]
            .as_str()
            .unwrap()
            .replace("staging", "stagin9")
            .replace("CVE", "CVF");
        std::fs::write(&msg, text).unwrap();
        assert!(!ssh(&signers, e["actor"].as_str().unwrap()).status.success());
    }

    // A reason altered in the report, everywhere it is written, is named: its signature no
    // longer verifies.
    let lifted_seq = events[1]["seq"].as_i64().unwrap();
    let text = std::fs::read_to_string(&json)
        .unwrap()
        .replace("smoke test fixed", "all fine!!!!!!!");
    let altered = f.tmp.path().join("altered.json");
    std::fs::write(&altered, text).unwrap();
    let checked = api::verify_report(&altered, None, true).unwrap();
    assert_eq!(checked.rejection_signatures_verified, 2);
    assert!(
        checked
            .problems
            .iter()
            .any(|p| p.seq == Some(lifted_seq) && p.message.contains("does not verify")),
        "{:?}",
        checked.problems
    );

    // CSV rows and the PDF section.
    let csv = f.tmp.path().join("audit.csv");
    api::export(
        &f.ws,
        &tollgate_testsupport::signed::ctx_at(t0() + chrono::Duration::hours(4)),
        ExportRequest::everything(ExportFormat::Csv, &csv),
    )
    .unwrap();
    let mut reader = ::csv::Reader::from_path(&csv).unwrap();
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<::csv::StringRecord> = reader
        .records()
        .map(Result::unwrap)
        .filter(|r| r[col("kind")].ends_with("rejection"))
        .collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(&rows[0][col("reason")], "fails the smoke test");
    assert_eq!(&rows[0][col("env")], "staging");
    assert_eq!(&rows[1][col("kind")], "unrejection");
    assert_eq!(&rows[2][col("env")], "", "every environment");
    assert_eq!(&rows[2][col("role")], "manager");

    let pdf = f.tmp.path().join("audit.pdf");
    api::export(
        &f.ws,
        &tollgate_testsupport::signed::ctx_at(t0() + chrono::Duration::hours(4)),
        ExportRequest::everything(ExportFormat::Pdf, &pdf),
    )
    .unwrap();
    let out = Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for part in [
        "Rejected digests",
        "REJECTED",
        "LIFTED",
        "fails the smoke test",
        "every environment",
    ] {
        assert!(text.contains(part), "{part:?} not in the PDF text");
    }
}
