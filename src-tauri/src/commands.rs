//! Every command the UI may call. Each body is a one-line adapter over the core API
//! (`tollgate::api`); blocking work goes through [`AppState::blocking`](crate::state::AppState::blocking).
//! To add one: declare it here, add it to `build.rs`, grant `allow-<name>` in
//! `capabilities/default.json`, and run `cargo test -p tollgate-app export_bindings`.

use serde::Serialize;
use tollgate::domain::StatusRow;
use ts_rs::TS;

use crate::ipc::commands;

/// Which workspace the window shows.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct WorkspaceInfo {
    pub name: String,
    /// The tollgate.toml it was loaded from (absolute).
    pub config_path: String,
    /// The history database it uses.
    pub db_path: String,
}

commands! {
    /// Current digest per app and environment, with drift flags (`tollgate status`).
    async fn status(state) -> Vec<StatusRow> {
        state.blocking(|ws| tollgate::api::status(ws, None)).await
    }

    /// The open workspace, or a `config` error saying why there is none.
    async fn workspace_info(state) -> WorkspaceInfo {
        state.workspace().map(|ws| WorkspaceInfo {
            name: ws.config.workspace.name.clone(),
            config_path: ws.config_path.display().to_string(),
            db_path: ws.db_path.display().to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    /// Writes `Commands.ts` next to the other bindings (`TS_RS_EXPORT_DIR`, set in .cargo/config.toml).
    #[test]
    fn export_bindings_commands() {
        let dir = PathBuf::from(
            std::env::var("TS_RS_EXPORT_DIR").unwrap_or_else(|_| "./bindings".into()),
        );
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("Commands.ts"), typescript()).unwrap();
    }

    #[test]
    fn typescript_map_names_every_command_and_imports_its_types() {
        let ts = typescript();
        assert!(
            ts.contains("  status: { args: {}; result: Array<StatusRow> };"),
            "{ts}"
        );
        assert!(
            ts.contains("import type { StatusRow } from \"./StatusRow\";"),
            "{ts}"
        );
        assert!(
            ts.contains("import type { WorkspaceInfo } from \"./WorkspaceInfo\";"),
            "{ts}"
        );
    }

    /// Least privilege: the main window is granted exactly the declared commands (plus core events).
    #[test]
    fn capability_grants_exactly_the_declared_commands() {
        let text = include_str!("../capabilities/default.json");
        let cap: serde_json::Value = serde_json::from_str(text).unwrap();
        let mut granted: Vec<String> = cap["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| {
                p.as_str()?
                    .strip_prefix("allow-")
                    .map(|c| c.replace('-', "_"))
            })
            .collect();
        granted.sort();
        let mut declared: Vec<String> = NAMES.iter().map(|n| n.to_string()).collect();
        declared.sort();
        assert_eq!(granted, declared);
        let build_rs = include_str!("../build.rs");
        for name in NAMES {
            assert!(
                build_rs.contains(&format!("\"{name}\"")),
                "build.rs does not list command {name}"
            );
        }
    }
}
