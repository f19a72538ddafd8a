//! Manifest media types and the little of a manifest Tollgate reads: what it references
//! (config, layers, child manifests), the platforms of an index, the labels of a config.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use oci_client::manifest::{
    IMAGE_MANIFEST_LIST_MEDIA_TYPE, IMAGE_MANIFEST_MEDIA_TYPE, OCI_IMAGE_INDEX_MEDIA_TYPE,
    OCI_IMAGE_MEDIA_TYPE,
};
use serde_json::Value;

use crate::domain::Digest;
use crate::{Code, Error, Result};

pub const OCI_MANIFEST: &str = OCI_IMAGE_MEDIA_TYPE;
pub const OCI_INDEX: &str = OCI_IMAGE_INDEX_MEDIA_TYPE;
pub const DOCKER_MANIFEST: &str = IMAGE_MANIFEST_MEDIA_TYPE;
pub const DOCKER_MANIFEST_LIST: &str = IMAGE_MANIFEST_LIST_MEDIA_TYPE;
const DOCKER_SCHEMA1: &str = "application/vnd.docker.distribution.manifest.v1+json";
const DOCKER_SCHEMA1_SIGNED: &str = "application/vnd.docker.distribution.manifest.v1+prettyjws";

/// The `Accept` header for manifest requests: every manifest type Tollgate understands.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";

/// Config blobs larger than this are not read for metadata.
pub const MAX_CONFIG_BYTES: usize = 8 * 1024 * 1024;

/// The `org.opencontainers.image.ref.name` annotation: the tag of an OCI layout entry.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A single-platform image (or artifact) manifest: a config and layers.
    Image,
    /// An index / manifest list: child manifests.
    Index,
}

/// Whether `media_type` is one Tollgate reads as a manifest, and which kind.
pub fn kind_of(media_type: &str) -> Option<Kind> {
    match media_type {
        OCI_MANIFEST | DOCKER_MANIFEST => Some(Kind::Image),
        OCI_INDEX | DOCKER_MANIFEST_LIST => Some(Kind::Index),
        _ => None,
    }
}

/// `Content-Type: application/json; charset=utf-8` → `application/json`.
pub fn essence(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or("").trim()
}

/// A descriptor, as far as copying and platforms need it.
#[derive(Debug, Clone, PartialEq)]
pub struct Descriptor {
    pub media_type: String,
    pub digest: Digest,
    pub size: u64,
    /// `os/arch[/variant]` when the descriptor names a platform.
    pub platform: Option<String>,
    /// A non-distributable ("foreign") layer that lives at external URLs: never copied.
    pub foreign: bool,
}

/// What a manifest references.
#[derive(Debug, Clone)]
pub struct ParsedManifest {
    pub kind: Kind,
    pub media_type: String,
    pub config: Option<Descriptor>,
    pub layers: Vec<Descriptor>,
    pub manifests: Vec<Descriptor>,
    pub annotations: BTreeMap<String, String>,
}

impl ParsedManifest {
    /// Every blob (not manifest) this manifest references: config then layers.
    pub fn blobs(&self) -> impl Iterator<Item = &Descriptor> {
        self.config
            .iter()
            .chain(self.layers.iter())
            .filter(|d| !d.foreign)
    }

    /// Platforms of an index's entries, skipping `unknown/unknown` (attestations).
    pub fn platforms(&self) -> Vec<String> {
        self.manifests
            .iter()
            .filter_map(|m| m.platform.clone())
            .collect()
    }
}

fn protocol(message: String) -> Error {
    Error::new(Code::Protocol, message)
}

/// Parse manifest bytes. `declared` is the media type the registry or the layout index gave
/// (used when it is a manifest type); otherwise the manifest's own `mediaType`, otherwise the
/// shape (`manifests` → index). `what` names the manifest in error messages.
pub fn parse_manifest(bytes: &[u8], declared: Option<&str>, what: &str) -> Result<ParsedManifest> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        protocol(format!("{what} is not valid JSON ({e}); the registry served something that is not an OCI or Docker v2 manifest"))
    })?;
    let obj = value.as_object().ok_or_else(|| {
        protocol(format!(
            "{what} is not a JSON object; expected an OCI or Docker v2 manifest"
        ))
    })?;
    let own = obj.get("mediaType").and_then(Value::as_str);
    let declared = declared.map(essence).filter(|m| kind_of(m).is_some());
    let media_type = match (declared, own) {
        (Some(d), _) => d.to_string(),
        (None, Some(m)) => m.to_string(),
        (None, None) if obj.get("schemaVersion").and_then(Value::as_i64) == Some(1) => {
            DOCKER_SCHEMA1.to_string()
        }
        (None, None) if obj.contains_key("manifests") => OCI_INDEX.to_string(),
        (None, None) => OCI_MANIFEST.to_string(),
    };
    let kind = match kind_of(&media_type) {
        Some(k) => k,
        None if media_type == DOCKER_SCHEMA1 || media_type == DOCKER_SCHEMA1_SIGNED => {
            return Err(protocol(format!("{what} is a Docker schema 1 manifest, which Tollgate does not read; re-push the image with a current tool (docker, buildah, skopeo) to get an OCI or Docker v2 manifest")));
        }
        None => {
            return Err(protocol(format!("{what} has media type '{media_type}', which is not an OCI or Docker v2 manifest or index")));
        }
    };
    let descriptors = |key: &str| -> Result<Vec<Descriptor>> {
        match obj.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items.iter().map(|d| descriptor(d, what)).collect(),
            Some(_) => Err(protocol(format!(
                "{what}: '{key}' is not a list of descriptors"
            ))),
        }
    };
    let (config, layers, manifests) = match kind {
        Kind::Image => {
            let config = match obj.get("config") {
                Some(c) => Some(descriptor(c, what)?),
                None => {
                    return Err(protocol(format!(
                        "{what} is an image manifest without a config descriptor"
                    )))
                }
            };
            (config, descriptors("layers")?, Vec::new())
        }
        Kind::Index => (None, Vec::new(), descriptors("manifests")?),
    };
    Ok(ParsedManifest {
        kind,
        media_type,
        config,
        layers,
        manifests,
        annotations: string_map(obj.get("annotations")),
    })
}

fn descriptor(v: &Value, what: &str) -> Result<Descriptor> {
    let bad = |why: &str| protocol(format!("{what} has an invalid descriptor: {why}"));
    let media_type = v
        .get("mediaType")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let digest = v
        .get("digest")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("no digest"))?;
    let digest =
        Digest::parse(digest).map_err(|_| bad(&format!("'{digest}' is not a sha256 digest")))?;
    let size = v
        .get("size")
        .and_then(Value::as_u64)
        .ok_or_else(|| bad("no size"))?;
    let platform = v.get("platform").and_then(|p| {
        let os = p.get("os").and_then(Value::as_str)?;
        let arch = p.get("architecture").and_then(Value::as_str)?;
        if os == "unknown" || arch == "unknown" {
            return None;
        }
        Some(
            match p
                .get("variant")
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty())
            {
                Some(variant) => format!("{os}/{arch}/{variant}"),
                None => format!("{os}/{arch}"),
            },
        )
    });
    let has_urls = v
        .get("urls")
        .and_then(Value::as_array)
        .is_some_and(|u| !u.is_empty());
    let foreign =
        has_urls && (media_type.contains("nondistributable") || media_type.contains(".foreign."));
    Ok(Descriptor {
        media_type,
        digest,
        size,
        platform,
        foreign,
    })
}

fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// What an image config says about provenance: `created` and `config.Labels`.
/// A config that is not an image config (an artifact's) gives nothing, not an error.
pub fn config_metadata(bytes: &[u8]) -> (Option<DateTime<Utc>>, BTreeMap<String, String>) {
    let Ok(value) = serde_json::from_slice::<Value>(bytes) else {
        return (None, BTreeMap::new());
    };
    let created = value
        .get("created")
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc));
    let labels = string_map(value.get("config").and_then(|c| c.get("Labels")));
    (created, labels)
}

/// The `os/architecture[/variant]` an image config names (`linux/amd64`), when it names both.
pub fn config_platform(bytes: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(bytes).ok()?;
    let part = |k: &str| {
        value
            .get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let mut platform = format!("{}/{}", part("os")?, part("architecture")?);
    if let Some(v) = part("variant") {
        platform.push('/');
        platform.push_str(v);
    }
    Some(platform)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_names_its_platform() {
        let p = |s: &str| config_platform(s.as_bytes());
        assert_eq!(
            p(r#"{"os":"linux","architecture":"amd64"}"#).as_deref(),
            Some("linux/amd64")
        );
        assert_eq!(
            p(r#"{"os":"linux","architecture":"arm64","variant":"v8"}"#).as_deref(),
            Some("linux/arm64/v8")
        );
        assert_eq!(p(r#"{"architecture":"amd64"}"#), None);
        assert_eq!(p("not json"), None);
    }

    fn d(n: u8) -> String {
        Digest::of(&[n]).to_string()
    }

    #[test]
    fn parses_oci_and_docker_manifests() {
        let m = format!(
            r#"{{"schemaVersion":2,"mediaType":"{DOCKER_MANIFEST}","config":{{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"{}","size":10}},"layers":[{{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":"{}","size":20}},{{"mediaType":"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip","digest":"{}","size":30,"urls":["https://example.com/x"]}}],"annotations":{{"a":"b"}}}}"#,
            d(1),
            d(2),
            d(3)
        );
        let p = parse_manifest(m.as_bytes(), Some("application/json"), "m").unwrap();
        assert_eq!(p.kind, Kind::Image);
        assert_eq!(p.media_type, DOCKER_MANIFEST);
        assert_eq!(
            p.blobs().map(|b| b.digest.to_string()).collect::<Vec<_>>(),
            vec![d(1), d(2)]
        );
        assert_eq!(p.annotations.get("a").map(String::as_str), Some("b"));

        // No mediaType in the body: the declared type wins, then the shape.
        let oci = format!(
            r#"{{"schemaVersion":2,"config":{{"mediaType":"x","digest":"{}","size":1}},"layers":[]}}"#,
            d(1)
        );
        assert_eq!(
            parse_manifest(oci.as_bytes(), None, "m")
                .unwrap()
                .media_type,
            OCI_MANIFEST
        );
        assert_eq!(
            parse_manifest(
                oci.as_bytes(),
                Some("application/vnd.docker.distribution.manifest.v2+json; charset=utf-8"),
                "m"
            )
            .unwrap()
            .media_type,
            DOCKER_MANIFEST
        );
    }

    #[test]
    fn parses_index_platforms() {
        let idx = format!(
            r#"{{"schemaVersion":2,"manifests":[
                {{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":1,"platform":{{"os":"linux","architecture":"amd64"}}}},
                {{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":1,"platform":{{"os":"linux","architecture":"arm64","variant":"v8"}}}},
                {{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":1,"platform":{{"os":"unknown","architecture":"unknown"}}}}]}}"#,
            d(1),
            d(2),
            d(3)
        );
        let p = parse_manifest(idx.as_bytes(), None, "i").unwrap();
        assert_eq!(p.kind, Kind::Index);
        assert_eq!(p.media_type, OCI_INDEX);
        assert_eq!(p.platforms(), vec!["linux/amd64", "linux/arm64/v8"]);
        assert_eq!(p.manifests.len(), 3);
        let list = idx.replacen(
            "{\"schemaVersion\":2,",
            &format!("{{\"schemaVersion\":2,\"mediaType\":\"{DOCKER_MANIFEST_LIST}\","),
            1,
        );
        assert_eq!(
            parse_manifest(list.as_bytes(), None, "i")
                .unwrap()
                .media_type,
            DOCKER_MANIFEST_LIST
        );
    }

    #[test]
    fn refuses_what_is_not_a_manifest() {
        for (bytes, declared) in [
            (r#"not json"#, None),
            (r#"[1]"#, None),
            (r#"{"schemaVersion":1,"name":"x","fsLayers":[]}"#, None),
            (r#"{"schemaVersion":2,"mediaType":"text/plain"}"#, None),
            (
                r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#,
                None,
            ),
            (
                r#"{"schemaVersion":2,"manifests":[{"digest":"sha256:00","size":1}]}"#,
                None,
            ),
        ] {
            let e = parse_manifest(bytes.as_bytes(), declared, "m").unwrap_err();
            assert_eq!(e.code, Code::Protocol, "{bytes}");
            assert!(!e.message.contains('\n'));
        }
    }

    #[test]
    fn media_type_kinds() {
        assert_eq!(kind_of(OCI_MANIFEST), Some(Kind::Image));
        assert_eq!(kind_of(DOCKER_MANIFEST), Some(Kind::Image));
        assert_eq!(kind_of(OCI_INDEX), Some(Kind::Index));
        assert_eq!(kind_of(DOCKER_MANIFEST_LIST), Some(Kind::Index));
        assert_eq!(kind_of("application/json"), None);
        assert_eq!(
            essence("application/json; charset=utf-8"),
            "application/json"
        );
        for t in [
            OCI_MANIFEST,
            OCI_INDEX,
            DOCKER_MANIFEST,
            DOCKER_MANIFEST_LIST,
        ] {
            assert!(MANIFEST_ACCEPT.contains(t));
        }
    }

    #[test]
    fn config_labels_and_created() {
        let cfg = br#"{"created":"2026-11-20T10:00:00.123456789Z","architecture":"amd64","os":"linux","config":{"Labels":{"org.opencontainers.image.revision":"abc","n":null}}}"#;
        let (created, labels) = config_metadata(cfg);
        assert_eq!(
            created.unwrap().to_rfc3339(),
            "2026-11-20T10:00:00.123456789+00:00"
        );
        assert_eq!(labels.len(), 1);
        assert_eq!(labels["org.opencontainers.image.revision"], "abc");
        assert_eq!(config_metadata(b"{}"), (None, BTreeMap::new()));
        assert_eq!(config_metadata(b"\x00"), (None, BTreeMap::new()));
    }
}
