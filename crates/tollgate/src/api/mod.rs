//! The use cases: one public function each, named as its CLI verb (`check`, `diff`, `export`;
//! `team status` is `team_status`), as is the Tauri command over it. The CLI
//! (`crates/tollgate-cli`) and the Tauri commands (`src-tauri`) are thin adapters over these and
//! hold no logic of their own.
//! A use case that signs also shares (`approve`, `reject`, `unreject`, `record`: pull the
//! digest's team events, sign and append, publish); the sign-only steps are `pub(crate)`.
//!
//! Every function opens a `tracing` span named after the use case.

mod actor;
mod approve;
mod attached;
mod attest;
mod checkpoint;
mod conflicts;
mod context;
mod demo;
mod detail;
mod diff;
mod digest_prefix;
mod export;
mod gate;
mod incident;
mod init;
mod init_registry;
mod key;
mod login;
mod open;
mod overview;
mod promote;
mod record;
mod registries;
mod reject;
mod report_file;
mod signer;
mod status;
mod sync;
mod team;
mod timeline;
mod verify;
mod workspace_edit;

pub use actor::{resolve_actor, signer_for, ACTOR_ENV};
pub use approve::{approve, ApprovalReceipt, ApproveRequest};
pub use attached::{referrers, OtherReferrer, OtherReferrers};
pub use attest::{attest, attestations, AttestReceipt, AttestRequest, ReportPlace};
pub use checkpoint::{
    report_checkpoints, verify_checkpoints, CheckpointCheck, CheckpointSeen, CheckpointSync,
};
pub use context::Context;
pub use demo::{
    demo, demo_signer_plan, proposed_identity, DemoSigner, DemoSignerPlan, DemoSigning,
    DemoWorkspace, DEMO_ROLES,
};
pub use detail::{digest_detail, ApprovalView, DeployCommit, DigestDetail, EnvSnippets};
pub use diff::diff;
pub use digest_prefix::{resolve_digest, MIN_PREFIX};
pub use export::{export, ExportFormat, ExportRequest, ExportSummary, SignatureCheck};
pub use gate::{check, EmergencyRollback, PromotionCheck};
pub use incident::{
    incident_close, incident_open, incidents, IncidentCloseRequest, IncidentOpenRequest,
    IncidentReceipt,
};
pub use init::init;
pub use init_registry::{
    default_workspace_name, init_from_registry, plan_apps, registry_probe, registry_tags, render,
    write_workspace, AppPlan, EnvPlan, InitFromRegistry, InitReport, PolicyPreset, RegistryLogin,
    RegistryProbe, RepositoryTags, WorkspacePlan, WrittenWorkspace, ENVIRONMENT_TAGS,
    REGISTRY_NAME,
};
pub use key::{git_allowed_signers, key_init, key_rotate, key_show, KeyRotation};
pub use login::{login, logout};
pub use overview::{overview, Overview, OverviewCell};
pub use promote::{
    commit_url, compare_url, git_preview, promote, recover, rollback, DeploySnippets,
    FileLineChange, GitOutcome, GitPreview, PromoteRequest, PromotionOutcome, PromotionStep,
    RollbackRequest,
};
pub use record::{record, RecordReceipt, RecordRequest};
pub use registries::{registries, RegistryKind, RegistryView};
pub use reject::{reject, rejections, unreject, RejectRequest, RejectionReceipt};
pub use report_file::{fetch_report, FetchReportRequest, FetchedReport};
pub use signer::{signer, SignerStatus};
pub use status::{record_is_unapproved, status};
pub use sync::{sync, GitChange, LatePromotion, SyncProgress, SyncReport, SyncedGitEnv, SyncedTag};
pub use team::{
    team_status, SkippedArtifact, TeamCheckpoint, TeamProblem, TeamPull, TeamRepository, TeamShare,
    TeamStatus, TeamSyncReport, UnsharedEvent, UntrustedEvent, WaitingApproval, WaitingDigest,
    WaitingForYou,
};
pub use timeline::timeline;
pub use verify::{verify, verify_report, Problem, ReportVerification, VerifyReport};
pub use workspace_edit::{
    app_add, approver_add, registry_add, ApproverAddRequest, Confirm, RegistryAddRequest,
    RegistryAdded,
};

// Point in time (`status --at`, `timeline --at`, the overview as of a moment).
pub use overview::overview_at;
pub use status::status_at;
pub use timeline::{timeline_at, SegmentAt};
