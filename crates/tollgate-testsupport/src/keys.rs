//! Signing keys of the tests. The CI identities every test workspace lists under
//! `[[signers]]`: records, promotions and rollbacks are signed, so whoever the tests act as
//! (`ci@example.com`, `ci`, …) needs a listed key. Their keys are made once per test process in
//! the OS keychain (run under scripts/with-keychain.sh) and read back by every later workspace
//! and CLI run. And throwaway public keys made with `ssh-keygen` for identities whose private
//! key nobody on this machine holds.

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use tollgate::keychain::OsKeychain;

/// The ids the tests record and promote as without being approvers (`ops-person` is the login
/// name gate.rs records as through `$USER`).
pub const CI_SIGNERS: [&str; 5] = [
    "ci@example.com",
    "ci",
    "deployer@example.com",
    "release-bot",
    "ops-person",
];

/// The `[[signers]]` entries for [`CI_SIGNERS`], their keys in the OS keychain.
pub fn ci_signers_toml() -> &'static str {
    static TOML: OnceLock<String> = OnceLock::new();
    TOML.get_or_init(|| {
        CI_SIGNERS
            .iter()
            .map(|id| {
                let key = tollgate::signing::public_key(id, &OsKeychain)
                    .or_else(|_| tollgate::signing::generate_key(id, &OsKeychain))
                    .expect("keychain (run under scripts/with-keychain.sh)");
                format!(
                    "\n[[signers]]\nid = \"{id}\"\nkey = \"{}\"\n",
                    key.public_key
                )
            })
            .collect()
    })
}

/// A throwaway Ed25519 public key (`ssh-ed25519 AAAA… comment`) made with ssh-keygen in `dir`,
/// for an approver whose private key nobody on this machine holds.
pub fn other_public_key(dir: &Path, comment: &str) -> String {
    let file = dir.join(format!("key-{comment}"));
    let _ = std::fs::remove_file(&file);
    crate::process::run(
        Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f"])
            .arg(&file),
    );
    std::fs::read_to_string(format!("{}.pub", file.display()))
        .expect("ssh-keygen wrote the public key")
        .trim()
        .to_string()
}
