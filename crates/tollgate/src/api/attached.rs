//! What others attached to a digest: the referrers of the image that Tollgate did not write
//! (cosign signatures, SBOMs, vulnerability reports, in-toto attestations), read from the
//! registry for the digest detail. Shown as found, marked not verified; never a gate input.

use serde::Serialize;
use ts_rs::TS;

use crate::api::open::Registries;
use crate::api::Context;
use crate::config::Workspace;
use crate::domain::Digest;
use crate::team::TeamRegistry;
use crate::Result;

/// One referrer of the digest another tool attached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct OtherReferrer {
    /// `<registry name>/<path>` it was listed in.
    pub repository: String,
    /// Its manifest's digest.
    pub digest: String,
    /// Its `artifactType` (else its manifest's media type): what it says it is.
    pub artifact_type: String,
    /// Its manifest's size in bytes.
    #[ts(type = "number")]
    pub size: u64,
    /// `org.opencontainers.image.created` as listed; `null` when not given.
    #[ts(type = "string | null")]
    pub created: Option<chrono::DateTime<chrono::Utc>>,
    /// Always `false`: Tollgate does not check what others attach, and no rule reads it.
    pub verified: bool,
}

/// What others attached to `digest` of `app`, in each of the app's repositories.
#[derive(Debug, Clone, Default, Serialize, TS)]
#[ts(export)]
pub struct OtherReferrers {
    pub referrers: Vec<OtherReferrer>,
    /// One line per repository whose referrers could not be read.
    pub problems: Vec<String>,
}

/// The referrers of `digest` that Tollgate did not write, from the referrers API of each of the
/// app's repositories, else their fallback tag `sha256-<hex>`. A repository in a local OCI
/// layout has none; one whose listing cannot be read is named in `problems`.
#[tracing::instrument(skip(ws, ctx), fields(workspace = %ws.config.workspace.name))]
pub async fn referrers(
    ws: &Workspace,
    ctx: &Context,
    app: &str,
    digest: &str,
) -> Result<OtherReferrers> {
    let a = ws.app(app)?;
    let digest = Digest::parse(digest)?;
    let mut repositories: Vec<&str> = vec![a.repository.as_str()];
    for e in &a.environments {
        let r = ws.env_repository(a, e);
        if !repositories.contains(&r) {
            repositories.push(r);
        }
    }
    let mut registries = Registries::new(ws, ctx);
    let mut out = OtherReferrers::default();
    for repository in repositories {
        let (registry, path) = registries.get(repository)?;
        let Ok(team) = TeamRegistry::new(registry) else {
            continue;
        };
        match team.foreign_referrers(&path, &digest).await {
            Ok(list) => out
                .referrers
                .extend(list.into_iter().map(|f| OtherReferrer {
                    repository: repository.to_string(),
                    digest: f.digest.to_string(),
                    artifact_type: f.artifact_type,
                    size: f.size,
                    created: f.created,
                    verified: false,
                })),
            Err(e) => out.problems.push(format!(
                "the referrers of {repository}@{} could not be read: {}",
                digest.short(),
                e.message
            )),
        }
    }
    Ok(out)
}
