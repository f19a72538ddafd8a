//! Edit tollgate.toml from Settings or the CLI: add a registry (`registry_add`: tested against
//! the registry, with the credentials given, before they are stored), an app (`app_add`) or an
//! approver (`approver_add`: a pasted public key, or this machine's own). Each makes the edit
//! ([`crate::config::edit`]: comments kept, validated by the loader), asks `confirm` with the
//! edit's diff, and only then writes the file (atomically) and stores credentials.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::api::init_registry::RegistryLogin;
use crate::api::login::check_credentials;
use crate::api::Context;
use crate::config::edit::{self, ConfigEdit, NewApp, NewApprover, NewRegistry};
use crate::config::{RegistryConfig, RegistryLocation, Workspace};
use crate::registry::{credentials_for, delete_credentials, store_credentials, Registry};
use crate::{Code, Error, Result};

/// What the person agreed to: `true` writes the edit.
pub type Confirm<'a> = &'a dyn Fn(&ConfigEdit) -> bool;

/// A registry to add to the workspace, and the credentials to reach it with (`None`: those
/// the keychain or docker config hold for its host, else anonymous).
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct RegistryAddRequest {
    pub registry: NewRegistry,
    pub login: Option<RegistryLogin>,
}

/// A registry that was added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct RegistryAdded {
    pub edit: ConfigEdit,
    /// `host[:port]`; `None` for a local folder (`oci:`).
    pub host: Option<String>,
    /// The credentials given were accepted by the registry and are now in the OS keychain.
    pub stored_credentials: bool,
}

/// An approver to add: with `key`, the public key someone handed over (and their `id`);
/// without, this machine's own signing key (its id, or `id` when given).
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct ApproverAddRequest {
    pub id: Option<String>,
    pub roles: Vec<String>,
    pub key: Option<String>,
}

fn read(ws: &Workspace) -> Result<String> {
    std::fs::read_to_string(&ws.config_path).map_err(|e| {
        Error::config(format!(
            "cannot read {}: {e}; nothing was changed",
            ws.config_path.display()
        ))
    })
}

/// Add a registry: the edit is made and checked, the registry asked whether it answers and
/// accepts the credentials (`GET /v2/`; an unreachable host or refused credentials is an error
/// and nothing is stored or written), then `confirm`ed; `None` when it is not.
#[tracing::instrument(skip_all, fields(registry = %req.registry.name))]
pub async fn registry_add(
    ws: &Workspace,
    ctx: &Context,
    req: RegistryAddRequest,
    confirm: Confirm<'_>,
) -> Result<Option<RegistryAdded>> {
    let edit = edit::add_registry(&ws.config_path, &read(ws)?, &req.registry)?;
    let config = RegistryConfig {
        name: req.registry.name.trim().to_string(),
        url: req.registry.normalized_url(),
        insecure: req.registry.insecure,
        pull: None,
    };
    let host = match config.location(ws.dir())? {
        RegistryLocation::Remote { host, plain_http } => {
            match &req.login {
                Some(l) if l.username.is_empty() || l.password.is_empty() => {
                    return Err(Error::bad_input(
                        "the user name or password is empty; give both, or neither to use the stored credentials or none",
                    ))
                }
                Some(l) => check_credentials(&host, plain_http, &l.username, &l.password).await?,
                None => check_stored(&host, plain_http, ctx).await?,
            }
            Some(host)
        }
        RegistryLocation::Layout { root } => {
            if req.login.is_some() {
                return Err(Error::bad_input(format!(
                    "{} is a local folder: it needs no credentials",
                    config.url
                )));
            }
            if !root.is_dir() {
                return Err(Error::bad_input(format!(
                    "{} is not a folder; create it (an OCI image layout per repository) or fix the path",
                    root.display()
                )));
            }
            None
        }
    };
    if !confirm(&edit) {
        tracing::info!("adding the registry was not confirmed");
        return Ok(None);
    }
    let stored_credentials = match (&req.login, &host) {
        (Some(l), Some(host)) => {
            store_credentials(host, &l.username, &l.password, ctx.secrets.as_ref())?;
            true
        }
        _ => false,
    };
    if let Err(e) = edit.write() {
        if let (true, Some(host)) = (stored_credentials, &host) {
            let _ = delete_credentials(host, ctx.secrets.as_ref());
        }
        return Err(e);
    }
    Ok(Some(RegistryAdded {
        edit,
        host,
        stored_credentials,
    }))
}

/// The registry at `host` answers with the credentials stored for it, or anonymously.
async fn check_stored(host: &str, plain_http: bool, ctx: &Context) -> Result<()> {
    let location = RegistryLocation::Remote {
        host: host.to_string(),
        plain_http,
    };
    let registry = Registry::open(&location, credentials_for(host, ctx.secrets.as_ref())?)?;
    registry.check_access().await.map_err(|e| {
        let hint = match e.code {
            Code::AuthRequired | Code::Forbidden => {
                " (give a user name and password to add it with credentials)"
            }
            _ => "",
        };
        Error::new(
            e.code,
            format!(
                "{}; nothing was written{hint}",
                e.message.trim_end_matches('.')
            ),
        )
    })
}

/// Add an app with its environments (each a registry tag), once `confirm`ed.
#[tracing::instrument(skip_all, fields(app = %new.name))]
pub fn app_add(ws: &Workspace, new: &NewApp, confirm: Confirm<'_>) -> Result<Option<ConfigEdit>> {
    let edit = edit::add_app(&ws.config_path, &read(ws)?, new)?;
    write_if_confirmed(edit, confirm)
}

/// Add an approver from a pasted public key, or this machine's identity, once `confirm`ed.
#[tracing::instrument(skip_all, fields(mine = req.key.is_none()))]
pub fn approver_add(
    ws: &Workspace,
    ctx: &Context,
    req: &ApproverAddRequest,
    confirm: Confirm<'_>,
) -> Result<Option<ConfigEdit>> {
    let new = match (&req.key, &req.id) {
        (Some(key), Some(id)) => NewApprover {
            id: id.clone(),
            roles: req.roles.clone(),
            key: key.clone(),
        },
        (Some(_), None) => {
            return Err(Error::bad_input(
                "name the approver whose public key this is (their id, e.g. alice@example.com)",
            ))
        }
        (None, id) => {
            let mine = crate::api::key_show(ctx, id.as_deref())?;
            NewApprover {
                id: mine.id,
                roles: req.roles.clone(),
                key: mine.public_key,
            }
        }
    };
    let edit = edit::add_approver(&ws.config_path, &read(ws)?, &new)?;
    write_if_confirmed(edit, confirm)
}

fn write_if_confirmed(edit: ConfigEdit, confirm: Confirm<'_>) -> Result<Option<ConfigEdit>> {
    if !confirm(&edit) {
        tracing::info!(summary = %edit.summary, "the edit of tollgate.toml was not confirmed");
        return Ok(None);
    }
    edit.write()?;
    Ok(Some(edit))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::domain::SystemClock;
    use crate::keychain::MemoryKeychain;

    const FILE: &str = "# ours\n[workspace]\nname = \"payments\"\ndatabase = \"history.db\"\n\n[[registries]]\nname = \"local\"\nurl = \"oci:images\"\n";

    fn setup() -> (tempfile::TempDir, Workspace, Context) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tollgate.toml");
        std::fs::write(&file, FILE).unwrap();
        let ws = Workspace::load(&file, None).unwrap();
        let ctx = Context {
            clock: Arc::new(SystemClock),
            secrets: Arc::new(MemoryKeychain::default()),
        };
        (dir, ws, ctx)
    }

    fn folder(name: &str, url: &str) -> RegistryAddRequest {
        RegistryAddRequest {
            registry: NewRegistry {
                name: name.into(),
                url: url.into(),
                insecure: false,
            },
            login: None,
        }
    }

    #[test]
    fn a_folder_registry_is_written_only_when_it_exists_and_once_confirmed() {
        let (dir, ws, ctx) = setup();
        let run = |req, yes: bool| {
            let asked = std::cell::Cell::new(0);
            let out = futures::executor::block_on(registry_add(&ws, &ctx, req, &|_| {
                asked.set(asked.get() + 1);
                yes
            }));
            (out, asked.get())
        };
        let (missing, asked) = run(folder("more", "oci:more"), true);
        assert!(missing.unwrap_err().message.contains("is not a folder"));
        assert_eq!(asked, 0, "nothing to confirm");

        std::fs::create_dir(dir.path().join("more")).unwrap();
        let (no, asked) = run(folder("more", "oci:more"), false);
        assert!(no.unwrap().is_none());
        assert_eq!(asked, 1);
        assert_eq!(std::fs::read_to_string(&ws.config_path).unwrap(), FILE);

        let (yes, _) = run(folder("more", "oci:more"), true);
        let added = yes.unwrap().unwrap();
        assert_eq!(added.host, None);
        assert!(!added.stored_credentials);
        let text = std::fs::read_to_string(&ws.config_path).unwrap();
        assert_eq!(
            text,
            format!("{FILE}\n[[registries]]\nname = \"more\"\nurl = \"oci:more\"\n")
        );
    }

    #[test]
    fn add_me_lists_this_machines_key_with_the_roles_chosen() {
        let (_dir, ws, ctx) = setup();
        let mine = crate::api::key_init(&ctx, "quinn@example.com").unwrap();
        let req = ApproverAddRequest {
            id: None,
            roles: vec!["qa".into()],
            key: None,
        };
        let edit = approver_add(&ws, &ctx, &req, &|_| true).unwrap().unwrap();
        assert_eq!(edit.summary, "add approver 'quinn@example.com' (roles qa)");
        let again = Workspace::load(&ws.config_path, None).unwrap();
        assert_eq!(again.config.approvers[0].key, mine.public_key);
        assert_eq!(again.config.approvers[0].roles, ["qa"]);

        let pasted_without_id = ApproverAddRequest {
            id: None,
            roles: vec![],
            key: Some(mine.public_key),
        };
        let e = approver_add(&ws, &ctx, &pasted_without_id, &|_| true).unwrap_err();
        assert!(e.message.contains("name the approver"), "{}", e.message);
    }
}
