//! tollgate.toml edited on disk while the window shows it: the page asks every two seconds
//! (`workspace_reload`) and the answer is computed here from a cheap look at the file: its
//! modification time and size first, and only when one of them moved its SHA-256 (an editor
//! that saves the same bytes, or `touch`, reloads nothing). Polling from the page was chosen
//! over a file-watching crate (`notify`): it needs no thread, no new dependency and no event
//! channel to the page, works the same on every platform and on network folders, and sees an
//! editor's save-by-rename, which replaces the watched file.
//!
//! A changed file that loads replaces the workspace (the views start over on it); one that does
//! not keeps the last good one in use, and says why once.

use std::path::Path;
use std::time::SystemTime;

use serde::Serialize;
use sha2::{Digest as _, Sha256};
use ts_rs::TS;

/// What the file looked like when it was last read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    sha256: [u8; 32],
}

impl Stamp {
    /// The file at `path` now, or `None` when it cannot be read.
    pub fn of(path: &Path) -> Option<Stamp> {
        let meta = std::fs::metadata(path).ok()?;
        let bytes = std::fs::read(path).ok()?;
        Some(Stamp {
            modified: meta.modified().ok(),
            len: meta.len(),
            sha256: Sha256::digest(&bytes).into(),
        })
    }

    /// Whether the file at `path` may differ from this stamp: its time or size moved (cheap:
    /// no read). `false` when it cannot be looked at (a save in progress; asked again later).
    pub fn moved(&self, path: &Path) -> bool {
        std::fs::metadata(path)
            .is_ok_and(|m| m.modified().ok() != self.modified || m.len() != self.len)
    }

    /// Whether `other` holds other bytes than this one.
    pub fn differs(&self, other: &Stamp) -> bool {
        self.sha256 != other.sha256
    }
}

/// What `workspace_reload` tells the page: `null` when the file did not change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ConfigReload {
    /// The changed file loaded and is in use now.
    pub reloaded: bool,
    /// One line to show: "tollgate.toml changed on disk: reloaded", or why the change does not
    /// load (the last good version stays in use).
    pub message: String,
}

impl ConfigReload {
    pub fn reloaded() -> Self {
        ConfigReload {
            reloaded: true,
            message: "tollgate.toml changed on disk: reloaded".into(),
        }
    }

    pub fn refused(why: &str) -> Self {
        ConfigReload {
            reloaded: false,
            message: format!(
                "tollgate.toml changed on disk but does not load, so the last good version stays in use: {}",
                why.lines().next().unwrap_or(why)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_other_bytes_count_as_a_change() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tollgate.toml");
        std::fs::write(&file, "a = 1\n").unwrap();
        let first = Stamp::of(&file).unwrap();
        assert!(!first.moved(&file));
        std::fs::write(&file, "a = 2\n# longer\n").unwrap();
        assert!(first.moved(&file));
        let second = Stamp::of(&file).unwrap();
        assert!(first.differs(&second));
        // Written again with the same bytes: its time may move, its hash does not.
        std::fs::write(&file, "a = 2\n# longer\n").unwrap();
        assert!(!second.differs(&Stamp::of(&file).unwrap()));
        assert!(Stamp::of(&dir.path().join("missing.toml")).is_none());
    }
}
