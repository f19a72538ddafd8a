//! `tollgate demo`: a newcomer can sign in it. This machine's identity is listed as an approver
//! (manager, qa) with its keychain key, created first when there is none (said on standard
//! error); the newcomer approves and promotes the digest waiting for staging, the approval
//! verifies with the real `ssh-keygen -Y verify`, skopeo reads the promoted digest under the
//! staging tag, and the demo's whole history still verifies. `--without-signing` lists nobody.

use std::path::{Path, PathBuf};

use tollgate::config::Workspace;
use tollgate::domain::EventKind;
use tollgate::store::Store;
use tollgate_testsupport::signed::unique_id;
use tollgate_testsupport::skopeo::skopeo_layout_digest;
use tollgate_testsupport::workspace::TempWorkspace;

fn config_of(tmp: &TempWorkspace, stdout: &str) -> PathBuf {
    let path = PathBuf::from(stdout.trim());
    if path.is_absolute() {
        path
    } else {
        tmp.path().join(path)
    }
}

/// The digest of `app` the demo recorded in dev and has not promoted yet (its newest release).
fn waiting_for_staging(config: &Path, app: &str) -> String {
    let ws = Workspace::load(config, None).unwrap();
    let store = Store::open(&ws.db_path).unwrap();
    let events = store.events(&Default::default()).unwrap();
    let newest_dev = events
        .iter()
        .rfind(|e| e.kind == EventKind::Record && e.app == app && e.env == "dev")
        .expect("the demo records releases in dev");
    newest_dev.digest.as_ref().unwrap().to_string()
}

fn ssh_keygen_verifies(config: &Path, id: &str, message: &str, signature: &str) {
    let ws = Workspace::load(config, None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let signers = dir.path().join("allowed_signers");
    std::fs::write(
        &signers,
        tollgate::signing::allowed_signers(&ws.config.approvers),
    )
    .unwrap();
    let sig = dir.path().join("approval.sig");
    std::fs::write(&sig, signature).unwrap();
    let mut child = std::process::Command::new("ssh-keygen")
        .args(["-Y", "verify", "-f"])
        .arg(&signers)
        .args(["-I", id, "-n", "tollgate-approval", "-s"])
        .arg(&sig)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(message.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "ssh-keygen -Y verify refused the approval: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_newcomer_approves_and_promotes_in_the_demo() {
    let tmp = TempWorkspace::empty();
    // This machine signs as a new identity whose key the keychain does not hold yet.
    let me = unique_id("newcomer");
    let made = tmp.run_bare_as(&["demo", "demo"], &me);
    assert_eq!(made.code, 0, "{}", made.stderr);
    assert!(
        made.stderr
            .contains("the keychain holds no key for it: creating one"),
        "{}",
        made.stderr
    );
    assert!(
        made.stderr
            .contains(&format!("you approve in the demo as {me} (manager, qa)")),
        "{}",
        made.stderr
    );
    let config = config_of(&tmp, &made.stdout);
    let c = config.to_str().unwrap();

    // The demo lists the keychain's key for this identity.
    let shown = tmp.run_bare_as(&["key", "show"], &me);
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    let key = shown
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("public key:"))
        .expect("key show prints the public key")
        .trim()
        .to_string();
    let ws = Workspace::load(&config, None).unwrap();
    let listed = ws
        .config
        .approvers
        .iter()
        .find(|a| a.id == me)
        .expect("this machine's identity is an approver of the demo");
    assert_eq!(listed.roles, ["manager", "qa"]);
    assert!(
        key.starts_with("ssh-ed25519 ") && listed.key == key,
        "{key} vs {}",
        listed.key
    );

    // The newest api release waits for staging; the newcomer approves and promotes it.
    let digest = waiting_for_staging(&config, "api");
    let check = tmp.run_bare_as(
        &[
            "--config",
            c,
            "check",
            "--app",
            "api",
            "--to",
            "staging",
            "--digest",
            &digest[7..19],
        ],
        &me,
    );
    // (A 12 hex digit prefix names the digest, as git takes short ids.)
    assert!(check.stdout.contains(&digest), "{}", check.stdout);
    assert_eq!(check.code, 1, "not approved yet: {}", check.stdout);
    let approve = tmp.run_bare_as(
        &[
            "--config",
            c,
            "approve",
            "--app",
            "api",
            "--to",
            "staging",
            "--digest",
            &digest,
            "--confirm",
            &digest[7..19],
        ],
        &me,
    );
    assert_eq!(approve.code, 0, "{}", approve.stderr);
    let promote = tmp.run_bare_as(
        &[
            "--config",
            c,
            "promote",
            "--app",
            "api",
            "--to",
            "staging",
            "--digest",
            &digest[..19],
        ],
        &me,
    );
    assert_eq!(promote.code, 0, "{}", promote.stderr);
    let layout = config.parent().unwrap().join("registry/payments/api");
    assert_eq!(skopeo_layout_digest(&layout, "staging"), digest);
    // The deploy snippet names the image where a cluster would pull it, not the local layout.
    assert!(
        promote.stdout.contains(&format!(
            "kubectl set image deployment/api api=registry.example.com/payments/api@{digest}"
        )) && !promote.stdout.contains("oci:"),
        "{}",
        promote.stdout
    );

    // The approval is the newcomer's, and stock ssh-keygen verifies it.
    let store = Store::open(&ws.db_path).unwrap();
    let approval = store
        .events(&Default::default())
        .unwrap()
        .into_iter()
        .rfind(|e| e.kind == EventKind::Approval && e.actor.as_deref() == Some(me.as_str()))
        .expect("the newcomer's approval is in the history");
    ssh_keygen_verifies(
        &config,
        &me,
        approval.data["message"].as_str().unwrap(),
        approval.data["signature"].as_str().unwrap(),
    );

    // The demo's own history and the newcomer's additions verify.
    let v = tmp.run_bare_as(&["--config", c, "verify", "--json"], &me);
    assert_eq!(v.code, 0, "{}", v.stdout);
    assert_eq!(v.json()["unsigned_events"], 0, "{}", v.stdout);
}

#[test]
fn without_signing_the_demo_lists_only_its_own_approvers() {
    let tmp = TempWorkspace::empty();
    let me = unique_id("looker");
    let made = tmp.run_bare_as(&["demo", "demo", "--without-signing"], &me);
    assert_eq!(made.code, 0, "{}", made.stderr);
    assert!(!made.stderr.contains("creating"), "{}", made.stderr);
    let config = config_of(&tmp, &made.stdout);
    let ws = Workspace::load(&config, None).unwrap();
    assert!(ws.config.approvers.iter().all(|a| a.id != me));
    // No key was created for it.
    let shown = tmp.run_bare_as(&["key", "show"], &me);
    assert_ne!(shown.code, 0, "{}", shown.stdout);
    let digest = waiting_for_staging(&config, "api");
    let approve = tmp.run_bare_as(
        &[
            "--config",
            config.to_str().unwrap(),
            "approve",
            "--app",
            "api",
            "--to",
            "staging",
            "--digest",
            &digest,
            "--confirm",
            &digest[7..19],
        ],
        &me,
    );
    assert_eq!(approve.code, 1, "{}", approve.stderr);
}

#[test]
fn without_a_keychain_the_demo_is_made_and_says_why_signing_is_not_offered() {
    let tmp = TempWorkspace::empty();
    let out = tmp
        .command()
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("TOLLGATE_APPROVER")
        .env_remove("DISPLAY")
        .args(["demo", "demo"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let lines: Vec<_> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    assert!(
        lines[0].starts_with("signing is not offered in the demo: no keychain is reachable"),
        "{stderr}"
    );
    let config = config_of(&tmp, &String::from_utf8_lossy(&out.stdout));
    let ws = Workspace::load(&config, None).unwrap();
    assert_eq!(
        ws.config.approvers.len(),
        2,
        "only the demo's own approvers"
    );
    let v = tmp.run_bare(&["--config", config.to_str().unwrap(), "verify"]);
    assert_eq!(v.code, 0, "{}", v.stdout);
}

#[test]
fn status_fits_120_columns_with_versions_and_wide_shows_everything() {
    let tmp = TempWorkspace::empty();
    let made = tmp.run_bare(&["demo", "demo", "--without-signing"]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    let config = config_of(&tmp, &made.stdout);
    let c = config.to_str().unwrap();
    let rows = tmp.run_bare(&["--config", c, "status", "--json"]).json();
    let staging = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["app"] == "api" && r["env"] == "staging")
        .unwrap()
        .clone();
    assert_eq!(staging["version"], "1.6.0", "{staging}");
    let full = staging["digest"].as_str().unwrap();

    let table = tmp.run_bare(&["--config", c, "status"]);
    assert_eq!(table.code, 0, "{}", table.stderr);
    for line in table.stdout.lines() {
        assert!(
            line.chars().count() <= 120,
            "{} columns: {line}",
            line.len()
        );
    }
    assert!(table.stdout.starts_with("APP "), "{}", table.stdout);
    assert!(table.stdout.lines().next().unwrap().contains(" VERSION "));
    let row = table
        .stdout
        .lines()
        .find(|l| l.starts_with("api ") && l.contains(" staging "))
        .unwrap();
    assert!(
        row.contains(&format!(" {} ", &full[7..19])) && row.contains(" 1.6.0 "),
        "{row}"
    );
    assert!(!table.stdout.contains(full), "{}", table.stdout);

    let wide = tmp.run_bare(&["--config", c, "status", "--wide"]);
    assert!(wide.stdout.contains(full), "{}", wide.stdout);
    // Timeline segments carry the version too.
    let timeline = tmp
        .run_bare(&["--config", c, "timeline", "--app", "api", "--json"])
        .json();
    let versions: Vec<_> = timeline
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["env"] == "staging")
        .map(|s| s["version"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(versions, ["1.4.0", "1.5.0", "1.6.0"], "{timeline}");
    let at = tmp.run_bare(&["--config", c, "status", "--at", "-1h"]);
    assert_eq!(at.code, 0, "{}", at.stderr);
    assert!(!at.stdout.contains(full) && at.stdout.contains(&full[7..19]));
}

#[test]
fn the_demos_release_diff_links_the_forges_compare_view() {
    let tmp = TempWorkspace::empty();
    let made = tmp.run_bare(&["demo", "demo", "--without-signing"]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    let config = config_of(&tmp, &made.stdout);
    let diff = tmp.run_bare(&[
        "--config",
        config.to_str().unwrap(),
        "diff",
        "--app",
        "api",
        "--to",
        "staging",
        "--json",
    ]);
    assert_eq!(diff.code, 0, "{}", diff.stderr);
    let text = diff.stdout;
    assert!(
        text.contains("https://github.com/tollgate-demo/api/compare/"),
        "{text}"
    );
}
