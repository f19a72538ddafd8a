use serde::Serialize;
use ts_rs::TS;

use crate::api::Context;
use crate::config::{RegistryLocation, Workspace};
use crate::registry::{credential_host, has_stored_credentials};
use crate::Result;

/// One registry of the workspace as the settings view shows it. No secret is ever part of it:
/// only whether the OS keychain holds credentials for its host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct RegistryView {
    pub name: String,
    pub url: String,
    /// `remote` (an OCI Distribution registry) or `layout` (a local OCI image-layout folder).
    pub kind: RegistryKind,
    /// `host[:port]` credentials are stored for; `None` for a layout folder.
    pub host: Option<String>,
    /// The OS keychain holds credentials for `host` (`tollgate login`). Docker's config.json is
    /// not consulted here.
    pub keychain_credentials: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum RegistryKind {
    Remote,
    Layout,
}

/// The workspace's registries, in tollgate.toml order, each with whether the keychain holds
/// credentials for it.
#[tracing::instrument(skip_all, fields(workspace = %ws.config.workspace.name))]
pub fn registries(ws: &Workspace, ctx: &Context) -> Result<Vec<RegistryView>> {
    let mut out = Vec::with_capacity(ws.config.registries.len());
    for r in &ws.config.registries {
        let (kind, host, keychain_credentials) = match r.location(ws.dir())? {
            RegistryLocation::Remote { host, .. } => {
                let stored = has_stored_credentials(&host, ctx.secrets.as_ref())?;
                (RegistryKind::Remote, Some(credential_host(&host)), stored)
            }
            RegistryLocation::Layout { .. } => (RegistryKind::Layout, None, false),
        };
        out.push(RegistryView {
            name: r.name.clone(),
            url: r.url.clone(),
            kind,
            host,
            keychain_credentials,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::domain::SystemClock;
    use crate::keychain::{MemoryKeychain, SecretStore};

    #[test]
    fn lists_registries_with_keychain_presence_and_no_secret() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tollgate.toml");
        std::fs::write(
            &file,
            r#"
[workspace]
name = "payments"
database = "history.db"

[[registries]]
name = "hub"
url = "https://Registry.Example.com:5000"

[[registries]]
name = "other"
url = "https://other.example.com"

[[registries]]
name = "folder"
url = "oci:images"

[[apps]]
name = "api"
repository = "hub/payments/api"
environments = [{ name = "dev", tag = "dev" }]
"#,
        )
        .unwrap();
        let ws = Workspace::load(&file, None).unwrap();
        let keys = Arc::new(MemoryKeychain::default());
        crate::registry::store_credentials(
            "registry.example.com:5000",
            "ci",
            "s3cret",
            keys.as_ref(),
        )
        .unwrap();
        let ctx = Context {
            clock: Arc::new(SystemClock),
            secrets: keys.clone() as Arc<dyn SecretStore>,
        };
        let views = registries(&ws, &ctx).unwrap();
        assert_eq!(
            views,
            vec![
                RegistryView {
                    name: "hub".into(),
                    url: "https://Registry.Example.com:5000".into(),
                    kind: RegistryKind::Remote,
                    host: Some("registry.example.com:5000".into()),
                    keychain_credentials: true,
                },
                RegistryView {
                    name: "other".into(),
                    url: "https://other.example.com".into(),
                    kind: RegistryKind::Remote,
                    host: Some("other.example.com".into()),
                    keychain_credentials: false,
                },
                RegistryView {
                    name: "folder".into(),
                    url: "oci:images".into(),
                    kind: RegistryKind::Layout,
                    host: None,
                    keychain_credentials: false,
                },
            ]
        );
        let json = serde_json::to_string(&views).unwrap();
        assert!(
            !json.contains("s3cret") && !json.contains("\"ci\""),
            "{json}"
        );
    }
}
