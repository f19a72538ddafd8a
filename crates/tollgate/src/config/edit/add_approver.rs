//! Add an `[[approvers]]` entry: an id, its roles and its public key.

use std::path::Path;

use serde::Deserialize;
use toml_edit::{value, Array, Table};
use ts_rs::TS;

use super::{append_table, listed, parse, ConfigEdit};
use crate::config::{validate_approver, validate_approver_id, ApproverConfig};
use crate::{Error, Result};

/// An approver to add. `key` is the OpenSSH public key line their `tollgate key show` prints.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
#[ts(export)]
pub struct NewApprover {
    pub id: String,
    pub roles: Vec<String>,
    pub key: String,
}

/// `text` (the tollgate.toml at `path`) with `new` appended after the last approver.
pub fn add_approver(path: &Path, text: &str, new: &NewApprover) -> Result<ConfigEdit> {
    let id = new.id.trim();
    validate_approver_id(id)?;
    let roles: Vec<&str> = new
        .roles
        .iter()
        .map(|r| r.trim())
        .filter(|r| !r.is_empty())
        .collect();
    let key = new.key.trim();
    validate_approver(&ApproverConfig {
        id: id.to_string(),
        roles: roles.iter().map(|r| r.to_string()).collect(),
        key: key.to_string(),
        previous_keys: Vec::new(),
    })
    .map_err(|e| Error::bad_input(e.message))?;
    let mut doc = parse(path, text)?;
    if listed(&doc, "approvers", "id").iter().any(|n| n == id) {
        return Err(Error::bad_input(format!(
            "approver '{id}' is already in tollgate.toml; edit their entry in the file instead"
        )));
    }
    if listed(&doc, "signers", "id").iter().any(|n| n == id) {
        return Err(Error::bad_input(format!(
            "'{id}' is a [[signers]] entry (a CI identity) of tollgate.toml; give the approver another id"
        )));
    }
    let mut table = Table::new();
    table.insert("id", value(id));
    table.insert("roles", value(roles.iter().copied().collect::<Array>()));
    table.insert("key", value(key));
    append_table(&mut doc, "approvers", table)?;
    let with = if roles.is_empty() {
        "no roles".to_string()
    } else {
        format!("roles {}", roles.join(", "))
    };
    ConfigEdit::new(
        path,
        text.to_string(),
        doc.to_string(),
        format!("add approver '{id}' ({with})"),
    )
}
