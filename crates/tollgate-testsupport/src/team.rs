//! What the team-sharing tests (team_share, team_events, team_rejections, team_status) do on
//! each desktop: the two-person team, sync, approve and publish, promote into staging, plant an
//! artifact in the registry as someone with push rights could, and read the one line a denied
//! push prints.

use tollgate::api::{self, ApprovalReceipt, ApproveRequest, Context, SyncReport};
use tollgate::config::Workspace;
use tollgate::domain::{Digest, Event, EventKind};
use tollgate::keychain::OsKeychain;
use tollgate::signing;
use tollgate::store::Store;
use tollgate::team::{ArtifactKind, Descriptor, Publish, TeamEvent, TeamRegistry};

use crate::signed::{rt, t0, unique_id, SignedWorkspace};
use crate::skopeo::skopeo_raw;
use crate::workspace::Run;

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
pub fn approve_staging(ws: &Workspace, ctx: &Context, who: &str, digest: &str) -> ApprovalReceipt {
    rt().block_on(api::approve(
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

/// `message` signed with a fresh key of someone tollgate.toml does not list ("mallory").
pub fn sign_as_stranger(message: &[u8]) -> String {
    let mallory = unique_id("mallory");
    signing::generate_key(&mallory, &OsKeychain).unwrap();
    signing::sign(&mallory, message, &OsKeychain).unwrap()
}

/// Push `message` and `signature` as a `kind` artifact attached to image `digest` of
/// payments/api, as anyone with push rights could, bypassing Tollgate; the artifact's digest.
pub fn plant(
    f: &SignedWorkspace,
    kind: ArtifactKind,
    digest: &str,
    message: Vec<u8>,
    signature: String,
) -> Digest {
    plant_copy(f, kind, digest, message, signature, None)
}

/// [`plant`] with a `dev.tollgate.copy` annotation of `copy` (when given): the same signed
/// message and signature in a new artifact manifest (a new digest), as a replay would be.
pub fn plant_copy(
    f: &SignedWorkspace,
    kind: ArtifactKind,
    digest: &str,
    message: Vec<u8>,
    signature: String,
    copy: Option<&str>,
) -> Digest {
    let annotations = copy
        .map(|c| [("dev.tollgate.copy".to_string(), c.to_string())].into())
        .unwrap_or_default();
    let raw = skopeo_raw(&f.reg, &format!("payments/api@{digest}"));
    let team = TeamRegistry::new(f.reg.client()).unwrap();
    let published = rt()
        .block_on(team.publish(
            "payments/api",
            &TeamEvent {
                kind,
                message,
                signature,
                subject: Descriptor {
                    media_type: "application/vnd.oci.image.manifest.v1+json".into(),
                    digest: Digest::parse(digest).unwrap(),
                    size: raw.len() as u64,
                },
                created: t0(),
                annotations,
            },
        ))
        .unwrap();
    let Publish::Shared(p) = published else {
        panic!("the planted artifact was pushed")
    };
    p.artifact
}

/// The events of `kind` in desktop `ws`'s history, oldest first.
pub fn events_of(ws: &Workspace, kind: EventKind) -> Vec<Event> {
    Store::open(&ws.db_path)
        .unwrap()
        .events(&Default::default())
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == kind)
        .collect()
}
