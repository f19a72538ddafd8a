//! Edits of tollgate.toml made from Settings and the CLI (`tollgate registry add`,
//! `tollgate approver add`): each takes the file's text and returns a [`ConfigEdit`], the new
//! text with every comment, blank line and table order of the old one kept (`toml_edit`), the
//! line diff a confirmation shows, and the proof that the new text loads: it is parsed and
//! validated by [`Workspace::from_str`] before anything is written. [`ConfigEdit::write`] then
//! replaces the file atomically (a temporary file in the same folder, renamed over it), and only
//! if the file still holds the text the edit was made from.
//!
//! One file per edit: [`add_registry`], [`add_app`], [`add_approver`].

mod add_app;
mod add_approver;
mod add_registry;

pub use add_app::{add_app, NewApp, NewEnvironment};
pub use add_approver::{add_approver, NewApprover};
pub use add_registry::{add_registry, NewRegistry};

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use toml_edit::DocumentMut;
use ts_rs::TS;

use crate::config::Workspace;
use crate::{Error, Result};

/// A change of tollgate.toml, made and checked but not written yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ConfigEdit {
    /// The tollgate.toml it changes (absolute).
    pub config_path: String,
    /// What it does, in one line ("add registry 'hub' (https://hub.example.com)").
    pub summary: String,
    /// The changed lines with three lines of context, `-` removed and `+` added.
    pub diff: String,
    /// The whole file after the edit.
    #[serde(skip)]
    #[ts(skip)]
    pub after: String,
    /// The whole file the edit was made from.
    #[serde(skip)]
    #[ts(skip)]
    pub before: String,
}

impl ConfigEdit {
    /// The edit of `path` from `before` to `after`, refused (`config`, naming what is wrong)
    /// when `after` does not load as a workspace.
    pub fn new(path: &Path, before: String, after: String, summary: String) -> Result<Self> {
        Workspace::from_str(&after, path, None).map_err(|e| {
            Error::config(format!(
                "the edit would make tollgate.toml invalid, so nothing was written: {}",
                e.message
            ))
        })?;
        let diff = similar::TextDiff::from_lines(&before, &after)
            .unified_diff()
            .context_radius(3)
            .header("tollgate.toml", "tollgate.toml (edited)")
            .to_string();
        Ok(ConfigEdit {
            config_path: path.display().to_string(),
            summary,
            diff,
            after,
            before,
        })
    }

    /// Replace the file with the edited text: written to a temporary file next to it, then
    /// renamed over it, so a reader sees the old file or the new one, never half of one.
    /// Refused (`refused`) when the file changed since the edit was made.
    pub fn write(&self) -> Result<()> {
        let path = PathBuf::from(&self.config_path);
        let now = std::fs::read_to_string(&path)
            .map_err(|e| Error::config(format!("cannot read {}: {e}", path.display())))?;
        if now != self.before {
            return Err(Error::refused(format!(
                "{} changed on disk since this edit was prepared; nothing was written: make the edit again",
                path.display()
            )));
        }
        write_atomically(&path, &self.after)
    }
}

/// `text` as an editable document, or a `config` error naming the line.
pub(crate) fn parse(path: &Path, text: &str) -> Result<DocumentMut> {
    text.parse::<DocumentMut>().map_err(|e| {
        Error::config(format!(
            "{}: {}; fix the file first",
            path.display(),
            e.to_string().lines().next().unwrap_or("not valid TOML")
        ))
    })
}

/// Append `table` to the array of tables `key` (`[[key]]`), right after its last entry (new
/// tables go to the end of the file when there is none), with a blank line before it.
pub(crate) fn append_table(
    doc: &mut DocumentMut,
    key: &str,
    mut table: toml_edit::Table,
) -> Result<()> {
    table.decor_mut().set_prefix("\n");
    let item = doc
        .entry(key)
        .or_insert_with(|| toml_edit::Item::ArrayOfTables(toml_edit::ArrayOfTables::new()));
    let Some(array) = item.as_array_of_tables_mut() else {
        return Err(Error::config(format!(
            "tollgate.toml writes `{key}` as something else than [[{key}]] tables; write it with [[{key}]] to edit it from here"
        )));
    };
    if array.is_empty() {
        // toml_edit orders tables without a position after the previous one it renders; a first
        // entry goes to the end of the file.
        table.set_position(None);
    }
    array.push(table);
    Ok(())
}

/// The names in `[[key]]` entries' `field` (e.g. every registry's `name`).
pub(crate) fn listed(doc: &DocumentMut, key: &str, field: &str) -> Vec<String> {
    doc.get(key)
        .and_then(|i| i.as_array_of_tables())
        .map(|a| {
            a.iter()
                .filter_map(|t| t.get(field).and_then(|v| v.as_str()).map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn write_atomically(path: &Path, text: &str) -> Result<()> {
    let failed = |e: std::io::Error| {
        Error::config(format!(
            "cannot write {}: {e}; nothing was changed",
            path.display()
        ))
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "tollgate.toml".into());
    let tmp = path.with_file_name(format!(".{file_name}.edit"));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        if let Ok(meta) = std::fs::metadata(path) {
            std::fs::set_permissions(&tmp, meta.permissions())?;
        }
        std::fs::rename(&tmp, path)
    })();
    written.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        failed(e)
    })
}

#[cfg(test)]
mod tests;
