//! Opening the things a use case works on: the store and the registries of a workspace.

use std::collections::HashMap;

use crate::api::Context;
use crate::config::{RegistryLocation, Workspace};
use crate::registry::{credentials_for, Credentials, Registry, RegistryOptions};
use crate::store::Store;
use crate::Result;

pub(crate) fn store(ws: &Workspace) -> Result<Store> {
    Store::open(&ws.db_path)
}

/// Registries of a workspace, opened lazily by name, with credentials from the keychain,
/// then the docker config, then anonymous.
pub(crate) struct Registries<'a> {
    ws: &'a Workspace,
    ctx: &'a Context,
    open: HashMap<String, Registry>,
}

impl<'a> Registries<'a> {
    pub(crate) fn new(ws: &'a Workspace, ctx: &'a Context) -> Self {
        Registries {
            ws,
            ctx,
            open: HashMap::new(),
        }
    }

    /// The registry and repository path behind `<registry name>/<path>`.
    pub(crate) fn get(&mut self, repository: &str) -> Result<(Registry, String)> {
        let (config, location, path) = self.ws.resolve_repository(repository)?;
        if let Some(r) = self.open.get(&config.name) {
            return Ok((r.clone(), path));
        }
        let credentials = match &location {
            RegistryLocation::Remote { host, .. } => {
                credentials_for(host, self.ctx.secrets.as_ref())?
            }
            RegistryLocation::Layout { .. } => Credentials::Anonymous,
        };
        let options = RegistryOptions {
            insecure: config.insecure,
            ..RegistryOptions::default()
        };
        let registry = Registry::open_with(&location, credentials, options)?;
        self.open.insert(config.name.clone(), registry.clone());
        Ok((registry, path))
    }
}
