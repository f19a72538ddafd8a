//! Approval signatures with the real OS keychain (run the binary inside
//! `scripts/with-keychain.sh`) checked by the real `ssh-keygen -Y verify`, and the other way round.

use std::path::Path;
use std::process::{Command, Stdio};

use chrono::{TimeZone, Utc};
use tollgate::config::ApproverConfig;
use tollgate::domain::Digest;
use tollgate::keychain::{OsKeychain, SecretStore, SIGNING_SERVICE};
use tollgate::signing::{self, Anchor, ApprovalMessage, Target, NAMESPACE};
use tollgate::Code;

/// A keychain entry for a fresh approver id, removed again when dropped.
struct KeychainKey {
    id: String,
}

impl KeychainKey {
    fn new(name: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let id = format!("{name}-{}-{nanos}@example.com", std::process::id());
        if let Err(e) = OsKeychain.get(SIGNING_SERVICE, &id) {
            panic!(
                "{}: run the tests inside scripts/with-keychain.sh",
                e.message
            );
        }
        KeychainKey { id }
    }
}

impl Drop for KeychainKey {
    fn drop(&mut self) {
        let _ = OsKeychain.delete(SIGNING_SERVICE, &self.id);
    }
}

fn message_for(approver: &str) -> Vec<u8> {
    message_with(approver, 8, Some("checked in staging"))
}

/// An approval message of `approver` signed at `hour`:00 on 2026-11-25 (UTC).
fn message_with(approver: &str, hour: u32, note: Option<&str>) -> Vec<u8> {
    let target = Target {
        app: "api".into(),
        digest: Digest::of(b"payments-api v2"),
        from: "staging".into(),
        to: "production".into(),
    };
    let at = Utc.with_ymd_and_hms(2026, 11, 25, hour, 0, 0).unwrap();
    ApprovalMessage::new(&target, approver, "manager", at, note, &Anchor::genesis()).to_bytes()
}

/// `ssh-keygen -Y verify -f allowed_signers -I <id> -n tollgate-approval -s <sig> < <msg>`
fn ssh_keygen_verify(dir: &Path, id: &str, msg: &str, sig: &str) -> (bool, String) {
    ssh_keygen(dir, id, msg, sig, &[])
}

/// [`ssh_keygen_verify`] at the time `when` (`-Overify-time=YYYYMMDDHHMMSSZ`).
fn ssh_keygen_verify_at(dir: &Path, id: &str, msg: &str, sig: &str, when: &str) -> bool {
    ssh_keygen(dir, id, msg, sig, &[&format!("-Overify-time={when}")]).0
}

fn ssh_keygen(dir: &Path, id: &str, msg: &str, sig: &str, extra: &[&str]) -> (bool, String) {
    let out = Command::new("ssh-keygen")
        .args(["-Y", "verify", "-f", "allowed_signers", "-I", id])
        .args(["-n", NAMESPACE, "-s", sig])
        .args(extra)
        .current_dir(dir)
        .stdin(Stdio::from(std::fs::File::open(dir.join(msg)).unwrap()))
        .output()
        .expect("ssh-keygen (openssh-client) is installed");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
#[allow(clippy::disallowed_methods, reason = "verified now, as signed now")]
fn ssh_keygen_verifies_an_approval_signed_with_the_os_keychain_key() {
    let key = KeychainKey::new("alice");
    let info = signing::generate_key(&key.id, &OsKeychain).unwrap();
    assert_eq!(signing::public_key(&key.id, &OsKeychain).unwrap(), info);

    let msg = message_for(&key.id);
    let sig = signing::sign(&key.id, &msg, &OsKeychain).unwrap();
    let approver = ApproverConfig {
        id: key.id.clone(),
        roles: vec!["manager".into()],
        key: info.public_key.clone(),
        previous_keys: vec![],
    };
    assert_eq!(
        signing::verify_approval(&msg, &sig, &approver, Utc::now())
            .unwrap()
            .fingerprint,
        info.fingerprint
    );

    let dir = tempfile::tempdir().unwrap();
    let altered = String::from_utf8(msg.clone())
        .unwrap()
        .replace("production", "productioN");
    std::fs::write(dir.path().join("msg"), &msg).unwrap();
    std::fs::write(dir.path().join("altered"), &altered).unwrap();
    std::fs::write(dir.path().join("msg.sig"), &sig).unwrap();
    std::fs::write(
        dir.path().join("allowed_signers"),
        signing::allowed_signers(std::slice::from_ref(&approver)),
    )
    .unwrap();
    std::fs::write(dir.path().join("key.pub"), format!("{}\n", info.public_key)).unwrap();

    let (ok, out) = ssh_keygen_verify(dir.path(), &key.id, "msg", "msg.sig");
    assert!(ok, "ssh-keygen refused a Tollgate signature: {out}");
    assert!(out.contains(&info.fingerprint), "{out}");

    let (ok, out) = ssh_keygen_verify(dir.path(), &key.id, "altered", "msg.sig");
    assert!(!ok, "ssh-keygen accepted an altered message: {out}");
    let e = signing::verify(altered.as_bytes(), &sig, &info.public_key).unwrap_err();
    assert_eq!(e.code, Code::SignatureInvalid);

    let (ok, out) = ssh_keygen_verify(dir.path(), "mallory@example.com", "msg", "msg.sig");
    assert!(
        !ok,
        "ssh-keygen accepted the signature for another principal: {out}"
    );

    // Our fingerprint is the one ssh-keygen prints.
    let out = Command::new("ssh-keygen")
        .args(["-l", "-f", "key.pub"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(listed.contains(&info.fingerprint), "{listed}");

    // The private key is in the keychain and nowhere in the files.
    let pem = OsKeychain
        .get(SIGNING_SERVICE, &key.id)
        .unwrap()
        .expect("key in the OS keychain");
    assert!(pem.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----"));
    let secret_lines: Vec<&str> = pem
        .lines()
        .filter(|l| !l.starts_with("-----") && l.len() > 20)
        .collect();
    assert!(!secret_lines.is_empty());
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("PRIVATE KEY"), "{}", path.display());
        for line in &secret_lines {
            assert!(
                !text.contains(line),
                "private key material in {}",
                path.display()
            );
        }
    }
}

#[test]
fn key_init_never_replaces_a_key_in_the_os_keychain() {
    let key = KeychainKey::new("bob");
    let e = signing::public_key(&key.id, &OsKeychain).unwrap_err();
    assert_eq!(e.code, Code::NotFound);
    assert_eq!(
        e.hint,
        Some(tollgate::Hint::KeyInit {
            id: Some(key.id.clone())
        }),
        "{}",
        e.message
    );

    let first = signing::generate_key(&key.id, &OsKeychain).unwrap();
    let e = signing::generate_key(&key.id, &OsKeychain).unwrap_err();
    assert_eq!(e.code, Code::Refused);
    assert!(!e.message.contains('\n'));
    assert_eq!(signing::public_key(&key.id, &OsKeychain).unwrap(), first);
}

#[test]
#[allow(clippy::disallowed_methods, reason = "verified now, as signed now")]
fn tollgate_verifies_a_signature_made_by_ssh_keygen() {
    // A throwaway key of ssh-keygen's own, in its own temp dir: the other direction of interop.
    let dir = tempfile::tempdir().unwrap();
    let id = "carol@example.com";
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", id, "-f", "k"])
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    let msg = message_for(id);
    std::fs::write(dir.path().join("msg"), &msg).unwrap();
    let status = Command::new("ssh-keygen")
        .args(["-Y", "sign", "-f", "k", "-n", NAMESPACE, "msg"])
        .current_dir(dir.path())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let sig = std::fs::read_to_string(dir.path().join("msg.sig")).unwrap();
    let public = std::fs::read_to_string(dir.path().join("k.pub")).unwrap();
    let approver = ApproverConfig {
        id: id.into(),
        roles: vec![],
        key: public.trim().into(),
        previous_keys: vec![],
    };
    signing::verify_approval(&msg, &sig, &approver, Utc::now())
        .expect("an ssh-keygen signature verifies");
    assert_eq!(
        signing::signer_key(&sig).unwrap(),
        public.trim().trim_end_matches(&format!(" {id}"))
    );
}

/// When the history appended an approval signed at `hour`:00 on 2026-11-25 (the same moment).
fn appended(hour: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, hour, 0, 0).unwrap()
}

fn message_at(approver: &str, hour: u32) -> Vec<u8> {
    message_with(approver, hour, None)
}

#[test]
fn key_rotate_replaces_the_keychain_key_and_keeps_what_the_old_one_signed() {
    let key = KeychainKey::new("rotating");
    let tmp = tollgate_testsupport::workspace::TempWorkspace::new("");
    // Nothing to rotate yet: one line, exit 2, nothing made.
    let none = tmp.run_bare(&["key", "rotate", "--id", &key.id]);
    none.fails_with(2, &["tollgate key init --id"]);
    assert!(OsKeychain.get(SIGNING_SERVICE, &key.id).unwrap().is_none());

    let old = signing::generate_key(&key.id, &OsKeychain).unwrap();
    // Signed with the old key: one message of 08:00, one dated 10:00 (after the rotation).
    let (early, late) = (message_at(&key.id, 8), message_at(&key.id, 10));
    let early_sig = signing::sign(&key.id, &early, &OsKeychain).unwrap();
    let late_sig = signing::sign(&key.id, &late, &OsKeychain).unwrap();

    let out = tmp.run_bare(&["key", "rotate", "--id", &key.id, "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let rotation: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(rotation["previous"]["public_key"], old.public_key.as_str());
    let new = signing::public_key(&key.id, &OsKeychain).unwrap();
    assert_ne!(new.fingerprint, old.fingerprint);
    assert_eq!(rotation["current"]["public_key"], new.public_key.as_str());
    assert!(!out.stdout.contains("PRIVATE") && !out.stderr.contains("PRIVATE"));

    // The printed lines, as they go into tollgate.toml, retire the old key at the rotation,
    // which the test places at 09:00 by rewriting `until` (the CLI used the real clock).
    let lines = rotation["toml"].as_str().unwrap();
    let until = rotation["retired_at"].as_str().unwrap();
    assert!(lines.contains(&format!("until = \"{until}\"")), "{lines}");
    let lines = lines.replace(until, "2026-11-25T09:00:00Z");
    let approver: ApproverConfig = toml::from_str(&format!(
        "id = \"{}\"\nroles = [\"manager\"]\n{lines}\n",
        key.id
    ))
    .unwrap();
    signing::validate_approver(&approver).unwrap();
    assert_eq!(approver.key, new.public_key);

    // Tollgate: the old key verifies what it signed until 09:00, not later; the new key signs.
    signing::verify_approval(&early, &early_sig, &approver, appended(8)).unwrap();
    let e = signing::verify_approval(&late, &late_sig, &approver, appended(10)).unwrap_err();
    assert!(e.message.contains("is retired"), "{}", e.message);
    let fresh = message_at(&key.id, 11);
    let fresh_sig = signing::sign(&key.id, &fresh, &OsKeychain).unwrap();
    signing::verify_approval(&fresh, &fresh_sig, &approver, appended(11)).unwrap();

    // ssh-keygen agrees, from the allowed_signers Tollgate writes (valid-before on the old key).
    let dir = tempfile::tempdir().unwrap();
    let signers = signing::allowed_signers(std::slice::from_ref(&approver));
    assert!(
        signers.contains("valid-before=\"20261125090000Z\""),
        "{signers}"
    );
    std::fs::write(dir.path().join("allowed_signers"), &signers).unwrap();
    for (name, bytes) in [
        ("early", early.as_slice()),
        ("late", late.as_slice()),
        ("fresh", fresh.as_slice()),
    ] {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    for (name, sig) in [
        ("early.sig", &early_sig),
        ("late.sig", &late_sig),
        ("fresh.sig", &fresh_sig),
    ] {
        std::fs::write(dir.path().join(name), sig).unwrap();
    }
    let id = key.id.as_str();
    assert!(ssh_keygen_verify_at(
        dir.path(),
        id,
        "early",
        "early.sig",
        "20261125080000Z"
    ));
    assert!(!ssh_keygen_verify_at(
        dir.path(),
        id,
        "late",
        "late.sig",
        "20261125100000Z"
    ));
    assert!(ssh_keygen_verify_at(
        dir.path(),
        id,
        "fresh",
        "fresh.sig",
        "20261125110000Z"
    ));
}
