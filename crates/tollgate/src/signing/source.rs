//! Where the private key that signs for an identity comes from, in the order the contract fixes
//! (docs/src/contracts/signed-messages.md, "Key sources"): `TOLLGATE_SIGNING_KEY` (an OpenSSH
//! private key file, for CI), `SSH_AUTH_SOCK` (ssh-agent, when it holds the listed key), then
//! the OS keychain. A [`Signer`] says which one it used.
//!
//! The file and the keychain key are read into memory only while signing; an agent key never
//! leaves the agent. No error message, log line or `Debug` output holds a private key.

use std::path::{Path, PathBuf};

use ssh_key::{Algorithm, HashAlg, LineEnding, PrivateKey, PublicKey, SshSig};

use super::agent;
use super::key::load_private_key;
use super::{HASH_ALG, NAMESPACE};
use crate::config::{parse_approver_key, ApproverConfig};
use crate::keychain::SecretStore;
use crate::{Code, Error, Result};

/// Environment variable naming an OpenSSH private key file to sign with (a CI secret).
pub const SIGNING_KEY_ENV: &str = "TOLLGATE_SIGNING_KEY";

/// Where a signature's private key was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// The file `TOLLGATE_SIGNING_KEY` names.
    File(PathBuf),
    /// The ssh-agent at `SSH_AUTH_SOCK`.
    Agent(PathBuf),
    /// The OS keychain (`tollgate key init`).
    Keychain,
}

impl KeySource {
    /// `file`, `ssh-agent` or `keychain`: what an event's `data.key_source` says (no path).
    pub fn kind(&self) -> &'static str {
        match self {
            KeySource::File(_) => "file",
            KeySource::Agent(_) => "ssh-agent",
            KeySource::Keychain => "keychain",
        }
    }
}

impl std::fmt::Display for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::File(p) => write!(f, "key file {}", p.display()),
            KeySource::Agent(_) => write!(f, "ssh-agent"),
            KeySource::Keychain => write!(f, "OS keychain"),
        }
    }
}

/// The places to look for a key: the process environment ([`Sources::from_env`]) or, in
/// tests, given paths.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// `TOLLGATE_SIGNING_KEY`.
    pub key_file: Option<PathBuf>,
    /// `SSH_AUTH_SOCK`.
    pub agent_socket: Option<PathBuf>,
}

impl Sources {
    /// `TOLLGATE_SIGNING_KEY` and `SSH_AUTH_SOCK` as this process sees them (empty = unset).
    #[allow(
        clippy::disallowed_methods,
        reason = "the key sources are named by the environment (TOLLGATE_SIGNING_KEY, SSH_AUTH_SOCK)"
    )]
    pub fn from_env() -> Self {
        let path = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        Sources {
            key_file: path(SIGNING_KEY_ENV),
            agent_socket: path("SSH_AUTH_SOCK"),
        }
    }
}

enum Held {
    Private(Box<PrivateKey>),
    Agent(PathBuf),
}

/// A key that signs for one listed identity (approver or `[[signers]]` entry), and where it is.
pub struct Signer {
    id: String,
    public: PublicKey,
    source: KeySource,
    held: Held,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("id", &self.id)
            .field("source", &self.source)
            .field("fingerprint", &self.fingerprint())
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// The key that signs for `identity`: its listed `key` (never a previous one), found in
    /// the first of the [`Sources`] that has it, else in the OS keychain. A key file that is
    /// not usable, or holds another key, is refused (no silent fallback to another source); an
    /// agent without the key is passed over.
    pub fn resolve(
        identity: &ApproverConfig,
        sources: &Sources,
        secrets: &dyn SecretStore,
    ) -> Result<Signer> {
        let id = &identity.id;
        let listed = parse_approver_key(identity)?;
        let found = |public: PublicKey, source: KeySource, held: Held| Signer {
            id: id.clone(),
            public,
            source,
            held,
        };
        if let Some(path) = &sources.key_file {
            let key = read_key_file(path)?;
            if key.public_key().key_data() != listed.key_data() {
                return Err(Error::refused(format!(
                    "{SIGNING_KEY_ENV} ({}) holds the key {}, not the key tollgate.toml lists for {id} ({}); point it at {id}'s key or unset it",
                    path.display(),
                    key.public_key().fingerprint(HashAlg::Sha256),
                    listed.fingerprint(HashAlg::Sha256)
                )));
            }
            return Ok(found(
                listed,
                KeySource::File(path.clone()),
                Held::Private(Box::new(key)),
            ));
        }
        if let Some(socket) = &sources.agent_socket {
            match agent::identities(socket) {
                Ok(keys) if keys.iter().any(|k| k.key_data() == listed.key_data()) => {
                    return Ok(found(
                        listed,
                        KeySource::Agent(socket.clone()),
                        Held::Agent(socket.clone()),
                    ));
                }
                Ok(_) => tracing::debug!(%id, "the ssh-agent does not hold the listed key"),
                Err(e) => tracing::debug!(%id, error = %e.message, "ssh-agent not usable"),
            }
        }
        let key = match load_private_key(id, secrets) {
            Ok(key) => key,
            Err(e) if e.code == Code::NotFound => return Err(no_key(id)),
            Err(e) => return Err(e),
        };
        if key.public_key().key_data() != listed.key_data() {
            return Err(Error::new(
                Code::SignatureInvalid,
                format!(
                    "the key in your keychain ({}) is not the key listed for {id} in tollgate.toml ({}); sign with the listed key through {SIGNING_KEY_ENV} or ssh-agent, or have this key listed",
                    key.public_key().fingerprint(HashAlg::Sha256),
                    listed.fingerprint(HashAlg::Sha256)
                ),
            )
            .with_hint(crate::Hint::HandOverKey { id: id.to_string() }));
        }
        Ok(found(
            listed,
            KeySource::Keychain,
            Held::Private(Box::new(key)),
        ))
    }

    /// The identity it signs for.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Where its key is.
    pub fn source(&self) -> &KeySource {
        &self.source
    }

    /// Its public key in OpenSSH form, without a comment (`ssh-ed25519 AAAA…`).
    pub fn public_openssh(&self) -> Result<String> {
        PublicKey::new(self.public.key_data().clone(), "")
            .to_openssh()
            .map_err(|e| Error::internal(format!("could not encode a public key: {e}")))
    }

    /// `SHA256:…` of its key.
    pub fn fingerprint(&self) -> String {
        self.public.fingerprint(HashAlg::Sha256).to_string()
    }

    /// Sign `message`: the armored SSHSIG (namespace `tollgate-approval`, sha512, LF), the
    /// same bytes `ssh-keygen -Y sign` would make with this key.
    pub fn sign(&self, message: &[u8]) -> Result<String> {
        self.sign_in(NAMESPACE, message)
    }

    /// [`Self::sign`] in another SSHSIG namespace (a checkpoint's `tollgate-checkpoint`, a
    /// report's seal: `tollgate-report`).
    pub fn sign_in(&self, namespace: &str, message: &[u8]) -> Result<String> {
        let sig = match &self.held {
            Held::Private(key) => key.sign(namespace, HASH_ALG, message).map_err(|e| {
                Error::internal(format!("signing with the key of {} failed: {e}", self.id))
            })?,
            Held::Agent(socket) => {
                let data = SshSig::signed_data(namespace, HASH_ALG, message)
                    .map_err(|e| Error::internal(format!("could not frame the message: {e}")))?;
                let signature = agent::sign(socket, &self.public, &data)?;
                SshSig::new(
                    self.public.key_data().clone(),
                    namespace,
                    HASH_ALG,
                    signature,
                )
                .map_err(|e| Error::internal(format!("could not build the signature: {e}")))?
            }
        };
        sig.to_pem(LineEnding::LF)
            .map_err(|e| Error::internal(format!("could not encode the signature: {e}")))
    }
}

/// Who the key sources say signs, when nothing else names the actor: the listed identity whose
/// `key` is in the `TOLLGATE_SIGNING_KEY` file, else the one listed identity whose key the
/// ssh-agent holds (none when several are). A file that cannot be used names nobody here; the
/// signing that follows refuses it with its reason.
pub fn identity_in_sources(identities: &[ApproverConfig], sources: &Sources) -> Option<String> {
    let listed = |key: &PublicKey| {
        identities
            .iter()
            .filter(|i| parse_approver_key(i).is_ok_and(|k| k.key_data() == key.key_data()))
            .map(|i| i.id.clone())
            .collect::<Vec<_>>()
    };
    if let Some(path) = &sources.key_file {
        let key = read_key_file(path).ok()?;
        return listed(key.public_key()).into_iter().next();
    }
    let socket = sources.agent_socket.as_ref()?;
    let mut ids: Vec<String> = agent::identities(socket)
        .ok()?
        .iter()
        .flat_map(listed)
        .collect();
    ids.dedup();
    match ids.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    }
}

/// The one line for an identity with no usable key anywhere.
fn no_key(id: &str) -> Error {
    Error::refused(format!("no key to sign as {id}"))
        .with_hint(crate::Hint::SignWithKey { id: id.to_string() })
}

/// Read the OpenSSH private key file `TOLLGATE_SIGNING_KEY` names: readable by its owner only
/// (on Unix), not passphrase-protected, Ed25519.
fn read_key_file(path: &Path) -> Result<PrivateKey> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| {
        Error::bad_input(format!(
            "{SIGNING_KEY_ENV} names {shown}, which cannot be read ({e}); point it at an OpenSSH private key file"
        ))
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(Error::bad_input(format!(
                "{SIGNING_KEY_ENV} names {shown}, which group or others may read (mode {mode:03o}); run `chmod 600 {shown}`"
            )));
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    let text = std::fs::read(path).map_err(|e| {
        Error::bad_input(format!(
            "{SIGNING_KEY_ENV} names {shown}, which cannot be read ({e})"
        ))
    })?;
    let key = PrivateKey::from_openssh(&text).map_err(|_| {
        Error::bad_input(format!(
            "{SIGNING_KEY_ENV} names {shown}, which is not an OpenSSH private key; make one with `ssh-keygen -t ed25519 -N '' -f FILE`"
        ))
    })?;
    if key.is_encrypted() {
        return Err(Error::bad_input(format!(
            "{SIGNING_KEY_ENV} names {shown}, a passphrase-protected key, which Tollgate cannot unlock; use a key without a passphrase kept as a CI secret, or load it into ssh-agent (`ssh-add`)"
        )));
    }
    if key.algorithm() != Algorithm::Ed25519 {
        return Err(Error::bad_input(format!(
            "{SIGNING_KEY_ENV} names {shown}, a {} key; Tollgate signs with Ed25519 keys only (`ssh-keygen -t ed25519`)",
            key.algorithm()
        )));
    }
    Ok(key)
}
