//! Drift decided against the history's current segment, unapproved records, and failed
//! promotions that land late: the real CLI against a real `docker-registry`, tags moved with
//! skopeo, the history read back with the real `sqlite3`.

use std::process::Command;

use tollgate::api::Context;

use tollgate_testsupport::images::make_image;
use tollgate_testsupport::process::run;
use tollgate_testsupport::registry::TestRegistry;
use tollgate_testsupport::signed::SignedWorkspace;
use tollgate_testsupport::skopeo::{push, skopeo_digest, skopeo_find_digest, skopeo_retag};
use tollgate_testsupport::workspace::{toml_for, Run, TempWorkspace};

/// A registry with dev = image A and staging = image B (also tagged `old`) in payments/api,
/// nothing in production (local/prod/api); no policies.
fn setup(name: &str) -> (TestRegistry, TempWorkspace, String, String) {
    let reg = TestRegistry::start();
    push(&make_image(&format!("{name}-a")), &reg, "payments/api:dev");
    push(
        &make_image(&format!("{name}-b")),
        &reg,
        "payments/api:staging",
    );
    skopeo_retag(&reg, "payments/api:staging", "payments/api:old");
    let ws = TempWorkspace::new(&toml_for(&reg.url()));
    let a = skopeo_digest(&reg, "payments/api:dev");
    let b = skopeo_digest(&reg, "payments/api:staging");
    assert_ne!(a, b);
    (reg, ws, a, b)
}

fn timeline(ws: &TempWorkspace, env: &str) -> Vec<serde_json::Value> {
    let tl = ws.run(&["timeline", "--app", "api", "--env", env, "--json"]);
    tl.ok();
    tl.json().as_array().unwrap().clone()
}

fn vias(ws: &TempWorkspace, env: &str) -> Vec<(String, String)> {
    timeline(ws, env)
        .iter()
        .map(|s| {
            (
                s["digest"].as_str().unwrap().to_string(),
                s["via"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn record(ws: &TempWorkspace, env: &str, digest: &str) -> Run {
    let image = format!("local/payments/api@{digest}");
    ws.run(&["record", "--app", "api", "--env", env, "--image", &image])
}

fn verify_ok(ws: &TempWorkspace) {
    let v = ws.run(&["verify"]);
    v.ok();
    assert!(v.stdout.contains("chain intact"), "{}", v.stdout);
}

#[test]
fn a_tag_reset_after_a_promotion_is_drift_even_when_the_last_sync_saw_that_digest() {
    let (reg, ws, a, b) = setup("reset");
    ws.run(&["sync"]).ok();
    ws.run(&["promote", "--app", "api", "--to", "staging", "--digest", &a])
        .ok();
    assert_eq!(skopeo_digest(&reg, "payments/api:staging"), a);
    // Someone puts the old digest back before the next sync: the last observation saw B too.
    skopeo_retag(&reg, "payments/api:old", "payments/api:staging");
    assert_eq!(skopeo_digest(&reg, "payments/api:staging"), b);
    let line = ws.run(&["sync"]).fails_with(
        1,
        &[
            "drift",
            "api staging",
            &b,
            // The promotion appended an observation of its read-back, so the move is named
            // from what the history says runs there (A), not from what the last sync saw (B).
            &format!("moved outside Tollgate to {b} (was {a})"),
        ],
    );
    assert!(!line.contains("nobody has acknowledged"), "{line}");
    let staging = ws.status_row("staging");
    assert_eq!(staging["drift"], true);
    assert_eq!(staging["digest"], b.as_str());
    assert_eq!(staging["via"], "drift");
    assert_eq!(
        vias(&ws, "staging"),
        vec![
            (b.clone(), "observed".into()),
            (a.clone(), "promotion".into()),
            (b.clone(), "drift".into())
        ]
    );
    let expected =
        ws.sqlite("SELECT json_extract(data, '$.expected') FROM events WHERE kind = 'drift'");
    assert_eq!(expected, a, "the drift event names what the history said");
    // One drift event, standing on the next sync until someone acknowledges it.
    ws.run(&["sync"])
        .fails_with(1, &["drift", "api staging", "nobody has acknowledged"]);
    assert_eq!(
        ws.sqlite("SELECT count(*) FROM events WHERE kind = 'drift'"),
        "1"
    );
    record(&ws, "staging", &b).ok();
    ws.run(&["sync"]).ok();
    verify_ok(&ws);
}

#[test]
fn a_missing_tag_where_the_history_says_a_digest_runs_is_drift() {
    let (reg, ws, _a, _b) = setup("missing");
    push(&make_image("missing-p"), &reg, "prod/api:production");
    let p = skopeo_digest(&reg, "prod/api:production");
    ws.run(&["sync"]).ok();
    run(Command::new("skopeo").args([
        "delete",
        "--tls-verify=false",
        &format!("docker://{}/prod/api:production", reg.host()),
    ]));
    assert_eq!(skopeo_find_digest(&reg, "prod/api:production"), None);

    ws.run(&["sync"]).fails_with(
        1,
        &[
            "drift",
            "api production",
            "is missing",
            &format!("the history says {p} runs there"),
        ],
    );
    let prod = ws.status_row("production");
    assert!(
        prod["digest"].is_null(),
        "status shows the tag as it is: {prod}"
    );
    assert_eq!(prod["drift"], true);
    assert_eq!(
        ws.sqlite("SELECT digest IS NULL, json_extract(data, '$.expected') FROM events WHERE kind = 'drift'"),
        format!("1|{p}")
    );
    // Reported once; standing while the tag stays away.
    ws.run(&["sync"])
        .fails_with(1, &["drift", "api production", "still missing"]);
    assert_eq!(
        ws.sqlite("SELECT count(*) FROM events WHERE kind = 'drift'"),
        "1"
    );
    // Put back outside Tollgate: also a move nothing explains, until a record acknowledges it.
    push(&make_image("missing-p"), &reg, "prod/api:production");
    assert_eq!(skopeo_digest(&reg, "prod/api:production"), p);
    ws.run(&["sync"])
        .fails_with(1, &["drift", "api production", "appeared", &p]);
    let image = format!("local/prod/api@{p}");
    ws.run(&[
        "record",
        "--app",
        "api",
        "--env",
        "production",
        "--image",
        &image,
    ])
    .ok();
    assert_eq!(ws.status_row("production")["drift"], false);
    ws.run(&["sync"]).ok();
    verify_ok(&ws);
}

#[test]
fn a_record_the_registry_contradicts_is_drift_on_the_next_sync() {
    let (reg, ws, a, b) = setup("claim");
    ws.run(&["sync"]).ok();
    // CI claims A runs in staging; the tag still says B.
    record(&ws, "staging", &a).ok();
    ws.run(&["sync"]).fails_with(
        1,
        &[
            "drift",
            "api staging",
            &b,
            &format!("the history says {a} runs there"),
        ],
    );
    let staging = ws.status_row("staging");
    assert_eq!(
        (staging["drift"].clone(), staging["digest"].clone()),
        (true.into(), b.as_str().into())
    );
    assert_eq!(
        vias(&ws, "staging"),
        vec![
            (b.clone(), "observed".into()),
            (a.clone(), "record".into()),
            (b.clone(), "drift".into())
        ]
    );
    verify_ok(&ws);

    // A record before the very first sync: that first observation is compared with it, not
    // taken as a baseline (dev, which the history knows nothing of, still is one).
    let fresh = TempWorkspace::new(&toml_for(&reg.url()));
    record(&fresh, "staging", &a).ok();
    fresh
        .run(&["sync"])
        .fails_with(1, &["drift", "api staging", &b, &a]);
    assert_eq!(fresh.status_row("dev")["drift"], false);
    assert_eq!(fresh.status_row("production")["drift"], false);
}

#[test]
fn a_record_into_an_environment_with_a_policy_is_unapproved_until_an_approved_promotion() {
    let f = SignedWorkspace::builder(
        "unapproved",
        &[
            r#"{ name = "dev", tag = "dev" }"#,
            r#"{ name = "staging", tag = "staging", policy = { approvals = 1, roles = ["qa"] } }"#,
        ],
    )
    .image("dev", "unapproved-a")
    .approver("quinn", &["qa"])
    .build();
    let a = f.digests[0].clone();
    let ws = &f.tmp;
    ws.run(&["sync"]).ok();
    // A hotfix deployed outside Tollgate, and reported by CI.
    skopeo_retag(&f.reg, "payments/api:dev", "payments/api:staging");
    let rec = record(ws, "staging", &a);
    rec.ok();
    let warnings: Vec<&str> = rec
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(warnings.len(), 1, "one warning line: {warnings:?}");
    assert!(warnings[0].starts_with("warning: "), "{}", warnings[0]);
    assert!(warnings[0].contains("UNAPPROVED") && warnings[0].contains("staging"));
    // dev has no policy: a record there is no warning.
    let dev = record(ws, "dev", &a);
    dev.ok();
    assert_eq!(dev.stderr.trim(), "", "no warning for dev");

    ws.run(&["sync"]).ok(); // the registry agrees with the record: no drift
    let staging = ws.status_row("staging");
    assert_eq!(staging["unapproved"], true, "{staging}");
    assert_eq!(staging["drift"], false);
    assert_eq!(ws.status_row("dev")["unapproved"], false);
    let table = ws.run(&["status"]);
    table.ok();
    let line = table
        .stdout
        .lines()
        .find(|l| l.contains("staging"))
        .unwrap();
    assert!(line.contains("UNAPPROVED"), "{}", table.stdout);
    let tl = timeline(ws, "staging");
    assert_eq!(
        (tl[0]["via"].as_str(), tl[0]["unapproved"].as_bool()),
        (Some("record"), Some(true))
    );
    assert!(timeline(ws, "dev").iter().all(|s| s["unapproved"] == false));
    let before = exports(ws, "before");
    assert_eq!(before.unapproved_records, vec![true], "the staging record");
    assert!(before.pdf.contains("UNAPPROVED"), "the PDF highlights it");

    // An approved promotion of that digest into staging replaces it.
    let quinn = f.approvers[0].clone();
    f.approve(&Context::system(), &quinn, "staging", &a, None)
        .unwrap();
    f.promote(&Context::system(), "staging", &a, "release-bot")
        .unwrap();
    assert_eq!(ws.status_row("staging")["unapproved"], false);
    assert_eq!(timeline(ws, "staging")[0]["unapproved"], false);
    // CI reporting the promoted deployment is no unapproved deployment.
    let again = record(ws, "staging", &a);
    again.ok();
    assert_eq!(
        again.stderr.trim(),
        "",
        "no warning after an approved promotion"
    );
    assert_eq!(ws.status_row("staging")["unapproved"], false);
    let after = exports(ws, "after");
    assert_eq!(
        after.unapproved_records,
        vec![true, false],
        "the hotfix record stays flagged in the audit trail; the later one is not"
    );
    assert!(!ws.run(&["status"]).stdout.contains("UNAPPROVED"));
    verify_ok(ws);
}

/// What the three exports say about the staging records.
struct Exports {
    /// `unapproved` of each staging record, in order, identical in the CSV and the JSON.
    unapproved_records: Vec<bool>,
    pdf: String,
}

fn exports(ws: &TempWorkspace, name: &str) -> Exports {
    let out = |ext: &str| ws.path().join(format!("{name}.{ext}"));
    for ext in ["csv", "json", "pdf"] {
        let path = out(ext);
        ws.run(&["export", "--format", ext, "--out", path.to_str().unwrap()])
            .ok();
    }
    let mut csv = ::csv::Reader::from_path(out("csv")).unwrap();
    let header = csv.headers().unwrap().clone();
    assert_eq!(
        header.iter().rev().nth(15),
        Some("unapproved"),
        "the column is added at the end (before `reason`, `conflicts`, `git`, `file`, `commit`, `incident`, `incident_text`, `closes`, the six of checks and `emergency`, added after it)"
    );
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let rows: Vec<_> = csv.records().map(|r| r.unwrap()).collect();
    assert!(rows
        .iter()
        .all(|r| ["true", "false"].contains(&&r[col("unapproved")])));
    let from_csv: Vec<bool> = rows
        .iter()
        .filter(|r| &r[col("kind")] == "record" && &r[col("env")] == "staging")
        .map(|r| &r[col("unapproved")] == "true")
        .collect();
    assert!(
        rows.iter()
            .filter(|r| &r[col("unapproved")] == "true")
            .all(|r| &r[col("kind")] == "record"),
        "only records are ever unapproved"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out("json")).unwrap()).unwrap();
    let from_json: Vec<bool> = json["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "record" && e["env"] == "staging")
        .map(|e| e["unapproved"].as_bool().expect("a boolean"))
        .collect();
    assert_eq!(from_csv, from_json);
    let v = ws.run(&["verify", out("json").to_str().unwrap(), "--allow-unsealed"]);
    v.ok();
    let pdf = run(Command::new("pdftotext").arg(out("pdf")).arg("-"));
    Exports {
        unapproved_records: from_csv,
        pdf,
    }
}

#[test]
fn a_failed_promotion_that_lands_late_is_named_by_the_drift() {
    let (reg, ws, a, _b) = setup("late");
    ws.run(&["sync"]).ok();
    // The promotion dies right after journalling its intent; the next command fails the entry.
    let killed = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .arg("--config")
        .arg(ws.config())
        .args(["promote", "--app", "api", "--to", "staging", "--digest", &a])
        .env("HOME", ws.path().join("home"))
        .env("DOCKER_CONFIG", ws.path().join("home/.docker"))
        .env("TOLLGATE_ACTOR", "release-bot")
        .env("TOLLGATE_TEST_KILL_AT", "intended")
        .output()
        .unwrap();
    assert_eq!(killed.status.code(), None, "killed by a signal: {killed:?}");
    ws.run(&["status"]).ok();
    assert_eq!(ws.sqlite("SELECT id, state FROM promotions"), "1|failed");
    // Its PUT arrives anyway, after the entry was failed.
    skopeo_retag(&reg, "payments/api:dev", "payments/api:staging");
    let line = ws.run(&["sync"]).fails_with(
        1,
        &[
            "drift",
            "api staging",
            &a,
            "failed promotion 1 (started by release-bot) landed late",
        ],
    );
    assert!(!line.contains("moved outside Tollgate"), "{line}");
    assert_eq!(
        ws.sqlite("SELECT json_extract(data, '$.late_promotion.journal'), json_extract(data, '$.late_promotion.actor') FROM events WHERE kind = 'drift'"),
        "1|release-bot"
    );
    assert_eq!(ws.status_row("staging")["drift"], true);
    verify_ok(&ws);
}

#[test]
fn a_tag_moved_by_a_promotion_still_running_is_not_drift() {
    let (reg, ws, a, _b) = setup("inflight");
    ws.run(&["sync"]).ok();
    // The promotion has pushed (the tag shows A) but not recorded yet; a sync runs meanwhile
    // (the library call: a CLI command would first finish the entry of this dead process).
    let killed = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .arg("--config")
        .arg(ws.config())
        .args(["promote", "--app", "api", "--to", "staging", "--digest", &a])
        .env("HOME", ws.path().join("home"))
        .env("TOLLGATE_ACTOR", "release-bot")
        .env("TOLLGATE_TEST_KILL_AT", "pushed")
        .output()
        .unwrap();
    assert_eq!(killed.status.code(), None, "killed by a signal: {killed:?}");
    assert_eq!(skopeo_digest(&reg, "payments/api:staging"), a);
    assert_eq!(ws.sqlite("SELECT state FROM promotions"), "pushed");
    let workspace = tollgate::config::Workspace::load(&ws.config(), None).unwrap();
    let report = tollgate_testsupport::signed::rt()
        .block_on(tollgate::api::sync(
            &workspace,
            &Context::system(),
            None,
            &|_| {},
        ))
        .unwrap();
    let staging = report.tags.iter().find(|t| t.env == "staging").unwrap();
    assert_eq!(
        staging.digest.as_ref().map(|d| d.to_string()),
        Some(a.clone())
    );
    assert!(!staging.drift, "the open journal entry explains the move");
    assert_eq!(
        ws.sqlite("SELECT count(*) FROM events WHERE kind = 'drift'"),
        "0"
    );
    // The next command finishes the promotion; the history and the registry agree.
    ws.run(&["sync"]).ok();
    assert_eq!(ws.sqlite("SELECT state FROM promotions"), "recorded");
    assert_eq!(ws.status_row("staging")["via"], "promotion");
    assert_eq!(ws.status_row("staging")["drift"], false);
    verify_ok(&ws);
}

/// The checklist's fix is a fact (`fix` in `check --json`: the record of the digest in the
/// environment it drifted into, naming the real repository), never words in the reason; the
/// CLI words it with its flags, the app with its window's actions.
#[test]
fn the_cli_words_the_provenance_fix_as_a_record_of_the_real_repository() {
    let (reg, ws, a, _) = setup("hint");
    ws.run(&["sync"]).ok();
    // Staging moves to A outside Tollgate: drift.
    skopeo_retag(&reg, "payments/api:dev", "payments/api:staging");
    ws.run(&["sync"]).fails_with(1, &["drift", "api staging"]);

    let check = ws.run(&[
        "check",
        "--app",
        "api",
        "--to",
        "production",
        "--digest",
        &a,
    ]);
    assert_eq!(check.code, 1, "{}\n{}", check.stdout, check.stderr);
    let line = check
        .stdout
        .lines()
        .find(|l| l.contains("provenance"))
        .unwrap_or_else(|| panic!("no provenance line: {}", check.stdout));
    assert!(line.contains("FAIL"), "{line}");
    assert!(
        line.contains(&format!(
            "`tollgate record --app api --env staging --image local/payments/api@{a}`"
        )),
        "{line}"
    );

    let json = ws
        .run(&[
            "check",
            "--app",
            "api",
            "--to",
            "production",
            "--digest",
            &a,
            "--json",
        ])
        .json();
    let rule = json["evaluation"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "provenance")
        .unwrap()
        .clone();
    assert_eq!(
        rule["fix"],
        serde_json::json!({
            "kind": "record",
            "app": "api",
            "env": "staging",
            "image": format!("local/payments/api@{a}"),
        })
    );
    let reason = rule["reason"].as_str().unwrap();
    assert!(
        !reason.contains("--") && !reason.contains("tollgate record"),
        "{reason}"
    );

    // The fix works as worded: the record ends the drift and the rule passes.
    record(&ws, "staging", &a).ok();
    let after = ws.run(&[
        "check",
        "--app",
        "api",
        "--to",
        "production",
        "--digest",
        &a,
    ]);
    let line = after
        .stdout
        .lines()
        .find(|l| l.contains("provenance"))
        .unwrap();
    assert!(line.contains("ok"), "{line}");
}
