//! `tollgate registry add NAME URL [--username U --password-stdin]`.

use tollgate::api::{self, Context, RegistryAddRequest};
use tollgate::config::edit::NewRegistry;
use tollgate::Result;

use crate::args::RegistryAddArgs;
use crate::commands::Load;

pub async fn run(load: Load<'_>, ctx: &Context, args: RegistryAddArgs) -> Result<i32> {
    let ws = load()?;
    let login = crate::commands::password::login_from_stdin(args.username)?;
    let req = RegistryAddRequest {
        registry: NewRegistry {
            name: args.name,
            url: args.url,
            insecure: args.insecure,
        },
        login,
    };
    let dry_run = args.edit.dry_run;
    let added = api::registry_add(&ws, ctx, req, &|e| super::show(e, dry_run)).await?;
    if let Some(added) = added {
        if let (true, Some(host)) = (added.stored_credentials, &added.host) {
            say!("stored the credentials for {host} in the OS keychain");
        }
        super::done(&added.edit.summary);
    }
    Ok(0)
}
