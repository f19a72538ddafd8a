//! One Tollgate event as an OCI artifact (docs/src/contracts/team-artifacts.md): an OCI
//! image manifest with `artifactType` `application/vnd.tollgate.<kind>.v1+json`, the empty
//! config, layer 0 the exact signed message bytes, layer 1 the armored SSHSIG, `subject` the
//! image manifest's descriptor, and annotations that are filters only (never trusted).

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

use crate::domain::Digest;
use crate::registry::{DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST};
use crate::{Error, Result};

/// The empty config of an artifact: `{}`.
pub const EMPTY_CONFIG_MEDIA_TYPE: &str = "application/vnd.oci.empty.v1+json";
pub const EMPTY_CONFIG: &[u8] = b"{}";
pub const EMPTY_CONFIG_DIGEST: &str =
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
/// Layer 0: the exact signed message bytes.
pub const MESSAGE_MEDIA_TYPE: &str = "application/vnd.tollgate.message.v1+json";
/// Layer 1: the armored SSHSIG.
pub const SIGNATURE_MEDIA_TYPE: &str = "application/vnd.tollgate.sshsig.v1";
/// The standard creation-time annotation.
pub const CREATED_ANNOTATION: &str = "org.opencontainers.image.created";
/// Tollgate's own (filter-only) annotations start with this.
pub const ANNOTATION_PREFIX: &str = "dev.tollgate.";
/// The largest signed message read or written.
pub const MAX_MESSAGE_BYTES: u64 = 64 * 1024;
/// The largest armored signature read or written.
pub const MAX_SIGNATURE_BYTES: u64 = 16 * 1024;
/// The largest artifact manifest read.
pub const MAX_ARTIFACT_MANIFEST_BYTES: usize = 64 * 1024;

/// What an artifact records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ArtifactKind {
    Approval,
    Promotion,
    Rollback,
    Deployment,
    Rejection,
    /// The lifting of a rejection (its own type, so that a registry filter by type finds
    /// either).
    Unrejection,
    /// An incident opened on the digest in an environment.
    Incident,
    /// The close of an incident (`application/vnd.tollgate.incident-close.v1+json`).
    IncidentClose,
    /// An attestation of a `[[checks]]` check (`tollgate.check`).
    Check,
}

impl ArtifactKind {
    pub const ALL: [ArtifactKind; 9] = [
        ArtifactKind::Approval,
        ArtifactKind::Promotion,
        ArtifactKind::Rollback,
        ArtifactKind::Deployment,
        ArtifactKind::Rejection,
        ArtifactKind::Unrejection,
        ArtifactKind::Incident,
        ArtifactKind::IncidentClose,
        ArtifactKind::Check,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ArtifactKind::Approval => "approval",
            ArtifactKind::Promotion => "promotion",
            ArtifactKind::Rollback => "rollback",
            ArtifactKind::Deployment => "deployment",
            ArtifactKind::Rejection => "rejection",
            ArtifactKind::Unrejection => "unrejection",
            ArtifactKind::Incident => "incident",
            ArtifactKind::IncidentClose => "incident-close",
            ArtifactKind::Check => "check",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// `application/vnd.tollgate.<kind>.v1+json`
    pub fn artifact_type(self) -> String {
        format!("application/vnd.tollgate.{}.v1+json", self.as_str())
    }

    /// The kind of a Tollgate `artifactType`; `None` for anything else.
    pub fn from_artifact_type(t: &str) -> Option<Self> {
        let kind = t
            .strip_prefix("application/vnd.tollgate.")?
            .strip_suffix(".v1+json")?;
        Self::parse(kind)
    }
}

/// A manifest descriptor: what `subject` names (the image), or a layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Descriptor {
    pub media_type: String,
    pub digest: Digest,
    pub size: u64,
}

/// An event to publish, as given bytes: nothing here is parsed or trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamEvent {
    pub kind: ArtifactKind,
    /// The exact signed message bytes.
    pub message: Vec<u8>,
    /// The armored SSHSIG over `message`.
    pub signature: String,
    /// The image manifest the event is about.
    pub subject: Descriptor,
    pub created: DateTime<Utc>,
    /// `dev.tollgate.*` annotations, for filtering only.
    pub annotations: BTreeMap<String, String>,
}

/// An artifact manifest as read from a registry (its structure checked, nothing trusted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactManifest {
    pub digest: Digest,
    pub kind: ArtifactKind,
    pub message: Descriptor,
    pub signature: Descriptor,
    pub subject: Descriptor,
    pub created: Option<DateTime<Utc>>,
    pub annotations: BTreeMap<String, String>,
}

fn descriptor(d: &Descriptor) -> Value {
    json!({"mediaType": d.media_type, "digest": d.digest.as_str(), "size": d.size})
}

fn is_manifest_type(t: &str) -> bool {
    [
        OCI_MANIFEST,
        OCI_INDEX,
        DOCKER_MANIFEST,
        DOCKER_MANIFEST_LIST,
    ]
    .contains(&t)
}

impl TeamEvent {
    /// The two layer descriptors: the message, then the signature.
    pub fn layers(&self) -> (Descriptor, Descriptor) {
        (
            Descriptor {
                media_type: MESSAGE_MEDIA_TYPE.into(),
                digest: Digest::of(&self.message),
                size: self.message.len() as u64,
            },
            Descriptor {
                media_type: SIGNATURE_MEDIA_TYPE.into(),
                digest: Digest::of(self.signature.as_bytes()),
                size: self.signature.len() as u64,
            },
        )
    }

    /// The artifact manifest bytes (keys sorted, compact): the same event always gives the
    /// same bytes, so publishing it twice gives one artifact.
    pub fn manifest(&self) -> Result<Vec<u8>> {
        if self.message.is_empty() || self.message.len() as u64 > MAX_MESSAGE_BYTES {
            return Err(Error::bad_input(format!(
                "a {} event's signed message is {} bytes; it must be 1 to {MAX_MESSAGE_BYTES} bytes to be shared",
                self.kind.as_str(),
                self.message.len()
            )));
        }
        if !self.signature.starts_with("-----BEGIN SSH SIGNATURE-----")
            || self.signature.len() as u64 > MAX_SIGNATURE_BYTES
        {
            return Err(Error::bad_input(format!(
                "a {} event's signature is not an armored SSHSIG of at most {MAX_SIGNATURE_BYTES} bytes; sign the event before sharing it",
                self.kind.as_str()
            )));
        }
        if !is_manifest_type(&self.subject.media_type) {
            return Err(Error::bad_input(format!(
                "the subject {} has media type '{}', not an image manifest or index type",
                self.subject.digest, self.subject.media_type
            )));
        }
        let mut annotations = serde_json::Map::new();
        for (k, v) in &self.annotations {
            if !k.starts_with(ANNOTATION_PREFIX) {
                return Err(Error::bad_input(format!(
                    "annotation '{k}' is not a {ANNOTATION_PREFIX}* annotation; only those are added to an event's artifact"
                )));
            }
            annotations.insert(k.clone(), json!(v));
        }
        annotations.insert(
            CREATED_ANNOTATION.into(),
            json!(self.created.to_rfc3339_opts(SecondsFormat::Millis, true)),
        );
        let (message, signature) = self.layers();
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "artifactType": self.kind.artifact_type(),
            "config": {"mediaType": EMPTY_CONFIG_MEDIA_TYPE, "digest": EMPTY_CONFIG_DIGEST, "size": 2},
            "layers": [descriptor(&message), descriptor(&signature)],
            "subject": descriptor(&self.subject),
            "annotations": annotations,
        });
        serde_json::to_vec(&manifest).map_err(|e| Error::internal(format!("artifact to JSON: {e}")))
    }
}

fn parse_descriptor(v: &Value, what: &str) -> std::result::Result<Descriptor, String> {
    let media_type = v
        .get("mediaType")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("its {what} has no mediaType"))?;
    let digest = v
        .get("digest")
        .and_then(Value::as_str)
        .and_then(|d| Digest::parse(d).ok())
        .ok_or_else(|| format!("its {what} has no sha256 digest"))?;
    let size = v
        .get("size")
        .and_then(Value::as_u64)
        .ok_or_else(|| format!("its {what} has no size"))?;
    Ok(Descriptor {
        media_type: media_type.to_string(),
        digest,
        size,
    })
}

/// Check the structure of an artifact manifest read from a registry. The error is the reason
/// it is not a Tollgate artifact, for the line that names it.
pub fn parse(bytes: &[u8], digest: &Digest) -> std::result::Result<ArtifactManifest, String> {
    let v: Value = serde_json::from_slice(bytes).map_err(|_| "it is not JSON".to_string())?;
    let media_type = v.get("mediaType").and_then(Value::as_str);
    if media_type != Some(OCI_MANIFEST) {
        return Err(format!(
            "its mediaType is {}, not {OCI_MANIFEST}",
            media_type.unwrap_or("missing")
        ));
    }
    let artifact_type = v.get("artifactType").and_then(Value::as_str).unwrap_or("");
    let kind = ArtifactKind::from_artifact_type(artifact_type)
        .ok_or_else(|| format!("its artifactType '{artifact_type}' is not a Tollgate one"))?;
    let config = parse_descriptor(v.get("config").unwrap_or(&Value::Null), "config")?;
    if config.media_type != EMPTY_CONFIG_MEDIA_TYPE || config.digest.as_str() != EMPTY_CONFIG_DIGEST
    {
        return Err("its config is not the empty config".into());
    }
    let layers = v
        .get("layers")
        .and_then(Value::as_array)
        .ok_or("it has no layers")?;
    if layers.len() != 2 {
        return Err(format!(
            "it has {} layers, not 2 (message, signature)",
            layers.len()
        ));
    }
    let message = parse_descriptor(&layers[0], "layer 0")?;
    let signature = parse_descriptor(&layers[1], "layer 1")?;
    if message.media_type != MESSAGE_MEDIA_TYPE {
        return Err(format!(
            "its layer 0 is {}, not {MESSAGE_MEDIA_TYPE}",
            message.media_type
        ));
    }
    if signature.media_type != SIGNATURE_MEDIA_TYPE {
        return Err(format!(
            "its layer 1 is {}, not {SIGNATURE_MEDIA_TYPE}",
            signature.media_type
        ));
    }
    if message.size > MAX_MESSAGE_BYTES {
        return Err(format!(
            "its message is {} bytes, over {MAX_MESSAGE_BYTES}",
            message.size
        ));
    }
    if signature.size > MAX_SIGNATURE_BYTES {
        return Err(format!(
            "its signature is {} bytes, over {MAX_SIGNATURE_BYTES}",
            signature.size
        ));
    }
    let subject = parse_descriptor(v.get("subject").unwrap_or(&Value::Null), "subject")?;
    let mut annotations = BTreeMap::new();
    let mut created = None;
    if let Some(map) = v.get("annotations").and_then(Value::as_object) {
        for (k, val) in map {
            let Some(s) = val.as_str() else { continue };
            if k == CREATED_ANNOTATION {
                created = DateTime::parse_from_rfc3339(s)
                    .ok()
                    .map(|t| t.with_timezone(&Utc));
            } else if k.starts_with(ANNOTATION_PREFIX) {
                annotations.insert(k.clone(), s.to_string());
            }
        }
    }
    Ok(ArtifactManifest {
        digest: digest.clone(),
        kind,
        message,
        signature,
        subject,
        created,
        annotations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    pub(crate) fn event() -> TeamEvent {
        TeamEvent {
            kind: ArtifactKind::Approval,
            message: br#"{"v":2}"#.to_vec(),
            signature: "-----BEGIN SSH SIGNATURE-----\nabc\n-----END SSH SIGNATURE-----\n".into(),
            subject: Descriptor {
                media_type: OCI_MANIFEST.into(),
                digest: Digest::of(b"image"),
                size: 5,
            },
            created: Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap(),
            annotations: BTreeMap::from([("dev.tollgate.app".into(), "api".into())]),
        }
    }

    #[test]
    fn empty_config_digest_is_that_of_the_empty_object() {
        assert_eq!(Digest::of(EMPTY_CONFIG).as_str(), EMPTY_CONFIG_DIGEST);
    }

    #[test]
    fn round_trip_and_stable_bytes() {
        let e = event();
        let bytes = e.manifest().unwrap();
        assert_eq!(bytes, e.manifest().unwrap());
        let d = Digest::of(&bytes);
        let m = parse(&bytes, &d).unwrap();
        assert_eq!(m.kind, ArtifactKind::Approval);
        assert_eq!(m.subject, e.subject);
        assert_eq!(m.message, e.layers().0);
        assert_eq!(m.signature, e.layers().1);
        assert_eq!(m.created, Some(e.created));
        assert_eq!(m.annotations, e.annotations);
        for k in ArtifactKind::ALL {
            assert_eq!(
                ArtifactKind::from_artifact_type(&k.artifact_type()),
                Some(k)
            );
        }
    }

    #[test]
    fn refuses_what_is_not_an_event() {
        let mut e = event();
        e.annotations.insert("org.x".into(), "y".into());
        assert!(e.manifest().unwrap_err().message.contains("org.x"));
        let mut e = event();
        e.signature = "not a signature".into();
        assert!(e.manifest().is_err());
        let bytes = event().manifest().unwrap();
        let d = Digest::of(&bytes);
        let text = String::from_utf8(bytes).unwrap();
        let cosign = text.replace("vnd.tollgate.approval", "vnd.dev.cosign.artifact");
        assert!(parse(cosign.as_bytes(), &d)
            .unwrap_err()
            .contains("not a Tollgate one"));
        let swapped = text.replace(MESSAGE_MEDIA_TYPE, "application/octet-stream");
        assert!(parse(swapped.as_bytes(), &d)
            .unwrap_err()
            .contains("layer 0"));
        assert!(parse(b"[]", &d).is_err());
    }
}
