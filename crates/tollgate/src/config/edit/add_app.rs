//! Add an `[[apps]]` entry with its environments (each a registry tag).

use std::path::Path;

use serde::Deserialize;
use toml_edit::{value, Array, InlineTable, Table, Value};
use ts_rs::TS;

use super::{append_table, listed, parse, ConfigEdit};
use crate::{Error, Result};

/// An app to add: its name, its repository (`<registry name>/<path>`) and its environments in
/// promotion order.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
#[ts(export)]
pub struct NewApp {
    pub name: String,
    pub repository: String,
    pub environments: Vec<NewEnvironment>,
}

/// One environment of a new app: the registry tag that says what runs there.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
#[ts(export)]
pub struct NewEnvironment {
    pub name: String,
    pub tag: String,
}

/// `text` (the tollgate.toml at `path`) with `new` appended after the last app.
pub fn add_app(path: &Path, text: &str, new: &NewApp) -> Result<ConfigEdit> {
    let name = new.name.trim();
    if name.is_empty() {
        return Err(Error::bad_input("the app has no name; name it (e.g. api)"));
    }
    if new.environments.is_empty() {
        return Err(Error::bad_input(format!(
            "app '{name}' has no environments; add at least one (e.g. dev with tag dev)"
        )));
    }
    let mut doc = parse(path, text)?;
    if listed(&doc, "apps", "name").iter().any(|n| n == name) {
        return Err(Error::bad_input(format!(
            "app '{name}' is already in tollgate.toml; choose another name"
        )));
    }
    let mut envs = Array::new();
    for env in &new.environments {
        let mut t = InlineTable::new();
        t.insert("name", env.name.trim().into());
        t.insert("tag", env.tag.trim().into());
        let mut v = Value::InlineTable(t);
        v.decor_mut().set_prefix("\n  ");
        envs.push_formatted(v);
    }
    envs.set_trailing_comma(true);
    envs.set_trailing("\n");
    let mut table = Table::new();
    table.insert("name", value(name));
    table.insert("repository", value(new.repository.trim()));
    table.insert("environments", value(envs));
    append_table(&mut doc, "apps", table)?;
    let names: Vec<&str> = new.environments.iter().map(|e| e.name.trim()).collect();
    ConfigEdit::new(
        path,
        text.to_string(),
        doc.to_string(),
        format!(
            "add app '{name}' ({}: {})",
            new.repository.trim(),
            names.join(" → ")
        ),
    )
}
