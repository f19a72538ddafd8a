//! Team history in the registry, the transport (docs/src/contracts/team-artifacts.md):
//! events as OCI artifacts attached to an image digest, published to the app's repository or the
//! `[team] ledger` repository, and discovered through the referrers API or the fallback tag.
//! Events are given bytes here (a kind, the signed message, the armored signature, the subject):
//! nothing in this module signs, verifies or imports; `sync` does not call it yet.
//!
//! - [`artifact`]: the artifact manifest, built and parsed.
//! - [`checkpoint`]: a signed checkpoint of a chain as an artifact under its own tag.
//! - [`index`]: the fallback tag `sha256-<hex>` (an OCI image index), read and merged.
//! - `publish`: push an artifact, keep the fallback index listing it ([`TeamRegistry::publish`],
//!   [`TeamRegistry::ensure_listed`]).
//! - [`report`]: a check's attached report, an artifact of one layer (the file).
//! - `discover`: list, and fetch, the referrers of a digest ([`TeamRegistry::discover`],
//!   [`TeamRegistry::fetch`], [`TeamRegistry::pull`]).

pub mod artifact;
pub mod checkpoint;
mod discover;
pub mod foreign;
pub mod index;
mod publish;
pub mod report;
pub mod skip;

use std::collections::HashMap;
use std::sync::Mutex;

pub use artifact::{ArtifactKind, ArtifactManifest, Descriptor, TeamEvent};
pub use checkpoint::{
    chain_tag_prefix, checkpoint_tag, CheckpointPush, FetchedCheckpoint, CHECKPOINT_ARTIFACT_TYPE,
    CHECKPOINT_TAG_PREFIX,
};
pub use discover::{
    Fallbacks, Fetched, Pulled, Referrers, Seen, Source, MAX_ENTRIES_PER_SUBJECT,
    MAX_FALLBACK_TAGS, MAX_LISTING_BYTES, NO_API_MEMORY,
};
pub use foreign::{ForeignReferrer, TOLLGATE_TYPE_PREFIX};
pub use index::{fallback_tag, is_fallback_tag, Entry, Listing, Skipped};
pub use publish::{known_entry, Denied, FallbackWrite, Publish, Published, MAX_INDEX_ATTEMPTS};
pub use report::{
    media_type_of, AttachedReport, ReportArtifact, MAX_REPORT_BYTES, REPORT_ARTIFACT_TYPE,
};
pub use skip::SkipReason;

use crate::config::{AppConfig, Workspace};
use crate::domain::Digest;
use crate::registry::Registry;
use crate::Result;

/// One registry used for team sharing: the registry handle and what was learned about each
/// repository (whether it has the referrers API: asked once per repository per process).
pub struct TeamRegistry {
    registry: Registry,
    has_api: Mutex<HashMap<String, bool>>,
}

impl TeamRegistry {
    /// Refused for an OCI layout (`oci:PATH`), which is not supported for team sharing.
    pub fn new(registry: Registry) -> Result<Self> {
        registry.supports_team_sharing()?;
        Ok(TeamRegistry {
            registry,
            has_api: Mutex::new(HashMap::new()),
        })
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// What this process knows about `repository`'s referrers API: `Some(true)` it has one,
    /// `Some(false)` it has none (the fallback tag is used), `None` not asked yet.
    pub fn knows_api(&self, repository: &str) -> Option<bool> {
        self.has_api.lock().ok()?.get(repository).copied()
    }

    /// The referrers API answer for `subject`, or `None` when the repository has no API
    /// (asked once: the answer is remembered).
    async fn api_listing(&self, repository: &str, subject: &Digest) -> Result<Option<Vec<u8>>> {
        if self.knows_api(repository) == Some(false) {
            return Ok(None);
        }
        let answer = self
            .registry
            .referrers(
                repository,
                subject,
                None,
                discover::MAX_LISTING_BYTES,
                discover::MAX_ENTRIES_PER_SUBJECT,
            )
            .await?;
        if let Ok(mut map) = self.has_api.lock() {
            map.insert(repository.to_string(), answer.is_some());
        }
        Ok(answer)
    }
}

/// Where an app's events are shared: the `[team] ledger` repository when set, else the app's
/// repository (`<registry name>/<path>`).
pub fn repository_for<'a>(ws: &'a Workspace, app: &'a AppConfig) -> &'a str {
    ws.config
        .team
        .ledger
        .as_deref()
        .unwrap_or(app.repository.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_go_to_the_ledger_when_set_else_the_app_repository() {
        let text = "[workspace]\nname = \"p\"\ndatabase = \"t.db\"\n[[registries]]\nname = \"local\"\nurl = \"http://127.0.0.1:5000\"\n[[apps]]\nname = \"api\"\nrepository = \"local/p/api\"\nenvironments = [{ name = \"dev\", tag = \"dev\" }]\n";
        let path = std::path::Path::new("t.toml");
        let ws = Workspace::from_str(text, path, None).unwrap();
        assert_eq!(repository_for(&ws, ws.app("api").unwrap()), "local/p/api");
        let with_ledger = format!("{text}[team]\nledger = \"local/tollgate/p\"\n");
        let ws = Workspace::from_str(&with_ledger, path, None).unwrap();
        assert_eq!(
            repository_for(&ws, ws.app("api").unwrap()),
            "local/tollgate/p"
        );
    }
}
