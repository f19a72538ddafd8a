//! The public half of an approver's key as Tollgate shows and writes it: [`PublicKeyInfo`] (what
//! `tollgate key show` prints), its OpenSSH text, its fingerprint and its `allowed_signers`
//! line. A leaf of `signing`: it uses no other module of it (the key checks of tollgate.toml are
//! `config::keys`).

use serde::Serialize;
use ssh_key::{HashAlg, PublicKey};
use ts_rs::TS;

use super::NAMESPACE;
use crate::{Error, Result};

/// The public half of an approver's signing key: what `tollgate key show` prints and what goes
/// into `tollgate.toml` (`key = "<public_key>"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct PublicKeyInfo {
    /// The approver id: the keychain account and the key's comment.
    pub id: String,
    /// OpenSSH form, `ssh-ed25519 AAAA… <id>`.
    pub public_key: String,
    /// `SHA256:…`, as `ssh-keygen -l` prints it.
    pub fingerprint: String,
    /// `<id> namespaces="tollgate-approval" ssh-ed25519 AAAA…`, one line of `allowed_signers`.
    pub allowed_signers_line: String,
}

impl PublicKeyInfo {
    pub(super) fn new(id: &str, key: &PublicKey) -> Result<Self> {
        let mut with_comment = key.clone();
        with_comment.set_comment(id);
        Ok(PublicKeyInfo {
            id: id.to_string(),
            public_key: openssh(&with_comment)?,
            fingerprint: key.fingerprint(HashAlg::Sha256).to_string(),
            allowed_signers_line: allowed_signers_line(id, key)?,
        })
    }
}

/// One `allowed_signers` line: `<id> namespaces="tollgate-approval" ssh-ed25519 AAAA…`
/// (the key's comment is left out).
pub fn allowed_signers_line(id: &str, key: &PublicKey) -> Result<String> {
    allowed_signers_line_in(NAMESPACE, id, key)
}

/// [`allowed_signers_line`] for another SSHSIG namespace: `namespaces="git"` is the line
/// `git verify-commit` (`gpg.ssh.allowedSignersFile`) accepts for commit signatures.
pub fn allowed_signers_line_in(namespace: &str, id: &str, key: &PublicKey) -> Result<String> {
    let bare = PublicKey::new(key.key_data().clone(), "");
    Ok(format!(
        "{id} namespaces=\"{namespace}\" {}",
        openssh(&bare)?
    ))
}

/// The `SHA256:…` fingerprint of an OpenSSH public key, as `ssh-keygen -l` prints it.
pub fn fingerprint(public_key: &str) -> Result<String> {
    PublicKey::from_openssh(public_key.trim())
        .map(|k| k.fingerprint(HashAlg::Sha256).to_string())
        .map_err(|_| Error::bad_input("not an OpenSSH public key: expected `ssh-ed25519 AAAA…`"))
}

fn openssh(key: &PublicKey) -> Result<String> {
    key.to_openssh()
        .map_err(|e| Error::internal(format!("could not encode a public key: {e}")))
}
