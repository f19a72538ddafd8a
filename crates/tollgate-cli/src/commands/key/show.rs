//! `tollgate key show`: the public key and its allowed_signers line.

use tollgate::api::{self, Context};
use tollgate::Result;

pub fn run(ctx: &Context, id: Option<&str>) -> Result<i32> {
    super::print(&api::key_show(ctx, id)?);
    Ok(0)
}
