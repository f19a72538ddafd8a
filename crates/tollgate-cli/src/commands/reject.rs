//! `tollgate reject`: sign that a digest must not be promoted into an environment or any later
//! one, and share it. `tollgate unreject` (unreject.rs) signs the same kind of verdict.

use tollgate::api::{self, Context, RejectRequest};
use tollgate::signing::Verdict;
use tollgate::Result;

use super::{load_and_recover, Load};
use crate::args::VerdictArgs;
use crate::output;

pub async fn run(load: Load<'_>, ctx: &Context, verdict: VerdictArgs) -> Result<i32> {
    sign(load, ctx, verdict, Verdict::Reject).await
}

/// Sign and share a rejection or its lifting; print the receipt.
pub(super) async fn sign(
    load: Load<'_>,
    ctx: &Context,
    verdict: VerdictArgs,
    kind: Verdict,
) -> Result<i32> {
    let ws = load_and_recover(load, ctx).await?;
    let (json, mut req) = verdict_request(verdict);
    req.digest = api::resolve_digest(&ws, &req.app, &req.digest)?;
    let receipt = match kind {
        Verdict::Reject => api::reject(&ws, ctx, req).await?,
        Verdict::Unreject => api::unreject(&ws, ctx, req).await?,
    };
    output::show(json, &receipt, rejection)?;
    Ok(0)
}

/// `--json` and the request of `reject` / `unreject`.
fn verdict_request(v: VerdictArgs) -> (bool, RejectRequest) {
    (
        v.json,
        RejectRequest {
            app: v.app,
            digest: v.digest,
            confirm: v.confirm,
            reason: v.reason,
            env: v.env,
            approver: v.approver,
        },
    )
}

/// What `reject` / `unreject` print: what was signed, by whom, with which key.
fn rejection(r: &tollgate::api::RejectionReceipt) {
    let x = &r.rejection;
    let scope = x.scope();
    let what = if x.kind == tollgate::domain::EventKind::Rejection {
        format!("rejected {} for {scope}", x.digest)
    } else {
        format!("lifted the rejection of {} for {scope}", x.digest)
    };
    say!(
        "{what} in {} as {} ({}) (event {}, key {})",
        x.app,
        x.by,
        x.role,
        r.event.seq,
        r.fingerprint
    );
    say!("reason: {}", x.reason);
    output::team_share(r.team.as_ref());
}
