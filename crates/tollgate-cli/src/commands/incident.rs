//! `tollgate incident open` and `tollgate incident close`: sign an incident on a digest in an
//! environment, or its close, and share it.

use tollgate::api::{self, Context, IncidentCloseRequest, IncidentOpenRequest, IncidentReceipt};
use tollgate::domain::EventKind;
use tollgate::Result;

use super::{load_and_recover, Load};
use crate::args::{IncidentCloseArgs, IncidentOpenArgs};
use crate::output;

pub async fn open(load: Load<'_>, ctx: &Context, args: IncidentOpenArgs) -> Result<i32> {
    let ws = load_and_recover(load, ctx).await?;
    let receipt = api::incident_open(
        &ws,
        ctx,
        IncidentOpenRequest {
            app: args.app,
            env: args.env,
            digest: args.digest,
            id: args.id,
            summary: args.summary,
            actor: args.actor,
        },
    )
    .await?;
    output::show(args.json, &receipt, print)?;
    Ok(0)
}

pub async fn close(load: Load<'_>, ctx: &Context, args: IncidentCloseArgs) -> Result<i32> {
    let ws = load_and_recover(load, ctx).await?;
    let receipt = api::incident_close(
        &ws,
        ctx,
        IncidentCloseRequest {
            app: args.app,
            id: args.id,
            resolution: args.resolution,
            actor: args.actor,
        },
    )
    .await?;
    output::show(args.json, &receipt, print)?;
    Ok(0)
}

/// What `incident open` / `incident close` print: what was signed, by whom, with which key.
fn print(r: &IncidentReceipt) {
    let i = &r.incident;
    let what = if i.kind == EventKind::Incident {
        "opened incident"
    } else {
        "closed incident"
    };
    say!(
        "{what} {} on {} in {} {} as {} (event {}, key {})",
        i.id,
        i.digest,
        i.app,
        i.env,
        i.by,
        r.event.seq,
        r.fingerprint
    );
    let label = if i.kind == EventKind::Incident {
        "summary"
    } else {
        "resolution"
    };
    say!("{label}: {}", i.text);
    output::team_share(r.team.as_ref());
}
