use super::*;
use crate::dialogs::scripted::Scripted;

const DIGEST: &str = "sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0";

/// A workspace dev → staging → production with approver alice, whose key this machine's
/// (memory) keychain holds.
fn workspace(dir: &std::path::Path) -> (Workspace, Context) {
    let ctx = Context {
        clock: std::sync::Arc::new(tollgate::domain::SystemClock),
        secrets: std::sync::Arc::new(tollgate::keychain::MemoryKeychain::default()),
    };
    let key = tollgate::api::key_init(&ctx, "alice@example.com").unwrap();
    let file = dir.join("tollgate.toml");
    std::fs::write(
        &file,
        format!(
            "[workspace]\nname = \"payments\"\ndatabase = \"history.db\"\n\n[[registries]]\nname = \"local\"\nurl = \"http://127.0.0.1:5000\"\n\n[[apps]]\nname = \"api\"\nrepository = \"local/payments/api\"\nenvironments = [{{ name = \"dev\", tag = \"dev\" }}, {{ name = \"staging\", tag = \"staging\" }}, {{ name = \"production\", tag = \"production\" }}]\n\n[[approvers]]\nid = \"alice@example.com\"\nroles = [\"qa\"]\nkey = \"{}\"\n\n[team]\nshare = false\n",
            key.public_key
        ),
    )
    .unwrap();
    (Workspace::load(&file, None).unwrap(), ctx)
}

/// "This is right: record it" signs nothing until the person says yes: the dialog shows the
/// environment, the full digest and who signs; Cancel returns `None` before the core (and
/// the registry) is reached.
#[test]
fn a_record_of_what_runs_is_signed_only_after_the_native_confirmation() {
    let dir = tempfile::tempdir().unwrap();
    let (ws, ctx) = workspace(dir.path());
    let no = Scripted::default();
    let req = RecordRunningRequest {
        app: "api".into(),
        env: "staging".into(),
        digest: DIGEST.into(),
    };
    let out = tauri::async_runtime::block_on(record_if_confirmed(
        &no,
        &ws,
        &ctx,
        req,
        "alice@example.com".into(),
    ))
    .unwrap();
    assert!(out.is_none());
    assert!(
        no.asked()[0].contains("Sign the record"),
        "{:?}",
        no.asked()
    );
    let m = &no.messages()[0];
    assert!(
        m.starts_with(
            "Record this image as right where it runs?\n\nApp: api\nEnvironment: staging\nDigest: "
        ) && m.contains(DIGEST)
            && m.contains("Signed by: alice@example.com"),
        "{m}"
    );
}

/// An incident's open is signed only after the native confirmation, which shows the
/// environment, the full digest, who signs (resolved like `record`'s actor) and the id and
/// summary; Cancel returns `None` before the core is reached.
#[test]
fn an_incident_is_signed_only_after_the_native_confirmation() {
    let dir = tempfile::tempdir().unwrap();
    let (ws, ctx) = workspace(dir.path());
    let no = Scripted::default();
    let req: IncidentOpenRequest = serde_json::from_value(serde_json::json!({
        "app": "api", "env": "staging", "digest": DIGEST, "id": "INC-42",
        "summary": "5xx spike",
    }))
    .unwrap();
    let out =
        tauri::async_runtime::block_on(incident_open_if_confirmed(&no, &ws, &ctx, req)).unwrap();
    assert!(out.is_none());
    assert_eq!(no.asked().len(), 1);
    assert!(
        no.asked()[0].contains("Sign the incident"),
        "{:?}",
        no.asked()
    );
    let m = &no.messages()[0];
    assert!(
        m.starts_with(
            "Open an incident on this image?\n\nApp: api\nEnvironment: staging\nDigest: "
        ) && m.contains(DIGEST)
            && m.contains("Incident: INC-42: 5xx spike"),
        "{m}"
    );
}

fn approve_request(note: Option<&str>) -> ApproveRequest {
    serde_json::from_value(serde_json::json!({
        "app": "api", "to": "staging", "digest": DIGEST, "confirm": &DIGEST[7..19],
        "role": null, "note": note,
    }))
    .unwrap()
}

/// The page's request alone signs nothing: the native dialog shows what would be signed
/// (app, environments, the full digest, who signs with which key, the note escaped), and
/// Cancel returns `None` before the core is reached; OK goes on to the core.
#[test]
fn an_approval_is_signed_only_after_the_native_confirmation() {
    let dir = tempfile::tempdir().unwrap();
    let (ws, ctx) = workspace(dir.path());
    let key = tollgate::api::key_show(&ctx, None).unwrap();
    let no = Scripted::default();
    let run = |d: &Scripted, note: &str| {
        tauri::async_runtime::block_on(approve_if_confirmed(
            d,
            &ws,
            &ctx,
            approve_request(Some(note)),
        ))
    };
    assert!(run(&no, "ok\u{1b}[2J").unwrap().is_none());
    assert_eq!(no.asked(), ["Sign the approval? Sign approval"]);
    assert_eq!(
        no.messages(),
        [format!(
            "Approve this image?\n\nApp: api\nEnvironment: dev \u{2192} staging\nDigest: {DIGEST}\nSigned by: alice@example.com (key {})\nNote: ok\\u{{1b}}[2J\n\nNothing is signed unless you press \u{201c}Sign approval\u{201d}.",
            key.fingerprint
        )]
    );
    assert!(
        !ws.db_path.exists(),
        "cancelled before the history was opened"
    );

    // Confirmed: the core decides (a note with a control character is bad input; then the
    // digest never ran in dev).
    let yes = Scripted::confirming();
    let e = run(&yes, "ok\u{1b}[2J").unwrap_err();
    assert_eq!(e.code, tollgate::Code::BadInput, "{}", e.message);
    let e = run(&yes, "looks good").unwrap_err();
    assert_eq!(e.code, tollgate::Code::Refused, "{}", e.message);
    assert!(e.message.contains("never ran in"), "{}", e.message);
    assert_eq!(yes.asked().len(), 2);
}

/// An attestation asked from the page names no file: the confirmation shows the check and
/// result, the summary escaped and who signs; Cancel signs nothing.
#[test]
fn an_attestation_is_signed_only_after_the_native_confirmation() {
    let dir = tempfile::tempdir().unwrap();
    let (ws, ctx) = workspace(dir.path());
    let req: AttestRequest = serde_json::from_value(serde_json::json!({
        "app": "api", "digest": DIGEST, "check": "load-test", "result": "pass",
        "summary": "p99 ok\u{1b}", "url": null, "file": "/etc/shadow",
    }))
    .unwrap();
    let no = Scripted::default();
    let out = tauri::async_runtime::block_on(attest_if_confirmed(
        &no,
        &ws,
        &ctx,
        req.clone(),
        false,
        "alice@example.com".into(),
    ));
    assert!(out.unwrap().is_none());
    assert_eq!(no.asked(), ["Sign the attestation? Sign attestation"]);
    assert_eq!(
        no.messages(),
        [format!(
            "Attest this check for this image?\n\nApp: api\nEnvironment: check load-test: pass\nDigest: {DIGEST}\nSigned by: alice@example.com\nSummary: p99 ok\\u{{1b}}\n\nNothing is signed unless you press \u{201c}Sign attestation\u{201d}."
        )]
    );
    assert!(
        !ws.db_path.exists(),
        "cancelled before the history was opened"
    );
    // With a report: the native open dialog chooses it (cancelled: nothing is asked or
    // signed after it), and the confirmation names it with its size.
    let cancelled = Scripted::default();
    let out = tauri::async_runtime::block_on(attest_if_confirmed(
        &cancelled,
        &ws,
        &ctx,
        req.clone(),
        true,
        "alice@example.com".into(),
    ));
    assert!(out.unwrap().is_none());
    assert_eq!(
        cancelled.asked(),
        ["Choose the report to attach: Report (.)"]
    );
    let report = dir.path().join("load-test.json");
    std::fs::write(&report, "{\"p99_ms\":180}").unwrap();
    let chosen = Scripted {
        open: Some(report),
        ..Scripted::default()
    };
    let out = tauri::async_runtime::block_on(attest_if_confirmed(
        &chosen,
        &ws,
        &ctx,
        req.clone(),
        true,
        "alice@example.com".into(),
    ));
    assert!(out.unwrap().is_none());
    assert!(
        chosen.messages()[0].contains(
            "Environment: check load-test: pass, with the report load-test.json (14 bytes) attached to the image\n"
        ),
        "{:?}",
        chosen.messages()
    );
    // Confirmed: the core decides (no [[checks]] is declared here).
    let yes = Scripted::confirming();
    let e = tauri::async_runtime::block_on(attest_if_confirmed(
        &yes,
        &ws,
        &ctx,
        req,
        false,
        "alice@example.com".into(),
    ))
    .unwrap_err();
    assert!(e.message.contains("no check 'load-test'"), "{}", e.message);
}

#[test]
fn verdicts_promotions_and_rollbacks_show_what_they_sign() {
    let dir = tempfile::tempdir().unwrap();
    let (ws, ctx) = workspace(dir.path());
    let req: RejectRequest = serde_json::from_value(serde_json::json!({
        "app": "api", "digest": DIGEST, "confirm": &DIGEST[7..19], "reason": "crashes on start",
        "env": null,
    }))
    .unwrap();
    let no = Scripted::default();
    let out = tauri::async_runtime::block_on(verdict_if_confirmed(
        &no,
        &ws,
        &ctx,
        req.clone(),
        Verdict::Reject,
    ))
    .unwrap();
    assert!(out.is_none());
    assert_eq!(no.asked(), ["Sign the rejection? Sign rejection"]);
    let m = &no.messages()[0];
    assert!(
        m.contains("App: api\nEnvironment: every environment\nDigest: ")
            && m.contains(DIGEST)
            && m.contains("Signed by: alice@example.com (key SHA256:")
            && m.contains("Reason: crashes on start"),
        "{m}"
    );
    let staging = RejectRequest {
        env: Some("staging".into()),
        ..req
    };
    let s = for_verdict(&ws, &ctx, &staging, Verdict::Unreject).unwrap();
    assert_eq!(
        (s.action, s.env.as_str()),
        (Action::Unreject, "staging and later")
    );

    let promote: PromoteRequest = serde_json::from_value(
        serde_json::json!({"app": "api", "to": "production", "digest": DIGEST}),
    )
    .unwrap();
    let promote = PromoteRequest {
        actor: "alice@example.com".into(),
        ..promote
    };
    let s = for_promote(&ws, &promote).unwrap();
    assert!(
        s.message().contains(&format!(
            "App: api\nEnvironment: staging \u{2192} production\nDigest: {DIGEST}\nSigned by: alice@example.com"
        )),
        "{}",
        s.message()
    );
    let rollback: RollbackRequest = serde_json::from_value(
        serde_json::json!({"app": "api", "env": "production", "digest": DIGEST}),
    )
    .unwrap();
    let s = for_rollback(
        &ws,
        &RollbackRequest {
            actor: "alice@example.com".into(),
            ..rollback
        },
    )
    .unwrap();
    assert_eq!((s.action, s.env.as_str()), (Action::Rollback, "production"));
    let no = Scripted::default();
    assert!(!confirmed(&no, &s));
    assert_eq!(no.asked(), ["Sign the rollback? Sign and roll back"]);

    // A digest that is not one is refused before any dialog.
    let bad = ApproveRequest {
        digest: "sha256:zz".into(),
        ..approve_request(None)
    };
    assert_eq!(
        for_approve(&ws, &ctx, &bad).unwrap_err().code,
        tollgate::Code::InvalidReference
    );
}
