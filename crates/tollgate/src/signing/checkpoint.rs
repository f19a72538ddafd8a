//! The signed checkpoint (docs/src/audit/format.md, "Checkpoints"): a listed identity's statement
//! that its history, the chain named by the hash of its event 1 (`genesis`), had event `seq`
//! with hash `hash` at `at`. Published to the team's registry by `sync`, read back by `verify
//! --checkpoints` and `verify FILE --config`, so that a cut tail or a rewritten past of a
//! history (or of a report exported from it) contradicts a statement its owner signed earlier,
//! the way transparency logs keep their tails honest.
//!
//! Signed as SSHSIG with its own namespace, [`CHECKPOINT_NAMESPACE`], so that no other Tollgate
//! signature can pass for a checkpoint, and a checkpoint for nothing else.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use ssh_key::{Algorithm, HashAlg, PublicKey, SshSig};

use super::message::{is_hash, NOT_CANONICAL};
use super::HASH_ALG;
use crate::config::{parse_approver_key, ApproverConfig};
use crate::domain::canonical_json;

/// `kind` of a checkpoint message.
pub const CHECKPOINT_KIND: &str = "tollgate.checkpoint";
/// `v` of every checkpoint message this version writes.
pub const CHECKPOINT_VERSION: u32 = 1;
/// The SSHSIG namespace of a checkpoint (`ssh-keygen -Y verify -n tollgate-checkpoint`).
pub const CHECKPOINT_NAMESPACE: &str = "tollgate-checkpoint";

/// What a listed identity states about its history's chain. Its bytes are [`canonical_json`]
/// of this struct (keys sorted, compact, UTF-8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointMessage {
    /// [`CHECKPOINT_VERSION`] (1).
    pub v: u32,
    /// Always [`CHECKPOINT_KIND`].
    pub kind: String,
    /// The hash of event 1 of the chain: it names the chain.
    pub genesis: String,
    /// The chain head: the `seq` of the last event...
    pub seq: i64,
    /// ...and its hash.
    pub hash: String,
    /// The identity that signs (an approver or `[[signers]]` id).
    pub signer: String,
    /// When it was signed: RFC 3339, UTC, milliseconds (compared with a report's
    /// `generated_at`, which has milliseconds too).
    pub at: String,
}

impl CheckpointMessage {
    /// A checkpoint of the head `seq`/`hash` of the chain `genesis`, by `signer` at `at`.
    pub fn new(genesis: &str, seq: i64, hash: &str, signer: &str, at: DateTime<Utc>) -> Self {
        CheckpointMessage {
            v: CHECKPOINT_VERSION,
            kind: CHECKPOINT_KIND.to_string(),
            genesis: genesis.to_string(),
            seq,
            hash: hash.to_string(),
            signer: signer.to_string(),
            at: at_text(at),
        }
    }

    /// When it was signed; `None` when `at` is not RFC 3339 UTC with milliseconds.
    pub fn signed_at(&self) -> Option<DateTime<Utc>> {
        let t = DateTime::parse_from_rfc3339(&self.at)
            .ok()?
            .with_timezone(&Utc);
        (at_text(t) == self.at).then_some(t)
    }

    /// The exact bytes that are signed.
    pub fn to_bytes(&self) -> Vec<u8> {
        canonical_json(self).into_bytes()
    }

    /// Read signed bytes back: a checkpoint of this version in canonical form, else why not
    /// (one phrase; a newer version says so).
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        let v: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|_| "its message is not JSON".to_string())?;
        if v.get("kind").and_then(serde_json::Value::as_str) == Some(CHECKPOINT_KIND) {
            if let Some(n) = v.get("v").and_then(serde_json::Value::as_u64) {
                if n > u64::from(CHECKPOINT_VERSION) {
                    return Err(format!(
                        "it is a checkpoint of version {n}, which needs a newer Tollgate (this one reads version {CHECKPOINT_VERSION})"
                    ));
                }
            }
        }
        let m: CheckpointMessage = serde_json::from_value(v)
            .map_err(|e| format!("its message is not a checkpoint ({e})"))?;
        if m.v != CHECKPOINT_VERSION || m.kind != CHECKPOINT_KIND {
            return Err(format!(
                "its message is a {:?} version {}, not a {CHECKPOINT_KIND} version {CHECKPOINT_VERSION}",
                m.kind, m.v
            ));
        }
        if !is_hash(&m.genesis) || !is_hash(&m.hash) || m.seq < 1 {
            return Err(
                "its genesis, seq or hash is not a chain position (64 lower-case hex, seq ≥ 1)"
                    .into(),
            );
        }
        if m.signed_at().is_none() {
            return Err(format!("its 'at' {:?} is not an RFC 3339 UTC time", m.at));
        }
        if m.to_bytes() != bytes {
            return Err(format!("its message is {NOT_CANONICAL}"));
        }
        Ok(m)
    }
}

fn at_text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A checkpoint whose signature verified against the key tollgate.toml lists for its signer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedCheckpoint {
    pub message: CheckpointMessage,
    /// `SHA256:…` of the key that signed it.
    pub fingerprint: String,
}

/// Check a checkpoint read from a registry: its message (this version, canonical) and its
/// armored SSHSIG (namespace [`CHECKPOINT_NAMESPACE`], Ed25519, sha512) made by the current key
/// `identities` (tollgate.toml's approvers and signers) lists for its `signer`. The error is why
/// it does not count, in one phrase naming the signer or key.
pub fn verify_checkpoint(
    message: &[u8],
    armored: &str,
    identities: &[ApproverConfig],
) -> Result<TrustedCheckpoint, String> {
    let m = CheckpointMessage::parse(message)?;
    let sig = SshSig::from_pem(armored.trim().as_bytes())
        .map_err(|_| "its signature is not an armored SSH signature".to_string())?;
    let signer_key = PublicKey::new(sig.public_key().clone(), "");
    let fingerprint = signer_key.fingerprint(HashAlg::Sha256).to_string();
    if sig.namespace() != CHECKPOINT_NAMESPACE {
        return Err(format!(
            "its signature is for namespace {:?}, not {CHECKPOINT_NAMESPACE:?}",
            sig.namespace()
        ));
    }
    if sig.algorithm() != Algorithm::Ed25519 || sig.hash_alg() != HASH_ALG {
        return Err("its signature is not Ed25519 with sha512".into());
    }
    let Some(identity) = identities.iter().find(|i| i.id == m.signer) else {
        return Err(format!(
            "it says it is signed by {}, who is not an approver or signer in tollgate.toml (key {fingerprint})",
            m.signer
        ));
    };
    let listed = parse_approver_key(identity).map_err(|e| e.message)?;
    if listed.key_data() != sig.public_key() {
        return Err(format!(
            "it is signed by key {fingerprint}, which is not the key tollgate.toml lists for {}",
            m.signer
        ));
    }
    listed
        .verify(CHECKPOINT_NAMESPACE, message, &sig)
        .map_err(|_| "its signature does not verify: the message or signature was altered")?;
    Ok(TrustedCheckpoint {
        message: m,
        fingerprint,
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use ssh_key::{LineEnding, PrivateKey};

    use super::*;

    fn identity(id: &str, key: &PrivateKey) -> ApproverConfig {
        let text = format!(
            "[workspace]\nname = \"t\"\ndatabase = \"t.db\"\n[[registries]]\nname = \"r\"\nurl = \"oci:x\"\n[[signers]]\nid = \"{id}\"\nkey = \"{}\"\n",
            key.public_key().to_openssh().unwrap()
        );
        let ws = crate::config::Workspace::from_str(&text, std::path::Path::new("t.toml"), None)
            .unwrap();
        ws.config.identity(id).unwrap()
    }

    fn sample() -> CheckpointMessage {
        let at = Utc.with_ymd_and_hms(2026, 12, 6, 21, 0, 0).unwrap();
        CheckpointMessage::new(&"a".repeat(64), 12, &"b".repeat(64), "ci@example.com", at)
    }

    #[test]
    fn round_trips_in_canonical_form_only() {
        let m = sample();
        let bytes = m.to_bytes();
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            format!(
                "{{\"at\":\"2026-12-06T21:00:00.000Z\",\"genesis\":\"{}\",\"hash\":\"{}\",\"kind\":\"tollgate.checkpoint\",\"seq\":12,\"signer\":\"ci@example.com\",\"v\":1}}",
                "a".repeat(64),
                "b".repeat(64)
            )
        );
        assert_eq!(CheckpointMessage::parse(&bytes).unwrap(), m);
        let spaced = String::from_utf8(bytes).unwrap().replace(",\"", ", \"");
        assert!(CheckpointMessage::parse(spaced.as_bytes())
            .unwrap_err()
            .contains("canonical"));
        let newer = canonical_json(&serde_json::json!({"v": 2, "kind": CHECKPOINT_KIND}));
        assert!(CheckpointMessage::parse(newer.as_bytes())
            .unwrap_err()
            .contains("needs a newer Tollgate"));
    }

    #[test]
    fn only_the_listed_key_in_the_checkpoint_namespace_counts() {
        let key = PrivateKey::random(&mut rand_core::OsRng, Algorithm::Ed25519).unwrap();
        let other = PrivateKey::random(&mut rand_core::OsRng, Algorithm::Ed25519).unwrap();
        let listed = [identity("ci@example.com", &key)];
        let bytes = sample().to_bytes();
        let sign = |k: &PrivateKey, ns: &str| {
            k.sign(ns, HASH_ALG, &bytes)
                .unwrap()
                .to_pem(LineEnding::LF)
                .unwrap()
        };
        let ok = verify_checkpoint(&bytes, &sign(&key, CHECKPOINT_NAMESPACE), &listed).unwrap();
        assert_eq!(ok.message.seq, 12);
        let e = verify_checkpoint(&bytes, &sign(&key, "tollgate-approval"), &listed).unwrap_err();
        assert!(e.contains("namespace"), "{e}");
        let e =
            verify_checkpoint(&bytes, &sign(&other, CHECKPOINT_NAMESPACE), &listed).unwrap_err();
        assert!(
            e.contains("not the key tollgate.toml lists for ci@example.com"),
            "{e}"
        );
        let e = verify_checkpoint(&bytes, &sign(&key, CHECKPOINT_NAMESPACE), &[]).unwrap_err();
        assert!(e.contains("not an approver or signer"), "{e}");
        let altered = String::from_utf8(bytes.clone())
            .unwrap()
            .replace("\"seq\":12", "\"seq\":13");
        let e = verify_checkpoint(
            altered.as_bytes(),
            &sign(&key, CHECKPOINT_NAMESPACE),
            &listed,
        )
        .unwrap_err();
        assert!(e.contains("does not verify"), "{e}");
    }
}
