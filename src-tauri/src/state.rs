use std::path::Path;
use std::sync::Arc;

use tollgate::config::{Workspace, CONFIG_ENV};
use tollgate::{Error, Result};

/// What every command works on: the workspace this window shows (or why there is none) and the
/// real clock and keychain.
pub struct AppState {
    workspace: Result<Arc<Workspace>>,
    #[allow(dead_code)] // the signing/sync commands of the full UI use it
    pub ctx: tollgate::api::Context,
}

impl AppState {
    /// Open `--workspace FILE`, else `$TOLLGATE_CONFIG`. Unlike the CLI there is no
    /// `./tollgate.toml` fallback: a desktop app's working directory means nothing to its user.
    pub fn open(explicit: Option<&Path>) -> Self {
        Self::with_workspace(load(explicit))
    }

    pub fn with_workspace(workspace: Result<Workspace>) -> Self {
        match &workspace {
            Ok(ws) => {
                tracing::info!(config = %ws.config_path.display(), db = %ws.db_path.display(), "workspace opened")
            }
            Err(e) => tracing::warn!(code = ?e.code, "no workspace: {}", e.message),
        }
        AppState {
            workspace: workspace.map(Arc::new),
            ctx: tollgate::api::Context::system(),
        }
    }

    pub fn workspace(&self) -> Result<Arc<Workspace>> {
        self.workspace.clone()
    }

    /// Run blocking core work (SQLite, file I/O) on the blocking thread pool, off the IPC thread.
    pub async fn blocking<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Workspace) -> Result<T> + Send + 'static,
    {
        let ws = self.workspace()?;
        tauri::async_runtime::spawn_blocking(move || f(&ws))
            .await
            .map_err(|e| {
                Error::internal(format!("a background task failed: {e}; see the log file"))
            })?
    }
}

fn load(explicit: Option<&Path>) -> Result<Workspace> {
    if explicit.is_none() && std::env::var_os(CONFIG_ENV).is_none() {
        return Err(Error::config(format!(
            "no workspace is open: start Tollgate with --workspace FILE or set {CONFIG_ENV} to a tollgate.toml"
        )));
    }
    Workspace::load(&Workspace::locate(explicit), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORKSPACE: &str = r#"
[workspace]
name = "payments"
database = "history.db"

[[registries]]
name = "local"
url = "http://127.0.0.1:5000"

[[apps]]
name = "api"
repository = "local/payments/api"
environments = [{ name = "dev", tag = "dev" }]
"#;

    #[test]
    fn opens_an_explicit_workspace_and_runs_blocking_work_on_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tollgate.toml");
        std::fs::write(&file, WORKSPACE).unwrap();
        let state = AppState::open(Some(&file));
        let ws = state.workspace().unwrap();
        assert_eq!(ws.db_path, dir.path().join("history.db"));
        let name = tauri::async_runtime::block_on(
            state.blocking(|ws| Ok(ws.config.workspace.name.clone())),
        );
        assert_eq!(name.unwrap(), "payments");
    }

    #[test]
    fn without_a_workspace_every_command_gets_the_reason() {
        let state = AppState::open(Some(Path::new("/nonexistent/tollgate.toml")));
        let e = state.workspace().unwrap_err();
        assert_eq!(e.code, tollgate::Code::Config);
        assert!(
            e.message.contains("/nonexistent/tollgate.toml"),
            "{}",
            e.message
        );
        let e = tauri::async_runtime::block_on(state.blocking(|_| Ok(()))).unwrap_err();
        assert_eq!(e.code, tollgate::Code::Config);
    }
}
