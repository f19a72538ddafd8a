//! A registry password, read only from standard input (`--password-stdin`): never an argument,
//! so it stays out of the shell history and the process list.

use std::io::Read;

use tollgate::api::RegistryLogin;
use tollgate::{Error, Result};

/// The password on standard input, without its line end.
pub fn from_stdin() -> Result<String> {
    let mut password = String::new();
    std::io::stdin()
        .read_to_string(&mut password)
        .map_err(|e| {
            Error::bad_input(format!("cannot read the password from standard input: {e}"))
        })?;
    Ok(password.trim_end_matches(['\n', '\r']).to_string())
}

/// `username` with the password on standard input; `None` without a username.
pub fn login_from_stdin(username: Option<String>) -> Result<Option<RegistryLogin>> {
    username
        .map(|username| {
            Ok(RegistryLogin {
                username,
                password: from_stdin()?,
            })
        })
        .transpose()
}
