//! Add a `[[registries]]` entry.

use std::path::Path;

use serde::Deserialize;
use toml_edit::{value, Table};
use ts_rs::TS;

use super::{append_table, listed, parse, ConfigEdit};
use crate::{Error, Result};

/// A registry to add: its name (what `repository = "NAME/path"` starts with) and url.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
#[ts(export)]
pub struct NewRegistry {
    pub name: String,
    /// `https://host[:port]` (a bare `host[:port]` means https), `http://127.0.0.1:PORT`, or
    /// `oci:PATH`.
    pub url: String,
    /// Plain http to a host that is not loopback.
    #[serde(default)]
    pub insecure: bool,
}

impl NewRegistry {
    /// The url as tollgate.toml will hold it: `https://` added to a bare host, no trailing `/`.
    pub fn normalized_url(&self) -> String {
        let url = self.url.trim().trim_end_matches('/');
        if url.contains("://") || url.starts_with("oci:") {
            url.to_string()
        } else {
            format!("https://{url}")
        }
    }
}

/// `text` (the tollgate.toml at `path`) with `new` appended after the last registry.
pub fn add_registry(path: &Path, text: &str, new: &NewRegistry) -> Result<ConfigEdit> {
    let name = new.name.trim();
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(Error::bad_input(format!(
            "registry name {name:?} must be letters, digits, - _ . (e.g. hub); it starts the repository of each app (hub/team/api)"
        )));
    }
    let mut doc = parse(path, text)?;
    if listed(&doc, "registries", "name").iter().any(|n| n == name) {
        return Err(Error::bad_input(format!(
            "registry '{name}' is already in tollgate.toml; choose another name"
        )));
    }
    let url = new.normalized_url();
    let mut table = Table::new();
    table.insert("name", value(name));
    table.insert("url", value(&url));
    if new.insecure {
        table.insert("insecure", value(true));
    }
    append_table(&mut doc, "registries", table)?;
    ConfigEdit::new(
        path,
        text.to_string(),
        doc.to_string(),
        format!("add registry '{name}' ({url})"),
    )
}
