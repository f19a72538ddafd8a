//! `tollgate attest`: sign that a check passed or failed for a digest (with its report attached
//! to the image in the registry), and share it.

use tollgate::api::{self, AttestRequest, Context};
use tollgate::signing::CheckResult;
use tollgate::Result;

use super::{load_and_recover, Load};
use crate::args::AttestArgs;
use crate::output;

pub async fn run(load: Load<'_>, ctx: &Context, args: AttestArgs) -> Result<i32> {
    let result = CheckResult::parse(&args.result)?;
    let ws = load_and_recover(load, ctx).await?;
    let receipt = api::attest(
        &ws,
        ctx,
        AttestRequest {
            app: args.app,
            digest: args.digest,
            check: args.check,
            result,
            summary: args.summary,
            url: args.url,
            file: args.file,
            actor: args.actor,
        },
    )
    .await?;
    output::show(args.json, &receipt, |r| {
        let a = &r.attestation;
        say!(
            "attested {} {} for {} in {} as {} (event {}, key {})",
            a.check,
            a.result.as_str(),
            a.digest,
            a.app,
            a.by,
            r.event.seq,
            r.fingerprint
        );
        say!("summary: {}", a.summary);
        if let Some(u) = &a.url {
            say!("link: {u}");
        }
        if let (Some(rep), Some(place)) = (&a.report, &r.report) {
            say!(
                "report: sha256:{} ({} bytes, {}) attached as {}@{} (blob {})",
                rep.sha256,
                rep.size,
                rep.media_type,
                place.repository,
                place.artifact,
                place.blob
            );
        }
        output::team_share(r.team.as_ref());
    })?;
    Ok(0)
}
