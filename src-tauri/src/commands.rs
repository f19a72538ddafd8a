//! Every command the UI may call. Each takes one request (or `()`) and resolves to one response
//! type; each body is a one-line adapter over the core API (`tollgate::api`); blocking work goes
//! through [`AppState::blocking`](crate::state::AppState::blocking) or [`run_blocking`].
//! To add one, see CONTRIBUTING.md ("Add a desktop command").

use serde::Serialize;
use tollgate::api::{
    ApprovalReceipt, ApproveRequest, ApproverAddRequest, AttestReceipt, Context, DigestDetail,
    ExportSummary, FetchedReport, GitPreview, IncidentCloseRequest, IncidentOpenRequest,
    IncidentReceipt, KeyRotation, OtherReferrers, Overview, PromoteRequest, PromotionCheck,
    PromotionOutcome, PromotionStep, RecordReceipt, RegistryAddRequest, RegistryAdded,
    RegistryProbe, RegistryView, RejectRequest, RejectionReceipt, RepositoryTags, RollbackRequest,
    SignerStatus, SyncProgress, SyncReport, TeamStatus, WorkspacePlan,
};
use tollgate::config::edit::{ConfigEdit, NewApp};
use tollgate::config::Workspace;
use tollgate::diff::ReleaseDiff;
use tollgate::domain::{Segment, StatusRow};
use tollgate::policy::{Incident, Rejection};
use tollgate::signing::PublicKeyInfo;
use tollgate::{Code, Error};
use ts_rs::TS;

use crate::confirm;
use crate::dialogs::Dialogs;
use crate::ipc::commands;
use crate::new_workspace::new_workspace_at;
use crate::reload::ConfigReload;
use crate::requests::AtRequest;
use crate::requests::{
    AppRequest, AttestInWindowRequest, CheckRequest, ChooseExportRequest, DigestRequest,
    ExportTarget, ExportToChosenRequest, KeyInitRequest, LoginRequest, LogoutRequest,
    OpenLinkRequest, OpenWorkspaceRequest, RecordRunningRequest, RegistryProbeRequest,
    RegistryTagsRequest, RevealRequest,
};
use crate::saved_reports::SaveReportRequest;
use crate::state::{not_send, run_blocking};
use crate::workspaces::{ChosenWorkspace, RecentWorkspace};

/// Which workspace the window shows.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct WorkspaceInfo {
    pub name: String,
    /// The tollgate.toml it was loaded from (absolute).
    pub config_path: String,
    /// The history database it uses.
    pub db_path: String,
    /// One line about how it was opened, to show once: for the demo, as whom this machine
    /// signs in it, or why signing is not offered; `null` otherwise.
    pub note: Option<String>,
}

impl From<&Workspace> for WorkspaceInfo {
    fn from(ws: &Workspace) -> Self {
        WorkspaceInfo {
            name: ws.config.workspace.name.clone(),
            config_path: ws.config_path.display().to_string(),
            db_path: ws.db_path.display().to_string(),
            note: None,
        }
    }
}

commands! {
    /// Current digest per app and environment, with drift flags (`tollgate status`).
    async fn status(state, req: ()) -> Vec<StatusRow> {
        state.blocking(|ws, _| tollgate::api::status(ws, None)).await
    }

    /// The open workspace, or a `config` error saying why there is none.
    async fn workspace_info(state, req: ()) -> WorkspaceInfo {
        state.workspace().map(|ws| WorkspaceInfo::from(ws.as_ref()))
    }

    /// Every app × environment with what waits to come in and its checklist, and the last sync.
    async fn overview(state, req: ()) -> Overview {
        state.overview().await
    }

    /// Read every environment tag (`tollgate sync`), reporting each tag read on `on_progress`.
    async fn sync(state, req: (), on_progress: Channel<SyncProgress>) -> SyncReport {
        let (ws, ctx) = (state.workspace()?, state.ctx.clone());
        not_send(move || async move {
            tollgate::api::sync(&ws, &ctx, None, &|p| on_progress.send(p)).await
        })
        .await
    }

    /// What ran where and when for one app (`tollgate timeline`).
    async fn timeline(state, req: AppRequest) -> Vec<Segment> {
        state.blocking(move |ws, _| tollgate::api::timeline(ws, &req.app, None)).await
    }

    /// Everything known about one digest of one app.
    async fn digest_detail(state, req: DigestRequest) -> DigestDetail {
        state.blocking(move |ws, _| tollgate::api::digest_detail(ws, &req.app, &req.digest)).await
    }

    /// The policy checklist for promoting `digest` into `to` (`tollgate check`).
    async fn check(state, req: CheckRequest) -> PromotionCheck {
        state
            .blocking(move |ws, ctx| tollgate::api::check(ws, ctx.clock.now(), &req.app, &req.to, &req.digest))
            .await
    }

    /// What changes if `digest` replaces what `to` runs now (`tollgate diff`): read from the registry.
    async fn diff(state, req: CheckRequest) -> ReleaseDiff {
        let (ws, ctx) = (state.workspace()?, state.ctx.clone());
        let digest = tollgate::domain::Digest::parse(&req.digest)?;
        not_send(move || async move {
            tollgate::api::diff(&ws, &ctx, &req.app, &req.to, Some(digest)).await
        })
        .await
    }

    /// The edit of the deployment file that promoting (or rolling back) `digest` into `to` would
    /// commit, read at the branch's tip now; `null` for an environment with a registry tag.
    async fn git_preview(state, req: CheckRequest) -> Option<GitPreview> {
        state.blocking(move |ws, _| tollgate::api::git_preview(ws, &req.app, &req.to, &req.digest)).await
    }

    /// Sign an approval with this machine's key (`tollgate approve`) once the person confirms in
    /// a native dialog (app, environments, full digest, approver); `null` when they do not. The
    /// approver is always the default one (never named by the page). Then publishes it to the
    /// team's registry (`[team] share`): the receipt's `team` says what.
    async fn approve(state, req: ApproveRequest) -> Option<ApprovalReceipt> {
        let (ws, ctx, dialogs) = (state.workspace()?, state.ctx.clone(), state.dialogs()?);
        not_send(move || async move { confirm::approve_if_confirmed(dialogs.as_ref(), &ws, &ctx, req).await }).await
    }

    /// Promote `digest` into `to` (`tollgate promote`) once the person confirms in a native dialog
    /// (`null` when they do not), reporting each journalled step on `on_progress`.
    async fn promote(state, req: PromoteRequest, on_progress: Channel<PromotionStep>) -> Option<PromotionOutcome> {
        let (ws, dialogs) = (state.workspace()?, state.dialogs()?);
        let req = PromoteRequest { actor: actor(&state).await?, ..req };
        if !ask(dialogs, confirm::for_promote(&ws, &req)?).await? {
            return Ok(None);
        }
        tollgate::api::promote(&ws, &state.ctx, req, &|s| on_progress.send(s)).await.map(Some)
    }

    /// Put an earlier digest back into `env` (`tollgate rollback`) once the person confirms in a
    /// native dialog (`null` when they do not), reporting each step on `on_progress`.
    async fn rollback(state, req: RollbackRequest, on_progress: Channel<PromotionStep>) -> Option<PromotionOutcome> {
        let (ws, dialogs) = (state.workspace()?, state.dialogs()?);
        let req = RollbackRequest { actor: actor(&state).await?, ..req };
        if !ask(dialogs, confirm::for_rollback(&ws, &req)?).await? {
            return Ok(None);
        }
        tollgate::api::rollback(&ws, &state.ctx, req, &|s| on_progress.send(s)).await.map(Some)
    }

    /// Record what runs in `env` as right (`tollgate record`, the drift fix) as this machine's
    /// identity once the person confirms in a native dialog (`null` when they do not); shared.
    async fn record(state, req: RecordRunningRequest) -> Option<RecordReceipt> {
        let (ws, ctx, dialogs) = (state.workspace()?, state.ctx.clone(), state.dialogs()?);
        let actor = actor(&state).await?;
        not_send(move || async move { confirm::record_if_confirmed(dialogs.as_ref(), &ws, &ctx, req, actor).await }).await
    }

    /// Sign a rejection of a digest with this machine's key (`tollgate reject`) once the person
    /// confirms in a native dialog (`null` when they do not); the approver is always the default
    /// one (never named by the page).
    async fn reject(state, req: RejectRequest) -> Option<RejectionReceipt> {
        let (ws, ctx, dialogs) = (state.workspace()?, state.ctx.clone(), state.dialogs()?);
        not_send(move || async move {
            confirm::verdict_if_confirmed(dialogs.as_ref(), &ws, &ctx, req, tollgate::signing::Verdict::Reject).await
        })
        .await
    }

    /// Lift the rejection of exactly this scope (`tollgate unreject`), confirmed and signed the
    /// same way.
    async fn unreject(state, req: RejectRequest) -> Option<RejectionReceipt> {
        let (ws, ctx, dialogs) = (state.workspace()?, state.ctx.clone(), state.dialogs()?);
        not_send(move || async move {
            confirm::verdict_if_confirmed(dialogs.as_ref(), &ws, &ctx, req, tollgate::signing::Verdict::Unreject).await
        })
        .await
    }

    /// Sign an attestation of a check for a digest (`tollgate attest`) as this machine's
    /// identity once the person confirms in a native dialog (`null` when they do not, or cancel
    /// choosing the report). With `attach_report`, the report file is chosen in a native open
    /// dialog and attached to the image first. Then publishes it to the team's registry.
    async fn attest(state, req: AttestInWindowRequest) -> Option<AttestReceipt> {
        let (ws, ctx, dialogs) = (state.workspace()?, state.ctx.clone(), state.dialogs()?);
        let actor = actor(&state).await?;
        not_send(move || async move {
            confirm::attest_if_confirmed(dialogs.as_ref(), &ws, &ctx, req.attest, req.attach_report, actor).await
        })
        .await
    }

    /// Save the report an attestation names, where the person chooses in a native save dialog
    /// (`null` when cancelled), checked against its signed sha256 (`tollgate fetch-report`).
    async fn save_report(state, req: SaveReportRequest) -> Option<FetchedReport> {
        crate::saved_reports::save_report(&state, state.dialogs()?, req).await
    }

    /// What other tools attached to one digest (cosign signatures, SBOMs, ...), read from the
    /// registry: listed, not verified, never a gate input.
    async fn referrers(state, req: DigestRequest) -> OtherReferrers {
        let (ws, ctx) = (state.workspace()?, state.ctx.clone());
        not_send(move || async move { tollgate::api::referrers(&ws, &ctx, &req.app, &req.digest).await }).await
    }

    /// Every rejection and unrejection of one app's digests, verified, with which are in force.
    async fn rejections(state, req: AppRequest) -> Vec<Rejection> {
        state.blocking(move |ws, _| tollgate::api::rejections(ws, &req.app, None)).await
    }

    /// Sign an incident on a digest in an environment (`tollgate incident open`) as this
    /// machine's identity once the person confirms in a native dialog (`null` when they do not).
    async fn incident_open(state, req: IncidentOpenRequest) -> Option<IncidentReceipt> {
        let (ws, ctx, dialogs) = (state.workspace()?, state.ctx.clone(), state.dialogs()?);
        not_send(move || async move {
            confirm::incident_open_if_confirmed(dialogs.as_ref(), &ws, &ctx, req).await
        })
        .await
    }

    /// Sign the close of an open incident (`tollgate incident close`), confirmed the same way.
    async fn incident_close(state, req: IncidentCloseRequest) -> Option<IncidentReceipt> {
        let (ws, ctx, dialogs) = (state.workspace()?, state.ctx.clone(), state.dialogs()?);
        not_send(move || async move {
            confirm::incident_close_if_confirmed(dialogs.as_ref(), &ws, &ctx, req).await
        })
        .await
    }

    /// Every incident open and close of one app's digests, verified, with which are open.
    async fn incidents(state, req: AppRequest) -> Vec<Incident> {
        state.blocking(move |ws, _| tollgate::api::incidents(ws, &req.app, None)).await
    }

    /// Who this machine signs as, with which key and roles, and why it cannot sign if it cannot.
    async fn signer(state, req: ()) -> SignerStatus {
        state.blocking(tollgate::api::signer).await
    }

    /// Ask where to save a report, in a native save dialog opened here; `null` when cancelled.
    /// The result's token is what `export` accepts.
    async fn choose_export_path(state, req: ChooseExportRequest) -> Option<ExportTarget> {
        crate::exports::choose_target(&state, state.dialogs()?, req).await
    }

    /// Write an audit report (`tollgate export`) to the file chosen with `choose_export_path`.
    async fn export(state, req: ExportToChosenRequest) -> ExportSummary {
        crate::exports::export_to_chosen(&state, req).await
    }

    /// Make this machine's signing key for approver `id` (`tollgate key init`).
    async fn key_init(state, req: KeyInitRequest) -> PublicKeyInfo {
        let ctx = state.ctx.clone();
        run_blocking(move || tollgate::api::key_init(&ctx, &req.id)).await
    }

    /// This machine's public key, or `null` when it has none yet (`tollgate key show`).
    async fn key_show(state, req: ()) -> Option<PublicKeyInfo> {
        let ctx = state.ctx.clone();
        run_blocking(move || no_key_is_none(tollgate::api::key_show(&ctx, None))).await
    }

    /// Replace this machine's signing key with a new one (`tollgate key rotate`) once the person
    /// confirms in a native dialog; `null` when they do not. The result holds the tollgate.toml
    /// lines that keep the previous key valid for what it signed.
    async fn key_rotate(state, req: ()) -> Option<KeyRotation> {
        let (dialogs, ctx) = (state.dialogs()?, state.ctx.clone());
        run_blocking(move || rotate_if_confirmed(dialogs.as_ref(), &ctx)).await
    }

    /// The workspace's registries and whether the keychain holds credentials for each
    /// (never the credentials themselves).
    async fn registries(state, req: ()) -> Vec<RegistryView> {
        state.blocking(tollgate::api::registries).await
    }

    /// Store registry credentials in the OS keychain (`tollgate login`); returns the host.
    async fn login(state, req: LoginRequest) -> String {
        let (ws, ctx) = (state.workspace()?, state.ctx.clone());
        not_send(move || async move { tollgate::api::login(&ws, &ctx, &req.registry, &req.username, &req.password).await }).await
    }

    /// Remove a registry's credentials from the OS keychain (`tollgate logout`); whether there
    /// were any.
    async fn logout(state, req: LogoutRequest) -> bool {
        state.blocking(move |ws, ctx| tollgate::api::logout(ws, ctx, &req.registry).map(|(_, had)| had)).await
    }

    /// Add a registry to tollgate.toml (`tollgate registry add`): tested with the credentials
    /// given before they are stored, then a native confirmation with the diff (`null`: not written).
    async fn registry_add(state, req: RegistryAddRequest) -> Option<RegistryAdded> {
        crate::edits::registry_add(&state, req).await
    }

    /// Add an app and its environments to tollgate.toml after a native confirmation with the diff.
    async fn app_add(state, req: NewApp) -> Option<ConfigEdit> {
        crate::edits::app_add(&state, req).await
    }

    /// Add an approver (a pasted public key, or this machine's) after a native confirmation.
    async fn approver_add(state, req: ApproverAddRequest) -> Option<ConfigEdit> {
        crate::edits::approver_add(&state, req).await
    }

    /// tollgate.toml changed on disk since it was read: loaded again (or why not); `null` when
    /// it did not change. The page asks every few seconds.
    async fn workspace_reload(state, req: ()) -> Option<ConfigReload> {
        state.reload_if_changed().await
    }

    /// A new workspace, step one: does the registry answer (with these credentials, kept in the
    /// keychain once it accepted them), and which repositories does its catalog list.
    async fn registry_probe(state, req: RegistryProbeRequest) -> RegistryProbe {
        let ctx = state.ctx.clone();
        not_send(move || async move { tollgate::api::registry_probe(&ctx, &req.url, req.login.as_ref(), None).await }).await
    }

    /// A new workspace, step two: the tags of each repository and the environments they suggest.
    async fn registry_tags(state, req: RegistryTagsRequest) -> Vec<RepositoryTags> {
        let ctx = state.ctx.clone();
        not_send(move || async move { tollgate::api::registry_tags(&ctx, &req.url, &req.repositories).await }).await
    }

    /// A new workspace, last step: where its tollgate.toml goes (a native save dialog opened
    /// here; `null` when cancelled), written from `req` (the approver's key created when
    /// missing), then opened. The page syncs it next.
    async fn new_workspace(state, req: WorkspacePlan) -> Option<WorkspaceInfo> {
        let (dialogs, ctx) = (state.dialogs()?, state.ctx.clone());
        let written = run_blocking(move || new_workspace_at(dialogs.as_ref(), &ctx, req)).await?;
        let Some(path) = written else { return Ok(None) };
        let ws = state.open_workspace(path).await?;
        Ok(Some(WorkspaceInfo::from(ws.as_ref())))
    }

    /// Ask which tollgate.toml to open, in a native open dialog opened here; `null` when
    /// cancelled. The result's token is what `open_workspace` accepts.
    async fn choose_workspace(state, req: ()) -> Option<ChosenWorkspace> {
        let dialogs = state.dialogs()?;
        let chosen = run_blocking(move || {
            Ok(dialogs.open_file("Open a Tollgate workspace", "Tollgate workspace", "toml"))
        })
        .await?;
        Ok(chosen.map(|path| state.workspaces.issue(path)))
    }

    /// The workspaces opened before, newest first (at most 10).
    async fn recent_workspaces(state, req: ()) -> Vec<RecentWorkspace> {
        Ok(state.workspaces.recent())
    }

    /// Open the tollgate.toml chosen with `choose_workspace` (its token, once) or a recent one,
    /// and show it. Any other path is refused (`forbidden`).
    async fn open_workspace(state, req: OpenWorkspaceRequest) -> WorkspaceInfo {
        let path = state.workspaces.resolve(&req)?;
        let ws = state.open_workspace(path).await?;
        Ok(WorkspaceInfo::from(ws.as_ref()))
    }

    /// Create a demo workspace in the app's data folder and show it, with this machine's
    /// identity as one of its approvers (a native confirmation first when a key is created).
    async fn open_demo(state, req: ()) -> WorkspaceInfo {
        let (ws, signing) = state.open_demo().await?;
        let note = match (&signing.approver, signing.problem) {
            (Some(id), _) => format!("You approve in the demo as {id} ({}).", signing.roles.join(", ")),
            (None, Some(why)) => {
                let mut chars = why.chars();
                chars.next().map(|first| first.to_uppercase().chain(chars).collect::<String>() + ".").unwrap_or_default()
            }
            (None, None) => String::new(),
        };
        Ok(WorkspaceInfo { note: (!note.is_empty()).then_some(note), ..WorkspaceInfo::from(ws.as_ref()) })
    }

    /// Show a report this window exported in the file manager; `null` when shown, else the
    /// warning to show (the desktop's file manager or portal failed: the report is fine, here is
    /// where it is). Any other path is refused.
    async fn reveal_file(state, req: RevealRequest) -> Option<String> {
        let path = state.exports.written(&req.path)?;
        run_blocking(move || Ok(tauri_plugin_opener::reveal_item_in_dir(&path).err().map(|e| crate::links::not_revealed(&path, &e))))
            .await
    }

    /// Open a forge or source page (a commit, a compare view) in the default browser: web
    /// pages only (`links::web_page`). A desktop without an opener is an error naming the link.
    async fn open_link(state, req: OpenLinkRequest) -> () {
        let url = crate::links::web_page(&req.url)?;
        run_blocking(move || {
            tauri_plugin_opener::open_url(url.as_str(), None::<&str>).map_err(|e| {
                Error::new(Code::Unreachable, format!("the desktop could not open {url} ({e}); copy the link and open it in your browser"))
            })
        })
        .await
    }

    /// Sharing on or off, the team repositories, the last pull, unshared and untrusted events
    /// (`tollgate team status`).
    async fn team_status(state, req: ()) -> TeamStatus {
        state.blocking(tollgate::api::team_status).await
    }

    /// The overview as of a moment (`tollgate status --at T`): `at` is RFC 3339 or before now
    /// (`-3h`, `-2d`), as on the command line.
    async fn overview_at(state, req: AtRequest) -> Overview {
        state
            .blocking(move |ws, ctx| {
                let now = ctx.clock.now();
                tollgate::api::overview_at(ws, ctx, Some(tollgate::domain::parse_at(&req.at, now)?))
            })
            .await
    }
}

/// The native confirmation of `signing`, off the async runtime: whether the person said yes.
async fn ask(
    dialogs: std::sync::Arc<dyn Dialogs>,
    signing: confirm::Signing,
) -> tollgate::Result<bool> {
    run_blocking(move || Ok(confirm::confirmed(dialogs.as_ref(), &signing))).await
}

/// `key rotate`, only after the person said yes in a native confirmation.
fn rotate_if_confirmed(
    dialogs: &dyn Dialogs,
    ctx: &Context,
) -> tollgate::Result<Option<KeyRotation>> {
    let confirmed = dialogs.confirm(
        "Rotate the signing key",
        "A new key replaces this machine's signing key in the OS keychain, and the current private key is deleted. Approvals it signed stay valid once tollgate.toml lists it under previous_keys (Tollgate shows the lines next).",
        "Rotate now",
    );
    if !confirmed {
        tracing::info!("key rotation cancelled in the confirmation dialog");
        return Ok(None);
    }
    tollgate::api::key_rotate(ctx, None).map(Some)
}

/// Who promotes or rolls back: resolved by the core exactly as the CLI does
/// ([`tollgate::api::resolve_actor`]: `$TOLLGATE_ACTOR`, this machine's listed signing
/// identity, the login name), as an approver's id where the name is one.
async fn actor(state: &crate::state::AppState) -> tollgate::Result<String> {
    state
        .blocking(|ws, ctx| tollgate::api::resolve_actor(ws, ctx, None))
        .await
}

/// `key show` without a key is not an error for the UI: it shows the "make a key" step.
fn no_key_is_none(r: tollgate::Result<PublicKeyInfo>) -> tollgate::Result<Option<PublicKeyInfo>> {
    match r {
        Ok(k) => Ok(Some(k)),
        Err(e) if matches!(e.code, Code::NotFound | Code::BadInput) => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::dialogs::scripted::Scripted;
    use crate::exports::{choose_target as choose_export_target, export_to_chosen};
    use crate::state::AppState;

    /// Writes `Commands.ts` next to the other bindings (`TS_RS_EXPORT_DIR`, set in .cargo/config.toml).
    #[test]
    #[allow(
        clippy::disallowed_methods,
        reason = "TS_RS_EXPORT_DIR says where the bindings go"
    )]
    fn export_bindings_commands() {
        let dir = PathBuf::from(
            std::env::var("TS_RS_EXPORT_DIR").unwrap_or_else(|_| "./bindings".into()),
        );
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("Commands.ts"), typescript()).unwrap();
    }

    #[test]
    fn typescript_map_names_every_command_and_imports_its_types() {
        let ts = typescript();
        for line in [
            "  status: { args: null; result: Array<StatusRow> };",
            "  sync: { args: null; progress: SyncProgress; result: SyncReport };",
            "  promote: { args: PromoteRequest; progress: PromotionStep; result: PromotionOutcome | null };",
            "  approve: { args: ApproveRequest; result: ApprovalReceipt | null };",
            "  open_workspace: { args: OpenWorkspaceRequest; result: WorkspaceInfo };",
            "  choose_workspace: { args: null; result: ChosenWorkspace | null };",
            "  key_show: { args: null; result: PublicKeyInfo | null };",
            "  key_rotate: { args: null; result: KeyRotation | null };",
            "  reveal_file: { args: RevealRequest; result: string | null };",
            "  record: { args: RecordRunningRequest; result: RecordReceipt | null };",
            "  choose_export_path: { args: ChooseExportRequest; result: ExportTarget | null };",
            "  export: { args: ExportToChosenRequest; result: ExportSummary };",
            "  check: { args: CheckRequest; result: PromotionCheck };",
            "  diff: { args: CheckRequest; result: ReleaseDiff };",
            "  signer: { args: null; result: SignerStatus };",
            "import type { StatusRow } from \"./StatusRow\";",
            "import type { WorkspaceInfo } from \"./WorkspaceInfo\";",
            "import type { SyncProgress } from \"./SyncProgress\";",
            "import type { PromoteRequest } from \"./PromoteRequest\";",
        ] {
            assert!(ts.contains(line), "{line}\n{ts}");
        }
        for name in NAMES {
            assert!(
                ts.contains(&format!("  \"{name}\",\n")),
                "{name} in COMMAND_NAMES"
            );
        }
    }

    /// What the page may send is exactly the request types: the actor of a promotion and the
    /// approver of an approval are the app's to decide, so the page cannot set them.
    #[test]
    fn the_page_cannot_name_the_actor_or_the_approver() {
        let req: PromoteRequest = serde_json::from_value(serde_json::json!({
            "app": "api", "to": "prod", "digest": "sha256:ab", "actor": "mallory"
        }))
        .unwrap();
        assert_eq!(req.actor, "");
        let req: ApproveRequest = serde_json::from_value(serde_json::json!({
            "app": "api", "to": "prod", "digest": "sha256:ab", "confirm": "ab",
            "role": null, "note": null, "approver": "mallory@example.com"
        }))
        .unwrap();
        assert_eq!(req.approver, None);
        assert!(
            !PromoteRequest::decl().contains("actor:"),
            "{}",
            PromoteRequest::decl()
        );
        assert!(
            !ApproveRequest::decl().contains("approver:"),
            "{}",
            ApproveRequest::decl()
        );
    }

    fn memory_ctx() -> Context {
        Context {
            clock: std::sync::Arc::new(tollgate::domain::SystemClock),
            secrets: std::sync::Arc::new(tollgate::keychain::MemoryKeychain::default()),
        }
    }

    fn workspace(dir: &std::path::Path) -> tollgate::Result<Workspace> {
        let file = dir.join("tollgate.toml");
        std::fs::write(
            &file,
            "[workspace]\nname = \"payments\"\ndatabase = \"history.db\"\n\n[[registries]]\nname = \"local\"\nurl = \"http://127.0.0.1:5000\"\n\n[[apps]]\nname = \"api\"\nrepository = \"local/payments/api\"\nenvironments = [{ name = \"dev\", tag = \"dev\" }]\n",
        )
        .unwrap();
        Workspace::load(&file, None)
    }

    fn report_request(target: &str) -> ExportToChosenRequest {
        serde_json::from_value(serde_json::json!({
            "target": target, "format": "json", "app": null, "env": null, "since": null, "until": null
        }))
        .unwrap()
    }

    /// A report goes only to the file chosen in the native dialog, once; a path (or any string
    /// the dialog did not issue) from the page is refused and nothing is written.
    #[test]
    fn a_report_is_written_only_where_the_save_dialog_chose() {
        let dir = tempfile::tempdir().unwrap();
        let state = AppState::with_workspace(workspace(dir.path()), memory_ctx(), None);
        let chosen = dir.path().join("audit.json");
        let dialogs = std::sync::Arc::new(Scripted {
            save_to: Some(chosen.clone()),
            ..Scripted::default()
        });
        let req = ChooseExportRequest {
            format: tollgate::api::ExportFormat::Json,
            suggested_name: "tollgate-payments.json".into(),
        };
        let target = tauri::async_runtime::block_on(choose_export_target(
            &state,
            dialogs.clone(),
            req.clone(),
        ))
        .unwrap()
        .unwrap();
        assert_eq!(target.path, chosen.display().to_string());
        assert_eq!(
            *dialogs.asked.lock().unwrap(),
            ["Save audit report: tollgate-payments.json (.json)"]
        );

        let elsewhere = dir.path().join("elsewhere.json");
        let e = tauri::async_runtime::block_on(export_to_chosen(
            &state,
            report_request(&elsewhere.display().to_string()),
        ))
        .unwrap_err();
        assert_eq!(e.code, Code::Forbidden);
        assert!(!elsewhere.exists());

        let summary =
            tauri::async_runtime::block_on(export_to_chosen(&state, report_request(&target.token)))
                .unwrap();
        assert_eq!(summary.path, chosen.display().to_string());
        let written: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&chosen).unwrap()).unwrap();
        assert!(written.is_object(), "a JSON report");
        assert_eq!(state.exports.written(&summary.path).unwrap(), chosen);

        let again =
            tauri::async_runtime::block_on(export_to_chosen(&state, report_request(&target.token)))
                .unwrap_err();
        assert_eq!(again.code, Code::Forbidden, "a token is used once");

        let cancelled = Scripted::default();
        let none = tauri::async_runtime::block_on(choose_export_target(
            &state,
            std::sync::Arc::new(cancelled),
            req,
        ))
        .unwrap();
        assert_eq!(none, None);
    }

    /// The key changes only when the person confirms in the native dialog.
    #[test]
    fn key_rotation_needs_the_native_confirmation() {
        let ctx = memory_ctx();
        let before = tollgate::api::key_init(&ctx, "alice@example.com").unwrap();
        let no = Scripted::default();
        assert!(rotate_if_confirmed(&no, &ctx).unwrap().is_none());
        assert_eq!(
            *no.asked.lock().unwrap(),
            ["Rotate the signing key? Rotate now"]
        );
        assert_eq!(
            tollgate::api::key_show(&ctx, None).unwrap().public_key,
            before.public_key
        );

        let yes = Scripted {
            confirm: true,
            ..Scripted::default()
        };
        let rotated = rotate_if_confirmed(&yes, &ctx).unwrap().unwrap();
        let now = tollgate::api::key_show(&ctx, None).unwrap();
        assert_ne!(now.public_key, before.public_key);
        assert_eq!(rotated.current.public_key, now.public_key);
    }

    #[test]
    fn only_a_missing_key_is_no_key() {
        let none = no_key_is_none(Err(Error::new(Code::NotFound, "no signing key")));
        assert!(none.unwrap().is_none());
        let e = no_key_is_none(Err(Error::new(Code::Keychain, "locked"))).unwrap_err();
        assert_eq!(e.code, Code::Keychain);
    }

    /// Least privilege: the main window is granted exactly the declared commands and core
    /// events, and nothing else (no shell, no fs, no opener, no dialog: the open and save dialogs
    /// and every confirmation are opened by the Rust side).
    #[test]
    fn capability_grants_exactly_the_declared_commands() {
        let text = include_str!("../capabilities/default.json");
        let cap: serde_json::Value = serde_json::from_str(text).unwrap();
        let permissions: Vec<&str> = cap["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().expect("permissions are plain identifiers"))
            .collect();
        let mut granted: Vec<String> = permissions
            .iter()
            .filter_map(|p| p.strip_prefix("allow-").map(|c| c.replace('-', "_")))
            .collect();
        granted.sort();
        let mut declared: Vec<String> = NAMES.iter().map(|n| n.to_string()).collect();
        declared.sort();
        assert_eq!(granted, declared);
        let mut others: Vec<&str> = permissions
            .iter()
            .copied()
            .filter(|p| !p.starts_with("allow-"))
            .collect();
        others.sort();
        assert_eq!(others, ["core:event:default"]);
    }
}
