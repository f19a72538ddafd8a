//! Emergency rollbacks (`rollback = { approvals = N }`): against a real registry, the real OS
//! keychain, the real `tollgate` binary and `ssh-keygen -Y verify`.

use std::process::Command;

use serde_json::Value;
use tollgate::api::{self, ExportFormat};
use tollgate::Code;

use tollgate_testsupport::signed::{at, ctx_at, production_check, t0, SignedWorkspace};
use tollgate_testsupport::skopeo::skopeo_retag;

const REASON: &str = "checkout is down since 14:02";

/// Image A in dev, B under `old`, C under `c`, D under `d`; production needs two approvals,
/// or one for an emergency rollback. alice and bob approve (role `ops`, which the policy does
/// not name).
fn fixture(name: &str) -> (SignedWorkspace, [String; 4], [String; 2]) {
    let f = SignedWorkspace::builder(
        name,
        &[
            r#"{ name = "dev", tag = "dev" }"#,
            r#"{ name = "production", tag = "production", policy = { approvals = 2, rollback = { approvals = 1 } } }"#,
        ],
    )
    .image("dev", "emergency-a")
    .image("old", "emergency-b")
    .image("c", "emergency-c")
    .image("d", "emergency-d")
    .approver("alice", &["ops"])
    .approver("bob", &["ops"])
    .build();
    let digests = <[String; 4]>::try_from(f.digests.clone()).unwrap();
    let people = <[String; 2]>::try_from(f.approvers.clone()).unwrap();
    (f, digests, people)
}

/// `ssh-keygen -Y verify` of a signed event message by `id` against the approvers' keys.
fn ssh_keygen_accepts(f: &SignedWorkspace, id: &str, message: &str, signature: &str) -> bool {
    let dir = tempfile::tempdir().unwrap();
    let signers = tollgate::signing::allowed_signers(&f.ws.config.approvers);
    std::fs::write(dir.path().join("allowed_signers"), signers).unwrap();
    std::fs::write(dir.path().join("msg"), message).unwrap();
    std::fs::write(dir.path().join("msg.sig"), signature).unwrap();
    Command::new("ssh-keygen")
        .args(["-Y", "verify", "-f", "allowed_signers", "-I", id])
        .args(["-n", "tollgate-approval", "-s", "msg.sig"])
        .current_dir(dir.path())
        .stdin(std::fs::File::open(dir.path().join("msg")).unwrap())
        .output()
        .unwrap()
        .status
        .success()
}

fn problems(lines: impl IntoIterator<Item = String>) -> Vec<String> {
    lines.into_iter().collect()
}

#[test]
fn an_emergency_rollback_passes_with_fewer_approvals_and_a_reason_on_the_record() {
    let (f, [a, b, ..], [alice, bob]) = fixture("emergency");
    f.sync(&at(0));
    for who in [&alice, &bob] {
        f.approve(&at(1), who, "production", &a, None).unwrap();
    }
    f.promote(&at(2), "production", &a, "release-bot").unwrap();
    skopeo_retag(&f.reg, "payments/api:old", "payments/api:dev");
    f.record(&at(3), "dev", &b);
    for who in [&alice, &bob] {
        f.approve(&at(4), who, "production", &b, None).unwrap();
    }
    f.promote(&at(5), "production", &b, "release-bot").unwrap();
    assert_eq!(
        f.tag("payments/api:production").as_deref(),
        Some(b.as_str())
    );

    // One approval of A: a forward promotion still needs two, whatever the rollback rule says.
    f.approve(&at(6), &alice, "production", &a, None).unwrap();
    let e = f
        .promote(&at(7), "production", &a, "release-bot")
        .unwrap_err();
    assert_eq!(e.code, Code::Refused, "{}", e.message);
    assert!(
        e.message.contains("needs 2 distinct approvers"),
        "{}",
        e.message
    );
    let check = production_check(&f.ws, 7, &a);
    assert!(!check.evaluation.passed);
    let emergency = check.emergency.expect("the emergency checklist");
    assert_eq!(emergency.approvals_needed, 1);
    assert!(emergency.evaluation.passed, "{:?}", emergency.evaluation);

    let shown = f.tmp.run(&[
        "check",
        "--app",
        "api",
        "--to",
        "production",
        "--digest",
        &a,
    ]);
    assert_eq!(shown.code, 1, "{}", shown.stderr);
    assert!(
        shown.stdout.contains(
            "as a rollback: an emergency rollback (rollback = { approvals = 1 }) would pass"
        ),
        "{}",
        shown.stdout
    );

    // As a rollback it passes only under the emergency rule, so the CLI wants a reason.
    let args = [
        "rollback",
        "--app",
        "api",
        "--env",
        "production",
        "--digest",
        a.as_str(),
    ];
    let line = f
        .tmp
        .run_bare_as(&args, &alice)
        .fails_with(2, &["emergency rollback", "--reason", "approvals = 1"]);
    assert!(line.contains(&a), "{line}");
    assert_eq!(
        f.tag("payments/api:production").as_deref(),
        Some(b.as_str())
    );

    let mut with_reason = args.to_vec();
    with_reason.extend(["--reason", REASON, "--json"]);
    let run = f.tmp.run_bare_as(&with_reason, &alice);
    run.ok();
    let out = run.json();
    assert_eq!(out["promotion"]["emergency_reason"], REASON);
    let event = &out["event"];
    assert_eq!(
        (&event["data"]["emergency"], &event["data"]["reason"]),
        (&Value::Bool(true), &Value::from(REASON))
    );
    // skopeo sees the tag back on the earlier digest.
    assert_eq!(
        f.tag("payments/api:production").as_deref(),
        Some(a.as_str())
    );

    // The signed message is version 3 with emergency and the reason; stock ssh-keygen
    // verifies it.
    let message = event["data"]["message"].as_str().unwrap();
    let m: Value = serde_json::from_str(message).unwrap();
    assert_eq!(
        (&m["v"], &m["kind"], &m["emergency"], &m["reason"]),
        (
            &Value::from(3),
            &Value::from("tollgate.rollback"),
            &Value::Bool(true),
            &Value::from(REASON)
        )
    );
    assert!(ssh_keygen_accepts(
        &f,
        &alice,
        message,
        event["data"]["signature"].as_str().unwrap()
    ));

    // status and timeline say so, in JSON and to people.
    let status = f.tmp.run(&["status"]);
    let line = status
        .ok()
        .stdout
        .lines()
        .find(|l| l.starts_with("api") && l.contains("production"))
        .map(str::to_string);
    assert!(
        line.as_deref().is_some_and(|l| l.contains("EMERGENCY")),
        "{}",
        status.stdout
    );
    let human = f
        .tmp
        .run(&["timeline", "--app", "api", "--env", "production"]);
    assert!(
        human.ok().stdout.contains("rollback EMERGENCY"),
        "{}",
        human.stdout
    );
    let row = f.tmp.status_row("production");
    assert_eq!(
        (&row["emergency"], &row["reason"]),
        (&Value::Bool(true), &Value::from(REASON))
    );
    let timeline = f
        .tmp
        .run(&["timeline", "--app", "api", "--env", "production", "--json"]);
    timeline.ok();
    let segments = timeline.json();
    let segments = segments.as_array().unwrap();
    let marked: Vec<bool> = segments
        .iter()
        .map(|s| s["emergency"] == Value::Bool(true))
        .collect();
    assert_eq!(marked, [false, false, true], "{segments:?}");
    assert!(
        segments[0].get("emergency").is_none(),
        "only added where true"
    );

    // The database and its JSON export verify; the CSV marks it.
    let verified = api::verify(&f.ws).unwrap();
    assert!(verified.ok(), "{:?}", verified.problems);
    let path = f.tmp.path().join("emergency.json");
    api::export(
        &f.ws,
        &ctx_at(t0() + chrono::Duration::days(60)),
        api::ExportRequest::everything(ExportFormat::Json, &path),
    )
    .unwrap();
    let report = api::verify_report(&path, None, true).unwrap();
    assert!(report.ok(), "{:?}", report.problems);
    let csv = f.tmp.path().join("emergency.csv");
    api::export(
        &f.ws,
        &ctx_at(t0() + chrono::Duration::days(60)),
        api::ExportRequest::everything(ExportFormat::Csv, &csv),
    )
    .unwrap();
    let csv = std::fs::read_to_string(csv).unwrap();
    assert!(csv.lines().next().unwrap().ends_with(",emergency"), "{csv}");
    let rollback_row = csv.lines().find(|l| l.contains(",rollback,")).unwrap();
    assert!(
        rollback_row.ends_with(",true") && rollback_row.contains(REASON),
        "{rollback_row}"
    );

    // The PDF marks the row and counts it in the summary per app.
    let pdf = f.tmp.path().join("emergency.pdf");
    api::export(
        &f.ws,
        &ctx_at(t0() + chrono::Duration::days(60)),
        api::ExportRequest::everything(ExportFormat::Pdf, &pdf),
    )
    .unwrap();
    let text = Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    assert!(text.status.success());
    let text = String::from_utf8_lossy(&text.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        text.contains("EMERGENCY ROLLBACK")
            && text.contains("1 emergency")
            && text.contains("checkout is down"),
        "{text}"
    );

    // Claimed where the rule does not allow it: a tollgate.toml without the rollback rule, and
    // a report whose stated policy lacks it, both fail.
    let seq = event["seq"].as_i64().unwrap();
    let toml = std::fs::read_to_string(f.tmp.config()).unwrap();
    std::fs::write(
        f.tmp.config(),
        toml.replace(", rollback = { approvals = 1 }", ""),
    )
    .unwrap();
    let strict = tollgate::config::Workspace::load(&f.tmp.config(), None).unwrap();
    let lines = problems(
        api::verify(&strict)
            .unwrap()
            .problems
            .into_iter()
            .map(|p| p.message),
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("event {seq}: "))
                && l.contains("sets no rollback = { approvals = N }")),
        "{lines:?}"
    );
    f.restore_config();
    let mut doc: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    doc["policies"]["api"]["production"]["rollback"] = Value::Null;
    let tampered = f.tmp.path().join("tampered.json");
    std::fs::write(&tampered, serde_json::to_vec(&doc).unwrap()).unwrap();
    let report = api::verify_report(&tampered, None, true).unwrap();
    let lines = problems(report.problems.into_iter().map(|p| p.message));
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("event {seq}: "))
                && l.contains("sets no rollback = { approvals = N }")),
        "{lines:?}"
    );
}

#[test]
fn no_emergency_rollback_to_a_stay_begun_by_drift_or_an_unapproved_record() {
    let (f, [a, _, c, d], [alice, bob]) = fixture("emergency-refused");
    f.sync(&at(0));
    f.record(&at(1), "dev", &c);
    f.record(&at(1), "dev", &d);
    for who in [&alice, &bob] {
        f.approve(&at(2), who, "production", &a, None).unwrap();
    }
    f.promote(&at(3), "production", &a, "release-bot").unwrap();
    // D is recorded into production (an unapproved deployment), then C drifts in, then A is
    // recorded back.
    skopeo_retag(&f.reg, "payments/api:d", "payments/api:production");
    f.record(&at(4), "production", &d);
    skopeo_retag(&f.reg, "payments/api:c", "payments/api:production");
    f.sync(&at(5));
    skopeo_retag(&f.reg, "payments/api:dev", "payments/api:production");
    f.record(&at(6), "production", &a);
    let vias: Vec<_> = api::timeline(&f.ws, "api", Some("production"))
        .unwrap()
        .into_iter()
        .map(|s| (s.via, s.unapproved))
        .collect();
    use tollgate::domain::Via;
    assert_eq!(
        vias,
        [
            (Via::Promotion, false),
            (Via::Record, true),
            (Via::Drift, false),
            (Via::Record, true)
        ]
    );

    for digest in [&c, &d] {
        f.approve(&at(7), &alice, "production", digest, None)
            .unwrap();
        assert!(production_check(&f.ws, 8, digest).emergency.is_none());
        let e = f
            .rollback_because(&at(8), "production", digest, &alice, Some(REASON))
            .unwrap_err();
        assert_eq!(e.code, Code::Refused, "{}", e.message);
        assert!(
            e.message.contains("needs 2 distinct approvers"),
            "{}",
            e.message
        );
        assert_eq!(
            f.tag("payments/api:production").as_deref(),
            Some(a.as_str())
        );
    }
}
