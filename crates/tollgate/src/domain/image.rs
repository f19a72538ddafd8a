use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::domain::Digest;

/// What Tollgate knows about one manifest: read once from the registry, then cached by digest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ImageInfo {
    #[ts(type = "string")]
    pub digest: Digest,
    pub media_type: String,
    /// Size of the manifest in bytes.
    #[ts(type = "number")]
    pub size: u64,
    /// The config's `created` (for an index: of the first platform's image, if read).
    #[ts(type = "string | null")]
    pub created: Option<DateTime<Utc>>,
    /// `org.opencontainers.image.revision`
    pub revision: Option<String>,
    /// `org.opencontainers.image.version`
    pub version: Option<String>,
    /// `org.opencontainers.image.source`
    pub source: Option<String>,
    /// Every label/annotation found on the config (and manifest annotations).
    pub labels: BTreeMap<String, String>,
    /// `os/arch[/variant]` of each entry of an index, or the one a single-platform image's
    /// config names; empty when unknown (read before this was recorded, or not in the config).
    pub platforms: Vec<String>,
}
