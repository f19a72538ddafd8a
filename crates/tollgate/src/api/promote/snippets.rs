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
        let (registry, location, path) = ws.resolve_repository(repository)?;
        // Where deployments pull from (`pull`), else where Tollgate reads.
        let image = match (&registry.pull, location) {
            (Some(pull), _) => format!("{pull}/{path}@{digest}"),
            (None, RegistryLocation::Remote { host, .. }) => format!("{host}/{path}@{digest}"),
            (None, RegistryLocation::Layout { root }) => {
                format!("oci:{}/{path}@{digest}", root.display())
            }
        };
        Ok(DeploySnippets {
            kubectl: format!("kubectl set image deployment/{app} {app}={image}"),
            compose: format!("image: {image}"),
            image,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::Workspace;

    fn ws(registry: &str) -> Result<Workspace> {
        let text = format!("[workspace]\nname = \"p\"\ndatabase = \"t.db\"\n\n[[registries]]\nname = \"local\"\n{registry}\n\n[[apps]]\nname = \"api\"\nrepository = \"local/payments/api\"\nenvironments = [{{ name = \"dev\", tag = \"dev\" }}]\n");
        Workspace::from_str(&text, Path::new("/w/tollgate.toml"), None)
    }

    #[test]
    fn snippets_name_the_image_where_deployments_pull_it() {
        let d = Digest::of(b"image");
        let read = ws("url = \"http://127.0.0.1:5000\"").unwrap();
        let s = DeploySnippets::new(&read, "api", "local/payments/api", &d).unwrap();
        assert_eq!(s.image, format!("127.0.0.1:5000/payments/api@{d}"));
        let layout = ws("url = \"oci:registry\"\npull = \"registry.example.com/acme\"").unwrap();
        let s = DeploySnippets::new(&layout, "api", "local/payments/api", &d).unwrap();
        assert_eq!(
            s.image,
            format!("registry.example.com/acme/payments/api@{d}")
        );
        assert_eq!(
            s.kubectl,
            format!(
                "kubectl set image deployment/api api=registry.example.com/acme/payments/api@{d}"
            )
        );
        for bad in [
            "https://registry.example.com",
            "registry.example.com/",
            "reg istry",
            "r.example.com/a:tag",
        ] {
            let e = ws(&format!("url = \"oci:registry\"\npull = \"{bad}\"")).unwrap_err();
            assert!(
                e.message.contains("is not host[:port][/path]"),
                "{bad}: {}",
                e.message
            );
        }
    }
}
