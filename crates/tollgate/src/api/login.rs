use crate::api::Context;
use crate::config::{RegistryLocation, Workspace};
use crate::registry;
use crate::{Error, Result};

/// Store credentials for a registry of the workspace (by name or host) in the OS keychain.
/// Returns the host they are stored for. The password never goes anywhere else.
#[tracing::instrument(skip_all, fields(registry = %registry_name))]
pub fn login(
    ws: &Workspace,
    ctx: &Context,
    registry_name: &str,
    username: &str,
    password: &str,
) -> Result<String> {
    let host = ws
        .config
        .registries
        .iter()
        .find(|r| r.name == registry_name)
        .map(|r| r.location(ws.dir()))
        .transpose()?
        .map(|loc| match loc {
            RegistryLocation::Remote { host, .. } => Ok(host),
            RegistryLocation::Layout { .. } => Err(Error::bad_input(format!(
                "registry '{registry_name}' is a local folder and needs no login"
            ))),
        })
        .transpose()?
        .unwrap_or_else(|| registry_name.to_string());
    if username.is_empty() {
        return Err(Error::bad_input("--username is empty"));
    }
    if password.is_empty() {
        return Err(Error::bad_input("the password read from standard input is empty; pipe it in: printf %s \"$PASS\" | tollgate login ..."));
    }
    registry::store_credentials(&host, username, password, ctx.secrets.as_ref())?;
    Ok(host)
}
