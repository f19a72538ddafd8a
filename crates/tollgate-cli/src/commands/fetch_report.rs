//! `tollgate fetch-report`: save the report file an attestation names, from the registry, checked
//! against the sha256 and size its signed message states.

use tollgate::api::{self, Context, FetchReportRequest};
use tollgate::Result;

use super::{load_and_recover, Load};
use crate::args::FetchReportArgs;
use crate::output;

pub async fn run(load: Load<'_>, ctx: &Context, args: FetchReportArgs) -> Result<i32> {
    let ws = load_and_recover(load, ctx).await?;
    let fetched = api::fetch_report(
        &ws,
        ctx,
        FetchReportRequest {
            app: args.app,
            sha256: args.report,
            out: args.out,
        },
    )
    .await?;
    output::show(args.json, &fetched, |f| {
        say!(
            "wrote {} ({} bytes, {}), sha256:{} as signed",
            f.path,
            f.size,
            f.media_type,
            f.sha256
        );
        say!(
            "named by the attestation {} {} by {}; read from {}",
            f.check,
            f.result,
            f.by,
            f.source
        );
    })?;
    Ok(0)
}
