//! `tollgate init`: write a starter tollgate.toml.

use std::path::Path;

use tollgate::api;
use tollgate::config::Workspace;
use tollgate::Result;

pub fn run(config: Option<&Path>) -> Result<i32> {
    let path = Workspace::locate(config);
    api::init(&path)?;
    say!("wrote {}", path.display());
    Ok(0)
}
