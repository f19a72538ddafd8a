//! `tollgate logout REGISTRY`: remove the registry's credentials from the OS keychain.

use tollgate::api::{self, Context};
use tollgate::Result;

use super::Load;
use crate::args::LogoutArgs;

pub fn run(load: Load<'_>, ctx: &Context, args: LogoutArgs) -> Result<i32> {
    let ws = load()?;
    let (host, had) = api::logout(&ws, ctx, &args.registry)?;
    if had {
        say!("removed the credentials for {host} from the OS keychain");
    } else {
        say!("the OS keychain held no credentials for {host}: nothing to remove");
    }
    Ok(0)
}
