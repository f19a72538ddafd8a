//! Settings edits tollgate.toml (add a registry, an app, an approver) and logs out of a
//! registry. Each edit is made and checked by the core (`tollgate::api::registry_add`, ...),
//! then shown in a native confirmation with its diff, which the page cannot answer; only a
//! confirmed edit is written. The workspace is then loaded again from the written file.

use std::sync::Arc;

use tollgate::api::{ApproverAddRequest, Context, RegistryAddRequest, RegistryAdded};
use tollgate::config::edit::{ConfigEdit, NewApp};
use tollgate::config::Workspace;
use tollgate::domain::{escape_controls, escape_controls_keep_lines};
use tollgate::Result;

use crate::dialogs::Dialogs;
use crate::state::{not_send, run_blocking, AppState};

/// The confirmation of `edit`: its summary, the file and the diff.
pub fn confirm(dialogs: &dyn Dialogs, edit: &ConfigEdit) -> bool {
    let message = format!(
        "{}.\n\nThis changes {} as follows (comments and order kept):\n\n{}",
        escape_controls(&edit.summary),
        escape_controls(&edit.config_path),
        escape_controls_keep_lines(&edit.diff)
    );
    dialogs.confirm("Edit tollgate.toml", &message, "Write tollgate.toml")
}

/// What the edit commands work with: the workspace, the keychain, the dialogs.
fn parts(state: &AppState) -> Result<(Arc<Workspace>, Context, Arc<dyn Dialogs>)> {
    Ok((state.workspace()?, state.ctx.clone(), state.dialogs()?))
}

/// Load the edited file (the views start over on it).
async fn reopen<T>(state: &AppState, ws: &Workspace, written: Option<T>) -> Result<Option<T>> {
    if written.is_some() {
        state.open_workspace(ws.config_path.clone()).await?;
    }
    Ok(written)
}

pub async fn registry_add(
    state: &AppState,
    req: RegistryAddRequest,
) -> Result<Option<RegistryAdded>> {
    let (ws, ctx, dialogs) = parts(state)?;
    let done = {
        let ws = ws.clone();
        not_send(move || async move {
            tollgate::api::registry_add(&ws, &ctx, req, &|e| confirm(dialogs.as_ref(), e)).await
        })
        .await?
    };
    reopen(state, &ws, done).await
}

pub async fn app_add(state: &AppState, req: NewApp) -> Result<Option<ConfigEdit>> {
    let (ws, _, dialogs) = parts(state)?;
    let done = {
        let ws = ws.clone();
        run_blocking(move || tollgate::api::app_add(&ws, &req, &|e| confirm(dialogs.as_ref(), e)))
            .await?
    };
    reopen(state, &ws, done).await
}

pub async fn approver_add(state: &AppState, req: ApproverAddRequest) -> Result<Option<ConfigEdit>> {
    let (ws, ctx, dialogs) = parts(state)?;
    let done = {
        let ws = ws.clone();
        run_blocking(move || {
            tollgate::api::approver_add(&ws, &ctx, &req, &|e| confirm(dialogs.as_ref(), e))
        })
        .await?
    };
    reopen(state, &ws, done).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialogs::scripted::Scripted;

    const FILE: &str = "# Ours.\n[workspace]\nname = \"payments\"\ndatabase = \"history.db\"\n\n[[registries]]\nname = \"local\"\nurl = \"http://127.0.0.1:5000\"  # CI pushes here\n\n[[apps]]\nname = \"api\"\nrepository = \"local/payments/api\"\nenvironments = [{ name = \"dev\", tag = \"dev\" }]\n";

    fn state(dir: &std::path::Path, dialogs: Arc<Scripted>) -> AppState {
        let file = dir.join("tollgate.toml");
        std::fs::write(&file, FILE).unwrap();
        let ctx = Context {
            clock: Arc::new(tollgate::domain::SystemClock),
            secrets: Arc::new(tollgate::keychain::MemoryKeychain::default()),
        };
        let state = AppState::with_workspace(Workspace::load(&file, None), ctx, None);
        state.set_dialogs(dialogs);
        state
    }

    fn web() -> NewApp {
        serde_json::from_value(serde_json::json!({
            "name": "web", "repository": "local/payments/web",
            "environments": [{ "name": "dev", "tag": "dev" }, { "name": "prod", "tag": "prod" }]
        }))
        .unwrap()
    }

    #[test]
    fn an_app_is_written_only_once_confirmed_and_the_workspace_reloads() {
        let dir = tempfile::tempdir().unwrap();
        let no = Arc::new(Scripted::default());
        let state_no = state(dir.path(), no.clone());
        let out = tauri::async_runtime::block_on(app_add(&state_no, web())).unwrap();
        assert!(out.is_none());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("tollgate.toml")).unwrap(),
            FILE
        );
        assert_eq!(no.asked(), ["Edit tollgate.toml? Write tollgate.toml"]);
        let message = &no.messages()[0];
        assert!(
            message.starts_with("add app 'web' (local/payments/web: dev → prod).\n"),
            "{message}"
        );
        assert!(message.contains("+name = \"web\"\n"), "{message}");

        let yes = Arc::new(Scripted::confirming());
        let state = state(dir.path(), yes);
        let edit = tauri::async_runtime::block_on(app_add(&state, web()))
            .unwrap()
            .unwrap();
        let text = std::fs::read_to_string(dir.path().join("tollgate.toml")).unwrap();
        assert_eq!(text, edit.after);
        assert!(text.contains("# CI pushes here"), "{text}");
        let apps: Vec<String> = state
            .workspace()
            .unwrap()
            .config
            .apps
            .iter()
            .map(|a| a.name.clone())
            .collect();
        assert_eq!(apps, ["api", "web"]);
        // The app's own write is not news on the next poll.
        assert_eq!(
            tauri::async_runtime::block_on(state.reload_if_changed()).unwrap(),
            None
        );
    }

    #[test]
    fn a_change_on_disk_reloads_and_a_broken_one_keeps_the_last_good() {
        let dir = tempfile::tempdir().unwrap();
        let state = state(dir.path(), Arc::new(Scripted::default()));
        let file = dir.path().join("tollgate.toml");
        let poll = || tauri::async_runtime::block_on(state.reload_if_changed()).unwrap();
        assert_eq!(poll(), None);

        std::fs::write(&file, FILE.replace("\"payments\"", "\"billing\"")).unwrap();
        let r = poll().unwrap();
        assert!(r.reloaded);
        assert_eq!(r.message, "tollgate.toml changed on disk: reloaded");
        assert_eq!(state.workspace().unwrap().config.workspace.name, "billing");
        assert_eq!(poll(), None);

        std::fs::write(&file, FILE.replace("[[apps]]", "[[apps]\n")).unwrap();
        let r = poll().unwrap();
        assert!(!r.reloaded);
        assert!(r.message.starts_with("tollgate.toml changed on disk but does not load, so the last good version stays in use: "), "{}", r.message);
        assert!(r.message.contains("line "), "{}", r.message);
        assert_eq!(state.workspace().unwrap().config.workspace.name, "billing");
        assert_eq!(poll(), None, "said once");
    }
}
