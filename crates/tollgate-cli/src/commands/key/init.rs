//! `tollgate key init --id ID`: make an Ed25519 signing key, kept only in the OS keychain.

use tollgate::api::{self, Context};
use tollgate::Result;

pub fn run(ctx: &Context, id: &str) -> Result<i32> {
    super::print(&api::key_init(ctx, id)?);
    Ok(0)
}
