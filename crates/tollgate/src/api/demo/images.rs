//! Small, real OCI images for the demo workspace: one tar layer, a config with OCI labels.

use chrono::{DateTime, Utc};

use crate::domain::Digest;
use crate::registry::Registry;
use crate::{Error, Result};

pub(super) const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";

/// The demo's images name their source on GitHub (a known forge: the release diff links the
/// compare view of two revisions); the organisation is made up.
const DEMO_ORG: &str = "tollgate-demo";

/// A commit id that looks like one: the first 40 hex digits of the sha256 of `seed`.
pub(super) fn revision(seed: &str) -> String {
    Digest::of(seed.as_bytes()).hex()[..40].to_string()
}

pub(super) struct DemoImage<'a> {
    pub app: &'a str,
    pub version: &'a str,
    pub revision: String,
    pub created: DateTime<Utc>,
}

/// Build the image, push its blobs and manifest into `repository` of `registry` under `tag`.
pub(super) async fn push(
    registry: &Registry,
    repository: &str,
    tag: &str,
    image: &DemoImage<'_>,
) -> Result<Digest> {
    let layer = layer_tar(image)?;
    let layer_digest = Digest::of(&layer);
    let config = serde_json::to_vec(&serde_json::json!({
        "created": image.created.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "architecture": "amd64",
        "os": "linux",
        "config": {
            "Cmd": [format!("/srv/{}", image.app)],
            "Labels": {
                "org.opencontainers.image.revision": image.revision,
                "org.opencontainers.image.version": image.version,
                "org.opencontainers.image.source": format!("https://github.com/{DEMO_ORG}/{}", image.app),
                "org.opencontainers.image.title": image.app,
            }
        },
        "rootfs": { "type": "layers", "diff_ids": [layer_digest.as_str()] },
        "history": [{ "created": image.created.to_rfc3339_opts(chrono::SecondsFormat::Secs, true), "created_by": "tollgate demo" }]
    }))
    .map_err(|e| Error::internal(format!("demo config: {e}")))?;
    let config_digest = Digest::of(&config);
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": { "mediaType": OCI_CONFIG, "digest": config_digest.as_str(), "size": config.len() },
        "layers": [{ "mediaType": OCI_LAYER, "digest": layer_digest.as_str(), "size": layer.len() }],
        "annotations": { "org.opencontainers.image.created": image.created.to_rfc3339_opts(chrono::SecondsFormat::Secs, true) }
    }))
    .map_err(|e| Error::internal(format!("demo manifest: {e}")))?;
    registry.push_blob(repository, &layer).await?;
    registry.push_blob(repository, &config).await?;
    registry
        .push_manifest(repository, tag, &manifest, OCI_MANIFEST)
        .await
}

fn layer_tar(image: &DemoImage<'_>) -> Result<Vec<u8>> {
    let body = format!("{} {} ({})\n", image.app, image.version, image.revision);
    let mut header = tar::Header::new_gnu();
    header
        .set_path(format!("srv/{}/VERSION", image.app))
        .map_err(|e| Error::internal(format!("demo layer: {e}")))?;
    header.set_size(body.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(image.created.timestamp().max(0) as u64);
    header.set_cksum();
    let mut builder = tar::Builder::new(Vec::new());
    builder
        .append(&header, body.as_bytes())
        .map_err(|e| Error::internal(format!("demo layer: {e}")))?;
    builder
        .into_inner()
        .map_err(|e| Error::internal(format!("demo layer: {e}")))
}
