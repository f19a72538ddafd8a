//! The OCI 1.1 fallback tag `sha256-<hex>`: an image index listing the referrers of a digest,
//! for registries without the referrers API. Tollgate reads, merges and writes it; entries it
//! does not understand (other tools' referrers) are kept as they are.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::artifact::ArtifactKind;
use crate::domain::Digest;
use crate::registry::{OCI_INDEX, OCI_MANIFEST};
use crate::{Error, Result};

/// The fallback tag of `subject`: `sha256-<hex>`. Never an environment tag.
pub fn fallback_tag(subject: &Digest) -> String {
    format!("sha256-{}", subject.hex())
}

/// Whether `tag` has the shape of a fallback tag (`sha256-…`), which Tollgate reserves.
pub fn is_fallback_tag(tag: &str) -> bool {
    tag.starts_with("sha256-")
}

/// One entry of a referrers index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub digest: Digest,
    pub size: u64,
    pub media_type: String,
    pub artifact_type: Option<String>,
    pub annotations: BTreeMap<String, String>,
}

impl Entry {
    /// The Tollgate kind of this entry, when its `artifactType` is one.
    /// An attached report ([`super::report::REPORT_ARTIFACT_TYPE`]).
    pub fn is_report(&self) -> bool {
        self.artifact_type.as_deref() == Some(super::report::REPORT_ARTIFACT_TYPE)
    }

    pub fn kind(&self) -> Option<ArtifactKind> {
        self.artifact_type
            .as_deref()
            .and_then(ArtifactKind::from_artifact_type)
    }

    fn to_json(&self) -> Value {
        let mut v = json!({"mediaType": self.media_type, "digest": self.digest.as_str(), "size": self.size});
        if let Some(t) = &self.artifact_type {
            v["artifactType"] = json!(t);
        }
        if !self.annotations.is_empty() {
            v["annotations"] = json!(self.annotations);
        }
        v
    }
}

/// An entry Tollgate does not read: another tool's referrer, or something malformed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The entry's digest, when it has one.
    pub digest: Option<String>,
    /// Why, in words: "its artifactType … is not a Tollgate one".
    pub reason: String,
    /// It stays skipped (remembered, not fetched again); `false` for what may change on its
    /// own (a listed manifest the registry does not have, yet or any more).
    pub lasting: bool,
}

/// A referrers index, split into Tollgate entries and skipped ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    pub entries: Vec<Entry>,
    pub skipped: Vec<Skipped>,
    /// Reports attached to checks ([`super::report::REPORT_ARTIFACT_TYPE`]): Tollgate's, never
    /// fetched by a sync (the attestation that signs their hash is the event).
    pub attachments: Vec<Entry>,
}

impl Listing {
    pub fn contains(&self, digest: &Digest) -> bool {
        self.entries.iter().any(|e| &e.digest == digest)
    }
}

fn entry_of(v: &Value) -> std::result::Result<Entry, Skipped> {
    let raw_digest = v.get("digest").and_then(Value::as_str).map(str::to_string);
    let skip = |reason: String| Skipped {
        digest: raw_digest.clone(),
        reason,
        lasting: true,
    };
    let digest = raw_digest
        .as_deref()
        .and_then(|d| Digest::parse(d).ok())
        .ok_or_else(|| skip("it has no sha256 digest".into()))?;
    let media_type = v
        .get("mediaType")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let size = v
        .get("size")
        .and_then(Value::as_u64)
        .ok_or_else(|| skip("it has no size".into()))?;
    let artifact_type = v
        .get("artifactType")
        .and_then(Value::as_str)
        .map(str::to_string);
    let annotations = v
        .get("annotations")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default();
    let entry = Entry {
        digest,
        size,
        media_type,
        artifact_type,
        annotations,
    };
    if entry.kind().is_none() && !entry.is_report() {
        return Err(skip(format!(
            "its artifactType '{}' is not a Tollgate one",
            entry.artifact_type.as_deref().unwrap_or("")
        )));
    }
    if entry.media_type != OCI_MANIFEST {
        return Err(skip(format!(
            "its mediaType '{}' is not {OCI_MANIFEST}",
            entry.media_type
        )));
    }
    Ok(entry)
}

fn parse_value(bytes: &[u8], what: &str) -> Result<Value> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| {
        Error::new(
            crate::Code::Protocol,
            format!("{what} is not JSON ({e}); it is not an OCI image index"),
        )
    })?;
    if !v.get("manifests").is_some_and(Value::is_array) {
        return Err(Error::new(
            crate::Code::Protocol,
            format!("{what} has no manifests list; it is not an OCI image index"),
        ));
    }
    Ok(v)
}

/// Read a referrers index (the fallback tag's manifest or a referrers API answer).
pub fn read(bytes: &[u8], what: &str) -> Result<Listing> {
    let v = parse_value(bytes, what)?;
    let mut listing = Listing::default();
    for m in v["manifests"].as_array().into_iter().flatten() {
        match entry_of(m) {
            Ok(e) if e.is_report() => listing.attachments.push(e),
            Ok(e) => listing.entries.push(e),
            Err(s) => listing.skipped.push(s),
        }
    }
    Ok(listing)
}

/// `existing` (the fallback index's bytes, `None` when the tag does not exist) with `add`
/// appended where their digests are missing; other entries are kept as they are. `None` when
/// nothing is missing (no write needed).
pub fn merge(existing: Option<&[u8]>, add: &[Entry], what: &str) -> Result<Option<Vec<u8>>> {
    let mut v = match existing {
        Some(bytes) => parse_value(bytes, what)?,
        None => json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}),
    };
    let list = v["manifests"].as_array_mut().expect("checked above");
    let mut changed = false;
    for entry in add {
        let there = list
            .iter()
            .any(|m| m.get("digest").and_then(Value::as_str) == Some(entry.digest.as_str()));
        if !there {
            list.push(entry.to_json());
            changed = true;
        }
    }
    if !changed {
        return Ok(None);
    }
    v["schemaVersion"] = json!(2);
    v["mediaType"] = json!(OCI_INDEX);
    serde_json::to_vec(&v)
        .map(Some)
        .map_err(|e| Error::internal(format!("referrers index to JSON: {e}")))
}

/// `bytes` (an index) without the entries whose digest is in `remove`; other entries and
/// fields kept as they are.
pub fn without(bytes: &[u8], remove: &[Digest], what: &str) -> Result<Vec<u8>> {
    let mut v = parse_value(bytes, what)?;
    let list = v["manifests"]
        .as_array_mut()
        .expect("checked by parse_value");
    let before = list.len();
    list.retain(|m| {
        !remove
            .iter()
            .any(|d| m.get("digest").and_then(Value::as_str) == Some(d.as_str()))
    });
    if list.len() == before {
        return Ok(bytes.to_vec());
    }
    serde_json::to_vec(&v).map_err(|e| Error::internal(format!("referrers index to JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: u8) -> Entry {
        Entry {
            digest: Digest::of(&[n]),
            size: 10,
            media_type: OCI_MANIFEST.into(),
            artifact_type: Some(ArtifactKind::Approval.artifact_type()),
            annotations: BTreeMap::new(),
        }
    }

    #[test]
    fn merge_keeps_others_and_adds_once() {
        let cosign = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":3,"artifactType":"application/vnd.dev.cosign.artifact.sig.v1+json"}]}"#;
        let merged = merge(Some(cosign.as_bytes()), &[entry(1), entry(2)], "x")
            .unwrap()
            .unwrap();
        let listing = read(&merged, "x").unwrap();
        assert_eq!(listing.entries, vec![entry(1), entry(2)]);
        assert_eq!(listing.skipped.len(), 1);
        assert!(listing.skipped[0].reason.contains("cosign"));
        assert_eq!(merge(Some(&merged), &[entry(2)], "x").unwrap(), None);
        assert!(merge(Some(b"{}"), &[entry(1)], "x").is_err());
        assert_eq!(fallback_tag(&Digest::of(b"")).len(), 71);
    }
}
