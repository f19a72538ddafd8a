//! `tollgate team status` (and the core `team_status` behind Settings → Team) against a real
//! `docker-registry`: the last pull a sync leaves, unshared approvals with the line their push
//! answered, untrusted artifacts seen once each; and the loose ends of the desktop's team view
//! (`tollgate demo` with `TOLLGATE_SIGNING_KEY` set).

use insta::assert_snapshot;
use serde_json::Value;
use tollgate::api::{self, ApproveRequest, Context};
use tollgate::domain::Digest;
use tollgate::signing::{Anchor, ApprovalMessage, Target};
use tollgate::team::ArtifactKind;

use tollgate_testsupport::signed::{
    approve_staging_args, at, rt, t0, SignedWorkspace, SignedWorkspaceBuilder,
};
use tollgate_testsupport::snapshot::normalize;
use tollgate_testsupport::team::{not_shared_line, plant, sign_as_stranger, sync};
use tollgate_testsupport::workspace::TempWorkspace;

const ENVS: [&str; 2] = [
    r#"{ name = "dev", tag = "dev" }"#,
    r#"{ name = "staging", tag = "staging", policy = { approvals = 1, roles = ["qa"] } }"#,
];

fn team(b: SignedWorkspaceBuilder) -> (SignedWorkspace, String, String) {
    let f = b
        .image("dev", "team-status-a")
        .approver("alice", &["manager"])
        .approver("quinn", &["qa"])
        .build();
    let a = f.digests[0].clone();
    let quinn = f.approvers[1].clone();
    (f, a, quinn)
}

/// `tollgate team status --json` of the workspace, which must succeed.
fn status_json(tmp: &TempWorkspace) -> Value {
    let out = tmp.run(&["team", "status", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.json()
}

#[test]
fn the_last_pull_and_a_teammates_import_are_shown() {
    let (f, a, quinn) = team(SignedWorkspace::builder("team-status", &ENVS));
    let (b_dir, desktop_b) = f.desktop();
    let before = status_json(&f.tmp);
    assert_eq!(before["sharing"], true);
    assert_eq!(before["last_pull"], Value::Null);
    assert_eq!(
        before["repositories"],
        serde_json::json!([{ "app": "api", "repository": "local/payments/api", "can_share": true }])
    );
    let human = f.tmp.run(&["team", "status"]);
    human.ok();
    assert_snapshot!(normalize(&human.stdout), @r"
        sharing: on (to turn sharing off, write `share = false` under `[team]` in [TEMP]/tollgate.toml)
        ledger: none (each app's events go to its own repository)
          api: local/payments/api
        last pull: never (run `tollgate sync`)
        unshared events: 0
        untrusted events seen: 0
        team channel problems: 0
        skipped artifacts remembered: 0 (not fetched again until tollgate.toml's identities change)
    ");

    sync(&f.ws, &at(0));
    sync(&desktop_b, &at(0));
    rt().block_on(api::approve(
        &desktop_b,
        &at(1),
        ApproveRequest {
            app: "api".into(),
            to: "staging".into(),
            digest: a.clone(),
            confirm: a[7..19].into(),
            role: None,
            note: None,
            approver: Some(quinn),
        },
    ))
    .unwrap();
    let report = sync(&f.ws, &at(2));
    assert_eq!(report.team.imported, 1, "{:?}", report.team);

    let s = api::team_status(&f.ws, &at(2)).unwrap();
    let pull = s.last_pull.expect("the sync pulled");
    assert_eq!(pull.at, t0() + chrono::Duration::hours(2));
    assert_eq!((pull.imported, pull.untrusted), (1, 0));
    assert!(pull.digests >= 1, "{pull:?}");
    assert!(s.unshared.is_empty() && s.untrusted.is_empty());
    // B's own approval went out: nothing unshared there either; B pulled at 0 only.
    let b = status_json(&b_dir);
    assert_eq!(b["unshared"], serde_json::json!([]));
    assert_eq!(b["last_pull"]["imported"], 0);
}

#[test]
fn an_approval_whose_push_was_denied_is_listed_with_its_line_until_shared() {
    let (f, a, quinn) = team(SignedWorkspace::builder("team-status-denied", &ENVS).token_auth());
    sync(&f.ws, &at(0));
    f.reg.set_push_denied(true);
    let out = f.tmp.run(&approve_staging_args(&a, &quinn));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let line = not_shared_line(&out);

    let s = status_json(&f.tmp);
    let unshared = s["unshared"].as_array().unwrap();
    assert_eq!(unshared.len(), 1, "{s}");
    let u = &unshared[0];
    assert_eq!(u["kind"], "approval");
    assert_eq!(u["app"], "api");
    assert_eq!(u["env"], "staging");
    assert_eq!(u["digest"], a.as_str());
    assert_eq!(u["repository"], "local/payments/api");
    assert_eq!(u["reason"], line.as_str());
    let human = f.tmp.run(&["team", "status"]).stdout;
    assert!(human.contains("unshared events: 1"), "{human}");
    assert!(human.contains(&line), "{human}");

    // Granted: the next sync shares it, and the list is empty.
    f.reg.set_push_denied(false);
    let granted = sync(&f.ws, &Context::system());
    assert_eq!(granted.team.unshared_retried, 1, "{:?}", granted.team);
    assert_eq!(status_json(&f.tmp)["unshared"], serde_json::json!([]));
}

#[test]
fn an_untrusted_artifact_is_listed_once_with_when_it_was_first_and_last_seen() {
    let (f, a, quinn) = team(SignedWorkspace::builder("team-status-untrusted", &ENVS));
    sync(&f.ws, &at(0));
    // "quinn approves A", signed with someone else's key, planted in the registry.
    let digest = Digest::parse(&a).unwrap();
    let target = Target {
        app: "api".into(),
        digest: digest.clone(),
        from: "dev".into(),
        to: "staging".into(),
    };
    let message =
        ApprovalMessage::new(&target, &quinn, "qa", t0(), None, &Anchor::genesis()).to_bytes();
    let signature = sign_as_stranger(&message);
    let planted = plant(&f, ArtifactKind::Approval, &a, message, signature);
    assert_eq!(sync(&f.ws, &at(1)).team.untrusted, 1);
    // Read the index again (forget its digest): seen a second time, still one entry.
    let forget = || {
        tollgate::store::Store::open(&f.ws.db_path)
            .unwrap()
            .set_team_index_digest("local/payments/api", &digest, None)
            .unwrap()
    };
    forget();
    assert_eq!(sync(&f.ws, &at(3)).team.untrusted, 1);

    let s = api::team_status(&f.ws, &at(3)).unwrap();
    assert_eq!(s.untrusted.len(), 1, "{:?}", s.untrusted);
    let u = &s.untrusted[0];
    assert_eq!(u.artifact, planted.to_string());
    assert_eq!(u.repository, "local/payments/api");
    assert_eq!(u.subject, a);
    assert_eq!(u.kind, "approval");
    assert!(u.reason.contains("not the key listed for"), "{}", u.reason);
    assert_eq!(u.first_seen, t0() + chrono::Duration::hours(1));
    assert_eq!(u.last_seen, t0() + chrono::Duration::hours(3));
    assert_eq!(s.last_pull.unwrap().untrusted, 1);
    let human = f.tmp.run(&["team", "status"]).stdout;
    assert!(human.contains("untrusted events seen: 1"), "{human}");
    assert!(human.contains(planted.as_str()), "{human}");
}

#[test]
fn the_demo_signs_with_its_own_keys_when_a_signing_key_file_is_set() {
    let tmp = TempWorkspace::empty();
    // A CI signing key in the environment (a real OpenSSH key file, mode 600).
    let key = tmp.path().join("ci_key");
    let made = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "ci", "-f"])
        .arg(&key)
        .status()
        .unwrap();
    assert!(made.success());
    let out = tmp.run_env(
        &["demo", "demo", "--without-signing"],
        &[("TOLLGATE_SIGNING_KEY", key.to_str().unwrap())],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.trim(), "demo/tollgate.toml");
    // Its promotions are signed by the demo's CI signer, and the chain verifies.
    let v = tmp
        .run_bare(&["--config", "demo/tollgate.toml", "verify", "--json"])
        .json();
    assert_eq!(v["unsigned_events"], 0, "{v}");
    assert!(v["signed_events"].as_u64().unwrap() > 0, "{v}");
}

/// Strings from the registry reach people escaped: an artifact planted with an id and a note
/// holding terminal escape sequences is shown by `sync`, `team status` and `status` with the
/// sequences written out (`\u{1b}`), never sent to the terminal; and `approve --note` with a
/// control character is refused in one line, like a rejection's reason.
#[test]
fn planted_escape_sequences_are_printed_escaped_and_a_note_with_one_is_refused() {
    let (f, a, quinn) = team(SignedWorkspace::builder("team-status-escapes", &ENVS));
    f.tmp.run(&["sync"]).ok();
    let digest = Digest::parse(&a).unwrap();
    let target = Target {
        app: "api".into(),
        digest,
        from: "dev".into(),
        to: "staging".into(),
    };
    let planted_id = "quinn\u{1b}[2J\u{1b}[31m@example.com";
    let message = ApprovalMessage::new(
        &target,
        planted_id,
        "qa",
        t0(),
        Some("fine\r\u{1b}]0;owned\u{7}"),
        &Anchor::genesis(),
    )
    .to_bytes();
    let signature = sign_as_stranger(&message);
    plant(&f, ArtifactKind::Approval, &a, message, signature);

    let sync = f.tmp.run(&["sync"]);
    let team = f.tmp.run(&["team", "status"]);
    let status = f.tmp.run(&["status"]);
    let timeline = f.tmp.run(&["timeline", "--app", "api"]);
    for out in [&sync, &team, &status, &timeline] {
        let all = format!("{}{}", out.stdout, out.stderr);
        assert!(
            !all.contains('\u{1b}') && !all.contains('\r') && !all.contains('\u{7}'),
            "a control character reached the terminal: {all:?}"
        );
    }
    // The untrusted artifact's line names the signer as written, escaped.
    assert!(
        (team.stdout.lines()).any(|l| l.starts_with("  approval ")
            && l.contains("its signer 'quinn\\u{1b}[2J\\u{1b}[31m@example.com'")),
        "{}",
        team.stdout
    );
    assert!(
        sync.stderr.contains("quinn\\u{1b}[2J"),
        "sync's warning line: {}",
        sync.stderr
    );

    // `approve --note` with a control character: one line, exit 2, nothing signed.
    let events = f.tmp.event_count();
    let mut args = approve_staging_args(&a, &quinn).to_vec();
    args.extend(["--note", "ok\u{1b}[2J"]);
    f.tmp
        .run(&args)
        .fails_with(2, &["note", "control character"]);
    assert_eq!(f.tmp.event_count(), events);
}
