fn main() {
    // Declaring the app's commands here makes Tauri generate an `allow-<command>` permission for
    // each and deny every command that no capability grants (capabilities/default.json).
    // Keep this list equal to `commands!` in src/commands.rs: a unit test checks the capability side.
    let manifest = tauri_build::AppManifest::new().commands(&[
        "status",
        "workspace_info",
        "overview",
        "sync",
        "timeline",
        "digest_detail",
        "check_promotion",
        "release_diff",
        "approve",
        "promote",
        "rollback",
        "key_init",
        "key_show",
        "key_rotate",
        "registries",
        "login",
        "choose_workspace",
        "recent_workspaces",
        "open_workspace",
        "open_demo",
        "reveal_file",
        "signer",
        "export_report",
        "choose_export_path",
        "reject",
        "unreject",
        "rejections",
        "team_status",
        "overview_at",
    ]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri-build failed");
}
