//! The export allow-list: which files the page may have written and shown, without ever naming
//! a path itself.
//!
//! - A report is written only to a file the person chose in a native save dialog that the Rust
//!   side opened (`choose_export_path`): the dialog's choice is kept here under an opaque token,
//!   the page gets the token, and `export` accepts a token once, never a path.
//! - `reveal_file` shows in the file manager only files this window exported.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use tollgate::api::{ExportRequest, ExportSummary};
use tollgate::{Code, Error, Result};

use crate::dialogs::Dialogs;
use crate::requests::{ChooseExportRequest, ExportTarget, ExportToChosenRequest};
use crate::state::{run_blocking, AppState};

#[derive(Default)]
pub struct Exports {
    /// Files chosen in the save dialog and not written yet, by token.
    chosen: Mutex<HashMap<String, PathBuf>>,
    next: AtomicU64,
    /// Reports this window wrote: the only files `reveal_file` will show.
    written: Mutex<Vec<PathBuf>>,
}

impl Exports {
    /// Keep `path`, chosen in the native save dialog; the token that stands for it.
    pub fn issue(&self, path: PathBuf) -> String {
        let token = format!("export-{}", self.next.fetch_add(1, Ordering::Relaxed) + 1);
        lock(&self.chosen).insert(token.clone(), path);
        token
    }

    /// The file behind `token`, which can be used once; a `forbidden` error for any other token.
    pub fn take(&self, token: &str) -> Result<PathBuf> {
        lock(&self.chosen).remove(token).ok_or_else(|| {
            Error::new(
                Code::Forbidden,
                format!("{token:?} is not a file chosen in the save dialog; choose where to save the report again"),
            )
        })
    }

    /// Remember a file this window exported, so that it may be shown in the file manager.
    pub fn remember(&self, path: PathBuf) {
        lock(&self.written).push(path);
    }

    /// `path` if this window exported it; otherwise a `forbidden` error.
    pub fn written(&self, path: &str) -> Result<PathBuf> {
        let path = PathBuf::from(path);
        if lock(&self.written).contains(&path) {
            Ok(path)
        } else {
            Err(Error::new(
                Code::Forbidden,
                format!(
                    "{} was not exported from this window; Tollgate only shows its own reports in the file manager",
                    path.display()
                ),
            ))
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The native save dialog for a report; what the person chose, kept under a new token.
pub async fn choose_target(
    state: &AppState,
    dialogs: std::sync::Arc<dyn Dialogs>,
    req: ChooseExportRequest,
) -> Result<Option<ExportTarget>> {
    let extension = req.format.as_str();
    let chosen = run_blocking(move || {
        Ok(dialogs.save_file("Save audit report", &req.suggested_name, extension))
    })
    .await?;
    Ok(chosen.map(|path| ExportTarget {
        path: path.display().to_string(),
        token: state.exports.issue(path),
    }))
}

/// `export` to the file behind `req.target` (used up), remembered for `reveal_file`.
pub async fn export_to_chosen(
    state: &AppState,
    req: ExportToChosenRequest,
) -> Result<ExportSummary> {
    let out = state.exports.take(&req.target)?;
    let export = ExportRequest {
        format: req.format,
        app: req.app,
        env: req.env,
        since: req.since,
        until: req.until,
        out: out.clone(),
    };
    let summary = state
        .blocking(move |ws, ctx| tollgate::api::export(ws, ctx, export))
        .await?;
    state.exports.remember(out);
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_exported_files_may_be_revealed() {
        let exports = Exports::default();
        let e = exports.written("/etc/passwd").unwrap_err();
        assert_eq!(e.code, Code::Forbidden);
        exports.remember(PathBuf::from("/tmp/report.pdf"));
        assert_eq!(
            exports.written("/tmp/report.pdf").unwrap(),
            PathBuf::from("/tmp/report.pdf")
        );
    }

    #[test]
    fn a_token_stands_for_the_chosen_file_once_and_nothing_else_is_accepted() {
        let exports = Exports::default();
        let a = exports.issue(PathBuf::from("/tmp/a.pdf"));
        let b = exports.issue(PathBuf::from("/tmp/b.pdf"));
        assert_ne!(a, b);
        assert_eq!(exports.take(&b).unwrap(), PathBuf::from("/tmp/b.pdf"));
        assert_eq!(exports.take(&b).unwrap_err().code, Code::Forbidden);
        let e = exports.take("/etc/passwd").unwrap_err();
        assert_eq!(e.code, Code::Forbidden);
        assert!(e.message.contains("choose where to save"), "{}", e.message);
        assert_eq!(exports.take(&a).unwrap(), PathBuf::from("/tmp/a.pdf"));
    }
}
