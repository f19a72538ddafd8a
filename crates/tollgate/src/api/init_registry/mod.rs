//! A new workspace from what a registry holds (`tollgate init --registry`, the app's "New
//! workspace…" wizard): the registry's catalog (or the repositories the person names), each
//! one's tags, environments suggested from their names, policy presets, the first approver,
//! and a commented tollgate.toml that loads and syncs as it is.
//!
//! The wizard calls the steps one by one ([`registry_probe`], [`registry_tags`],
//! [`write_workspace`]); the CLI calls [`init_from_registry`], which runs them in a row.

mod plan;
mod render;

pub use plan::{
    plan_apps, suggest_environments, AppPlan, EnvPlan, PolicyPreset, WorkspacePlan,
    ENVIRONMENT_TAGS,
};
pub use render::{render, REGISTRY_NAME};

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::api::key::key_init;
use crate::api::Context;
use crate::config::{validate_approver_id, RegistryConfig, RegistryLocation, Workspace};
use crate::registry::{credentials_for, store_credentials, Credentials, Registry, RegistryOptions};
use crate::signing;
use crate::{Code, Error, Result};

/// A user name and password for the registry, kept in the OS keychain once the registry
/// accepted them. Never printed.
#[derive(Clone, Deserialize, TS)]
#[ts(export)]
pub struct RegistryLogin {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for RegistryLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RegistryLogin({}, ***)", self.username)
    }
}

/// What the registry said when it was first asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct RegistryProbe {
    /// The url as tollgate.toml will hold it.
    pub url: String,
    /// `host[:port]`, the key credentials are stored under.
    pub host: String,
    /// The repositories its catalog lists, sorted (empty when it refuses its catalog).
    pub repositories: Vec<String>,
    /// Why the catalog could not be read, in one line: the person names the repositories.
    pub catalog_refused: Option<String>,
    /// The credentials given were accepted and are now in the OS keychain.
    pub stored_credentials: bool,
}

/// The tags of one repository, and the environments their names suggest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct RepositoryTags {
    pub repository: String,
    /// The app name suggested for it: its last path part, or the whole path with `-` for `/`
    /// where two of the repositories asked for end alike.
    pub app: String,
    pub tags: Vec<String>,
    /// In [`ENVIRONMENT_TAGS`] order, each with no policy.
    pub environments: Vec<EnvPlan>,
    /// Why it gets no app (no tag suggests an environment), in one line; `None` when it does.
    pub not_added: Option<String>,
}

/// A tollgate.toml that was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct WrittenWorkspace {
    pub config_path: String,
    pub apps: usize,
    /// The first approver, when the file lists one.
    pub approver: Option<String>,
    /// A signing key was created in the OS keychain for the approver.
    pub created_key: bool,
}

/// What [`init_from_registry`] is asked.
#[derive(Debug, Clone, Default)]
pub struct InitFromRegistry {
    pub url: String,
    /// The repositories to add; empty: every one the catalog lists.
    pub repositories: Vec<String>,
    pub approver: Option<String>,
    pub login: Option<RegistryLogin>,
    /// `[workspace] name`; default: the name of the folder the file goes to.
    pub name: Option<String>,
    /// Catalog entries asked for per page (`n`); default: the registry's own paging.
    pub catalog_page: Option<usize>,
}

/// What [`init_from_registry`] found and wrote.
#[derive(Debug, Clone, Serialize)]
pub struct InitReport {
    pub probe: RegistryProbe,
    pub found: Vec<RepositoryTags>,
    pub plan: WorkspacePlan,
    pub written: WrittenWorkspace,
}

/// `https://host[:port]` from what a person typed (`host`, `https://host/`).
fn normalize_url(url: &str) -> String {
    let url = url.trim().trim_end_matches('/');
    if url.contains("://") || url.starts_with("oci:") {
        url.to_string()
    } else {
        format!("https://{url}")
    }
}

/// The registry at `url`, with `login` or the stored credentials (keychain, docker config).
fn open(ctx: &Context, url: &str, login: Option<&RegistryLogin>) -> Result<(Registry, String)> {
    let config = RegistryConfig {
        name: REGISTRY_NAME.to_string(),
        url: url.to_string(),
        insecure: false,
        pull: None,
    };
    let RegistryLocation::Remote { host, plain_http } = config.location(Path::new("."))? else {
        return Err(Error::bad_input(format!(
            "'{url}' is a local folder; a new workspace starts from a registry url (https://host[:port])"
        )));
    };
    let credentials = match login {
        Some(l) => Credentials::Basic {
            username: l.username.clone(),
            password: l.password.clone(),
        },
        None => credentials_for(&host, ctx.secrets.as_ref())?,
    };
    let location = RegistryLocation::Remote {
        host: host.clone(),
        plain_http,
    };
    Ok((
        Registry::open_with(&location, credentials, RegistryOptions::default())?,
        host,
    ))
}

/// Ask the registry at `url` whether it answers (with `login`, or the credentials the keychain
/// or docker config hold), store `login` in the keychain once it accepted them, and read its
/// catalog. A refused catalog (Docker Hub, GHCR) is not an error: [`RegistryProbe::catalog_refused`].
#[tracing::instrument(skip(ctx, login), fields(login = login.is_some()))]
pub async fn registry_probe(
    ctx: &Context,
    url: &str,
    login: Option<&RegistryLogin>,
    catalog_page: Option<usize>,
) -> Result<RegistryProbe> {
    let url = normalize_url(url);
    if let Some(l) = login {
        if l.username.is_empty() || l.password.is_empty() {
            return Err(Error::bad_input(
                "the user name or password is empty; give both, or neither for anonymous access",
            ));
        }
    }
    let (registry, host) = open(ctx, &url, login)?;
    registry.check_access().await?;
    let stored_credentials = match login {
        Some(l) => {
            store_credentials(&host, &l.username, &l.password, ctx.secrets.as_ref())?;
            true
        }
        None => false,
    };
    let (repositories, catalog_refused) = match registry.catalog(catalog_page).await {
        Ok(r) => (r, None),
        Err(e)
            if matches!(
                e.code,
                Code::AuthRequired | Code::Forbidden | Code::NotFound
            ) =>
        {
            tracing::info!(%host, reason = %e.message, "catalog refused");
            (
                Vec::new(),
                Some(format!(
                    "registry {host} does not list its repositories ({}): name the ones to add",
                    match e.code {
                        Code::NotFound => "it has no catalog",
                        _ => "it refuses its catalog, as Docker Hub and GHCR do",
                    }
                )),
            )
        }
        Err(e) => return Err(e),
    };
    Ok(RegistryProbe {
        url,
        host,
        repositories,
        catalog_refused,
        stored_credentials,
    })
}

/// The tags of each repository at `url` (with the stored credentials), and the environments
/// their names suggest.
#[tracing::instrument(skip(ctx))]
pub async fn registry_tags(
    ctx: &Context,
    url: &str,
    repositories: &[String],
) -> Result<Vec<RepositoryTags>> {
    let (registry, _) = open(ctx, &normalize_url(url), None)?;
    let repositories: Vec<String> = repositories
        .iter()
        .map(|r| r.trim().trim_matches('/').to_string())
        .collect();
    let names = plan::app_names(&repositories);
    let mut out = Vec::with_capacity(repositories.len());
    for (repository, app) in repositories.into_iter().zip(names) {
        let tags = registry.list_tags(&repository).await?;
        let environments = suggest_environments(&tags, PolicyPreset::None);
        let not_added = environments
            .is_empty()
            .then(|| plan::not_added(&repository, &tags));
        out.push(RepositoryTags {
            repository,
            app,
            tags,
            environments,
            not_added,
        });
    }
    Ok(out)
}

/// Write `plan` as a commented tollgate.toml at `path` (an existing file only with `force`).
/// The approver's signing key is created in the keychain when it holds none (as `key init`
/// does). The file is checked to load before it takes `path`'s place.
#[tracing::instrument(skip(ctx, plan), fields(apps = plan.apps.len()))]
pub fn write_workspace(
    ctx: &Context,
    path: &Path,
    plan: &WorkspacePlan,
    force: bool,
) -> Result<WrittenWorkspace> {
    if !force && path.exists() {
        return Err(Error::bad_input(format!(
            "{} already exists; pass --force to overwrite it, or --config with another path",
            path.display()
        )));
    }
    let (key, created_key) = match &plan.approver {
        Some(id) => {
            validate_approver_id(id)?;
            match signing::public_key(id, ctx.secrets.as_ref()) {
                Ok(k) => (Some(k.public_key), false),
                Err(e) if e.code == Code::NotFound => (Some(key_init(ctx, id)?.public_key), true),
                Err(e) => return Err(e),
            }
        }
        None => (None, false),
    };
    let text = render(plan, key.as_deref());
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "tollgate.toml".into());
    let tmp = path.with_file_name(format!(".{file_name}.new"));
    std::fs::write(&tmp, &text)
        .map_err(|e| Error::bad_input(format!("cannot write {}: {e}", tmp.display())))?;
    if let Err(e) = Workspace::load(&tmp, None) {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::internal(format!(
            "the workspace file made from the registry does not load ({}); please report this",
            e.message
        )));
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::bad_input(format!("cannot write {}: {e}", path.display()))
    })?;
    Ok(WrittenWorkspace {
        config_path: path.display().to_string(),
        apps: plan.apps.len(),
        approver: plan.approver.clone(),
        created_key,
    })
}

/// The default `[workspace] name`: the folder the file goes to.
pub fn default_workspace_name(path: &Path) -> String {
    let dir: PathBuf = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::canonicalize(&dir)
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "my-team".to_string())
}

/// `tollgate init --registry`: probe the registry, list the tags of its repositories (the
/// catalog's, or `request.repositories`), and write the workspace at `path`: no policies and no
/// approvers without `request.approver`; with one, that person as the first approver and one
/// approval into every environment after the first.
#[tracing::instrument(skip(ctx, request), fields(url = %request.url))]
pub async fn init_from_registry(
    ctx: &Context,
    request: &InitFromRegistry,
    path: &Path,
    force: bool,
) -> Result<InitReport> {
    if !force && path.exists() {
        return Err(Error::bad_input(format!(
            "{} already exists; pass --force to overwrite it, or --config with another path",
            path.display()
        )));
    }
    let probe = registry_probe(
        ctx,
        &request.url,
        request.login.as_ref(),
        request.catalog_page,
    )
    .await?;
    let repositories = if request.repositories.is_empty() {
        if let Some(why) = &probe.catalog_refused {
            return Err(Error::bad_input(format!(
                "{why}: pass --repository PATH for each (e.g. --repository payments/api)"
            )));
        }
        if probe.repositories.is_empty() {
            return Err(Error::bad_input(format!(
                "registry {} lists no repositories; push an image first, or pass --repository PATH",
                probe.host
            )));
        }
        probe.repositories.clone()
    } else {
        request.repositories.clone()
    };
    let found = registry_tags(ctx, &probe.url, &repositories).await?;
    let preset = if request.approver.is_some() {
        PolicyPreset::OneApproval
    } else {
        PolicyPreset::None
    };
    let (apps, skipped) = plan_apps(
        &found
            .iter()
            .map(|r| (r.repository.clone(), r.tags.clone()))
            .collect::<Vec<_>>(),
        preset,
    );
    let plan = WorkspacePlan {
        name: request
            .name
            .clone()
            .unwrap_or_else(|| default_workspace_name(path)),
        registry_url: probe.url.clone(),
        apps,
        approver: request.approver.clone(),
        skipped,
    };
    let written = write_workspace(ctx, path, &plan, force)?;
    Ok(InitReport {
        probe,
        found,
        plan,
        written,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::domain::FixedClock;
    use crate::keychain::MemoryKeychain;

    fn ctx() -> Context {
        Context {
            clock: Arc::new(FixedClock(chrono::DateTime::UNIX_EPOCH)),
            secrets: Arc::new(MemoryKeychain::default()),
        }
    }

    fn plan(approver: Option<&str>, preset: PolicyPreset) -> WorkspacePlan {
        let (apps, skipped) = plan_apps(
            &[
                (
                    "payments/api".into(),
                    vec!["prod".into(), "dev".into(), "staging".into()],
                ),
                ("tools".into(), vec!["latest".into()]),
            ],
            preset,
        );
        WorkspacePlan {
            name: "pay \"ments\"".into(),
            registry_url: "https://registry.example.com".into(),
            apps,
            approver: approver.map(str::to_string),
            skipped,
        }
    }

    #[test]
    fn without_an_approver_the_file_loads_with_no_policy_and_the_presets_as_comments() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tollgate.toml");
        let ctx = ctx();
        let w =
            write_workspace(&ctx, &path, &plan(None, PolicyPreset::TwoApprovals), false).unwrap();
        assert!(!w.created_key);
        let ws = Workspace::load(&path, None).unwrap();
        assert_eq!(ws.config.workspace.name, "pay \"ments\"");
        assert!(ws.config.approvers.is_empty());
        let app = &ws.config.apps[0];
        assert_eq!(app.repository, "main/payments/api");
        let envs: Vec<_> = app.environments.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(envs, ["dev", "staging", "prod"]);
        assert!(app.environments.iter().all(|e| e.policy.is_none()));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("#   two approvals: { name = \"production\", tag = \"production\", policy = { approvals = 2, roles = [\"manager\", \"qa\"], min_soak = \"24h\", four_eyes = true } }"), "{text}");
        assert!(
            text.contains("# Not added: tools: no tag is named"),
            "{text}"
        );
        let again = write_workspace(&ctx, &path, &plan(None, PolicyPreset::None), false);
        assert!(again
            .unwrap_err()
            .message
            .contains("already exists; pass --force"));
    }

    #[test]
    fn the_first_approver_gets_a_key_and_every_gated_environment_its_preset() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tollgate.toml");
        let ctx = ctx();
        let w = write_workspace(
            &ctx,
            &path,
            &plan(Some("alice@example.com"), PolicyPreset::TwoApprovals),
            false,
        )
        .unwrap();
        assert!(w.created_key);
        let ws = Workspace::load(&path, None).unwrap();
        let key = signing::public_key("alice@example.com", ctx.secrets.as_ref()).unwrap();
        assert_eq!(ws.config.approvers[0].key, key.public_key);
        assert_eq!(ws.config.approvers[0].roles, ["manager", "qa"]);
        let envs = &ws.config.apps[0].environments;
        assert!(envs[0].policy.is_none());
        for e in &envs[1..] {
            let p = e.policy.as_ref().unwrap();
            assert_eq!((p.approvals, p.four_eyes), (2, true));
        }
        // Written again: the key is kept, not replaced.
        let w = write_workspace(
            &ctx,
            &path,
            &plan(Some("alice@example.com"), PolicyPreset::OneApproval),
            true,
        )
        .unwrap();
        assert!(!w.created_key);
        let ws = Workspace::load(&path, None).unwrap();
        assert_eq!(ws.config.approvers[0].key, key.public_key);
    }
}
