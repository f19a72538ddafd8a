//! `tollgate promote`: copy an approved digest into the next environment (same bytes, read
//! back, recorded), each step on standard error.

use tollgate::api::{self, Context, PromoteRequest};
use tollgate::Result;

use super::{load_and_recover, Load};
use crate::args::PromoteArgs;
use crate::output;

pub async fn run(load: Load<'_>, ctx: &Context, args: PromoteArgs) -> Result<i32> {
    let PromoteArgs {
        app,
        to,
        digest,
        actor,
        json,
    } = args;
    let ws = load_and_recover(load, ctx).await?;
    let digest = api::resolve_digest(&ws, &app, &digest)?;
    let actor = api::resolve_actor(&ws, ctx, actor.as_deref())?;
    let outcome = api::promote(
        &ws,
        ctx,
        PromoteRequest {
            app,
            to,
            digest,
            actor,
        },
        &output::step,
    )
    .await?;
    output::show(json, &outcome, output::promotion)?;
    Ok(0)
}
