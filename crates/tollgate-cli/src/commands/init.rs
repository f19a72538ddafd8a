//! `tollgate init`: write a starter tollgate.toml; with `--registry`, one made from what the
//! registry holds (`api::init_from_registry`), printing what it found.

use std::path::Path;

use tollgate::api::{self, Context, InitFromRegistry, REGISTRY_NAME};
use tollgate::config::Workspace;
use tollgate::Result;

use crate::args::InitArgs;

pub async fn run(ctx: &Context, config: Option<&Path>, args: InitArgs) -> Result<i32> {
    let path = Workspace::locate(config);
    let Some(url) = args.registry else {
        api::init(&path)?;
        say!("wrote {}", path.display());
        return Ok(0);
    };
    let login = crate::commands::password::login_from_stdin(args.username)?;
    let request = InitFromRegistry {
        url,
        repositories: args.repository,
        approver: args.approver,
        login,
        ..InitFromRegistry::default()
    };
    let report = api::init_from_registry(ctx, &request, &path, args.force).await?;
    let probe = &report.probe;
    if probe.stored_credentials {
        say!(
            "stored the credentials for {} in the OS keychain",
            probe.host
        );
    }
    match &probe.catalog_refused {
        Some(why) => say!("{why}; using the {} named", request.repositories.len()),
        None => say!(
            "registry {} lists {} repositories",
            probe.host,
            probe.repositories.len()
        ),
    }
    for found in &report.found {
        let envs: Vec<String> = found.environments.iter().map(|e| e.name.clone()).collect();
        say!(
            "  {}: {} tags; environments: {}",
            found.repository,
            found.tags.len(),
            if envs.is_empty() {
                "none".to_string()
            } else {
                envs.join(" → ")
            }
        );
    }
    for why in &report.plan.skipped {
        say!("not added: {why}");
    }
    let written = &report.written;
    say!(
        "wrote {} with {} apps from registry '{REGISTRY_NAME}' ({})",
        written.config_path,
        written.apps,
        probe.url
    );
    match &written.approver {
        Some(id) => say!(
            "{id} is the first approver (roles manager, qa){}; one approval is needed into every environment after the first",
            if written.created_key {
                ", with a new signing key in the OS keychain"
            } else {
                ", with its signing key from the OS keychain"
            }
        ),
        None => say!("no approvers and no policies yet: the presets are comments in the file"),
    }
    say!("next: tollgate --config {} sync", written.config_path);
    Ok(0)
}
