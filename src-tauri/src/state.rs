//! The one managed [`AppState`]: the workspace this window shows (or why there is none), the
//! clock and keychain, the native dialogs, the [export allow-list](crate::exports) and the
//! [overview prefetch](crate::prefetch); and [`run_blocking`], the one way commands leave the
//! async runtime for blocking work (SQLite, file I/O, the keychain's D-Bus, native dialogs).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use tollgate::api::{DemoSigner, DemoSignerPlan, DemoSigning, Overview, DEMO_ROLES};
use tollgate::config::{Workspace, CONFIG_ENV};
use tollgate::{Error, Hint, Result};

use crate::dialogs::Dialogs;
use crate::exports::Exports;
use crate::prefetch::Prefetch;
use crate::reload::{ConfigReload, Stamp};
use crate::workspaces::Workspaces;

/// What every command works on: the workspace this window shows (or why there is none; the UI
/// may open another one at any time), the real clock and keychain, and the app's data folder
/// (where `openDemo` creates demo workspaces).
pub struct AppState {
    workspace: RwLock<Result<Arc<Workspace>>>,
    /// Its tollgate.toml as last read (see [`crate::reload`]).
    seen: Mutex<Option<Stamp>>,
    pub ctx: tollgate::api::Context,
    data_dir: Option<PathBuf>,
    /// Export targets chosen in the save dialog and the reports this window wrote.
    pub exports: Exports,
    /// Workspace files chosen in the open dialog, and the recent-workspaces list.
    pub workspaces: Workspaces,
    prefetched: Prefetch,
    /// Set once the window exists (see `main`); tests set their own.
    dialogs: OnceLock<Arc<dyn Dialogs>>,
}

impl AppState {
    /// Open `--workspace FILE`, else `$TOLLGATE_CONFIG`, else the workspace opened last (the
    /// first of the recent list). Unlike the CLI there is no `./tollgate.toml` fallback: a
    /// desktop app's working directory means nothing to its user.
    pub fn open(explicit: Option<&Path>, data_dir: Option<PathBuf>) -> Self {
        let last = Workspaces::new(data_dir.as_deref())
            .recent()
            .into_iter()
            .next()
            .map(|r| PathBuf::from(r.path));
        Self::with_workspace(
            load(explicit, last.as_deref()),
            tollgate::api::Context::system(),
            data_dir,
        )
    }

    pub fn with_workspace(
        workspace: Result<Workspace>,
        ctx: tollgate::api::Context,
        data_dir: Option<PathBuf>,
    ) -> Self {
        log_opened(&workspace);
        let workspaces = Workspaces::new(data_dir.as_deref());
        if let Ok(ws) = &workspace {
            workspaces.record(ws, ctx.clock.now());
        }
        let seen = workspace
            .as_ref()
            .ok()
            .and_then(|ws| Stamp::of(&ws.config_path));
        AppState {
            workspace: RwLock::new(workspace.map(Arc::new)),
            seen: Mutex::new(seen),
            ctx,
            data_dir,
            exports: Exports::default(),
            workspaces,
            prefetched: Prefetch::default(),
            dialogs: OnceLock::new(),
        }
    }

    /// The native dialogs commands open (set once; later calls are ignored).
    pub fn set_dialogs(&self, dialogs: Arc<dyn Dialogs>) {
        let _ = self.dialogs.set(dialogs);
    }

    /// The native dialogs, or an `internal` error before the window exists.
    pub fn dialogs(&self) -> Result<Arc<dyn Dialogs>> {
        self.dialogs
            .get()
            .cloned()
            .ok_or_else(|| Error::internal("the window has no native dialogs yet; try again"))
    }

    /// Start computing the overview of the open workspace now (see [`crate::prefetch`]).
    pub fn prefetch_overview(&self) {
        if let Ok(workspace) = self.workspace() {
            self.prefetched.start(workspace, self.ctx.clone());
        }
    }

    /// Every command calls this first (a prefetched overview may have to be dropped).
    pub fn command_started(&self, name: &str) {
        self.prefetched.command_started(name);
    }

    /// The overview: the prefetched one if it may still be served, else computed now.
    pub async fn overview(&self) -> Result<Overview> {
        let ws = self.workspace()?;
        if let Some(overview) = self.prefetched.take(&ws).await {
            return Ok(overview);
        }
        self.blocking(tollgate::api::overview).await
    }

    pub fn workspace(&self) -> Result<Arc<Workspace>> {
        self.workspace
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Show `workspace` from now on (commands already running finish on the previous one).
    fn replace(&self, workspace: Arc<Workspace>) {
        *self.seen.lock().unwrap_or_else(|p| p.into_inner()) = Stamp::of(&workspace.config_path);
        *self
            .workspace
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Ok(workspace);
    }

    /// Load the tollgate.toml at `path`, finish what a dead process left open in its history
    /// (`recover`), show it and put it first in the recent list. On failure the current
    /// workspace stays. Callers pass only paths the person chose (see [`crate::workspaces`]).
    pub async fn open_workspace(&self, path: PathBuf) -> Result<Arc<Workspace>> {
        let ws = run_blocking(move || Workspace::load(&path, None)).await;
        log_opened(&ws);
        let ws = Arc::new(ws?);
        recover(&ws, &self.ctx).await?;
        self.replace(ws.clone());
        self.workspaces.record(&ws, self.ctx.clock.now());
        Ok(ws)
    }

    /// Load the open workspace's tollgate.toml again when it changed on disk since it was last
    /// read (see [`crate::reload`]): `None` when it did not. A change that does not load keeps
    /// the workspace in use and is reported once.
    pub async fn reload_if_changed(&self) -> Result<Option<ConfigReload>> {
        let Ok(ws) = self.workspace() else {
            return Ok(None);
        };
        let path = ws.config_path.clone();
        let seen = self.seen.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if seen.as_ref().is_some_and(|s| !s.moved(&path)) {
            return Ok(None);
        }
        let (now, loaded) = run_blocking(move || {
            let now = Stamp::of(&path);
            let changed = match (&seen, &now) {
                (Some(seen), Some(now)) => seen.differs(now),
                (_, None) => false,
                (None, Some(_)) => true,
            };
            Ok((now, changed.then(|| Workspace::load(&path, None))))
        })
        .await?;
        *self.seen.lock().unwrap_or_else(|p| p.into_inner()) = now;
        match loaded {
            None => Ok(None),
            Some(Ok(new)) => {
                tracing::info!(config = %new.config_path.display(), "tollgate.toml changed on disk: reloaded");
                let new = Arc::new(new);
                recover(&new, &self.ctx).await?;
                self.replace(new);
                Ok(Some(ConfigReload::reloaded()))
            }
            Some(Err(e)) => {
                tracing::warn!(code = ?e.code, "tollgate.toml changed on disk and does not load: {}", e.message);
                Ok(Some(ConfigReload::refused(&e.message)))
            }
        }
    }

    /// Create the demo workspace in a new folder of the app's data folder (`demo`, else
    /// `demo-2`, ...) and open it. This machine's identity is listed as an approver of the demo
    /// so that the person can sign in it; when a key has to be created for that, a native
    /// confirmation says so first (no: the demo is made without it).
    pub async fn open_demo(&self) -> Result<(Arc<Workspace>, DemoSigning)> {
        let base = self.data_dir.as_ref().ok_or_else(|| {
            Error::internal("the app has no data folder to create the demo in (is $HOME set?); open a workspace instead")
        })?;
        let dir = fresh_dir(base, "demo");
        tracing::info!(dir = %dir.display(), "creating the demo workspace");
        let ctx = self.ctx.clone();
        let dialogs = self.dialogs();
        let made = not_send(move || async move {
            let plan = tollgate::api::demo_signer_plan(&ctx);
            let new_id = tollgate::api::proposed_identity();
            let agreed = match (&plan, &dialogs) {
                (DemoSignerPlan::Existing { .. } | DemoSignerPlan::Unavailable { .. }, _) => true,
                (_, Ok(dialogs)) => {
                    let (title, message, ok) =
                        crate::confirm::demo_key(&plan, &new_id, DEMO_ROLES.join(", ").as_str());
                    let dialogs = dialogs.clone();
                    run_blocking(move || Ok(dialogs.confirm(title, &message, ok))).await?
                }
                (_, Err(_)) => false,
            };
            let signer = if agreed {
                DemoSigner::Machine {
                    plan: &plan,
                    new_id: &new_id,
                }
            } else {
                DemoSigner::Nobody
            };
            tollgate::api::demo(&dir, &ctx, signer).await
        })
        .await?;
        let ws = self.open_workspace(made.config_path).await?;
        Ok((ws, made.signing))
    }

    /// Run blocking core work on the open workspace (see [`run_blocking`]).
    pub async fn blocking<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Workspace, &tollgate::api::Context) -> Result<T> + Send + 'static,
    {
        let ws = self.workspace()?;
        let ctx = self.ctx.clone();
        run_blocking(move || f(&ws, &ctx)).await
    }
}

/// Run blocking work (SQLite, file I/O, keychain calls over D-Bus, native dialogs) on the
/// blocking thread pool, off the IPC thread. The one `spawn_blocking` of the commands.
pub async fn run_blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| Error::internal(format!("a background task failed: {e}; see the log file")))?
}

/// Run a core future that the compiler cannot prove `Send` (its streams hold closures over
/// borrowed data, a known rustc limitation) to completion on a blocking thread, where it may
/// block on the async runtime; Tauri's async commands need `Send` futures.
pub async fn not_send<T, Fut, F>(f: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<T>>,
{
    run_blocking(move || tauri::async_runtime::block_on(f())).await
}

/// Finish or fail the promotions a dead process left open, and say what was done.
pub async fn recover(ws: &Workspace, ctx: &tollgate::api::Context) -> Result<()> {
    let done = tollgate::api::recover(ws, ctx).await.inspect_err(
        |e| tracing::warn!(code = ?e.code, "recovering open promotions failed: {}", e.message),
    )?;
    if done.is_empty() {
        tracing::info!("no promotion was left open");
    }
    for p in &done {
        tracing::warn!(
            id = p.id,
            app = %p.app,
            to = %p.to_env,
            digest = %p.digest,
            state = ?p.state,
            error = p.error.as_deref().unwrap_or(""),
            "recovered a promotion a previous process left open"
        );
    }
    Ok(())
}

/// `base/name`, or `base/name-2`, `-3`, ... : the first that does not exist or is empty.
fn fresh_dir(base: &Path, name: &str) -> PathBuf {
    let usable = |p: &Path| {
        !p.exists()
            || std::fs::read_dir(p)
                .map(|mut d| d.next().is_none())
                .unwrap_or(false)
    };
    let first = base.join(name);
    if usable(&first) {
        return first;
    }
    (2..)
        .map(|i| base.join(format!("{name}-{i}")))
        .find(|p| usable(p))
        .expect("an unbounded range yields a free name")
}

fn log_opened(workspace: &Result<Workspace>) {
    match workspace {
        Ok(ws) => {
            tracing::info!(config = %ws.config_path.display(), db = %ws.db_path.display(), "workspace opened")
        }
        Err(e) => tracing::warn!(code = ?e.code, "no workspace: {}", e.message),
    }
}

#[allow(
    clippy::disallowed_methods,
    reason = "$TOLLGATE_CONFIG names the workspace file"
)]
fn load(explicit: Option<&Path>, last: Option<&Path>) -> Result<Workspace> {
    if explicit.is_none() && std::env::var_os(CONFIG_ENV).is_none() {
        let Some(last) = last else {
            return Err(Error::config("no workspace is open").with_hint(Hint::OpenWorkspace));
        };
        return Workspace::load(last, None).map_err(|e| {
            Error::config(format!(
                "the workspace opened last does not load: {}; open another one",
                e.message
            ))
        });
    }
    Workspace::load(&Workspace::locate(explicit), None)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

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

    fn test_ctx() -> tollgate::api::Context {
        tollgate::api::Context {
            clock: Arc::new(tollgate::domain::SystemClock),
            secrets: Arc::new(tollgate::keychain::MemoryKeychain::default()),
        }
    }

    fn write_workspace(dir: &Path, name: &str) -> PathBuf {
        let file = dir.join("tollgate.toml");
        std::fs::write(&file, WORKSPACE.replace("payments", name)).unwrap();
        file
    }

    #[test]
    fn opens_an_explicit_workspace_and_runs_blocking_work_on_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = write_workspace(dir.path(), "payments");
        let state = AppState::open(Some(&file), None);
        let ws = state.workspace().unwrap();
        assert_eq!(ws.db_path, dir.path().join("history.db"));
        let name = tauri::async_runtime::block_on(
            state.blocking(|ws, _| Ok(ws.config.workspace.name.clone())),
        );
        assert_eq!(name.unwrap(), "payments");
    }

    #[test]
    fn without_a_workspace_every_command_gets_the_reason() {
        let state = AppState::open(Some(Path::new("/nonexistent/tollgate.toml")), None);
        let e = state.workspace().unwrap_err();
        assert_eq!(e.code, tollgate::Code::Config);
        assert!(
            e.message.contains("/nonexistent/tollgate.toml"),
            "{}",
            e.message
        );
        let e = tauri::async_runtime::block_on(state.blocking(|_, _| Ok(()))).unwrap_err();
        assert_eq!(e.code, tollgate::Code::Config);
    }

    #[test]
    fn without_a_named_workspace_the_one_opened_last_reopens() {
        let data = tempfile::tempdir().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = write_workspace(dir.path(), "payments");
        drop(AppState::open(Some(&file), Some(data.path().to_path_buf())));
        let state = AppState::open(None, Some(data.path().to_path_buf()));
        assert_eq!(state.workspace().unwrap().config_path, file);

        // Gone since: the first-start screen says which one and why.
        std::fs::remove_file(&file).unwrap();
        let e = AppState::open(None, Some(data.path().to_path_buf()))
            .workspace()
            .unwrap_err();
        assert!(
            e.message
                .starts_with("the workspace opened last does not load: ")
                && e.message.contains("tollgate.toml"),
            "{}",
            e.message
        );
    }

    #[test]
    fn another_workspace_can_be_opened_and_a_bad_one_keeps_the_current() {
        let first = tempfile::tempdir().unwrap();
        let second = tempfile::tempdir().unwrap();
        let state =
            AppState::with_workspace(Err(Error::config("no workspace is open")), test_ctx(), None);
        let file = write_workspace(first.path(), "first");
        let ws = tauri::async_runtime::block_on(state.open_workspace(file)).unwrap();
        assert_eq!(ws.config.workspace.name, "first");
        assert_eq!(state.workspace().unwrap().config.workspace.name, "first");

        let e = tauri::async_runtime::block_on(
            state.open_workspace(second.path().join("missing.toml")),
        )
        .unwrap_err();
        assert_eq!(e.code, tollgate::Code::Config);
        assert_eq!(state.workspace().unwrap().config.workspace.name, "first");

        let file = write_workspace(second.path(), "second");
        tauri::async_runtime::block_on(state.open_workspace(file)).unwrap();
        assert_eq!(state.workspace().unwrap().config.workspace.name, "second");
    }

    #[test]
    fn the_demo_goes_into_a_fresh_folder_of_the_data_dir() {
        let data = tempfile::tempdir().unwrap();
        let state = AppState::with_workspace(
            Err(Error::config("no workspace is open")),
            test_ctx(),
            Some(data.path().to_path_buf()),
        );
        let (ws, _) = tauri::async_runtime::block_on(state.open_demo()).unwrap();
        assert_eq!(ws.config_path, data.path().join("demo/tollgate.toml"));
        let (ws, _) = tauri::async_runtime::block_on(state.open_demo()).unwrap();
        assert_eq!(ws.config_path, data.path().join("demo-2/tollgate.toml"));
        let rows =
            tauri::async_runtime::block_on(state.blocking(|ws, _| tollgate::api::status(ws, None)))
                .unwrap();
        assert!(rows.iter().any(|r| r.drift), "the demo has drift");
    }

    #[test]
    fn fresh_dir_skips_folders_in_use_but_takes_empty_ones() {
        let base = tempfile::tempdir().unwrap();
        assert_eq!(fresh_dir(base.path(), "demo"), base.path().join("demo"));
        std::fs::create_dir(base.path().join("demo")).unwrap();
        assert_eq!(fresh_dir(base.path(), "demo"), base.path().join("demo"));
        std::fs::write(base.path().join("demo/x"), "x").unwrap();
        std::fs::create_dir(base.path().join("demo-2")).unwrap();
        std::fs::write(base.path().join("demo-2/x"), "x").unwrap();
        assert_eq!(fresh_dir(base.path(), "demo"), base.path().join("demo-3"));
    }

    /// A history with one record of `api` in dev, at `at`.
    fn record(ws: &Workspace, at: &str) {
        let mut store = tollgate::store::Store::open(&ws.db_path).unwrap();
        store
            .append(vec![tollgate::domain::NewEvent {
                at: tollgate::domain::parse_time(at).unwrap(),
                kind: tollgate::domain::EventKind::Record,
                app: "api".into(),
                env: "dev".into(),
                digest: Some(tollgate::domain::Digest::of(at.as_bytes())),
                actor: Some("ci".into()),
                data: serde_json::json!({}),
            }])
            .unwrap();
    }

    fn since(o: &Overview) -> Option<String> {
        o.cells[0].status.since.map(|t| t.to_rfc3339())
    }

    #[test]
    fn the_prefetched_overview_serves_the_first_call_only() {
        let dir = tempfile::tempdir().unwrap();
        let file = write_workspace(dir.path(), "payments");
        let state = AppState::with_workspace(Workspace::load(&file, None), test_ctx(), None);
        let ws = state.workspace().unwrap();
        record(&ws, "2025-11-20T09:00:00Z");
        state.prefetch_overview();
        // Wait for it, then change the history behind its back: the first call still gets the
        // prefetched overview, the next one computes the new state.
        std::thread::sleep(Duration::from_millis(300));
        while state
            .prefetched
            .slot()
            .as_ref()
            .is_some_and(|p| !p.result.inner().is_finished())
        {
            std::thread::sleep(Duration::from_millis(10));
        }
        record(&ws, "2025-11-21T09:00:00Z");
        let first = tauri::async_runtime::block_on(state.overview()).unwrap();
        assert_eq!(since(&first).as_deref(), Some("2025-11-20T09:00:00+00:00"));
        let second = tauri::async_runtime::block_on(state.overview()).unwrap();
        assert_eq!(since(&second).as_deref(), Some("2025-11-21T09:00:00+00:00"));
    }

    #[test]
    fn another_command_or_workspace_or_time_makes_the_prefetch_unusable() {
        let dir = tempfile::tempdir().unwrap();
        let file = write_workspace(dir.path(), "payments");
        let state = AppState::with_workspace(Workspace::load(&file, None), test_ctx(), None);
        let ws = state.workspace().unwrap();
        record(&ws, "2025-11-20T09:00:00Z");

        // workspace_info does not touch it; sync (any other command) drops it.
        state.prefetch_overview();
        state.command_started("workspace_info");
        assert!(state.prefetched.slot().is_some());
        state.command_started("sync");
        assert!(state.prefetched.slot().is_none());

        // Another workspace opened since: computed anew on the one open now.
        state.prefetch_overview();
        let other = tempfile::tempdir().unwrap();
        tauri::async_runtime::block_on(
            state.open_workspace(write_workspace(other.path(), "other")),
        )
        .unwrap();
        let o = tauri::async_runtime::block_on(state.overview()).unwrap();
        assert_eq!(since(&o), None, "the other workspace has no history");

        // Too old: computed anew.
        state.prefetch_overview();
        state.prefetched.slot().as_mut().unwrap().started -= crate::prefetch::FRESH;
        record(&state.workspace().unwrap(), "2025-11-22T09:00:00Z");
        let o = tauri::async_runtime::block_on(state.overview()).unwrap();
        assert_eq!(since(&o).as_deref(), Some("2025-11-22T09:00:00+00:00"));
    }
}
