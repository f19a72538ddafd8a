// Generated from src-tauri/src/commands.rs by `cargo test -p tollgate-app export_bindings`. Do not edit.
import type { StatusRow } from "./StatusRow";
import type { WorkspaceInfo } from "./WorkspaceInfo";

/** Every command the app declares: its arguments and what it resolves to. */
export type Commands = {
  status: { args: {}; result: Array<StatusRow> };
  workspace_info: { args: {}; result: WorkspaceInfo };
};
