//! Signing identities: records are signed by a listed key from `TOLLGATE_SIGNING_KEY`, the
//! real `ssh-agent` or the OS keychain, and every signature is checked with `ssh-keygen -Y
//! verify`; `[[signers]]` are never approvers.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use tollgate::keychain::OsKeychain;

use tollgate_testsupport::images::make_image;
use tollgate_testsupport::registry::TestRegistry;
use tollgate_testsupport::signed::{approve_staging_args, unique_id};
use tollgate_testsupport::skopeo::{push, skopeo_digest};
use tollgate_testsupport::workspace::{toml_for, Run, TempWorkspace};

/// A workspace over a real registry with `payments/api:dev` pushed, and `extra` toml appended.
fn workspace(extra: &str) -> (TestRegistry, TempWorkspace, String) {
    let reg = TestRegistry::start();
    push(&make_image("identity v1"), &reg, "payments/api:dev");
    let digest = skopeo_digest(&reg, "payments/api:dev");
    let ws = TempWorkspace::new(&format!("{}{extra}", toml_for(&reg.url())));
    (reg, ws, digest)
}

fn record(ws: &TempWorkspace, digest: &str, actor: &str, envs: &[(&str, &str)]) -> Run {
    let image = format!("local/payments/api@{digest}");
    ws.run_env(
        &[
            "record", "--app", "api", "--env", "dev", "--image", &image, "--actor", actor,
        ],
        envs,
    )
}

/// `ssh-keygen -t ed25519 -N '' -f DIR/NAME`: the private key file and its public line.
pub(crate) fn keygen(dir: &Path, name: &str, comment: &str) -> (PathBuf, String) {
    let file = dir.join(name);
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f"])
        .arg(&file)
        .output()
        .expect("ssh-keygen (openssh-client) is installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let public = std::fs::read_to_string(file.with_extension("pub")).unwrap();
    (file, public.trim().to_string())
}

fn chmod(file: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(file, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn signer_toml(id: &str, key: &str) -> String {
    format!("\n[[signers]]\nid = \"{id}\"\nkey = \"{key}\"\n")
}

/// The newest record event as `export --format json` holds it.
fn last_record(ws: &TempWorkspace) -> serde_json::Value {
    let out = ws.path().join("export.json");
    ws.run(&["export", "--format", "json", "--out", out.to_str().unwrap()])
        .ok();
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
    report["events"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|e| e["kind"] == "record")
        .cloned()
        .expect("a record event")
}

/// `ssh-keygen -Y verify` of the record's stored message and signature against `key` for `id`.
fn ssh_keygen_verifies(dir: &Path, id: &str, key: &str, event: &serde_json::Value) -> bool {
    let data = &event["data"];
    std::fs::write(
        dir.join("allowed_signers"),
        format!("{id} namespaces=\"tollgate-approval\" {key}\n"),
    )
    .unwrap();
    std::fs::write(dir.join("msg"), data["message"].as_str().unwrap()).unwrap();
    std::fs::write(dir.join("msg.sig"), data["signature"].as_str().unwrap()).unwrap();
    let out = Command::new("ssh-keygen")
        .args(["-Y", "verify", "-f", "allowed_signers", "-I", id])
        .args(["-n", "tollgate-approval", "-s", "msg.sig"])
        .current_dir(dir)
        .stdin(Stdio::from(std::fs::File::open(dir.join("msg")).unwrap()))
        .output()
        .unwrap();
    out.status.success()
}

fn message(event: &serde_json::Value) -> serde_json::Value {
    serde_json::from_str(event["data"]["message"].as_str().unwrap()).unwrap()
}

#[test]
fn a_record_is_signed_with_the_key_file_and_ssh_keygen_verifies_it() {
    let dir = tempfile::tempdir().unwrap();
    let id = unique_id("ci-file");
    let (file, public) = keygen(dir.path(), "ci_key", &id);
    let (_reg, ws, digest) = workspace(&signer_toml(&id, &public));
    let key_file = file.to_str().unwrap();

    chmod(&file, 0o644);
    let refused = record(&ws, &digest, &id, &[("TOLLGATE_SIGNING_KEY", key_file)]);
    let line = refused.fails_with(2, &["TOLLGATE_SIGNING_KEY", "group or others", "chmod 600"]);
    assert_eq!(line.trim().lines().count(), 1, "{line}");
    assert_eq!(ws.event_count(), 0, "nothing written");

    chmod(&file, 0o600);
    record(&ws, &digest, &id, &[("TOLLGATE_SIGNING_KEY", key_file)]).ok();
    let event = last_record(&ws);
    assert_eq!(event["actor"], id.as_str());
    assert_eq!(event["data"]["key_source"], "file");
    let m = message(&event);
    assert_eq!(m["kind"], "tollgate.deployment");
    assert_eq!(m["signer"], id.as_str());
    assert_eq!(m["digest"], digest.as_str());
    assert_eq!(m["repository"], "local/payments/api");
    assert_eq!(m["tag"], "dev");
    assert!(ssh_keygen_verifies(dir.path(), &id, &public, &event));
    let (_, other) = keygen(dir.path(), "other", "other");
    assert!(!ssh_keygen_verifies(dir.path(), &id, &other, &event));

    // With no --actor and no $TOLLGATE_ACTOR, the key file names who acts.
    let image = format!("local/payments/api@{digest}");
    ws.run_env(
        &[
            "record", "--app", "api", "--env", "staging", "--image", &image,
        ],
        &[("TOLLGATE_SIGNING_KEY", key_file), ("TOLLGATE_ACTOR", "")],
    )
    .ok();
    assert_eq!(last_record(&ws)["actor"], id.as_str());
}

#[test]
fn a_key_file_that_is_encrypted_or_not_the_listed_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let id = unique_id("ci-locked");
    let (listed, public) = keygen(dir.path(), "listed", &id);
    let (_reg, ws, digest) = workspace(&signer_toml(&id, &public));

    let locked = dir.path().join("locked");
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "a passphrase", "-f"])
        .arg(&locked)
        .output()
        .unwrap();
    assert!(out.status.success());
    chmod(&locked, 0o600);
    let locked = locked.to_str().unwrap();
    record(&ws, &digest, &id, &[("TOLLGATE_SIGNING_KEY", locked)])
        .fails_with(2, &["passphrase-protected", "ssh-add"]);

    let (other, _) = keygen(dir.path(), "other", &id);
    chmod(&other, 0o600);
    record(
        &ws,
        &digest,
        &id,
        &[("TOLLGATE_SIGNING_KEY", other.to_str().unwrap())],
    )
    .fails_with(1, &["not the key tollgate.toml lists for"]);
    assert_eq!(ws.event_count(), 0);
    drop(listed);
}

/// A real `ssh-agent` on a socket of its own, killed (by its pid) when dropped.
pub(crate) struct Agent {
    pub(crate) socket: PathBuf,
    pid: i32,
}

impl Agent {
    pub(crate) fn start(dir: &Path) -> Agent {
        let socket = dir.join("agent.sock");
        // Without -D the agent forks and its first process exits once the socket is bound.
        let out = Command::new("ssh-agent")
            .arg("-s")
            .arg("-a")
            .arg(&socket)
            .output()
            .expect("ssh-agent (openssh-client) is installed");
        assert!(out.status.success());
        let text = String::from_utf8_lossy(&out.stdout);
        let pid = text
            .split(';')
            .find_map(|p| p.trim().strip_prefix("SSH_AGENT_PID="))
            .and_then(|p| p.parse().ok())
            .expect("ssh-agent prints its pid");
        Agent { socket, pid }
    }

    pub(crate) fn add(&self, key: &Path) {
        let out = Command::new("ssh-add")
            .arg(key)
            .env("SSH_AUTH_SOCK", &self.socket)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.pid.to_string()).status();
    }
}

#[test]
fn a_record_is_signed_through_the_real_ssh_agent() {
    let dir = tempfile::tempdir().unwrap();
    let id = unique_id("ci-agent");
    let (file, public) = keygen(dir.path(), "agent_key", &id);
    let (_reg, ws, digest) = workspace(&signer_toml(&id, &public));
    let agent = Agent::start(dir.path());
    let sock = agent.socket.to_str().unwrap().to_string();

    // The agent holds no key yet, and neither does the keychain: refused, saying how.
    record(&ws, &digest, &id, &[("SSH_AUTH_SOCK", &sock)]).fails_with(
        1,
        &[
            "no key to sign as",
            "tollgate key init",
            "TOLLGATE_SIGNING_KEY",
            "ssh-add",
        ],
    );

    agent.add(&file);
    std::fs::remove_file(&file).unwrap();
    record(&ws, &digest, &id, &[("SSH_AUTH_SOCK", &sock)]).ok();
    let event = last_record(&ws);
    assert_eq!(event["data"]["key_source"], "ssh-agent");
    assert_eq!(event["actor"], id.as_str());
    assert!(ssh_keygen_verifies(dir.path(), &id, &public, &event));
    ws.run(&["verify"]).ok();

    // With no --actor and no $TOLLGATE_ACTOR, the one listed identity in the agent acts.
    let image = format!("local/payments/api@{digest}");
    ws.run_env(
        &[
            "record", "--app", "api", "--env", "staging", "--image", &image,
        ],
        &[("SSH_AUTH_SOCK", &sock), ("TOLLGATE_ACTOR", "")],
    )
    .ok();
    assert_eq!(last_record(&ws)["actor"], id.as_str());
}

#[test]
fn a_record_is_signed_with_the_os_keychain_key_and_strangers_are_refused() {
    let (_reg, ws, digest) = workspace("");
    // `ci@example.com` is a [[signers]] entry of every test workspace, its key in the keychain.
    record(&ws, &digest, "ci@example.com", &[]).ok();
    let event = last_record(&ws);
    assert_eq!(event["data"]["key_source"], "keychain");
    let key = tollgate::signing::public_key("ci@example.com", &OsKeychain).unwrap();
    let dir = tempfile::tempdir().unwrap();
    assert!(ssh_keygen_verifies(
        dir.path(),
        "ci@example.com",
        &key.public_key,
        &event
    ));

    let stranger = record(&ws, &digest, "stranger@example.com", &[]);
    let line = stranger.fails_with(
        1,
        &[
            "stranger@example.com is not an approver or signer",
            "[[signers]]",
            "tollgate key init",
        ],
    );
    assert_eq!(line.trim().lines().count(), 1, "{line}");
}

#[test]
fn a_signer_is_never_an_approver() {
    let (_reg, ws, digest) = workspace("");
    record(&ws, &digest, "ci@example.com", &[]).ok();
    ws.run(&approve_staging_args(&digest, "ci@example.com"))
        .fails_with(1, &["ci@example.com is not an approver"]);
}

#[test]
fn promotions_are_signed_and_verify_checks_every_event_signature() {
    use tollgate_testsupport::signed::{at, SignedWorkspace};
    let f = SignedWorkspace::builder(
        "signed-events",
        &[
            r#"{ name = "dev", tag = "dev" }"#,
            r#"{ name = "staging", tag = "staging", policy = { approvals = 1 } }"#,
        ],
    )
    .image("dev", "signed-events a")
    .approver("quinn", &["qa"])
    .build();
    let digest = f.digests[0].clone();
    let quinn = f.approvers[0].clone();
    let recorded = f.record(&at(0), "dev", &digest);
    let approval = f.approve(&at(1), &quinn, "staging", &digest, None).unwrap();
    // An actor with no listed key is refused before anything moves.
    let e = f
        .promote(&at(2), "staging", &digest, "stranger@example.com")
        .unwrap_err();
    assert_eq!(e.code, tollgate::Code::Refused);
    assert!(
        e.message.contains("not an approver or signer"),
        "{}",
        e.message
    );
    assert_eq!(f.tag("payments/api:staging"), None, "nothing pushed");
    // An approver signs the promotion it makes: the keychain key listed for quinn.
    let outcome = f.promote(&at(2), "staging", &digest, &quinn).unwrap();
    let data = &outcome.event.as_ref().unwrap().data;
    assert_eq!(data["key_source"], "keychain");
    let m: serde_json::Value = serde_json::from_str(data["message"].as_str().unwrap()).unwrap();
    assert_eq!(m["kind"], "tollgate.promotion");
    assert_eq!(
        (m["from"].as_str(), m["env"].as_str()),
        (Some("dev"), Some("staging"))
    );
    assert_eq!(m["signer"], quinn.as_str());
    assert_eq!(m["tag"], "staging");
    // The approval it consumed, named by the sha256 of its signed bytes, as sha256sum says.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("approval"), &approval.message).unwrap();
    let sum = Command::new("sha256sum")
        .arg(dir.path().join("approval"))
        .output()
        .unwrap();
    let sum = String::from_utf8_lossy(&sum.stdout);
    assert_eq!(
        m["approvals"],
        serde_json::json!([sum.split_whitespace().next().unwrap()])
    );
    let key = tollgate::signing::public_key(&quinn, &OsKeychain).unwrap();
    let event = serde_json::json!({ "data": data });
    assert!(ssh_keygen_verifies(
        dir.path(),
        &quinn,
        &key.public_key,
        &event
    ));

    let report = tollgate::api::verify(&f.ws).unwrap();
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!((report.signed_events, report.unsigned_events), (2, 0));

    // An export checked against the workspace: both event signatures verify there too; against
    // the report's own keys (approvers only) they are counted but not verified.
    let out = dir.path().join("report.json");
    tollgate::api::export(
        &f.ws,
        &tollgate_testsupport::signed::ctx_at(
            tollgate_testsupport::signed::t0() + chrono::Duration::hours(3),
        ),
        tollgate::api::ExportRequest {
            format: tollgate::api::ExportFormat::Json,
            app: None,
            env: None,
            since: None,
            until: None,
            out: out.clone(),
        },
    )
    .unwrap();
    let offline = tollgate::api::verify_report(&out, Some(&f.ws), true).unwrap();
    assert!(offline.ok(), "{:?}", offline.problems);
    assert_eq!(
        (offline.signed_events, offline.event_signatures_verified),
        (2, 2)
    );
    let own = tollgate::api::verify_report(&out, None, true).unwrap();
    assert_eq!((own.signed_events, own.event_signatures_verified), (2, 0));

    // A record whose stored signature is altered in the database no longer verifies.
    f.tmp.drop_append_only_triggers();
    f.tmp.sqlite(&format!(
        "UPDATE events SET data = json_set(data, '$.signature', replace(json_extract(data, '$.signature'), 'A', 'B')) WHERE seq = {}",
        recorded.seq
    ));
    let report = tollgate::api::verify(&f.ws).unwrap();
    assert!(
        report.problems.iter().any(|p| p.seq == Some(recorded.seq)),
        "{:?}",
        report.problems
    );
}

#[test]
fn an_approval_is_signed_through_ssh_agent_and_a_key_file_too() {
    let dir = tempfile::tempdir().unwrap();
    let id = unique_id("qa-agent");
    let (file, public) = keygen(dir.path(), "qa_key", &id);
    let approver =
        format!("\n[[approvers]]\nid = \"{id}\"\nroles = [\"qa\"]\nkey = \"{public}\"\n");
    let (_reg, ws, digest) = workspace(&approver);
    record(&ws, &digest, "ci@example.com", &[]).ok();
    let approve = approve_staging_args(&digest, &id);
    let agent = Agent::start(dir.path());
    agent.add(&file);
    let sock = agent.socket.to_str().unwrap().to_string();
    ws.run_env(&approve, &[("SSH_AUTH_SOCK", &sock)]).ok();
    chmod(&file, 0o600);
    ws.run_env(
        &approve,
        &[("TOLLGATE_SIGNING_KEY", file.to_str().unwrap())],
    )
    .ok();
    let out = ws.path().join("export.json");
    ws.run(&["export", "--format", "json", "--out", out.to_str().unwrap()])
        .ok();
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
    let approvals: Vec<&serde_json::Value> = report["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "approval")
        .collect();
    let sources: Vec<&str> = approvals
        .iter()
        .map(|e| e["data"]["key_source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["ssh-agent", "file"]);
    for a in approvals {
        assert!(ssh_keygen_verifies(dir.path(), &id, &public, a));
    }
    let config = ws.config();
    let offline = ws.run(&[
        "verify",
        ws.path().join("export.json").to_str().unwrap(),
        "--allow-unsealed",
        "--config",
        config.to_str().unwrap(),
    ]);
    offline.ok();
    assert!(
        offline.stdout.contains(
            "signed records, promotions and rollbacks: 1, of which 1 verify against the listed identities"
        ),
        "{}",
        offline.stdout
    );
    let verified = ws.run(&["verify"]);
    verified.ok();
    assert!(
        verified.stdout.contains("2 approval signatures verify, 1 record/promotion/rollback signatures verify (0 unsigned)"),
        "{}",
        verified.stdout
    );
}

#[test]
#[allow(
    clippy::disallowed_methods,
    reason = "signed now, as the CLI it is compared with signs at the system time"
)]
fn an_approval_signed_by_a_signer_only_key_is_ignored_with_a_reason() {
    use tollgate::domain::{Digest, EventKind, NewEvent};
    use tollgate::signing::{Anchor, ApprovalMessage, Target};
    let policy =
        r#"{ name = "staging", tag = "staging", policy = { approvals = 1, roles = ["qa"] } }"#;
    let reg = TestRegistry::start();
    push(&make_image("signer approval"), &reg, "payments/api:dev");
    let digest = skopeo_digest(&reg, "payments/api:dev");
    let qa = tollgate::signing::generate_key(&unique_id("qa"), &OsKeychain).unwrap();
    let toml = tollgate_testsupport::workspace::workspace_toml(
        "signer-approval",
        &reg.url(),
        &[r#"{ name = "dev", tag = "dev" }"#, policy],
    );
    let ws = TempWorkspace::new(&format!(
        "{toml}\n[[approvers]]\nid = \"{}\"\nroles = [\"qa\"]\nkey = \"{}\"\n",
        qa.id, qa.public_key
    ));
    record(&ws, &digest, "ci@example.com", &[]).ok();
    // CI's key signs an approval message as if it were an approver, and it is appended as one.
    let mut store = tollgate::store::Store::open(&ws.db()).unwrap();
    let (seq, head) = store.chain_head().unwrap();
    let target = Target {
        app: "api".into(),
        digest: Digest::parse(&digest).unwrap(),
        from: "dev".into(),
        to: "staging".into(),
    };
    let now = chrono::Utc::now();
    let m = ApprovalMessage::new(
        &target,
        "ci@example.com",
        "qa",
        now,
        None,
        &Anchor { seq, hash: head },
    );
    let bytes = m.to_bytes();
    let signature = tollgate::signing::sign("ci@example.com", &bytes, &OsKeychain).unwrap();
    store
        .append(vec![NewEvent {
            at: now,
            kind: EventKind::Approval,
            app: "api".into(),
            env: "staging".into(),
            digest: Some(target.digest.clone()),
            actor: Some("ci@example.com".into()),
            data: serde_json::json!({
                "from": "dev", "to": "staging", "role": "qa", "note": "",
                "message": String::from_utf8(bytes).unwrap(), "signature": signature,
            }),
        }])
        .unwrap();
    drop(store);
    let check = ws.run(&[
        "check", "--app", "api", "--to", "staging", "--digest", &digest,
    ]);
    assert!(check.stdout.contains("NOT READY"), "{}", check.stdout);
    assert!(
        check.stdout.contains(
            "ignored approval 2 by ci@example.com: approval by ci@example.com ignored: ci@example.com is not an approver in tollgate.toml"
        ),
        "{}",
        check.stdout
    );
}

#[test]
fn a_rollback_is_signed_by_its_actor() {
    use tollgate_testsupport::signed::{at, SignedWorkspace};
    let f = SignedWorkspace::builder("signed-rollback", &[r#"{ name = "dev", tag = "dev" }"#])
        .image("dev", "signed-rollback a")
        .image("old", "signed-rollback b")
        .build();
    let (a, b) = (f.digests[0].clone(), f.digests[1].clone());
    f.record(&at(0), "dev", &b);
    f.record(&at(1), "dev", &a);
    let outcome = f.rollback(&at(2), "dev", &b, "ci@example.com").unwrap();
    assert_eq!(f.tag("payments/api:dev").as_deref(), Some(b.as_str()));
    let data = &outcome.event.as_ref().unwrap().data;
    let m: serde_json::Value = serde_json::from_str(data["message"].as_str().unwrap()).unwrap();
    assert_eq!(m["kind"], "tollgate.rollback");
    assert_eq!(m["from"], serde_json::Value::Null);
    assert_eq!(m["previous"], a.as_str(), "what the tag showed before");
    assert_eq!(m["digest"], b.as_str());
    assert_eq!(m["signer"], "ci@example.com");
    let key = tollgate::signing::public_key("ci@example.com", &OsKeychain).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let event = serde_json::json!({ "data": data });
    assert!(ssh_keygen_verifies(
        dir.path(),
        "ci@example.com",
        &key.public_key,
        &event
    ));
    let report = tollgate::api::verify(&f.ws).unwrap();
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(report.signed_events, 3);
}

/// One person listed twice, `alice@example.com` and `Alice@Example.com` with the same key
/// (made by `ssh-keygen`), would be two approvers and satisfy `approvals = 2` alone: the
/// workspace is refused on load, naming both entries and their lines, before anything runs.
#[test]
fn one_key_under_two_spellings_of_an_id_is_refused_naming_both_lines() {
    let keys = tempfile::tempdir().unwrap();
    let (_, public) = keygen(keys.path(), "alice", "alice@example.com");
    let entry = |id: &str| {
        format!("\n[[approvers]]\nid = \"{id}\"\nroles = [\"manager\"]\nkey = \"{public}\"\n")
    };
    let extra = format!(
        "{}{}",
        entry("alice@example.com"),
        entry("Alice@Example.com")
    );
    let (_reg, ws, _) = workspace(&extra);
    let text = std::fs::read_to_string(ws.config()).unwrap();
    let line_of = |needle: &str| {
        let at = text.find(needle).unwrap();
        text[..at].matches('\n').count() + 1
    };
    let (first, second) = (
        line_of("id = \"alice@example.com\""),
        line_of("id = \"Alice@Example.com\""),
    );
    for args in [&["status"][..], &["sync"]] {
        ws.run(args).fails_with(
            2,
            &[
                "approver 'alice@example.com'",
                &format!("(line {first})"),
                "approver 'Alice@Example.com'",
                &format!("(line {second})"),
                "letter case",
            ],
        );
    }
    // One key listed for two ids (here as bob's retired key) is one person too.
    let (_, other) = keygen(keys.path(), "bob", "bob@example.com");
    let shared = format!(
        "{}\n[[approvers]]\nid = \"bob@example.com\"\nroles = [\"manager\"]\nkey = \"{other}\"\nprevious_keys = [{{ key = \"{public}\", until = \"2026-01-01T00:00:00Z\" }}]\n",
        entry("alice@example.com")
    );
    let (_reg, ws, _) = workspace(&shared);
    ws.run(&["status"]).fails_with(
        2,
        &[
            "approver 'alice@example.com'",
            "approver 'bob@example.com'",
            "previous_keys #1",
            "same public key",
        ],
    );
}
