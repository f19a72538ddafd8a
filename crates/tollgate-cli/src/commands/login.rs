//! `tollgate login REGISTRY --username U --password-stdin`: registry credentials into the OS
//! keychain (the password only ever from standard input), once the registry accepted them.

use tollgate::api::{self, Context};
use tollgate::Result;

use super::Load;
use crate::args::LoginArgs;

pub async fn run(load: Load<'_>, ctx: &Context, args: LoginArgs) -> Result<i32> {
    let LoginArgs {
        registry,
        username,
        password_stdin: _,
    } = args;
    let ws = load()?;
    let password = super::password::from_stdin()?;
    let host = api::login(&ws, ctx, &registry, &username, &password).await?;
    say!("stored credentials for {username} at {host} in the OS keychain");
    Ok(0)
}
