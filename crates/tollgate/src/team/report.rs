//! A check's attached report as its own artifact (docs/src/contracts/incidents-and-evidence.md):
//! an OCI image manifest with `artifactType` [`REPORT_ARTIFACT_TYPE`], the empty
//! config, one layer (the file's exact bytes, with its media type) and `subject` the image
//! manifest, so that an auditor fetches it with `skopeo` or `curl` (the blob by digest) and
//! compares its sha256 with the one the attestation signs. It is listed among the image's
//! referrers like an event (the referrers API, else the fallback tag), and discovery accepts
//! it without fetching it (it holds no statement: the attestation does).

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::json;

use super::artifact::{
    Descriptor, ANNOTATION_PREFIX, CREATED_ANNOTATION, EMPTY_CONFIG, EMPTY_CONFIG_DIGEST,
    EMPTY_CONFIG_MEDIA_TYPE,
};
use super::index::Entry;
use super::publish::{Denied, Publish, Published};
use super::TeamRegistry;
use crate::domain::Digest;
use crate::registry::OCI_MANIFEST;
use crate::{Code, Error, Result};

/// `artifactType` of an attached report.
pub const REPORT_ARTIFACT_TYPE: &str = "application/vnd.tollgate.report.v1";
/// The largest report attached, in bytes (32 MiB).
pub const MAX_REPORT_BYTES: u64 = 32 * 1024 * 1024;
/// The standard title annotation, set to the file's name.
pub const TITLE_ANNOTATION: &str = "org.opencontainers.image.title";

/// A report file to attach to an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportArtifact {
    /// The file's exact bytes.
    pub bytes: Vec<u8>,
    /// Its media type (`application/json`, `text/html`, ...).
    pub media_type: String,
    /// The file's name (without folders), for the title annotation.
    pub title: String,
    pub subject: Descriptor,
    pub created: DateTime<Utc>,
    /// `dev.tollgate.*` annotations, for filtering only.
    pub annotations: BTreeMap<String, String>,
}

/// Where an attached report lies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachedReport {
    /// The report artifact's manifest digest.
    pub artifact: Digest,
    /// The layer (the file) digest: `sha256:` + the sha256 the attestation signs.
    pub blob: Digest,
}

/// The media type of a report file, from its extension (`application/octet-stream` when not
/// known).
pub fn media_type_of(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("json") => "application/json",
        Some("sarif") => "application/sarif+json",
        Some("html" | "htm") => "text/html",
        Some("txt" | "log") => "text/plain",
        Some("md") => "text/markdown",
        Some("csv") => "text/csv",
        Some("xml") => "application/xml",
        Some("pdf") => "application/pdf",
        Some("gz" | "tgz") => "application/gzip",
        Some("zip") => "application/zip",
        _ => "application/octet-stream",
    }
}

impl ReportArtifact {
    /// The layer descriptor: the file.
    pub fn layer(&self) -> Descriptor {
        Descriptor {
            media_type: self.media_type.clone(),
            digest: Digest::of(&self.bytes),
            size: self.bytes.len() as u64,
        }
    }

    /// The artifact manifest bytes (keys sorted, compact).
    pub fn manifest(&self) -> Result<Vec<u8>> {
        if self.bytes.len() as u64 > MAX_REPORT_BYTES {
            return Err(Error::bad_input(format!(
                "the report is {} bytes, over the {MAX_REPORT_BYTES}-byte (32 MiB) limit; attach a summary and link the full report instead",
                self.bytes.len()
            )));
        }
        let d = |d: &Descriptor| json!({"mediaType": d.media_type, "digest": d.digest.as_str(), "size": d.size});
        let mut annotations = serde_json::Map::new();
        for (k, v) in &self.annotations {
            if k.starts_with(ANNOTATION_PREFIX) {
                annotations.insert(k.clone(), json!(v));
            }
        }
        annotations.insert(
            CREATED_ANNOTATION.into(),
            json!(self.created.to_rfc3339_opts(SecondsFormat::Millis, true)),
        );
        let mut layer = d(&self.layer());
        if !self.title.is_empty() {
            layer["annotations"] = json!({ TITLE_ANNOTATION: self.title });
        }
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "artifactType": REPORT_ARTIFACT_TYPE,
            "config": {"mediaType": EMPTY_CONFIG_MEDIA_TYPE, "digest": EMPTY_CONFIG_DIGEST, "size": 2},
            "layers": [layer],
            "subject": d(&self.subject),
            "annotations": annotations,
        });
        serde_json::to_vec(&manifest).map_err(|e| Error::internal(format!("report to JSON: {e}")))
    }

    fn entry(&self, artifact: &Digest, size: u64) -> Entry {
        let mut annotations = self.annotations.clone();
        annotations.insert(
            CREATED_ANNOTATION.into(),
            self.created.to_rfc3339_opts(SecondsFormat::Millis, true),
        );
        Entry {
            digest: artifact.clone(),
            size,
            media_type: OCI_MANIFEST.into(),
            artifact_type: Some(REPORT_ARTIFACT_TYPE.into()),
            annotations,
        }
    }
}

impl TeamRegistry {
    /// Push `report` to `repository` (the file, the empty config, the manifest by digest) and
    /// list it among its subject's referrers. Idempotent: the same file, subject and time give
    /// the same artifact.
    #[tracing::instrument(level = "debug", skip(self, report), fields(subject = %report.subject.digest, size = report.bytes.len()))]
    pub async fn attach_report(
        &self,
        repository: &str,
        report: &ReportArtifact,
    ) -> Result<Publish> {
        let manifest = report.manifest()?;
        let r = &self.registry;
        let pushed = async {
            r.push_blob(repository, EMPTY_CONFIG).await?;
            r.push_blob(repository, &report.bytes).await?;
            r.push_manifest_by_digest(repository, &manifest, OCI_MANIFEST)
                .await
        }
        .await;
        let denied =
            |e: &Error| Publish::Denied(Denied::new(self.registry.display_name(), repository, e));
        match pushed {
            Ok(_) => {}
            Err(e) if matches!(e.code, Code::Forbidden | Code::AuthRequired) => {
                return Ok(denied(&e))
            }
            Err(e) => return Err(e),
        }
        let artifact = Digest::of(&manifest);
        let size = manifest.len() as u64;
        let entry = report.entry(&artifact, size);
        let fallback = match self.api_listing(repository, &report.subject.digest).await? {
            Some(_) => None,
            None => match self
                .add_to_fallback_settled(repository, &report.subject.digest, &[entry])
                .await
            {
                Ok(w) => Some(w),
                Err(e) if matches!(e.code, Code::Forbidden | Code::AuthRequired) => {
                    return Ok(denied(&e))
                }
                Err(e) => return Err(e),
            },
        };
        Ok(Publish::Shared(Published {
            artifact,
            size,
            repository: repository.to_string(),
            fallback,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_report_is_one_layer_of_the_file_bytes_about_the_image() {
        let r = ReportArtifact {
            bytes: b"{\"p99\":180}".to_vec(),
            media_type: media_type_of("k6-summary.JSON").into(),
            title: "k6-summary.json".into(),
            subject: Descriptor {
                media_type: OCI_MANIFEST.into(),
                digest: Digest::of(b"image"),
                size: 5,
            },
            created: Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap(),
            annotations: BTreeMap::from([("dev.tollgate.check".into(), "load-test".into())]),
        };
        let bytes = r.manifest().unwrap();
        assert_eq!(bytes, r.manifest().unwrap(), "stable bytes");
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["artifactType"], REPORT_ARTIFACT_TYPE);
        assert_eq!(v["layers"].as_array().unwrap().len(), 1);
        assert_eq!(v["layers"][0]["mediaType"], "application/json");
        assert_eq!(
            v["layers"][0]["digest"],
            Digest::of(b"{\"p99\":180}").as_str()
        );
        assert_eq!(v["subject"]["digest"], Digest::of(b"image").as_str());
        assert_eq!(v["annotations"]["dev.tollgate.check"], "load-test");
        assert_eq!(media_type_of("scan.sarif"), "application/sarif+json");
        assert_eq!(media_type_of("README"), "application/octet-stream");
    }
}
