//! What the team-sharing tests (team_share, team_events, team_status) do on each desktop: sync,
//! approve and publish, and read the one line a denied push prints.

use tollgate::api::{self, ApprovalReceipt, ApproveRequest, Context, SyncReport};
use tollgate::config::Workspace;

use super::signed::rt;
use super::workspace::Run;

/// One sync of desktop `ws`, which must succeed.
pub fn sync(ws: &Workspace, ctx: &Context) -> SyncReport {
    rt().block_on(api::sync(ws, ctx, None, &|_| {})).unwrap()
}

/// `who` approves `digest` for staging on desktop `ws` and publishes it.
pub fn approve_and_share(
    ws: &Workspace,
    ctx: &Context,
    who: &str,
    digest: &str,
) -> ApprovalReceipt {
    rt().block_on(api::approve_and_share(
        ws,
        ctx,
        ApproveRequest {
            app: "api".into(),
            to: "staging".into(),
            digest: digest.into(),
            confirm: digest[7..19].into(),
            role: None,
            note: Some("verified in staging".into()),
            approver: Some(who.into()),
        },
    ))
    .unwrap()
}

/// The `not shared yet: …` line a CLI run printed (a push the registry denied); panics with the
/// output when there is none.
pub fn not_shared_line(out: &Run) -> String {
    out.stdout
        .lines()
        .find(|l| l.starts_with("not shared yet: "))
        .unwrap_or_else(|| panic!("{}", out.stdout))
        .to_string()
}
