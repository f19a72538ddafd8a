//! `tollgate login REGISTRY --username U --password-stdin`: registry credentials into the OS
//! keychain (the password only ever from standard input), once the registry accepted them.

use std::io::Read;

use tollgate::api::{self, Context};
use tollgate::{Error, Result};

use super::Load;
use crate::args::LoginArgs;

pub async fn run(load: Load<'_>, ctx: &Context, args: LoginArgs) -> Result<i32> {
    let LoginArgs {
        registry,
        username,
        password_stdin: _,
    } = args;
    let ws = load()?;
    let mut password = String::new();
    std::io::stdin()
        .read_to_string(&mut password)
        .map_err(|e| {
            Error::bad_input(format!("cannot read the password from standard input: {e}"))
        })?;
    let host = api::login(
        &ws,
        ctx,
        &registry,
        &username,
        password.trim_end_matches(['\n', '\r']),
    )
    .await?;
    say!("stored credentials for {username} at {host} in the OS keychain");
    Ok(0)
}
