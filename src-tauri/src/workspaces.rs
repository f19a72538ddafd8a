//! Which tollgate.toml the page may open, without ever naming a path itself (a page that could
//! would open any file it likes, and with it a database and registries of its choosing):
//!
//! - a file the person chose in the native open dialog that the Rust side opened
//!   (`choose_workspace`), kept here under an opaque token that `open_workspace` accepts once;
//! - an entry of the recent-workspaces list, which only Rust writes: a small JSON file in the
//!   app's data folder (`recent-workspaces.json`), recorded each time a workspace opens, newest
//!   first, at most [`RECENT_MAX`] entries.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tollgate::config::Workspace;
use tollgate::{Code, Error, Result};
use ts_rs::TS;

use crate::requests::OpenWorkspaceRequest;

/// How many recent workspaces are kept.
pub const RECENT_MAX: usize = 10;
/// The file of the recent list, in the app's data folder.
pub const RECENT_FILE: &str = "recent-workspaces.json";

/// A workspace opened before, as the first-start screen and Settings list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RecentWorkspace {
    /// The tollgate.toml (absolute): what `open_workspace` accepts as `recent`.
    pub path: String,
    /// Its `[workspace] name` when it was last opened.
    pub name: String,
    /// When it was last opened.
    #[ts(type = "string")]
    pub opened_at: DateTime<Utc>,
}

/// The file the person chose in the open dialog: `token` is what `open_workspace` accepts
/// (once), `path` is for showing only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ChosenWorkspace {
    pub token: String,
    pub path: String,
}

/// The chosen files not opened yet, and where the recent list lives.
pub struct Workspaces {
    chosen: Mutex<HashMap<String, PathBuf>>,
    next: AtomicU64,
    /// `None` when the app has no data folder: nothing is remembered.
    recent_file: Option<PathBuf>,
}

impl Workspaces {
    pub fn new(data_dir: Option<&Path>) -> Self {
        Workspaces {
            chosen: Mutex::default(),
            next: AtomicU64::new(0),
            recent_file: data_dir.map(|d| d.join(RECENT_FILE)),
        }
    }

    /// Keep `path`, chosen in the native open dialog; what the page gets for it.
    pub fn issue(&self, path: PathBuf) -> ChosenWorkspace {
        let token = format!(
            "workspace-{}",
            self.next.fetch_add(1, Ordering::Relaxed) + 1
        );
        let shown = path.display().to_string();
        lock(&self.chosen).insert(token.clone(), path);
        ChosenWorkspace { token, path: shown }
    }

    /// The file `req` names: the one behind its token (used up), or its entry of the recent
    /// list. Anything else is a `forbidden` error, and nothing is opened.
    pub fn resolve(&self, req: &OpenWorkspaceRequest) -> Result<PathBuf> {
        match (&req.token, &req.recent) {
            (Some(token), None) => lock(&self.chosen).remove(token).ok_or_else(|| {
                Error::new(
                    Code::Forbidden,
                    format!("{token:?} is not a file chosen in the open dialog; choose the tollgate.toml again (Open tollgate.toml…)"),
                )
            }),
            (None, Some(path)) => {
                if self.recent().iter().any(|r| &r.path == path) {
                    Ok(PathBuf::from(path))
                } else {
                    Err(Error::new(
                        Code::Forbidden,
                        format!("{path} is not one of the recent workspaces; open it with Open tollgate.toml…"),
                    ))
                }
            }
            _ => Err(Error::bad_input(
                "name either the token of a file chosen in the open dialog or a recent workspace, not both or neither",
            )),
        }
    }

    /// The recent workspaces, newest first (empty when none were recorded, or the file is
    /// unreadable: it is rewritten at the next open).
    pub fn recent(&self) -> Vec<RecentWorkspace> {
        let Some(file) = &self.recent_file else {
            return Vec::new();
        };
        match std::fs::read(file) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::warn!(file = %file.display(), "the recent workspaces list is unreadable ({e}); starting a new one");
                Vec::new()
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => {
                tracing::warn!(file = %file.display(), "cannot read the recent workspaces list: {e}");
                Vec::new()
            }
        }
    }

    /// Put `ws` first in the recent list. A list that cannot be written is logged, never an
    /// error: the workspace is open either way.
    pub fn record(&self, ws: &Workspace, at: DateTime<Utc>) {
        let Some(file) = &self.recent_file else {
            return;
        };
        let entry = RecentWorkspace {
            path: ws.config_path.display().to_string(),
            name: ws.config.workspace.name.clone(),
            opened_at: at,
        };
        let list = with_first(self.recent(), entry);
        if let Err(e) = write_atomically(file, &list) {
            tracing::warn!(file = %file.display(), "cannot write the recent workspaces list: {e}");
        }
    }
}

/// `list` with `entry` first, its older entry for the same file dropped, at most [`RECENT_MAX`].
pub fn with_first(list: Vec<RecentWorkspace>, entry: RecentWorkspace) -> Vec<RecentWorkspace> {
    let others = list.into_iter().filter(|r| r.path != entry.path);
    let mut out: Vec<RecentWorkspace> = std::iter::once(entry.clone()).chain(others).collect();
    out.truncate(RECENT_MAX);
    out
}

fn write_atomically(file: &Path, list: &[RecentWorkspace]) -> std::io::Result<()> {
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = file.with_extension("json.tmp");
    let text = serde_json::to_vec_pretty(list).map_err(std::io::Error::other)?;
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, file)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn entry(path: &str, minute: u32) -> RecentWorkspace {
        RecentWorkspace {
            path: path.into(),
            name: "w".into(),
            opened_at: Utc.with_ymd_and_hms(2026, 12, 1, 9, minute, 0).unwrap(),
        }
    }

    #[test]
    fn the_newest_is_first_each_file_once_and_ten_at_most() {
        let mut list = Vec::new();
        for i in 0..12 {
            list = with_first(list, entry(&format!("/w/{i}/tollgate.toml"), i));
        }
        assert_eq!(list.len(), RECENT_MAX);
        assert_eq!(list[0].path, "/w/11/tollgate.toml");
        assert_eq!(list[9].path, "/w/2/tollgate.toml");
        let list = with_first(list, entry("/w/5/tollgate.toml", 30));
        assert_eq!(list.len(), RECENT_MAX);
        assert_eq!(list[0], entry("/w/5/tollgate.toml", 30));
        assert_eq!(
            list.iter()
                .filter(|r| r.path == "/w/5/tollgate.toml")
                .count(),
            1
        );
    }

    fn request(token: Option<&str>, recent: Option<&str>) -> OpenWorkspaceRequest {
        OpenWorkspaceRequest {
            token: token.map(String::from),
            recent: recent.map(String::from),
        }
    }

    #[test]
    fn only_a_token_once_or_a_recent_entry_is_opened() {
        let data = tempfile::tempdir().unwrap();
        let w = Workspaces::new(Some(data.path()));
        let chosen = w.issue(PathBuf::from("/home/me/payments/tollgate.toml"));
        assert_eq!(chosen.path, "/home/me/payments/tollgate.toml");
        assert_eq!(
            w.resolve(&request(Some(&chosen.token), None)).unwrap(),
            PathBuf::from("/home/me/payments/tollgate.toml")
        );
        let again = w.resolve(&request(Some(&chosen.token), None)).unwrap_err();
        assert_eq!(again.code, Code::Forbidden, "a token is used once");
        let path = w
            .resolve(&request(Some("/etc/tollgate.toml"), None))
            .unwrap_err();
        assert_eq!(path.code, Code::Forbidden, "a path is not a token");
        let not_recent = w
            .resolve(&request(None, Some("/etc/tollgate.toml")))
            .unwrap_err();
        assert_eq!(not_recent.code, Code::Forbidden);
        assert!(
            not_recent
                .message
                .contains("not one of the recent workspaces"),
            "{}",
            not_recent.message
        );
        assert_eq!(
            w.resolve(&request(None, None)).unwrap_err().code,
            Code::BadInput
        );

        // Recorded when it opens, then accepted from the list.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tollgate.toml");
        std::fs::write(
            &file,
            "[workspace]\nname = \"payments\"\ndatabase = \"h.db\"\n",
        )
        .unwrap();
        let ws = Workspace::load(&file, None).unwrap();
        w.record(&ws, Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap());
        let recent = w.recent();
        assert_eq!(recent.len(), 1);
        assert_eq!(recent[0].name, "payments");
        assert_eq!(
            w.resolve(&request(None, Some(&recent[0].path))).unwrap(),
            PathBuf::from(&recent[0].path)
        );
        assert!(data.path().join(RECENT_FILE).is_file());

        // Without a data folder nothing is remembered.
        let none = Workspaces::new(None);
        none.record(&ws, Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap());
        assert!(none.recent().is_empty());
    }
}
