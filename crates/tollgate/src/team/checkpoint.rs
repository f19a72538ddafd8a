//! A signed checkpoint as an OCI artifact under a tag derived from the chain and the signer
//! (docs/src/audit/format.md, "Checkpoints"): an OCI image manifest with `artifactType`
//! `application/vnd.tollgate.checkpoint.v1+json`, the empty config, layer 0 the exact signed
//! message bytes, layer 1 the armored SSHSIG, no `subject`. Its tag,
//! `tollgate-checkpoint-<first 16 hex of the genesis hash>-<first 16 hex of sha256(signer)>`,
//! is pushed over on every new checkpoint: the registry keeps the latest per chain and
//! identity. Bytes only here: nothing signs or verifies.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

use super::artifact::{
    CREATED_ANNOTATION, EMPTY_CONFIG, EMPTY_CONFIG_DIGEST, EMPTY_CONFIG_MEDIA_TYPE,
    MAX_ARTIFACT_MANIFEST_BYTES, MAX_MESSAGE_BYTES, MAX_SIGNATURE_BYTES, MESSAGE_MEDIA_TYPE,
    SIGNATURE_MEDIA_TYPE,
};
use super::TeamRegistry;
use crate::domain::Digest;
use crate::registry::OCI_MANIFEST;
use crate::{Code, Result};

/// `artifactType` of a checkpoint.
pub const CHECKPOINT_ARTIFACT_TYPE: &str = "application/vnd.tollgate.checkpoint.v1+json";
/// Every checkpoint tag starts with this.
pub const CHECKPOINT_TAG_PREFIX: &str = "tollgate-checkpoint-";
/// The most checkpoint tags of one chain read from one repository (one per identity: a team
/// lists far fewer); more are named and left unread.
pub const MAX_CHECKPOINT_TAGS: usize = 256;

/// `tollgate-checkpoint-<16 hex>-`: the tags of the chain whose event 1 has hash `genesis`.
pub fn chain_tag_prefix(genesis: &str) -> String {
    format!(
        "{CHECKPOINT_TAG_PREFIX}{}-",
        genesis.get(..16).unwrap_or(genesis)
    )
}

/// The tag of `signer`'s checkpoint of the chain `genesis`.
pub fn checkpoint_tag(genesis: &str, signer: &str) -> String {
    let who = hex::encode(Sha256::digest(signer.as_bytes()));
    format!("{}{}", chain_tag_prefix(genesis), &who[..16])
}

/// The artifact manifest of a checkpoint (keys sorted, compact).
pub fn checkpoint_manifest(message: &[u8], signature: &str, created: DateTime<Utc>) -> Vec<u8> {
    let layer = |media: &str, bytes: &[u8]| json!({"mediaType": media, "digest": Digest::of(bytes).as_str(), "size": bytes.len()});
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": CHECKPOINT_ARTIFACT_TYPE,
        "config": {"mediaType": EMPTY_CONFIG_MEDIA_TYPE, "digest": EMPTY_CONFIG_DIGEST, "size": 2},
        "layers": [layer(MESSAGE_MEDIA_TYPE, message), layer(SIGNATURE_MEDIA_TYPE, signature.as_bytes())],
        "annotations": {CREATED_ANNOTATION: created.to_rfc3339_opts(SecondsFormat::Millis, true)},
    });
    serde_json::to_vec(&manifest).unwrap_or_default()
}

/// The two layers of a checkpoint manifest, `(message, signature)` digests and sizes, or why it
/// is not one.
fn parse_manifest(bytes: &[u8]) -> std::result::Result<[(Digest, u64); 2], String> {
    let v: Value = serde_json::from_slice(bytes).map_err(|_| "it is not JSON".to_string())?;
    if v["mediaType"].as_str() != Some(OCI_MANIFEST)
        || v["artifactType"].as_str() != Some(CHECKPOINT_ARTIFACT_TYPE)
    {
        return Err(format!(
            "it is not a checkpoint artifact (artifactType {})",
            v["artifactType"].as_str().unwrap_or("missing")
        ));
    }
    let layers = v["layers"].as_array().ok_or("it has no layers")?;
    let layer = |i: usize, media: &str, max: u64| -> std::result::Result<(Digest, u64), String> {
        let l = layers.get(i).ok_or(format!("it has no layer {i}"))?;
        if l["mediaType"].as_str() != Some(media) {
            return Err(format!("its layer {i} is not {media}"));
        }
        let d = l["digest"]
            .as_str()
            .and_then(|d| Digest::parse(d).ok())
            .ok_or(format!("its layer {i} has no sha256 digest"))?;
        let size = l["size"]
            .as_u64()
            .ok_or(format!("its layer {i} has no size"))?;
        if size > max {
            return Err(format!("its layer {i} is {size} bytes, over {max}"));
        }
        Ok((d, size))
    };
    if layers.len() != 2 {
        return Err(format!("it has {} layers, not 2", layers.len()));
    }
    Ok([
        layer(0, MESSAGE_MEDIA_TYPE, MAX_MESSAGE_BYTES)?,
        layer(1, SIGNATURE_MEDIA_TYPE, MAX_SIGNATURE_BYTES)?,
    ])
}

/// A checkpoint read from a registry (its bytes checked against their digests, nothing
/// verified), or why it could not be read as one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedCheckpoint {
    pub tag: String,
    /// The artifact manifest's digest.
    pub artifact: Digest,
    pub read: std::result::Result<(Vec<u8>, String), String>,
}

/// What pushing a checkpoint came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckpointPush {
    /// Under its tag now; the artifact's digest.
    Pushed(Digest),
    /// The registry refused the push (no push rights, or no credentials).
    Denied(Code),
}

impl TeamRegistry {
    /// Push a checkpoint under `tag` of `repository` (blobs, then the manifest by tag, which
    /// replaces the previous checkpoint of that chain and signer).
    #[tracing::instrument(level = "debug", skip(self, message, signature))]
    pub async fn push_checkpoint(
        &self,
        repository: &str,
        tag: &str,
        message: &[u8],
        signature: &str,
        created: DateTime<Utc>,
    ) -> Result<CheckpointPush> {
        let manifest = checkpoint_manifest(message, signature, created);
        let r = self.registry();
        let pushed = async {
            r.push_blob(repository, EMPTY_CONFIG).await?;
            r.push_blob(repository, message).await?;
            r.push_blob(repository, signature.as_bytes()).await?;
            r.push_manifest(repository, tag, &manifest, OCI_MANIFEST)
                .await
        }
        .await;
        match pushed {
            Ok(d) => Ok(CheckpointPush::Pushed(d)),
            Err(e) if matches!(e.code, Code::Forbidden | Code::AuthRequired) => {
                Ok(CheckpointPush::Denied(e.code))
            }
            Err(e) => Err(e),
        }
    }

    /// The checkpoint under `tag`, `None` when there is no such tag.
    pub async fn fetch_checkpoint(
        &self,
        repository: &str,
        tag: &str,
    ) -> Result<Option<FetchedCheckpoint>> {
        let r = self.registry();
        let Some(m) = r.fetch_tag(repository, tag).await? else {
            return Ok(None);
        };
        let content = |e: &crate::Error| {
            matches!(
                e.code,
                Code::NotFound | Code::DigestMismatch | Code::TooLarge | Code::Protocol
            )
        };
        let read = if m.bytes.len() > MAX_ARTIFACT_MANIFEST_BYTES {
            Err(format!(
                "its manifest is {} bytes, over {MAX_ARTIFACT_MANIFEST_BYTES}",
                m.bytes.len()
            ))
        } else {
            match parse_manifest(&m.bytes) {
                Err(why) => Err(why),
                Ok([(md, _), (sd, _)]) => {
                    let message = r
                        .fetch_blob(repository, &md, MAX_MESSAGE_BYTES as usize, "message")
                        .await;
                    let signature = r
                        .fetch_blob(repository, &sd, MAX_SIGNATURE_BYTES as usize, "signature")
                        .await;
                    match (message, signature) {
                        (Ok(msg), Ok(sig)) => match String::from_utf8(sig) {
                            Ok(sig) => Ok((msg, sig)),
                            Err(_) => Err("its signature is not text".into()),
                        },
                        (Err(e), _) | (_, Err(e)) if content(&e) => {
                            Err(format!("a layer could not be read: {}", e.message))
                        }
                        (Err(e), _) | (_, Err(e)) => return Err(e),
                    }
                }
            }
        };
        Ok(Some(FetchedCheckpoint {
            tag: tag.to_string(),
            artifact: m.digest,
            read,
        }))
    }

    /// The checkpoint tags of `repository` that start with `prefix` (at most
    /// [`MAX_CHECKPOINT_TAGS`]; the second value: how many more were left unread). A
    /// repository that does not exist has none.
    pub async fn checkpoint_tags(
        &self,
        repository: &str,
        prefix: &str,
    ) -> Result<(Vec<String>, usize)> {
        let tags = match self.registry().list_tags(repository).await {
            Ok(t) => t,
            Err(e) if e.code == Code::NotFound => Vec::new(),
            Err(e) => return Err(e),
        };
        let mut mine: Vec<String> = tags.into_iter().filter(|t| t.starts_with(prefix)).collect();
        let more = mine.len().saturating_sub(MAX_CHECKPOINT_TAGS);
        mine.truncate(MAX_CHECKPOINT_TAGS);
        Ok((mine, more))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_name_the_chain_and_the_signer_and_are_valid_oci_tags() {
        let genesis = "0123456789abcdef".repeat(4);
        let tag = checkpoint_tag(&genesis, "alice@example.com");
        assert!(
            tag.starts_with("tollgate-checkpoint-0123456789abcdef-"),
            "{tag}"
        );
        assert_eq!(tag.len(), CHECKPOINT_TAG_PREFIX.len() + 16 + 1 + 16);
        assert!(tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b)));
        assert_ne!(tag, checkpoint_tag(&genesis, "bob@example.com"));
        assert!(tag.starts_with(&chain_tag_prefix(&genesis)));
    }

    #[test]
    #[allow(clippy::disallowed_methods, reason = "any time will do here")]
    fn manifest_round_trip() {
        let sig = "-----BEGIN SSH SIGNATURE-----\nabc\n-----END SSH SIGNATURE-----\n";
        let bytes = checkpoint_manifest(b"{}", sig, Utc::now());
        let [(m, ms), (s, ss)] = parse_manifest(&bytes).unwrap();
        assert_eq!((m, ms), (Digest::of(b"{}"), 2));
        assert_eq!((s, ss), (Digest::of(sig.as_bytes()), sig.len() as u64));
        let other = String::from_utf8(bytes)
            .unwrap()
            .replace("checkpoint.v1", "approval.v1");
        assert!(parse_manifest(other.as_bytes()).is_err());
    }
}
