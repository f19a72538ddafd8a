//! Tollgate desktop app: a thin Tauri 2 shell over the `tollgate` core API.
//!
//! - [`state`]: the one managed [`state::AppState`] (the workspace this window shows).
//! - [`commands`]: every command the UI may call, declared once; each is a one-line adapter.
//! - [`ipc`]: the `commands!` macro that registers them and writes their TypeScript map.
//! - [`logging`]: stderr plus a rolling log file in the app's log directory.

// A release build on Windows gets no console window.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod ipc;
mod logging;
mod state;

use std::path::PathBuf;

use clap::Parser;
use tauri::Manager;

/// Tollgate: what runs where, and signed promotions of exact image digests.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The workspace file (tollgate.toml) to open; default: $TOLLGATE_CONFIG.
    #[arg(long, value_name = "FILE")]
    workspace: Option<PathBuf>,
}

fn main() {
    let args = Args::parse();
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .setup(move |app| {
            logging::init(app.path().app_log_dir().ok());
            let state =
                state::AppState::open(args.workspace.as_deref(), app.path().app_data_dir().ok());
            // Finish or fail what a process that died mid-promotion left open, before the UI
            // shows anything (errors are logged; the UI gets them from its own commands).
            if let Ok(ws) = state.workspace() {
                let _ = tauri::async_runtime::block_on(state::recover(&ws, &state.ctx));
            }
            app.manage(state);
            Ok(())
        })
        .invoke_handler(commands::handler())
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("tollgate-app: cannot start the window: {e}");
        std::process::exit(1);
    }
}
