//! `tollgate key show`: the public key and its allowed_signers line.

use tollgate::api::{self, Context};
use tollgate::Result;

pub fn run(ctx: &Context, id: Option<&str>) -> Result<i32> {
    super::print(&api::key_show(ctx, id)?);
    Ok(0)
}

/// `tollgate key show --git`: the allowed_signers file of every listed identity, for
/// `git verify-commit` (`gpg.ssh.allowedSignersFile`).
pub fn run_git(load: crate::commands::Load<'_>) -> Result<i32> {
    let ws = load()?;
    for line in api::git_allowed_signers(&ws).lines() {
        say!("{line}");
    }
    Ok(0)
}
