//! Tollgate desktop app: a thin Tauri 2 shell over the `tollgate` core API.
//!
//! - [`state`]: the one managed [`state::AppState`] (the workspace this window shows).
//! - [`commands`]: every command the UI may call, declared once; each is a one-line adapter.
//! - [`requests`]: the request types of the commands whose core function takes plain arguments.
//! - [`ipc`]: the `commands!` macro that registers them and writes their TypeScript map.
//! - `declared`: the command names read from commands.rs's text, for build.rs (Tauri's
//!   permissions), tested against the macro's own list.
//! - [`dialogs`]: the native dialogs the Rust side opens (open and save dialogs, confirmations).
//! - [`confirm`]: the native confirmation before anything is signed.
//! - [`workspaces`]: which tollgate.toml the page may open (chosen in the dialog, or recent).
//! - [`reload`]: tollgate.toml changed on disk, seen and loaded again.
//! - [`edits`]: edits of tollgate.toml from Settings, each after a native confirmation with its diff.
//! - [`dev_server`]: a release build never loads its page from a dev server.
//! - [`exports`]: the export allow-list (chosen targets, written reports).
//! - [`prefetch`]: the overview computed while the web view starts.
//! - [`logging`]: stderr plus a rolling log file in the app's log directory.

// A release build on Windows gets no console window.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod confirm;
#[cfg(test)]
mod declared;
mod dev_server;
mod dialogs;
mod edits;
mod exports;
mod ipc;
mod links;
mod logging;
mod new_workspace;
mod prefetch;
mod reload;
mod requests;
mod saved_reports;
#[cfg(test)]
mod sentences;
mod state;
mod workspaces;

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

/// SQLite page cache per connection (KiB) for this process: SQLite's own default. The CLI's
/// 32 MB speeds up appends to a large history; here the memory would stay with the idle window
/// (malloc keeps what a closed connection's cache held: +34 MB after the overview of a
/// 1,000,000-event history), and the overview is no slower with the small cache.
const SQLITE_CACHE_KIB: u32 = 2_000;

fn main() {
    let args = Args::parse();
    let context = tauri::generate_context!();
    let dev_url = context
        .config()
        .build
        .dev_url
        .as_ref()
        .map(|u| u.to_string());
    if let Some(line) = dev_server::refusal(
        !cfg!(debug_assertions),
        cfg!(feature = "custom-protocol"),
        dev_url.as_deref(),
    ) {
        eprintln!("{line}");
        std::process::exit(1);
    }
    tollgate::store::set_cache_kib(SQLITE_CACHE_KIB);
    #[cfg(target_os = "linux")]
    cpu_rendering_without_gpu();
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
            // The landing view is the overview: compute it while the web view starts.
            state.prefetch_overview();
            state.set_dialogs(std::sync::Arc::new(dialogs::Native(app.handle().clone())));
            app.manage(state);
            Ok(())
        })
        .invoke_handler(commands::handler())
        .run(context);
    if let Err(e) = result {
        eprintln!("tollgate-app: cannot start the window: {e}");
        std::process::exit(1);
    }
}

/// On a Linux machine without a GPU (no `/dev/dri/renderD*`, or `LIBGL_ALWAYS_SOFTWARE` set),
/// WebKitGTK's GPU painting runs on Mesa's software OpenGL (llvmpipe): the same pixels
/// computed by the CPU, through an emulated GPU that holds ~40 MB more per page and scrolls the
/// overview ~3× slower than WebKit's own CPU painting (docs/BENCHMARKS.md). There, ask WebKit for
/// the CPU painting (`WEBKIT_SKIA_ENABLE_CPU_RENDERING`), unless the user set that variable.
/// Machines with a GPU keep WebKit's default. Runs first in `main`, before any thread exists.
#[cfg(target_os = "linux")]
#[allow(
    clippy::disallowed_methods,
    reason = "WebKit and Mesa are configured through the environment"
)]
fn cpu_rendering_without_gpu() {
    const CPU: &str = "WEBKIT_SKIA_ENABLE_CPU_RENDERING";
    if std::env::var_os(CPU).is_some() {
        return;
    }
    let forced_software = std::env::var_os("LIBGL_ALWAYS_SOFTWARE")
        .is_some_and(|v| !v.is_empty() && v != "0" && v != "false");
    let render_node = std::fs::read_dir("/dev/dri").is_ok_and(|dir| {
        dir.flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
    });
    if forced_software || !render_node {
        std::env::set_var(CPU, "1");
    }
}
