//! `tollgate diff`: what changes if the candidate is promoted (revisions, base image,
//! platforms, layers, run-time config, risk flags).

use tollgate::api::{self, Context};
use tollgate::domain::Digest;
use tollgate::Result;

use super::{load_and_recover, Load};
use crate::args::DiffArgs;
use crate::output;

pub async fn run(load: Load<'_>, ctx: &Context, args: DiffArgs) -> Result<i32> {
    let DiffArgs {
        app,
        to,
        digest,
        json,
    } = args;
    let ws = load_and_recover(load, ctx).await?;
    let digest = digest.as_deref().map(Digest::parse).transpose()?;
    let diff = api::diff(&ws, ctx, &app, &to, digest).await?;
    output::show(json, &diff, output::diff::release_diff)?;
    Ok(0)
}
