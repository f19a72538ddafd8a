//! An approver's Ed25519 key: made and kept in the OS keychain, read back to sign; described by
//! its public half (`public_key`).

use rand_core::OsRng;
use ssh_key::{Algorithm, LineEnding, PrivateKey};

use super::public_key::PublicKeyInfo;
use crate::config::validate_approver_id;
use crate::keychain::{SecretStore, SIGNING_SERVICE};
use crate::{Code, Error, Result};

/// Make a new Ed25519 key for approver `id` and store it in the OS keychain.
/// Refused when the keychain already holds a key for `id`: an existing key is never replaced.
pub fn generate_key(id: &str, secrets: &dyn SecretStore) -> Result<PublicKeyInfo> {
    validate_approver_id(id)?;
    if secrets.get(SIGNING_SERVICE, id)?.is_some() {
        return Err(Error::refused(format!(
            "a signing key for {id} already exists in the OS keychain and is kept as it is; see its public key with `tollgate key show --id {id}`; to replace it, `tollgate key rotate --id {id}`"
        )));
    }
    store_new_key(id, secrets)
}

/// Replace approver `id`'s key in the OS keychain with a new one (a key rotation). Returns the
/// public halves of the previous and the new key. Refused when there is no key to replace; if
/// the keychain does not keep the new key, the previous one is put back.
pub fn rotate_key(id: &str, secrets: &dyn SecretStore) -> Result<(PublicKeyInfo, PublicKeyInfo)> {
    validate_approver_id(id)?;
    let Some(previous_pem) = secrets.get(SIGNING_SERVICE, id)? else {
        return Err(Error::bad_input(format!(
            "there is no signing key for {id} in the OS keychain to rotate"
        ))
        .with_hint(crate::Hint::KeyInit {
            id: Some(id.to_string()),
        }));
    };
    let previous = public_key(id, secrets)?;
    match store_new_key(id, secrets) {
        Ok(current) => Ok((previous, current)),
        Err(e) => {
            secrets.set(SIGNING_SERVICE, id, &previous_pem)?;
            Err(e)
        }
    }
}

/// Make an Ed25519 key for `id`, write it to the keychain and read it back.
fn store_new_key(id: &str, secrets: &dyn SecretStore) -> Result<PublicKeyInfo> {
    let mut key = PrivateKey::random(&mut OsRng, Algorithm::Ed25519)
        .map_err(|e| Error::internal(format!("could not make an Ed25519 key: {e}")))?;
    key.set_comment(id);
    let pem = key
        .to_openssh(LineEnding::LF)
        .map_err(|e| Error::internal(format!("could not encode the new key: {e}")))?;
    secrets.set(SIGNING_SERVICE, id, &pem)?;
    drop(pem);
    // Read it back: a keychain that silently dropped the secret must not leave the approver
    // with a public key that nothing can sign for.
    let stored = load_private_key(id, secrets)?;
    if stored.public_key().key_data() != key.public_key().key_data() {
        return Err(Error::new(
            Code::Keychain,
            format!("the OS keychain did not keep the new signing key for {id}; check the keychain is unlocked and writable, then try again"),
        ));
    }
    PublicKeyInfo::new(id, key.public_key())
}

/// The public half of the key the OS keychain holds for approver `id`.
pub fn public_key(id: &str, secrets: &dyn SecretStore) -> Result<PublicKeyInfo> {
    validate_approver_id(id)?;
    let key = load_private_key(id, secrets)?;
    PublicKeyInfo::new(id, key.public_key())
}

/// The private key for `id`, from the keychain. Errors never include the secret.
pub(super) fn load_private_key(id: &str, secrets: &dyn SecretStore) -> Result<PrivateKey> {
    let Some(pem) = secrets.get(SIGNING_SERVICE, id)? else {
        return Err(Error::new(
            Code::NotFound,
            format!("no signing key for {id} in the OS keychain"),
        )
        .with_hint(crate::Hint::KeyInit {
            id: Some(id.to_string()),
        }));
    };
    let unusable = |why: &str| {
        Error::new(
            Code::Keychain,
            format!("the OS keychain entry '{SIGNING_SERVICE}' for {id} {why}; delete that entry, then make the key again"),
        )
        .with_hint(crate::Hint::KeyInit {
            id: Some(id.to_string()),
        })
    };
    let key = PrivateKey::from_openssh(pem.as_bytes())
        .map_err(|_| unusable("is not an OpenSSH private key"))?;
    if key.is_encrypted() {
        return Err(unusable(
            "is a passphrase-protected key, which Tollgate cannot use",
        ));
    }
    if key.algorithm() != Algorithm::Ed25519 {
        return Err(unusable("is not an Ed25519 key"));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use ssh_key::HashAlg;

    use super::*;
    use crate::config::{parse_approver_key, validate_approver, ApproverConfig};
    use crate::keychain::MemoryKeychain;
    use crate::signing::{allowed_signers, fingerprint};

    fn approver(id: &str, key: &str) -> ApproverConfig {
        ApproverConfig {
            id: id.into(),
            roles: vec!["qa".into()],
            key: key.into(),
            previous_keys: vec![],
        }
    }

    #[test]
    fn generates_once_and_shows_the_public_half() {
        let kc = MemoryKeychain::default();
        let info = generate_key("alice@example.com", &kc).unwrap();
        assert!(info.public_key.starts_with("ssh-ed25519 AAAA"));
        assert!(info.public_key.ends_with(" alice@example.com"));
        assert!(info.fingerprint.starts_with("SHA256:"));
        let bare = info.public_key.trim_end_matches(" alice@example.com");
        assert_eq!(
            info.allowed_signers_line,
            format!("alice@example.com namespaces=\"tollgate-approval\" {bare}")
        );
        assert_eq!(public_key("alice@example.com", &kc).unwrap(), info);
        assert_eq!(fingerprint(&info.public_key).unwrap(), info.fingerprint);

        let again = generate_key("alice@example.com", &kc).unwrap_err();
        assert_eq!(again.code, Code::Refused);
        assert!(
            again
                .message
                .contains("tollgate key show --id alice@example.com"),
            "{}",
            again.message
        );
        assert_eq!(
            public_key("alice@example.com", &kc).unwrap(),
            info,
            "the first key is kept"
        );
    }

    #[test]
    fn missing_or_damaged_keys_say_what_to_do() {
        let kc = MemoryKeychain::default();
        let e = public_key("bob@example.com", &kc).unwrap_err();
        assert_eq!(e.code, Code::NotFound);
        assert_eq!(
            e.hint,
            Some(crate::Hint::KeyInit {
                id: Some("bob@example.com".into())
            })
        );

        kc.set(SIGNING_SERVICE, "bob@example.com", "not a key")
            .unwrap();
        let e = public_key("bob@example.com", &kc).unwrap_err();
        assert_eq!(e.code, Code::Keychain);
        assert!(!e.message.contains("not a key"));
    }

    #[test]
    fn the_private_key_is_only_in_the_keychain_and_never_in_output() {
        let kc = MemoryKeychain::default();
        let info = generate_key("alice@example.com", &kc).unwrap();
        let pem = kc
            .get(SIGNING_SERVICE, "alice@example.com")
            .unwrap()
            .unwrap();
        assert!(pem.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----"));
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let shown = format!("{info:?}{}", serde_json::to_string(&info).unwrap());
        assert!(!shown.contains(&body[..40]));
    }

    #[test]
    fn approver_ids_must_be_allowed_signers_principals() {
        assert!(validate_approver_id("alice@example.com").is_ok());
        for bad in ["", "a b", "a,b", "#a", "a*", "a\nb", "a\"b"] {
            assert_eq!(
                validate_approver_id(bad).unwrap_err().code,
                Code::BadInput,
                "{bad:?}"
            );
        }
        let e = generate_key("a b", &MemoryKeychain::default()).unwrap_err();
        assert_eq!(e.code, Code::BadInput);
    }

    #[test]
    fn approver_keys_must_be_ed25519() {
        let kc = MemoryKeychain::default();
        let info = generate_key("alice@example.com", &kc).unwrap();
        let ok = approver("alice@example.com", &info.public_key);
        assert!(validate_approver(&ok).is_ok());
        assert_eq!(
            parse_approver_key(&ok)
                .unwrap()
                .fingerprint(HashAlg::Sha256)
                .to_string(),
            info.fingerprint
        );

        let rsa = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 alice@example.com";
        let e = parse_approver_key(&approver("alice@example.com", rsa)).unwrap_err();
        assert_eq!(e.code, Code::Config);
        assert!(
            e.message.contains("ssh-rsa key") && e.message.contains("only ssh-ed25519"),
            "{}",
            e.message
        );

        let cut = &info.public_key[..40];
        let e = parse_approver_key(&approver("alice@example.com", cut)).unwrap_err();
        assert!(
            e.message.contains("not a valid ssh-ed25519 public key"),
            "{}",
            e.message
        );

        let e = parse_approver_key(&approver("alice@example.com", "")).unwrap_err();
        assert!(e.message.contains("is empty"), "{}", e.message);

        let pem = kc
            .get(SIGNING_SERVICE, "alice@example.com")
            .unwrap()
            .unwrap();
        let e = parse_approver_key(&approver("alice@example.com", &pem)).unwrap_err();
        assert_eq!(e.code, Code::Config);
        assert!(
            e.message.contains("PRIVATE key") && !e.message.contains(&pem[40..80]),
            "{}",
            e.message
        );

        let e = validate_approver(&approver("a b", &info.public_key)).unwrap_err();
        assert_eq!(e.code, Code::Config);
    }

    /// A keychain that mangles the next secret written to it, once.
    #[derive(Default)]
    struct MangleOnce {
        inner: MemoryKeychain,
        armed: std::sync::atomic::AtomicBool,
    }

    impl SecretStore for MangleOnce {
        fn get(&self, service: &str, account: &str) -> Result<Option<String>> {
            self.inner.get(service, account)
        }
        fn set(&self, service: &str, account: &str, secret: &str) -> Result<()> {
            let mangle = self.armed.swap(false, std::sync::atomic::Ordering::SeqCst);
            let secret = if mangle { "not a key" } else { secret };
            self.inner.set(service, account, secret)
        }
        fn delete(&self, service: &str, account: &str) -> Result<()> {
            self.inner.delete(service, account)
        }
    }

    #[test]
    fn rotate_replaces_the_key_or_keeps_the_old_one() {
        let kc = MangleOnce::default();
        let e = rotate_key("alice@example.com", &kc).unwrap_err();
        assert_eq!(e.code, Code::BadInput);
        assert_eq!(
            e.hint,
            Some(crate::Hint::KeyInit {
                id: Some("alice@example.com".into())
            })
        );

        let first = generate_key("alice@example.com", &kc).unwrap();
        let (previous, current) = rotate_key("alice@example.com", &kc).unwrap();
        assert_eq!(previous, first);
        assert_ne!(current.fingerprint, first.fingerprint);
        assert_eq!(public_key("alice@example.com", &kc).unwrap(), current);

        // The keychain garbles the new key: the rotation fails and the key before it stays.
        kc.armed.store(true, std::sync::atomic::Ordering::SeqCst);
        assert!(rotate_key("alice@example.com", &kc).is_err());
        assert_eq!(public_key("alice@example.com", &kc).unwrap(), current);
    }

    fn rotated(current: &str, previous: &str, until: &str) -> ApproverConfig {
        ApproverConfig {
            previous_keys: vec![crate::config::PreviousKeyConfig {
                key: previous.into(),
                until: until.into(),
            }],
            ..approver("alice@example.com", current)
        }
    }

    #[test]
    fn previous_keys_are_checked_like_the_key() {
        let kc = MemoryKeychain::default();
        let new = generate_key("alice@example.com", &kc).unwrap().public_key;
        let old = generate_key("old@example.com", &kc).unwrap().public_key;
        let refused = |a: ApproverConfig| validate_approver(&a).unwrap_err().message;
        let why = refused(rotated(&new, &old, "last week"));
        assert!(
            why.contains("previous_keys #1: until \"last week\" is not an RFC 3339 time"),
            "{why}"
        );
        let why = refused(rotated(&new, &new, "2026-11-01T00:00:00Z"));
        assert!(why.contains("previous_keys #1 is the current key"), "{why}");
        let why = refused(rotated(&new, "ssh-rsa AAAAB3Nza", "2026-11-01T00:00:00Z"));
        assert!(why.contains("previous_keys #1: key is a"), "{why}");
        let why = refused(rotated(
            &new,
            "-----BEGIN OPENSSH PRIVATE KEY-----",
            "2026-11-01T00:00:00Z",
        ));
        assert!(
            why.contains("PRIVATE key") && !why.contains("BEGIN"),
            "{why}"
        );
        assert_eq!(
            allowed_signers(&[rotated(&new, &new, "x")]).lines().count(),
            1,
            "skipped whole"
        );
    }
}
