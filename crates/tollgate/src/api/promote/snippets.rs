use serde::Serialize;
use ts_rs::TS;

use crate::config::{RegistryLocation, Workspace};
use crate::domain::Digest;
use crate::Result;

/// Deployment snippets pinned by digest: what to paste to run exactly the promoted image.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct DeploySnippets {
    /// `host/path@sha256:…`
    pub image: String,
    pub kubectl: String,
    pub compose: String,
}

impl DeploySnippets {
    pub fn new(ws: &Workspace, app: &str, repository: &str, digest: &Digest) -> Result<Self> {
        let (_, location, path) = ws.resolve_repository(repository)?;
        let image = match location {
            RegistryLocation::Remote { host, .. } => format!("{host}/{path}@{digest}"),
            RegistryLocation::Layout { root } => format!("oci:{}/{path}@{digest}", root.display()),
        };
        Ok(DeploySnippets {
            kubectl: format!("kubectl set image deployment/{app} {app}={image}"),
            compose: format!("image: {image}"),
            image,
        })
    }
}
