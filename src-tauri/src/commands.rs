//! Every command the UI may call. Each body is a one-line adapter over the core API
//! (`tollgate::api`); blocking work goes through [`AppState::blocking`](crate::state::AppState::blocking).
//! To add one: declare it here, add it to `build.rs`, grant `allow-<name>` in
//! `capabilities/default.json`, and run `cargo test -p tollgate-app export_bindings`.

use std::path::PathBuf;

use serde::Serialize;
use tollgate::api::{
    ApprovalReceipt, ApproveRequest, DigestDetail, ExportRequest, ExportSummary, KeyRotation,
    Overview, PromoteRequest, PromotionCheck, PromotionOutcome, PromotionStep, RegistryView,
    RollbackRequest, SignerStatus, SyncProgress, SyncReport,
};
use tollgate::config::Workspace;
use tollgate::domain::{Segment, StatusRow};
use tollgate::signing::PublicKeyInfo;
use tollgate::{Code, Error};
use ts_rs::TS;

use crate::ipc::{commands, Channel};
use crate::state::not_send;

/// Which workspace the window shows.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct WorkspaceInfo {
    pub name: String,
    /// The tollgate.toml it was loaded from (absolute).
    pub config_path: String,
    /// The history database it uses.
    pub db_path: String,
}

impl From<&Workspace> for WorkspaceInfo {
    fn from(ws: &Workspace) -> Self {
        WorkspaceInfo {
            name: ws.config.workspace.name.clone(),
            config_path: ws.config_path.display().to_string(),
            db_path: ws.db_path.display().to_string(),
        }
    }
}

commands! {
    /// Current digest per app and environment, with drift flags (`tollgate status`).
    async fn status(state) -> Vec<StatusRow> {
        state.blocking(|ws, _| tollgate::api::status(ws, None)).await
    }

    /// The open workspace, or a `config` error saying why there is none.
    async fn workspace_info(state) -> WorkspaceInfo {
        state.workspace().map(|ws| WorkspaceInfo::from(ws.as_ref()))
    }

    /// Every app × environment with what waits to come in and its checklist, and the last sync.
    async fn overview(state) -> Overview {
        state.overview().await
    }

    /// Read every environment tag (`tollgate sync`), reporting each tag read on `on_progress`.
    async fn sync(state, on_progress: Channel<SyncProgress>) -> SyncReport {
        let (ws, ctx) = (state.workspace()?, state.ctx.clone());
        not_send(move || async move {
            tollgate::api::sync(&ws, &ctx, None, &|p| on_progress.send(p)).await
        })
        .await
    }

    /// What ran where and when for one app (`tollgate timeline`).
    async fn timeline(state, app: String) -> Vec<Segment> {
        state.blocking(move |ws, _| tollgate::api::timeline(ws, &app, None)).await
    }

    /// Everything known about one digest of one app.
    async fn digest_detail(state, app: String, digest: String) -> DigestDetail {
        state.blocking(move |ws, _| tollgate::api::digest_detail(ws, &app, &digest)).await
    }

    /// The policy checklist for promoting `digest` into `to` (`tollgate check`).
    async fn check_promotion(state, app: String, to: String, digest: String) -> PromotionCheck {
        state
            .blocking(move |ws, ctx| tollgate::api::check_promotion(ws, ctx.clock.now(), &app, &to, &digest))
            .await
    }

    /// Sign an approval with this machine's key (`tollgate approve`).
    async fn approve(
        state,
        app: String,
        to: String,
        digest: String,
        confirm: String,
        role: Option<String>,
        note: Option<String>,
    ) -> ApprovalReceipt {
        state
            .blocking(move |ws, ctx| {
                let req = ApproveRequest { app, to, digest, confirm, role, note, approver: None };
                tollgate::api::approve(ws, ctx, req)
            })
            .await
    }

    /// Promote `digest` into `to` (`tollgate promote`), reporting each journalled step on `on_step`.
    async fn promote(state, app: String, to: String, digest: String, on_step: Channel<PromotionStep>) -> PromotionOutcome {
        let ws = state.workspace()?;
        let actor = actor(&state).await?;
        let req = PromoteRequest { app, to, digest, actor };
        tollgate::api::promote(&ws, &state.ctx, req, &|s| on_step.send(s)).await
    }

    /// Put an earlier digest back into `env` (`tollgate rollback`), reporting each step on `on_step`.
    async fn rollback(state, app: String, env: String, digest: String, on_step: Channel<PromotionStep>) -> PromotionOutcome {
        let ws = state.workspace()?;
        let actor = actor(&state).await?;
        let req = RollbackRequest { app, env, digest, actor };
        tollgate::api::rollback(&ws, &state.ctx, req, &|s| on_step.send(s)).await
    }

    /// Who this machine signs as, with which key and roles, and why it cannot sign if it cannot.
    async fn signer(state) -> SignerStatus {
        state.blocking(tollgate::api::signer_status).await
    }

    /// Write an audit report (`tollgate export`) to `req.out`, chosen in the native save dialog.
    async fn export_report(state, req: ExportRequest) -> ExportSummary {
        let out = req.out.clone();
        let summary = state
            .blocking(move |ws, ctx| tollgate::api::export(ws, ctx.clock.now(), req))
            .await?;
        state.remember_export(out);
        Ok(summary)
    }

    /// Make this machine's signing key for approver `id` (`tollgate key init`).
    async fn key_init(state, id: String) -> PublicKeyInfo {
        let ctx = state.ctx.clone();
        off_thread(move || tollgate::api::key_init(&ctx, &id)).await
    }

    /// This machine's public key, or `null` when it has none yet (`tollgate key show`).
    async fn key_show(state) -> Option<PublicKeyInfo> {
        let ctx = state.ctx.clone();
        off_thread(move || no_key_is_none(tollgate::api::key_show(&ctx, None))).await
    }

    /// Replace this machine's signing key with a new one (`tollgate key rotate`); the result
    /// holds the tollgate.toml lines that keep the previous key valid for what it signed.
    async fn key_rotate(state) -> KeyRotation {
        let ctx = state.ctx.clone();
        off_thread(move || tollgate::api::key_rotate(&ctx, None)).await
    }

    /// The workspace's registries and whether the keychain holds credentials for each
    /// (never the credentials themselves).
    async fn registries(state) -> Vec<RegistryView> {
        state.blocking(tollgate::api::registries).await
    }

    /// Store registry credentials in the OS keychain (`tollgate login`); returns the host.
    async fn login(state, registry: String, username: String, password: String) -> String {
        state
            .blocking(move |ws, ctx| tollgate::api::login(ws, ctx, &registry, &username, &password))
            .await
    }

    /// Open the tollgate.toml at `path` (chosen in the native open dialog) and show it.
    async fn open_workspace(state, path: String) -> WorkspaceInfo {
        let ws = state.open_workspace(PathBuf::from(path)).await?;
        Ok(WorkspaceInfo::from(ws.as_ref()))
    }

    /// Create a demo workspace in the app's data folder and show it.
    async fn open_demo(state) -> WorkspaceInfo {
        let ws = state.open_demo().await?;
        Ok(WorkspaceInfo::from(ws.as_ref()))
    }

    /// Show a report this window exported in the file manager. Any other path is refused.
    async fn reveal_file(state, path: String) -> () {
        let path = state.exported_file(&path)?;
        off_thread(move || {
            tauri_plugin_opener::reveal_item_in_dir(&path).map_err(|e| {
                Error::internal(format!("cannot show {} in the file manager: {e}; open its folder yourself", path.display()))
            })
        })
        .await
    }
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

/// Keychain calls block (D-Bus): run them on the blocking pool.
async fn off_thread<T: Send + 'static>(
    f: impl FnOnce() -> tollgate::Result<T> + Send + 'static,
) -> tollgate::Result<T> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| Error::internal(format!("a background task failed: {e}; see the log file")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `Commands.ts` next to the other bindings (`TS_RS_EXPORT_DIR`, set in .cargo/config.toml).
    #[test]
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
            "  status: { args: {}; result: Array<StatusRow> };",
            "  sync: { args: { onProgress: Channel<SyncProgress> }; result: SyncReport };",
            "  promote: { args: { app: string; to: string; digest: string; onStep: Channel<PromotionStep> }; result: PromotionOutcome };",
            "  approve: { args: { app: string; to: string; digest: string; confirm: string; role: string | null; note: string | null }; result: ApprovalReceipt };",
            "  key_show: { args: {}; result: PublicKeyInfo | null };",
            "  reveal_file: { args: { path: string }; result: null };",
            "  export_report: { args: { req: ExportRequest }; result: ExportSummary };",
            "  signer: { args: {}; result: SignerStatus };",
            "import type { StatusRow } from \"./StatusRow\";",
            "import type { WorkspaceInfo } from \"./WorkspaceInfo\";",
            "import type { SyncProgress } from \"./SyncProgress\";",
            "import type { Channel } from \"@tauri-apps/api/core\";",
        ] {
            assert!(ts.contains(line), "{line}\n{ts}");
        }
    }

    #[test]
    fn only_a_missing_key_is_no_key() {
        let none = no_key_is_none(Err(Error::new(Code::NotFound, "no signing key")));
        assert!(none.unwrap().is_none());
        let e = no_key_is_none(Err(Error::new(Code::Keychain, "locked"))).unwrap_err();
        assert_eq!(e.code, Code::Keychain);
    }

    /// Least privilege: the main window is granted exactly the declared commands, plus the
    /// native open/save dialogs and core events, and nothing else (no shell, no fs, no opener).
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
        assert_eq!(
            others,
            [
                "core:event:default",
                "dialog:allow-open",
                "dialog:allow-save"
            ]
        );
        let build_rs = include_str!("../build.rs");
        for name in NAMES {
            assert!(
                build_rs.contains(&format!("\"{name}\"")),
                "build.rs does not list command {name}"
            );
        }
    }
}
