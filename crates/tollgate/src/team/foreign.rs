//! What others attached to an image: the referrers of a digest that Tollgate did not write
//! (cosign signatures, SBOMs, vulnerability reports, in-toto attestations), read from the
//! referrers API, else the fallback tag `sha256-<hex>` (which other tools maintain the same
//! way). Listed with their type, size and creation time only: nothing here is fetched,
//! verified or counted by any rule.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::artifact::CREATED_ANNOTATION;
use super::discover::{MAX_ENTRIES_PER_SUBJECT, MAX_LISTING_BYTES};
use super::index::fallback_tag;
use super::TeamRegistry;
use crate::domain::Digest;
use crate::{Error, Result};

/// `artifactType`s (and media types) of Tollgate's own artifacts start with this.
pub const TOLLGATE_TYPE_PREFIX: &str = "application/vnd.tollgate.";

/// One referrer another tool attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignReferrer {
    pub digest: Digest,
    /// Its `artifactType` (else its manifest's media type).
    pub artifact_type: String,
    pub media_type: String,
    /// The size of its manifest, in bytes.
    pub size: u64,
    /// `org.opencontainers.image.created`, when the listing carries it.
    pub created: Option<DateTime<Utc>>,
}

/// The entries of a referrers listing (an image index) that are not Tollgate's.
pub fn foreign_in(bytes: &[u8]) -> Result<Vec<ForeignReferrer>> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| {
        Error::new(
            crate::Code::Protocol,
            format!("the referrers listing is not JSON ({e})"),
        )
    })?;
    let mut out = Vec::new();
    for m in v
        .get("manifests")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(digest) = m
            .get("digest")
            .and_then(Value::as_str)
            .and_then(|d| Digest::parse(d).ok())
        else {
            continue;
        };
        let media_type = m
            .get("mediaType")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let artifact_type = m
            .get("artifactType")
            .and_then(Value::as_str)
            .map_or_else(|| media_type.clone(), str::to_string);
        if artifact_type.starts_with(TOLLGATE_TYPE_PREFIX) {
            continue;
        }
        let created = m
            .get("annotations")
            .and_then(|a| a.get(CREATED_ANNOTATION))
            .and_then(Value::as_str)
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.with_timezone(&Utc));
        out.push(ForeignReferrer {
            digest,
            artifact_type,
            media_type,
            size: m.get("size").and_then(Value::as_u64).unwrap_or(0),
            created,
        });
    }
    Ok(out)
}

impl TeamRegistry {
    /// The referrers of `subject` in `repository` that Tollgate did not write: from the
    /// referrers API, else the fallback tag (none when neither lists anything).
    #[tracing::instrument(level = "debug", skip(self), fields(subject = %subject))]
    pub async fn foreign_referrers(
        &self,
        repository: &str,
        subject: &Digest,
    ) -> Result<Vec<ForeignReferrer>> {
        let bytes = match self.api_listing(repository, subject).await? {
            Some(bytes) => bytes,
            None => {
                match self
                    .registry
                    .fetch_tag_within(repository, &fallback_tag(subject), MAX_LISTING_BYTES)
                    .await?
                {
                    Some(m) => m.bytes,
                    None => return Ok(Vec::new()),
                }
            }
        };
        let mut list = foreign_in(&bytes)?;
        list.truncate(MAX_ENTRIES_PER_SUBJECT);
        Ok(list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_tollgate_did_not_write() {
        let d = |n: u8| Digest::of(&[n]).to_string();
        let listing = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [
                {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": d(1), "size": 700,
                 "artifactType": "application/vnd.tollgate.approval.v1+json"},
                {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": d(2), "size": 900,
                 "artifactType": "application/vnd.dev.cosign.artifact.sig.v1+json",
                 "annotations": {"org.opencontainers.image.created": "2026-12-01T10:00:00Z"}},
                {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": d(3), "size": 1200,
                 "artifactType": "application/spdx+json"},
                {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": d(4), "size": 10,
                 "artifactType": "application/vnd.tollgate.report.v1"},
                {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "nope", "size": 1},
            ]
        });
        let got = foreign_in(listing.to_string().as_bytes()).unwrap();
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(
            got[0].artifact_type,
            "application/vnd.dev.cosign.artifact.sig.v1+json"
        );
        assert_eq!(got[0].size, 900);
        assert_eq!(
            got[0].created.map(|t| t.to_rfc3339()),
            Some("2026-12-01T10:00:00+00:00".into())
        );
        assert_eq!(got[1].artifact_type, "application/spdx+json");
        assert!(foreign_in(b"nope").is_err());
    }
}
