//! Registry credentials in the OS keychain: `login` (tested against the registry first, so
//! that "stored" means "the registry accepted them") and `logout`.

use crate::api::Context;
use crate::config::{RegistryLocation, Workspace};
use crate::registry::{self, Credentials, Registry};
use crate::{Error, Result};

/// Where registry `registry_name` of the workspace lives (by name; anything else is taken as a
/// `host[:port]` reached over https).
fn location(ws: &Workspace, registry_name: &str) -> Result<(String, bool)> {
    let found = ws
        .config
        .registries
        .iter()
        .find(|r| r.name == registry_name)
        .map(|r| r.location(ws.dir()))
        .transpose()?;
    match found {
        Some(RegistryLocation::Remote { host, plain_http }) => Ok((host, plain_http)),
        Some(RegistryLocation::Layout { .. }) => Err(Error::bad_input(format!(
            "registry '{registry_name}' is a local folder and needs no login"
        ))),
        None => Ok((registry_name.to_string(), false)),
    }
}

/// Store credentials for a registry of the workspace (by name or host) in the OS keychain,
/// once the registry accepted them (`GET /v2/`): an unreachable registry or refused credentials
/// is an error and nothing is stored. Returns the host they are stored for. The password never
/// goes anywhere else.
#[tracing::instrument(skip_all, fields(registry = %registry_name))]
pub async fn login(
    ws: &Workspace,
    ctx: &Context,
    registry_name: &str,
    username: &str,
    password: &str,
) -> Result<String> {
    let (host, plain_http) = location(ws, registry_name)?;
    if username.is_empty() {
        return Err(Error::bad_input(
            "the user name is empty: give the one the registry knows you by",
        ));
    }
    if password.is_empty() {
        return Err(Error::bad_input("the password read from standard input is empty; pipe it in: printf %s \"$PASS\" | tollgate login ..."));
    }
    check_credentials(&host, plain_http, username, password).await?;
    registry::store_credentials(&host, username, password, ctx.secrets.as_ref())?;
    Ok(host)
}

/// Ask the registry at `host` whether it answers and accepts `username`/`password`; one line
/// saying which of the two failed, ending with "nothing was stored".
pub(crate) async fn check_credentials(
    host: &str,
    plain_http: bool,
    username: &str,
    password: &str,
) -> Result<()> {
    let location = RegistryLocation::Remote {
        host: host.to_string(),
        plain_http,
    };
    let credentials = Credentials::Basic {
        username: username.to_string(),
        password: password.to_string(),
    };
    let registry = Registry::open(&location, credentials)?;
    registry.check_access().await.map_err(|e| {
        let message = format!("{}; nothing was stored", e.message.trim_end_matches('.'));
        Error::new(e.code, message)
    })
}

/// Remove the credentials the OS keychain holds for a registry of the workspace (by name or
/// host). Returns the host, and whether there were any.
#[tracing::instrument(skip_all, fields(registry = %registry_name))]
pub fn logout(ws: &Workspace, ctx: &Context, registry_name: &str) -> Result<(String, bool)> {
    let (host, _) = location(ws, registry_name)?;
    let had = registry::delete_credentials(&host, ctx.secrets.as_ref())?;
    Ok((registry::credential_host(&host), had))
}
