//! `tollgate approve`: sign an approval of one digest for one move (confirmed with its first 12
//! hex digits), and share it.

use tollgate::api::{self, ApproveRequest, Context};
use tollgate::Result;

use super::{load_and_recover, Load};
use crate::args::ApproveArgs;
use crate::output;

pub async fn run(load: Load<'_>, ctx: &Context, args: ApproveArgs) -> Result<i32> {
    let ApproveArgs {
        app,
        to,
        digest,
        confirm,
        role,
        note,
        approver,
    } = args;
    let ws = load_and_recover(load, ctx).await?;
    let digest = api::resolve_digest(&ws, &app, &digest)?;
    let receipt = api::approve(
        &ws,
        ctx,
        ApproveRequest {
            app,
            to,
            digest,
            confirm,
            role,
            note,
            approver,
        },
    )
    .await?;
    say!(
        "approved {} for {} {} as {} (event {}, key {})",
        receipt
            .event
            .digest
            .as_ref()
            .map(|d| d.as_str())
            .unwrap_or_default(),
        receipt.event.app,
        receipt.event.env,
        receipt.event.actor.as_deref().unwrap_or_default(),
        receipt.event.seq,
        receipt.fingerprint
    );
    output::team_share(receipt.team.as_ref());
    Ok(0)
}
