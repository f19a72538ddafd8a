//! What the team-sharing tests (team_share, team_events, team_rejections, team_status) do on
//! each desktop: the two-person team, sync, approve and publish, promote into staging, and read
//! the one line a denied push prints.

use tollgate::api::{self, ApprovalReceipt, ApproveRequest, Context, SyncReport};
use tollgate::config::Workspace;

use super::signed::{rt, SignedWorkspace};
use super::workspace::Run;

/// Image A in dev; staging needs one QA approval. Alice is the manager, Quinn is QA. Returns
/// the workspace, A's digest, Alice's and Quinn's ids.
pub fn qa_team(name: &str) -> (SignedWorkspace, String, String, String) {
    let f = SignedWorkspace::builder(
        name,
        &[
            r#"{ name = "dev", tag = "dev" }"#,
            r#"{ name = "staging", tag = "staging", policy = { approvals = 1, roles = ["qa"] } }"#,
        ],
    )
    .image("dev", &format!("{name}-a"))
    .approver("alice", &["manager"])
    .approver("quinn", &["qa"])
    .build();
    let a = f.digests[0].clone();
    let [alice, quinn] = <[String; 2]>::try_from(f.approvers.clone()).unwrap();
    (f, a, alice, quinn)
}

/// `who` promotes `digest` into staging on desktop `ws`.
pub fn promote_staging(
    ws: &Workspace,
    ctx: &Context,
    digest: &str,
    who: &str,
) -> tollgate::Result<api::PromotionOutcome> {
    rt().block_on(api::promote(
        ws,
        ctx,
        api::PromoteRequest {
            app: "api".into(),
            to: "staging".into(),
            digest: digest.into(),
            actor: who.into(),
        },
        &|_| {},
    ))
}

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
