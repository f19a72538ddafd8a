//! The overview prefetch: the overview of the workspace the window opens with, computed on the
//! blocking pool while the web view starts, so that the first `overview` call (the landing
//! view's) finds it ready or under way instead of starting it only once the page has loaded
//! (on a 1,000,000-event history the overview takes most of the start).
//!
//! It serves only that first call, only within [`FRESH`] of its start, only for the workspace it
//! was computed on, and only if no other command ran before (any command but `overview` and
//! `workspace_info` may change what the overview shows); otherwise the overview is computed anew.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tollgate::api::Overview;
use tollgate::config::Workspace;
use tollgate::Result;

/// How long a prefetched overview may stand in for the first `overview` call (counted from when
/// its computation started).
pub const FRESH: Duration = Duration::from_secs(5);

/// One overview under way or done.
pub(crate) struct Pending {
    workspace: Arc<Workspace>,
    pub(crate) started: Instant,
    pub(crate) result: tauri::async_runtime::JoinHandle<Result<Overview>>,
}

#[derive(Default)]
pub struct Prefetch(Mutex<Option<Pending>>);

impl Prefetch {
    /// Start computing the overview of `workspace` now, on the blocking pool.
    pub fn start(&self, workspace: Arc<Workspace>, ctx: tollgate::api::Context) {
        let ws = workspace.clone();
        let result =
            tauri::async_runtime::spawn_blocking(move || tollgate::api::overview(&ws, &ctx));
        *self.slot() = Some(Pending {
            workspace,
            started: Instant::now(),
            result,
        });
    }

    /// Command `name` starts: unless it only reads the overview or the workspace (or looks
    /// whether tollgate.toml changed: a reload replaces the workspace, which drops it), the
    /// prefetched overview may be stale and is dropped.
    pub fn command_started(&self, name: &str) {
        if !matches!(name, "overview" | "workspace_info" | "workspace_reload") {
            self.slot().take();
        }
    }

    /// The prefetched overview of `ws`, if it may still be served (it is used up either way).
    pub async fn take(&self, ws: &Arc<Workspace>) -> Option<Overview> {
        let p = self.slot().take()?;
        if !Arc::ptr_eq(&p.workspace, ws) || p.started.elapsed() >= FRESH {
            return None;
        }
        match p.result.await {
            Ok(Ok(overview)) => Some(overview),
            // Computed again by the caller, to report its error as any other call would.
            Ok(Err(e)) => {
                tracing::debug!("the prefetched overview failed: {}", e.message);
                None
            }
            Err(e) => {
                tracing::debug!("the overview prefetch stopped: {e}");
                None
            }
        }
    }

    pub(crate) fn slot(&self) -> MutexGuard<'_, Option<Pending>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
