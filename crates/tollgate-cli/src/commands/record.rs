//! `tollgate record`: CI records a deployment of an exact digest (signed, shared); warns when
//! it skipped an environment's approvals.

use tollgate::api::{self, Context, RecordRequest};
use tollgate::domain::parse_time;
use tollgate::Result;

use super::{load_and_recover, Load};
use crate::args::RecordArgs;
use crate::output;

pub async fn run(load: Load<'_>, ctx: &Context, args: RecordArgs) -> Result<i32> {
    let RecordArgs {
        app,
        env,
        image,
        actor,
        at,
    } = args;
    let ws = load_and_recover(load, ctx).await?;
    let actor = api::resolve_actor(&ws, ctx, actor.as_deref())?;
    let at = at.as_deref().map(parse_time).transpose()?;
    let receipt = api::record(
        &ws,
        ctx,
        RecordRequest {
            app,
            env,
            image,
            actor,
            at,
        },
    )
    .await?;
    let event = receipt.event;
    say!(
        "recorded {} in {} {} (event {})",
        event
            .digest
            .as_ref()
            .map(|d| d.to_string())
            .unwrap_or_default(),
        event.app,
        event.env,
        event.seq
    );
    output::team_share(receipt.team.as_ref());
    if api::record_is_unapproved(&ws, &event)? {
        esay!("warning: {} {} has a policy and this record skipped its approvals: it is flagged UNAPPROVED until an approved promotion of that digest replaces it", event.app, event.env);
    }
    Ok(0)
}
