use std::path::Path;

use crate::{Error, Result};

const STARTER: &str = include_str!("starter.toml");

/// Write a starter tollgate.toml at `path`; an existing file is never overwritten.
#[tracing::instrument]
pub fn init(path: &Path) -> Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Error::bad_input(format!(
                    "{} already exists; edit it, or pass --config with another path",
                    path.display()
                ))
            } else {
                Error::bad_input(format!("cannot create {}: {e}", path.display()))
            }
        })?;
    f.write_all(STARTER.as_bytes())?;
    Ok(())
}
