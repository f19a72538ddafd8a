//! The release diff: what changes in an environment if a candidate digest replaces what runs
//! there now. Pure: it compares the [`ImageFacts`] of two images (read by the registry code)
//! and has no I/O, no clock and no Tauri.
//!
//! - `facts`: the facts of one image, parsed from manifest and config bytes (environment
//!   variables by name only: a value is never kept).
//! - `source`: the source repository and the forge's compare link (shown, never fetched).
//! - `runtime`: layers and run-time config of one platform, before and after.
//! - `risk`: the risk flags, stable codes with a one-line text.

mod facts;
mod risk;
mod runtime;
mod source;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::domain::Digest;

pub use facts::{
    ImageFacts, Layer, PlatformFacts, RuntimeConfig, BASE_DIGEST, BASE_NAME, CREATED, REVISION,
    SOURCE, VERSION,
};
pub use risk::{RiskFlag, RISK_CODES};
pub use runtime::{
    is_root, Label, LabelChange, LabelsChange, LayersChange, ListChange, PlatformChange,
    RuntimeChange, SetChange, ValueChange,
};
pub use source::{compare_url, parse_source, Forge, SourceRepo};

/// One side of the diff, as the image states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct DiffImage {
    #[ts(type = "string")]
    pub digest: Digest,
    pub media_type: String,
    /// `os/arch[/variant]` of each platform compared (one for a single image).
    pub platforms: Vec<String>,
    pub revision: Option<String>,
    pub version: Option<String>,
    /// `org.opencontainers.image.source`, without any credentials it held.
    pub source: Option<String>,
    #[ts(type = "string | null")]
    pub created: Option<DateTime<Utc>>,
    pub base_name: Option<String>,
    pub base_digest: Option<String>,
}

/// Where the code comes from and what changed in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SourceChange {
    /// The candidate's source repository (`https://host/owner/repo`), else the current one's.
    pub repository: Option<String>,
    pub forge: Option<Forge>,
    /// The current image's revision (what runs now).
    pub from_revision: Option<String>,
    /// The candidate's revision.
    pub to_revision: Option<String>,
    /// The forge's page comparing the two revisions: shown, never fetched.
    pub compare_url: Option<String>,
    /// The source repository itself changed.
    pub repository_changed: bool,
}

/// Build times, and whether the candidate was built before what runs now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct CreatedChange {
    #[ts(type = "string | null")]
    pub from: Option<DateTime<Utc>>,
    #[ts(type = "string | null")]
    pub to: Option<DateTime<Utc>>,
    pub built_before_current: bool,
}

/// The base image (`org.opencontainers.image.base.name` / `.base.digest`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct BaseChange {
    pub from_name: Option<String>,
    pub from_digest: Option<String>,
    pub to_name: Option<String>,
    pub to_digest: Option<String>,
    pub changed: bool,
}

/// Platforms the candidate adds and drops, and those compared.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct PlatformsChange {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    /// Platforms both have (all of the candidate's for a first deployment).
    pub compared: Vec<String>,
}

/// What changes in `env` of `app` if `candidate` replaces `current`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ReleaseDiff {
    pub app: String,
    pub env: String,
    pub candidate: DiffImage,
    /// What runs there now (`null`: nothing yet).
    pub current: Option<DiffImage>,
    /// Nothing runs in `env` yet: nothing to compare with.
    pub first_deployment: bool,
    /// The candidate is what runs there now.
    pub same_digest: bool,
    pub source: SourceChange,
    pub version: ValueChange,
    pub created: CreatedChange,
    pub base: BaseChange,
    pub platforms: PlatformsChange,
    /// The platform `layers` and `runtime` describe: `linux/amd64` when compared, else the first.
    pub platform: Option<String>,
    pub layers: LayersChange,
    pub runtime: RuntimeChange,
    /// Every platform compared (the primary one included).
    pub per_platform: Vec<PlatformChange>,
    /// What a reviewer should look at, most serious first.
    pub risk_flags: Vec<RiskFlag>,
}

/// What a promotion event keeps of the diff it was made with: the revision range and the
/// risk flags (added to the event's data, not to any signed message).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DiffSummary {
    pub from_revision: Option<String>,
    pub to_revision: Option<String>,
    pub compare_url: Option<String>,
    pub first_deployment: bool,
    pub risk_flags: Vec<RiskFlag>,
}

fn side(facts: &ImageFacts) -> DiffImage {
    DiffImage {
        digest: facts.digest.clone(),
        media_type: facts.media_type.clone(),
        platforms: facts.platform_names(),
        revision: facts.label(REVISION),
        version: facts.label(VERSION),
        source: facts
            .label(SOURCE)
            .map(|s| parse_source(&s).map_or(strip_credentials(&s), |r| r.web)),
        created: facts.created(),
        base_name: facts.label(BASE_NAME),
        base_digest: facts.label(BASE_DIGEST),
    }
}

/// `scheme://user:token@host/…` → `scheme://host/…` for a source URL no forge rule read.
fn strip_credentials(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
            let host = authority.rsplit('@').next().unwrap_or(authority);
            if path.is_empty() {
                format!("{scheme}://{host}")
            } else {
                format!("{scheme}://{host}/{path}")
            }
        }
        None => url.to_string(),
    }
}

/// Compare `candidate` with what runs in `env` now (`current`, `None` for nothing yet).
pub fn compare(
    app: &str,
    env: &str,
    candidate: &ImageFacts,
    current: Option<&ImageFacts>,
) -> ReleaseDiff {
    let to = side(candidate);
    let from = current.map(side);
    let compared = from.is_some();

    let repo = |s: &DiffImage| s.source.as_deref().and_then(parse_source);
    let to_repo = repo(&to);
    let from_repo = from.as_ref().and_then(repo);
    let shown = to_repo.clone().or(from_repo.clone());
    let from_revision = from.as_ref().and_then(|f| f.revision.clone());
    let compare_link = match (&to_repo, &from_revision, &to.revision) {
        (Some(r), Some(a), Some(b)) if from_repo.as_ref().is_none_or(|f| f.web == r.web) => {
            compare_url(r, a, b)
        }
        _ => None,
    };
    let source = SourceChange {
        repository: shown.as_ref().map(|r| r.web.clone()).or(to.source.clone()),
        forge: shown.and_then(|r| r.forge),
        from_revision,
        to_revision: to.revision.clone(),
        compare_url: compare_link,
        repository_changed: matches!((&from, &to.source), (Some(f), Some(t)) if f.source.as_ref().is_some_and(|s| s != t)),
    };

    let created = CreatedChange {
        from: from.as_ref().and_then(|f| f.created),
        to: to.created,
        built_before_current: matches!(
            (from.as_ref().and_then(|f| f.created), to.created),
            (Some(a), Some(b)) if b < a
        ),
    };
    let base = BaseChange {
        from_name: from.as_ref().and_then(|f| f.base_name.clone()),
        from_digest: from.as_ref().and_then(|f| f.base_digest.clone()),
        to_name: to.base_name.clone(),
        to_digest: to.base_digest.clone(),
        changed: from.as_ref().is_some_and(|f| {
            (f.base_name.is_some()
                || f.base_digest.is_some()
                || to.base_name.is_some()
                || to.base_digest.is_some())
                && (f.base_name != to.base_name || f.base_digest != to.base_digest)
        }),
    };

    let mut platforms = PlatformsChange::default();
    let mut per_platform = Vec::new();
    match current {
        Some(cur) => {
            // A single image on each side is one platform compared, whatever its config says.
            let single = !candidate.index && !cur.index;
            for p in &candidate.platforms {
                let before = if single {
                    cur.platforms.first()
                } else {
                    cur.platform(&p.platform)
                };
                match before {
                    Some(b) => {
                        platforms.compared.push(p.platform.clone());
                        per_platform.push(PlatformChange::of(Some(b), p));
                    }
                    None => platforms.added.push(p.platform.clone()),
                }
            }
            if !single {
                platforms.removed = cur
                    .platforms
                    .iter()
                    .filter(|p| candidate.platform(&p.platform).is_none())
                    .map(|p| p.platform.clone())
                    .collect();
            }
        }
        None => {
            for p in &candidate.platforms {
                platforms.compared.push(p.platform.clone());
                per_platform.push(PlatformChange::of(None, p));
            }
        }
    }
    let primary = per_platform
        .iter()
        .find(|p| p.platform == "linux/amd64")
        .or(per_platform.first())
        .cloned();

    let mut diff = ReleaseDiff {
        app: app.to_string(),
        env: env.to_string(),
        first_deployment: !compared,
        same_digest: current.is_some_and(|c| c.digest == candidate.digest),
        version: ValueChange::of(
            from.as_ref().and_then(|f| f.version.clone()),
            to.version.clone(),
            compared,
        ),
        candidate: to,
        current: from,
        source,
        created,
        base,
        platforms,
        platform: primary.as_ref().map(|p| p.platform.clone()),
        layers: primary
            .as_ref()
            .map(|p| p.layers.clone())
            .unwrap_or_default(),
        runtime: primary
            .as_ref()
            .map(|p| p.runtime.clone())
            .unwrap_or_default(),
        per_platform,
        risk_flags: Vec::new(),
    };
    diff.risk_flags = risk::flags(&diff);
    diff
}

impl ReleaseDiff {
    /// What a promotion event keeps of this diff.
    pub fn summary(&self) -> DiffSummary {
        DiffSummary {
            from_revision: self.source.from_revision.clone(),
            to_revision: self.source.to_revision.clone(),
            compare_url: self.source.compare_url.clone(),
            first_deployment: self.first_deployment,
            risk_flags: self.risk_flags.clone(),
        }
    }
}

impl DiffSummary {
    /// `abc123 → def456`, `(unknown) → def456`, or `first deployment of def456`.
    pub fn revision_range(&self) -> String {
        let rev = |r: &Option<String>| r.clone().unwrap_or_else(|| "(unknown)".into());
        if self.first_deployment {
            format!("first deployment of {}", rev(&self.to_revision))
        } else {
            format!("{} → {}", rev(&self.from_revision), rev(&self.to_revision))
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
