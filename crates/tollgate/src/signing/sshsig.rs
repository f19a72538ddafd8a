//! SSHSIG signatures over approval messages, as `ssh-keygen -Y sign/verify` makes and checks them.

use chrono::{DateTime, Utc};
use serde::Serialize;
use ssh_key::{Algorithm, HashAlg, LineEnding, PublicKey, SshSig};
use ts_rs::TS;

use super::key::load_private_key;
use super::trust::{approver_keys, pick};
use super::{HASH_ALG, NAMESPACE};
use crate::config::{parse_approver_key, ApproverConfig};
use crate::keychain::SecretStore;
use crate::{Code, Error, Result};

/// A signature that verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct VerifiedSignature {
    /// `SHA256:…` of the key that made it.
    pub fingerprint: String,
}

/// Sign `message` with approver `id`'s key from the OS keychain. Returns the armored SSHSIG
/// (`-----BEGIN SSH SIGNATURE-----`, LF line endings), namespace `tollgate-approval`, sha512.
pub fn sign(id: &str, message: &[u8], secrets: &dyn SecretStore) -> Result<String> {
    let key = load_private_key(id, secrets)?;
    let sig = key
        .sign(NAMESPACE, HASH_ALG, message)
        .map_err(|e| Error::internal(format!("signing with the key of {id} failed: {e}")))?;
    sig.to_pem(LineEnding::LF)
        .map_err(|e| Error::internal(format!("could not encode the signature: {e}")))
}

/// Verify an armored SSHSIG over `message` against `allowed_public_key` (OpenSSH form): the
/// namespace is `tollgate-approval`, the hash sha512, the signing key is the allowed key, and
/// the signature holds. Every failure is [`Code::SignatureInvalid`] with one line.
pub fn verify(
    message: &[u8],
    armored: &str,
    allowed_public_key: &str,
) -> Result<VerifiedSignature> {
    verify_in(NAMESPACE, message, armored, allowed_public_key)
}

/// [`verify`] in another SSHSIG namespace than approvals' (a report's seal signs in
/// `tollgate-report`): a signature made for one namespace never verifies in another.
pub fn verify_in(
    namespace: &str,
    message: &[u8],
    armored: &str,
    allowed_public_key: &str,
) -> Result<VerifiedSignature> {
    let allowed = PublicKey::from_openssh(allowed_public_key.trim()).map_err(|_| {
        Error::new(
            Code::SignatureInvalid,
            "the allowed key is not an OpenSSH public key (expected `ssh-ed25519 AAAA…`)",
        )
    })?;
    check(namespace, message, armored, &allowed, None)
}

/// [`verify`] for many signatures at once, spread over the machine's cores: what checking a
/// whole history or an exported report uses. Each item is `(message, armored signature, allowed
/// public key)`; the results are in the same order.
pub fn verify_many(items: &[(&[u8], &str, &str)]) -> Vec<Result<VerifiedSignature>> {
    const MIN_PER_THREAD: usize = 256;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = cores.min(items.len() / MIN_PER_THREAD).max(1);
    if threads == 1 {
        return items.iter().map(|(m, s, k)| verify(m, s, k)).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = items
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(m, s, k)| verify(m, s, k))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| {
                w.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

/// [`verify`] against the keys `tollgate.toml` lists for `approver`: its `key`, or one of its
/// `previous_keys` when the history appended the approval (`appended_at`) at or before that
/// key's `until`. A signature by
/// any other key, or by a previous key after its time, is refused with a message that names the
/// approver.
pub fn verify_approval(
    message: &[u8],
    armored: &str,
    approver: &ApproverConfig,
    appended_at: DateTime<Utc>,
) -> Result<VerifiedSignature> {
    let current = parse_approver_key(approver)?;
    let sig = parse(armored)?;
    let signer = PublicKey::new(sig.public_key().clone(), "");
    let keys = approver_keys(approver);
    let allowed = match pick(&keys, &approver.id, &signer, Some(appended_at)) {
        Ok(key) => key.key.clone(),
        Err(why) if keys.iter().any(|k| k.key.key_data() == signer.key_data()) => {
            return Err(invalid(why))
        }
        Err(_) => current,
    };
    check(NAMESPACE, message, armored, &allowed, Some(&approver.id))
}

/// The public key (OpenSSH form, no comment) that made an armored SSHSIG, whether or not the
/// signature verifies: what the policy compares with the key listed for the approver.
pub fn signer_key(armored: &str) -> Result<String> {
    let sig = parse(armored)?;
    PublicKey::new(sig.public_key().clone(), "")
        .to_openssh()
        .map_err(|e| Error::internal(format!("could not encode a public key: {e}")))
}

fn parse(armored: &str) -> Result<SshSig> {
    SshSig::from_pem(armored.trim().as_bytes()).map_err(|e| {
        invalid(format!(
            "the signature is not an armored SSH signature (-----BEGIN SSH SIGNATURE-----): {e}; it was altered or cut short"
        ))
    })
}

fn check(
    namespace: &str,
    message: &[u8],
    armored: &str,
    allowed: &PublicKey,
    approver: Option<&str>,
) -> Result<VerifiedSignature> {
    let sig = parse(armored)?;
    if sig.namespace() != namespace {
        let what = if namespace == NAMESPACE {
            "a Tollgate approval".to_string()
        } else {
            format!("a {namespace} signature")
        };
        return Err(invalid(format!(
            "wrong namespace: the signature is for {:?}, not {namespace:?}, so it is not {what}",
            sig.namespace()
        )));
    }
    if sig.algorithm() != Algorithm::Ed25519 {
        return Err(invalid(format!(
            "the signature was made with a {} key; Tollgate approvals are Ed25519",
            sig.algorithm()
        )));
    }
    if sig.hash_alg() != HASH_ALG {
        return Err(invalid(format!(
            "the signature uses hash {}, Tollgate approvals use {HASH_ALG}",
            sig.hash_alg()
        )));
    }
    let signer = PublicKey::new(sig.public_key().clone(), "");
    let signer_fp = signer.fingerprint(HashAlg::Sha256);
    if sig.public_key() != allowed.key_data() {
        return Err(invalid(match approver {
            Some(id) => format!(
                "signed by key {signer_fp} which is not the key listed for approver {id} in tollgate.toml"
            ),
            None => format!(
                "signed by key {signer_fp} which is not the allowed key {}",
                allowed.fingerprint(HashAlg::Sha256)
            ),
        }));
    }
    allowed.verify(namespace, message, &sig).map_err(|_| {
        invalid("signature does not verify: the message or signature was altered".into())
    })?;
    Ok(VerifiedSignature {
        fingerprint: signer_fp.to_string(),
    })
}

fn invalid(message: String) -> Error {
    Error::new(Code::SignatureInvalid, message)
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use ssh_key::PrivateKey;

    use super::*;
    use crate::domain::Digest;
    use crate::keychain::MemoryKeychain;
    use crate::signing::{generate_key, ApprovalMessage, Target};

    fn message() -> Vec<u8> {
        let target = Target {
            app: "api".into(),
            digest: Digest::of(b"image"),
            from: "staging".into(),
            to: "production".into(),
        };
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 8, 0, 0).unwrap();
        ApprovalMessage::new(
            &target,
            "alice@example.com",
            "manager",
            at,
            None,
            &crate::signing::Anchor::genesis(),
        )
        .to_bytes()
    }

    fn setup() -> (MemoryKeychain, String) {
        let kc = MemoryKeychain::default();
        let info = generate_key("alice@example.com", &kc).unwrap();
        (kc, info.public_key)
    }

    #[test]
    #[allow(clippy::disallowed_methods, reason = "verified now, as signed now")]
    fn sign_verify_round_trip() {
        let (kc, key) = setup();
        let msg = message();
        let sig = sign("alice@example.com", &msg, &kc).unwrap();
        assert!(sig.starts_with("-----BEGIN SSH SIGNATURE-----\n"), "{sig}");
        assert!(sig.trim_end().ends_with("-----END SSH SIGNATURE-----"));
        assert!(!sig.contains('\r'));
        let ok = verify(&msg, &sig, &key).unwrap();
        assert_eq!(ok.fingerprint, crate::signing::fingerprint(&key).unwrap());
        assert_eq!(
            signer_key(&sig).unwrap(),
            key.trim_end_matches(" alice@example.com")
        );
        let approver = ApproverConfig {
            id: "alice@example.com".into(),
            roles: vec![],
            key,
            previous_keys: vec![],
        };
        assert_eq!(
            verify_approval(&msg, &sig, &approver, Utc::now()).unwrap(),
            ok
        );
    }

    #[test]
    fn altered_message_fails() {
        let (kc, key) = setup();
        let msg = message();
        let sig = sign("alice@example.com", &msg, &kc).unwrap();
        let altered = String::from_utf8(msg)
            .unwrap()
            .replace("production", "productioN");
        let e = verify(altered.as_bytes(), &sig, &key).unwrap_err();
        assert_eq!(e.code, Code::SignatureInvalid);
        assert_eq!(
            e.message,
            "signature does not verify: the message or signature was altered"
        );
    }

    #[test]
    fn altered_signature_fails() {
        let (kc, key) = setup();
        let msg = message();
        let sig = sign("alice@example.com", &msg, &kc).unwrap();
        // Flip one base64 character inside the signature bytes (the end of the body).
        let mut lines: Vec<String> = sig.lines().map(str::to_string).collect();
        let body = lines.len() - 2;
        let mut chars: Vec<char> = lines[body].chars().collect();
        let i = chars.len().saturating_sub(6);
        chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
        lines[body] = chars.into_iter().collect();
        let altered = lines.join("\n");
        let e = verify(&msg, &altered, &key).unwrap_err();
        assert_eq!(e.code, Code::SignatureInvalid);
        assert!(
            e.message.starts_with("signature does not verify"),
            "{}",
            e.message
        );

        let e = verify(
            &msg,
            "-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n",
            &key,
        )
        .unwrap_err();
        assert_eq!(e.code, Code::SignatureInvalid);
        assert!(
            e.message.contains("not an armored SSH signature"),
            "{}",
            e.message
        );
    }

    #[test]
    #[allow(clippy::disallowed_methods, reason = "verified now, as signed now")]
    fn wrong_key_fails() {
        let (kc, _) = setup();
        let mallory = generate_key("mallory@example.com", &kc).unwrap();
        let alice_key = kc
            .get(crate::keychain::SIGNING_SERVICE, "alice@example.com")
            .unwrap()
            .unwrap();
        let alice = PrivateKey::from_openssh(alice_key)
            .unwrap()
            .public_key()
            .to_openssh()
            .unwrap();
        let msg = message();
        let sig = sign("mallory@example.com", &msg, &kc).unwrap();
        let e = verify(&msg, &sig, &alice).unwrap_err();
        assert_eq!(e.code, Code::SignatureInvalid);
        assert!(
            e.message.starts_with(&format!(
                "signed by key {} which is not the allowed key",
                mallory.fingerprint
            )),
            "{}",
            e.message
        );

        let approver = ApproverConfig {
            id: "alice@example.com".into(),
            roles: vec![],
            key: alice,
            previous_keys: vec![],
        };
        let e = verify_approval(&msg, &sig, &approver, Utc::now()).unwrap_err();
        assert_eq!(
            e.message,
            format!("signed by key {} which is not the key listed for approver alice@example.com in tollgate.toml", mallory.fingerprint)
        );
    }

    #[test]
    fn wrong_namespace_or_hash_fails() {
        let key = PrivateKey::random(&mut rand_core::OsRng, Algorithm::Ed25519).unwrap();
        let public = key.public_key().to_openssh().unwrap();
        let msg = message();
        let git = key
            .sign("git", HashAlg::Sha512, &msg)
            .unwrap()
            .to_pem(LineEnding::LF)
            .unwrap();
        let e = verify(&msg, &git, &public).unwrap_err();
        assert_eq!(e.code, Code::SignatureInvalid);
        assert!(e.message.starts_with("wrong namespace"), "{}", e.message);

        let sha256 = key
            .sign(NAMESPACE, HashAlg::Sha256, &msg)
            .unwrap()
            .to_pem(LineEnding::LF)
            .unwrap();
        let e = verify(&msg, &sha256, &public).unwrap_err();
        assert!(e.message.contains("sha256"), "{}", e.message);
    }

    #[test]
    fn verify_many_keeps_order_and_reports_each_failure() {
        let (kc, key) = setup();
        let msg = message();
        let sig = sign("alice@example.com", &msg, &kc).unwrap();
        // Enough items for more than one thread.
        let mut items: Vec<(&[u8], &str, &str)> = vec![(&msg, &sig, &key); 600];
        items[417].0 = b"altered";
        let results = verify_many(&items);
        assert_eq!(results.len(), 600);
        for (i, r) in results.iter().enumerate() {
            assert_eq!(r.is_ok(), i != 417, "{i}");
        }
    }

    #[test]
    fn signing_without_a_key_says_how_to_make_one() {
        let e = sign("bob@example.com", b"x", &MemoryKeychain::default()).unwrap_err();
        assert_eq!(e.code, Code::NotFound);
        assert_eq!(
            e.hint,
            Some(crate::Hint::KeyInit {
                id: Some("bob@example.com".into())
            })
        );
    }
}
