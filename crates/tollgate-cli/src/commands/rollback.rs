//! `tollgate rollback`: put an earlier digest of an environment back, with the same gates as a
//! promotion.

use tollgate::api::{self, Context, RollbackRequest};
use tollgate::Result;

use super::{load_and_recover, Load};
use crate::args::RollbackArgs;
use crate::output;

pub async fn run(load: Load<'_>, ctx: &Context, args: RollbackArgs) -> Result<i32> {
    let RollbackArgs {
        app,
        env,
        digest,
        reason,
        actor,
        json,
    } = args;
    let ws = load_and_recover(load, ctx).await?;
    let digest = api::resolve_digest(&ws, &app, &digest)?;
    let actor = api::resolve_actor(&ws, ctx, actor.as_deref())?;
    let outcome = api::rollback(
        &ws,
        ctx,
        RollbackRequest {
            app,
            env,
            digest,
            reason,
            actor,
        },
        &output::step,
    )
    .await?;
    // The team channel did not block it: one warning line of what it could not read.
    if let Some(line) = &outcome.team_unread {
        esay!("warning: {line}");
    }
    output::show(json, &outcome, output::promotion)?;
    Ok(0)
}
